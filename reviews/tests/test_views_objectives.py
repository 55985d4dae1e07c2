"""The objectives pages: the list with the latest values against the targets
and the history, entering a value (out of range refused, a correction needs
its reason and shows in the objective's history), the .xlsx import (wrong
columns or any bad row: nothing imported; a good sheet: the counts) and its
template, defining and changing objectives (preparers only)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..models import Measurement, Objective
from . import factories

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def this_month() -> str:
    return f"{factories.today():%Y-%m}"


def this_quarter() -> str:
    today = factories.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "实际值.xlsx") -> dict:
    return {"file": SimpleUploadedFile(name, data)}


LIST = "/reviews/objectives/"
IMPORT = "/reviews/objectives/import/"


@pytest.fixture
def p():
    return factories.people()


def test_urls_are_the_fixed_routes():
    assert reverse("reviews:objectives") == LIST
    assert reverse("reviews:objectives_import") == IMPORT
    assert reverse("reviews:objectives_template") == "/reviews/objectives/template.xlsx"


def test_staff_see_the_objectives_customers_do_not(p):
    services.measurement_record(
        user=p.controller,
        objective=factories.objective("response-rate"),
        period=this_month(),
        value="96.5",
    )
    services.measurement_record(
        user=p.controller,
        objective=factories.objective("satisfaction"),
        period=this_quarter(),
        value="87",
    )
    page = as_user(p.staff).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("服务响应及时率", "事件按时解决率", "客户满意度"):
        assert name in html
    assert 'data-code="response-rate"' in html
    assert 'data-met="yes"' in html and 'data-met="no"' in html
    rows = {r["objective"].code: r for r in page.context["rows"]}
    assert rows["response-rate"]["latest"]["value"] == "96.5"
    assert rows["response-rate"]["latest"]["met"] is True
    assert rows["satisfaction"]["latest"]["met"] is False
    assert rows["resolution-rate"]["latest"]["value"] == ""
    # Twelve periods of history per frequency, the current one last.
    history = {g["frequency"]: g for g in page.context["history"]}
    assert len(history["monthly"]["periods"]) == 12
    assert history["monthly"]["periods"][-1] == this_month()
    assert history["quarterly"]["periods"][-1] == this_quarter()
    # Staff neither enter values nor define objectives.
    assert page.context["form"] is None and page.context["import_form"] is None
    assert 'data-testid="objective-new"' not in html

    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    client = as_user(customer)
    assert client.get(LIST).status_code == 403
    assert client.get("/reviews/objectives/satisfaction/").status_code == 403
    assert as_user(p.staff).get("/reviews/objectives/no-such/").status_code == 404


def test_a_value_is_entered_and_120_percent_satisfaction_is_refused(p):
    client = as_user(p.controller)
    refused = client.post(
        LIST, {"objective": "satisfaction", "period": this_quarter(), "value": "120"}
    )
    assert refused.status_code == 400
    text = " ".join(messages_of(refused))
    assert "120% is out of range for 客户满意度 (0 to 100)." in text
    assert text in refused.content.decode()
    assert not Measurement.objects.exists()
    # What was typed stays in the form.
    assert refused.context["form"]["value"].value() == "120"

    done = client.post(
        LIST,
        {
            "objective": "satisfaction",
            "period": this_quarter(),
            "value": "92.5",
            "note": "回收问卷 40 份",
        },
        follow=True,
    )
    measurement = Measurement.objects.get(objective__code="satisfaction")
    assert measurement.value == Decimal("92.5") and measurement.note == "回收问卷 40 份"
    assert f"客户满意度 {this_quarter()}: 92.5% recorded, target met." in messages_of(
        done
    )

    # Staff may not enter values.
    staff = as_user(p.staff).post(
        LIST, {"objective": "satisfaction", "period": this_quarter(), "value": "95"}
    )
    assert staff.status_code == 403


def test_a_correction_needs_a_reason_and_shows_in_the_history(p):
    client = as_user(p.controller)
    url = "/reviews/objectives/response-rate/"
    client.post(url, {"period": this_month(), "value": "94"})
    first = Measurement.objects.get(objective__code="response-rate")
    assert first.value == Decimal("94")
    refused = client.post(url, {"period": this_month(), "value": "95.5"})
    assert refused.status_code == 400
    assert "give the reason for correcting it" in " ".join(messages_of(refused))
    corrected = client.post(
        url,
        {"period": this_month(), "value": "95.5", "reason": "漏计两张工单"},
        follow=True,
    )
    first.refresh_from_db()
    assert first.value == Decimal("95.5")
    html = corrected.content.decode()
    assert 'data-testid="measurement-correction"' in html
    assert "<s>94</s> → 95.5" in html and "漏计两张工单" in html
    actions = [e["action"] for e in corrected.context["history"]]
    assert actions[:2] == ["measurement_correct", "measurement_record"]
    # A period not readable for a monthly objective.
    bad = client.post(url, {"period": "2026Q1", "value": "90"})
    assert "measured monthly" in " ".join(messages_of(bad))


def test_a_department_head_enters_the_values_of_his_department(p):
    objective = services.objective_save(
        user=p.controller,
        objective=factories.objective("resolution-rate"),
        department=doc_factories.department("技术部"),
    )
    head = as_user(p.tech_manager)
    page = head.get(LIST)
    choices = [o.code for o in page.context["form"].fields["objective"].queryset]
    assert choices == ["resolution-rate"]
    response = head.post(
        LIST, {"objective": "resolution-rate", "period": this_month(), "value": "99"}
    )
    assert response.status_code == 302
    assert Measurement.objects.get(objective=objective).recorded_by == p.tech_manager
    # Another objective is not his to enter: the choice is refused.
    other = head.post(
        LIST, {"objective": "satisfaction", "period": this_quarter(), "value": "95"}
    )
    assert other.status_code == 400
    assert not Measurement.objects.filter(objective__code="satisfaction").exists()


# --- Import -------------------------------------------------------------------------


def test_an_import_with_wrong_columns_is_refused(p):
    services.measurement_record(
        user=p.controller,
        objective=factories.objective("response-rate"),
        period=this_month(),
        value="96",
    )
    before = Measurement.objects.count()
    data = xlsx([("名称", "月份", "值"), ("response-rate", this_month(), 97)])
    response = as_user(p.controller).post(IMPORT, upload(data))
    assert response.status_code == 400
    errors = response.context["import_errors"]
    assert any("The first row must name the columns" in e for e in errors), errors
    assert 'data-testid="import-errors"' in response.content.decode()
    assert Measurement.objects.count() == before
    assert Measurement.objects.get().value == Decimal("96")


def test_a_mixed_import_imports_nothing_and_names_every_bad_row(p):
    data = xlsx(
        [
            ("指标", "期间", "实际值", "备注"),
            ("response-rate", this_month(), 96, "好"),
            ("客户满意度", this_quarter(), 120, "超出范围"),
            ("no-such-objective", this_month(), 50, ""),
            ("resolution-rate", this_month(), "九十", ""),
        ]
    )
    response = as_user(p.controller).post(IMPORT, upload(data))
    assert response.status_code == 400
    errors = response.context["import_errors"]
    joined = " ".join(errors)
    assert "Row 3" in joined and "out of range" in joined
    assert "Row 4" in joined and "no-such-objective" in joined
    assert "Row 5" in joined and "is not a number" in joined
    assert "Row 2" not in joined
    html = response.content.decode()
    assert html.count('data-testid="import-error"') == len(errors) >= 4
    assert not Measurement.objects.exists()


def test_a_good_sheet_is_imported_with_the_counts(p):
    client = as_user(p.controller)
    data = xlsx(
        [
            ("指标", "期间", "实际值", "备注"),
            ("response-rate", this_month(), 96, ""),
            ("satisfaction", this_quarter(), "91%", "季度调查"),
        ]
    )
    response = client.post(IMPORT, upload(data), follow=True)
    assert response.status_code == 200
    assert "Imported from 实际值.xlsx: 2 new, 0 corrected, 0 unchanged." in messages_of(
        response
    )
    assert Measurement.objects.count() == 2
    # Again with one value changed: a correction, one unchanged.
    data = xlsx(
        [
            ("指标", "期间", "实际值", "备注"),
            ("response-rate", this_month(), 97, ""),
            ("satisfaction", this_quarter(), "91%", "季度调查"),
        ]
    )
    again = client.post(IMPORT, upload(data), follow=True)
    assert "Imported from 实际值.xlsx: 0 new, 1 corrected, 1 unchanged." in messages_of(
        again
    )
    assert Measurement.objects.get(objective__code="response-rate").value == Decimal(
        "97"
    )


def test_an_import_that_is_not_a_workbook_is_refused(p):
    client = as_user(p.controller)
    response = client.post(IMPORT, upload(EXE, "values.xlsx"))
    assert response.status_code == 400
    assert response.context["import_errors"]
    empty = client.post(IMPORT, {})
    assert empty.status_code == 400 and empty.context["import_errors"]
    assert client.get(IMPORT).status_code == 405
    assert not Measurement.objects.exists()


def test_the_template_names_the_columns_and_lists_the_objectives(p):
    response = as_user(p.staff).get("/reviews/objectives/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(response.content))
    values, listing = workbook.worksheets
    assert [c.value for c in values[1]] == ["指标", "期间", "实际值", "备注"]
    rows = list(listing.iter_rows(values_only=True))
    assert rows[0][:4] == ("Code", "Name", "Measured", "Period written as")
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {"response-rate", "resolution-rate", "satisfaction"}
    assert by_code["satisfaction"][1:4] == ("客户满意度", "Quarterly", "2026Q1")
    assert by_code["satisfaction"][5:7] == ("0", "100")


# --- Defining objectives ------------------------------------------------------------


def test_only_preparers_define_and_change_objectives(p):
    staff = as_user(p.staff)
    assert staff.get("/reviews/objectives/new/").status_code == 403
    assert staff.get("/reviews/objectives/satisfaction/edit/").status_code == 403
    assert staff.post("/reviews/objectives/new/", {"code": "x"}).status_code == 403

    client = as_user(p.controller)
    assert client.get("/reviews/objectives/new/").status_code == 200
    fields = {
        "code": "change-success",
        "name": "变更成功率",
        "kind": "objective",
        "comparison": "gte",
        "target": "",
        "unit": "%",
        "min_value": "0",
        "max_value": "100",
        "frequency": "monthly",
        "sort_order": "40",
        "is_active": "on",
    }
    no_target = client.post("/reviews/objectives/new/", fields)
    assert no_target.status_code == 400
    assert "An objective needs a target." in no_target.content.decode()
    assert not Objective.objects.filter(code="change-success").exists()

    created = client.post("/reviews/objectives/new/", {**fields, "target": "97"})
    assert created.status_code == 302
    assert created["Location"] == "/reviews/objectives/change-success/"
    objective = Objective.objects.get(code="change-success")
    assert objective.target == Decimal("97") and objective.is_active

    edit = client.get("/reviews/objectives/change-success/edit/")
    assert edit.context["form"]["name"].value() == "变更成功率"
    changed = client.post(
        "/reviews/objectives/change-success/edit/",
        {**fields, "target": "98", "max_value": "100"},
        follow=True,
    )
    objective.refresh_from_db()
    assert objective.target == Decimal("98")
    assert 'data-action="objective_update"' in changed.content.decode()
    assert client.get("/reviews/objectives/nope/edit/").status_code == 404
