"""The staff pages of records: filling forms, the record page and its actions,
the lists, disposal and retention events (records.views)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories
from records import services
from records.lifecycle import DisposalStatus, RecordStatus
from records.models import DisposalRequest, Record, RecordType, RetentionTrigger

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- Builders -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def customer(users):
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


@pytest.fixture
def work_order(users):
    return factories.form()


def as_user(user) -> Client:
    """A client signed in as ``user``, reading the interface in English."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


def name_of(user) -> str:
    return user.get_full_name() or user.get_username()


def fill_url(number="D0201") -> str:
    return reverse("records:fill", kwargs={"number": number})


def detail_url(number) -> str:
    return reverse("records:detail", kwargs={"number": number})


def work_order_post(**overrides) -> dict:
    data = {
        "values-bao_gao_ren": "张三",
        "values-gu_zhang_miao_shu": "打印机无法打印",
        "values-you_xian_ji": "中",
        "values-chu_li_shi_zhang_xiao_shi": "1.5",
        "values-wan_cheng_ri_qi": "2026-11-22",
        "record-record_date": "2026-11-22",
        "record-related_to": "",
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Access -------------------------------------------------------------------------


PAGES = [
    ("records:list", {}),
    ("records:fill_index", {}),
    ("records:fill", {"number": "D0201"}),
    ("records:types", {}),
    ("records:disposal_queue", {}),
    ("records:events", {}),
    ("records:detail", {"number": "D0201-2026112201"}),
    ("records:file", {"number": "D0201-2026112201"}),
    ("records:disposal", {"reference": "XH-2026-001"}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_pages_need_login(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("records:correct", {"number": "D0201-2026112201"}),
        ("records:hold", {"number": "D0201-2026112201"}),
        ("records:access", {"number": "D0201-2026112201"}),
        ("records:disposal_approve", {"reference": "XH-2026-001"}),
        ("records:disposal_reject", {"reference": "XH-2026-001"}),
        ("records:disposal_execute", {"reference": "XH-2026-001"}),
    ],
)
def test_actions_are_post_only(users, name, kwargs):
    response = as_user(users["controller"]).get(reverse(name, kwargs=kwargs))
    assert response.status_code == 405


def test_every_page_opens_for_the_right_user(users, work_order):
    staff = users["staff"]
    record = factories.record(staff, upload=(MINIMAL_PDF, "scan.pdf"))
    controller = as_user(users["controller"])
    manager = as_user(users["tech_manager"])
    client = as_user(staff)
    for url, who in [
        (reverse("records:list"), client),
        (reverse("records:fill_index"), client),
        (fill_url(), client),
        (reverse("records:types"), client),
        (reverse("records:disposal_queue"), client),
        (reverse("records:disposal_queue"), controller),
        (reverse("records:events"), manager),
        (reverse("records:events"), controller),
        (detail_url(record.number), client),
        (detail_url(record.number), controller),
    ]:
        response = who.get(url)
        assert response.status_code == 200, url
        assert "records-subnav" in body(response), url
    download = client.get(reverse("records:file", kwargs={"number": record.number}))
    assert download.status_code == 200


def test_customer_representative_is_kept_to_named_records(users, work_order, customer):
    record = factories.record(users["staff"])
    client = as_user(customer)
    for name in ("records:fill_index", "records:types", "records:disposal_queue"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(fill_url()).status_code == 403
    assert client.get(reverse("records:events")).status_code == 403
    # Not named yet: the record does not exist for them.
    assert client.get(detail_url(record.number)).status_code == 404
    listing = client.get(reverse("records:list"))
    assert listing.status_code == 200
    assert record.number not in body(listing)
    # The navigation hides the library, the register and "my tasks".
    page = body(listing)
    assert 'data-testid="nav-records"' in page
    assert 'data-testid="nav-my-tasks"' not in page
    assert reverse("documents:register") not in page

    # The department head names them on the record.
    head = as_user(users["tech_manager"])
    response = head.post(
        reverse("records:access", kwargs={"number": record.number}),
        {"action": "grant", "grantee": "customer"},
        follow=True,
    )
    assert response.status_code == 200
    assert "may now read" in " ".join(messages_of(response))
    assert 'data-testid="named-person"' in body(response)

    opened = client.get(detail_url(record.number))
    assert opened.status_code == 200
    assert "张三" in body(opened)
    # They cannot open the form's library page, so the form is not a link.
    assert 'data-testid="form-link"' not in body(opened)
    assert 'data-testid="correction-form"' not in body(opened)
    assert record.number in body(client.get(reverse("records:list")))

    head.post(
        reverse("records:access", kwargs={"number": record.number}),
        {"action": "revoke", "grantee": "customer"},
    )
    assert client.get(detail_url(record.number)).status_code == 404


# --- Filling ------------------------------------------------------------------------


def test_fill_index_lists_forms_in_force_and_searches(users, work_order):
    factories.form("D0202", "变更申请单", issue=False)
    client = as_user(users["staff"])
    response = client.get(reverse("records:fill_index"))
    page = body(response)
    assert "D0201" in page and "运维工作单" in page
    assert "D0202" not in page  # not in force
    assert "5年" in page
    assert fill_url("D0201") in page
    assert fill_url("D0201") not in body(
        client.get(reverse("records:fill_index") + "?q=培训")
    )
    assert fill_url("D0201") in body(
        client.get(reverse("records:fill_index") + "?q=d02")
    )
    assert "D0201" in body(client.get(reverse("records:fill_index") + "?q=工作单"))


def test_fill_page_files_the_numbered_record(users, work_order):
    client = as_user(users["staff"])
    page = client.get(fill_url())
    text = body(page)
    assert page.status_code == 200
    # Built from the released fields, with today's date and the upload filter.
    assert 'name="values-bao_gao_ren"' in text
    assert '<option value="高">高</option>' in text
    assert 'value="2026-11-22"' in text
    assert 'accept=".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.tif,.tiff"' in text
    # The button cannot fire twice.
    assert "data-submit-once" in text and "button.disabled = true" in text

    response = client.post(fill_url(), work_order_post())
    assert response.status_code == 302
    assert response["Location"] == detail_url("D0201-2026112201")
    shown = client.get(response["Location"])
    assert "Record D0201-2026112201 has been filed." in " ".join(messages_of(shown))
    assert "打印机无法打印" in body(shown)
    record = Record.objects.get(number="D0201-2026112201")
    assert record.data["you_xian_ji"] == "中"
    assert record.department.name == "技术部"
    assert record.created_by == users["staff"]

    # A second submission is a second record, by design.
    again = client.post(fill_url(), work_order_post())
    assert again["Location"] == detail_url("D0201-2026112202")


def test_invalid_values_re_render_with_errors_and_keep_what_was_typed(
    users, work_order
):
    client = as_user(users["staff"])
    response = client.post(
        fill_url(),
        work_order_post(
            **{
                "values-bao_gao_ren": "",
                "values-you_xian_ji": "紧急",
                "values-gu_zhang_miao_shu": "服务器宕机，需要重启",
                "record-related_to": "D9999-2026112201",
            }
        ),
    )
    assert response.status_code == 200
    text = body(response)
    assert 'data-testid="form-errors"' in text
    assert "This field is required." in text
    assert "Select a valid choice." in text
    assert "服务器宕机，需要重启" in text
    assert 'value="D9999-2026112201"' in text
    assert not Record.objects.exists()


def test_refusal_from_the_service_is_shown_in_the_page(users, work_order):
    client = as_user(users["staff"])
    response = client.post(
        fill_url(),
        work_order_post(**{"record-related_to": "D9999-2026112201"}),
    )
    assert response.status_code == 200
    text = body(response)
    assert "There is no record numbered" in text
    assert "打印机无法打印" in text
    assert not Record.objects.exists()

    too_late = client.post(
        fill_url(), work_order_post(**{"record-record_date": "2027-01-30"})
    )
    assert "cannot be dated more than 7 days ahead" in body(too_late)
    assert not Record.objects.exists()


def test_related_record_is_prefilled_and_numbered(users, work_order):
    source = factories.record(users["staff"])
    factories.form("D0302", "问题跟踪记录")
    client = as_user(users["staff"])
    detail = body(client.get(detail_url(source.number)))
    assert "?related_to=D0201-2026112201" in detail

    index = body(
        client.get(reverse("records:fill_index") + f"?related_to={source.number}")
    )
    assert fill_url("D0302") + "?related_to=D0201-2026112201" in index

    page = client.get(fill_url("D0302") + f"?related_to={source.number}")
    assert 'value="D0201-2026112201"' in body(page)
    response = client.post(
        fill_url("D0302"),
        work_order_post(**{"record-related_to": source.number}),
    )
    assert response["Location"] == detail_url("D0302-D0201-2026112201")
    source_page = body(client.get(detail_url(source.number)))
    assert "D0302-D0201-2026112201" in source_page


def test_a_form_not_in_force_is_a_clear_page(users):
    factories.form("D0202", "变更申请单", issue=False)
    client = as_user(users["controller"])
    response = client.get(fill_url("D0202"))
    # Drafts are not published to staff: as if the form did not exist.
    assert response.status_code == 404
    assert client.get(fill_url("D0999")).status_code == 404

    page = factories.form("D0203", "服务请求单")
    page.__class__.objects.filter(pk=page.pk).update(status="obsolete")
    response = client.get(fill_url("D0203"))
    assert response.status_code == 409
    assert "is not in force" in body(response)
    posted = client.post(fill_url("D0203"), work_order_post())
    assert posted.status_code == 409
    assert not Record.objects.exists()


def test_form_number_is_normalised(users, work_order):
    client = as_user(users["staff"])
    response = client.get(reverse("records:fill", kwargs={"number": "d0201"}))
    assert response.status_code == 302
    assert response["Location"] == fill_url("D0201")


def test_only_document_control_chooses_the_department(users, work_order):
    assert "record-department" not in body(as_user(users["staff"]).get(fill_url()))
    controller = as_user(users["controller"])
    assert 'name="record-department"' in body(controller.get(fill_url()))
    market = doc_factories.department("市场部")
    response = controller.post(
        fill_url(), work_order_post(**{"record-department": str(market.pk)})
    )
    assert response.status_code == 302
    assert Record.objects.get().department == market


def test_form_without_fields_takes_free_rows_or_a_file(users):
    factories.form("D0401", "自行编制记录", fields=None)
    client = as_user(users["staff"])
    page = body(client.get(fill_url("D0401")))
    assert 'data-testid="free-rows"' in page
    empty = client.post(fill_url("D0401"), {"record-record_date": "2026-11-22"})
    assert "attach its scan or file" in body(empty)

    response = client.post(
        fill_url("D0401"),
        {
            "record-record_date": "2026-11-22",
            "free-0-name": "检查项",
            "free-0-value": "机房温度",
            "free-1-name": "结果",
            "free-1-value": "正常",
        },
    )
    assert response.status_code == 302
    record = Record.objects.get()
    assert record.data == {"检查项": "机房温度", "结果": "正常"}
    detail = body(client.get(response["Location"]))
    assert "机房温度" in detail and "结果" in detail

    upload = io.BytesIO(MINIMAL_PDF)
    upload.name = "巡检.pdf"
    with_file = client.post(
        fill_url("D0401"), {"record-record_date": "2026-11-22", "record-file": upload}
    )
    assert with_file.status_code == 302
    assert Record.objects.get(number="D0401-2026112202").file_name == "巡检.pdf"


def test_disguised_upload_is_refused_and_values_kept(users, work_order):
    client = as_user(users["staff"])
    upload = io.BytesIO(b"<html><script>alert(1)</script></html>")
    upload.name = "scan.pdf"
    response = client.post(fill_url(), work_order_post(**{"record-file": upload}))
    assert response.status_code == 200
    text = body(response)
    assert 'data-testid="file-again"' in text
    assert "打印机无法打印" in text
    assert not Record.objects.exists()


# --- The record page ---------------------------------------------------------------


def test_detail_is_404_for_other_departments(users, work_order):
    record = factories.record(users["staff"])
    assert (
        as_user(users["market_manager"]).get(detail_url(record.number)).status_code
        == 404
    )
    assert as_user(users["auditor"]).get(detail_url(record.number)).status_code == 200
    # Pasted with a full-width dash: redirected to the canonical number.
    response = as_user(users["staff"]).get("/records/D0201－2026112201/")
    assert response.status_code == 302
    assert response["Location"] == detail_url(record.number)


def test_detail_shows_the_record(users, work_order):
    record = factories.record(users["staff"], upload=(MINIMAL_PDF, "工作单.pdf"))
    text = body(as_user(users["staff"]).get(detail_url(record.number)))
    assert 'data-testid="record-number">D0201-2026112201<' in text
    assert reverse("documents:detail", kwargs={"number": "D0201"}) in text
    assert ">A</a>" in text  # the form issue
    assert "2026-11-22" in text
    assert "技术部" in text
    assert name_of(users["staff"]) in text
    assert "2031-11-22" in text  # 5 years
    assert reverse("records:file", kwargs={"number": record.number}) in text
    assert "工作单.pdf" in text


def test_correction_shows_the_old_value_struck_through(users, work_order):
    record = factories.record(users["staff"])
    client = as_user(users["tech_manager"])
    url = reverse("records:correct", kwargs={"number": record.number})
    response = client.post(
        url, {"field": "you_xian_ji", "value": "高", "reason": "客户升级为紧急"}
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(record.number)
    client.post(url, {"field": "you_xian_ji", "value": "低", "reason": "已缓解"})

    text = body(client.get(detail_url(record.number)))
    row = re.search(r'data-field="you_xian_ji".*?</tr>', text, re.S).group(0)
    assert '<span class="record-value" data-testid="current-value">低</span>' in row
    assert re.search(r"<del[^>]*>中</del> → <ins>高</ins>", row)
    assert re.search(r"<del[^>]*>高</del> → <ins>低</ins>", row)
    assert row.index("客户升级为紧急") < row.index("已缓解")
    assert name_of(users["tech_manager"]) in row
    # The stored values never change.
    record.refresh_from_db()
    assert record.data["you_xian_ji"] == "中"


def test_refused_correction_keeps_what_was_typed(users, work_order):
    record = factories.record(users["staff"])
    client = as_user(users["staff"])
    url = reverse("records:correct", kwargs={"number": record.number})
    response = client.post(
        url, {"field": "you_xian_ji", "value": "紧急", "reason": "升级"}
    )
    assert response.status_code == 400
    text = body(response)
    assert "Select a valid choice." in text
    assert 'value="紧急"' in text
    assert ">升级</textarea>" in text
    missing_reason = client.post(
        url, {"field": "bao_gao_ren", "value": "李四", "reason": ""}
    )
    assert "Say why the value is corrected." in body(missing_reason)
    assert not record.corrections.exists()
    # Someone who may not open the record: 404, not 403.
    other = as_user(users["market_manager"]).post(
        url, {"field": "bao_gao_ren", "value": "李四", "reason": "x"}
    )
    assert other.status_code == 404
    # A reader who may not correct (an auditor): refused in the page.
    auditor = as_user(users["auditor"])
    assert 'data-testid="correction-form"' not in body(
        auditor.get(detail_url(record.number))
    )
    refused = auditor.post(
        url, {"field": "bao_gao_ren", "value": "李四", "reason": "x"}
    )
    assert refused.status_code == 400
    assert "You may not do this." in body(refused)


def test_legal_hold_banner_and_release(users, work_order):
    record = factories.record(users["staff"])
    staff = as_user(users["staff"])
    assert 'data-testid="hold-form"' not in body(staff.get(detail_url(record.number)))
    controller = as_user(users["controller"])
    url = reverse("records:hold", kwargs={"number": record.number})
    empty = controller.post(url, {"action": "place", "reason": ""})
    assert empty.status_code == 400
    assert "Say why the record is held." in body(empty)
    response = controller.post(
        url, {"action": "place", "reason": "诉讼保全"}, follow=True
    )
    assert "is now under legal hold" in " ".join(messages_of(response))
    text = body(staff.get(detail_url(record.number)))
    assert 'data-testid="legal-hold"' in text and "诉讼保全" in text
    assert "A record under legal hold cannot be corrected." in text
    controller.post(url, {"action": "release", "reason": "结案"})
    assert 'data-testid="legal-hold"' not in body(staff.get(detail_url(record.number)))


def test_file_download_is_a_safe_attachment(users, work_order):
    record = factories.record(users["staff"], upload=(MINIMAL_PDF, "故障 报告.pdf"))
    url = reverse("records:file", kwargs={"number": record.number})
    response = as_user(users["staff"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E6%95%85%E9%9A%9C%20%E6%8A%A5%E5%91%8A.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"

    assert as_user(users["market_manager"]).get(url).status_code == 404
    plain = factories.record(users["staff"])
    no_file = reverse("records:file", kwargs={"number": plain.number})
    assert as_user(users["staff"]).get(no_file).status_code == 404


# --- Lists --------------------------------------------------------------------------


def test_list_never_shows_another_departments_records(users, work_order):
    mine = factories.record(users["staff"])
    market = doc_factories.department("市场部")
    theirs = services.record_create(
        user=users["controller"],
        form=work_order,
        data=factories.work_order_data(bao_gao_ren="王五"),
        department=market,
    )
    staff = body(as_user(users["staff"]).get(reverse("records:list")))
    assert mine.number in staff
    assert theirs.number not in staff and "王五" not in staff
    assert "1 record<" in staff.replace("</p>", "<")

    controller = body(as_user(users["controller"]).get(reverse("records:list")))
    assert mine.number in controller and theirs.number in controller
    assert "2 records" in controller


def test_list_filters(users, work_order):
    factories.form("D0302", "问题跟踪记录")
    first = factories.record(users["staff"], record_date=date(2026, 11, 1))
    second = factories.record(users["staff"])
    tracking = factories.record(users["staff"])
    other_form = services.record_create(
        user=users["staff"],
        form="D0302",
        data=factories.work_order_data(),
        related_to=first,
    )
    client = as_user(users["staff"])

    def numbers(query: str) -> set[str]:
        text = body(client.get(reverse("records:list") + query))
        return set(
            re.findall(r'data-testid="record-row".*?>([A-Z0-9-]+)</a>', text, re.S)
        )

    assert numbers("") == {
        first.number,
        second.number,
        tracking.number,
        other_form.number,
    }
    assert numbers("?q=d0201－20261101") == {first.number}
    assert numbers("?q=跟踪") == {other_form.number}
    assert numbers("?form=D0302") == {other_form.number}
    assert numbers("?date_from=2026-11-02") == {
        second.number,
        tracking.number,
        other_form.number,
    }
    assert numbers("?date_to=2026-11-01") == {first.number}
    assert numbers("?status=destroyed") == set()
    assert numbers("?retention=due") == set()
    assert numbers("?retention=running") == {
        first.number,
        second.number,
        tracking.number,
        other_form.number,
    }
    # An invalid filter is shown, not applied.
    text = body(client.get(reverse("records:list") + "?date_from=tomorrow"))
    assert "Enter a valid date." in text


def test_list_pages_by_fifty_in_date_order(users, work_order):
    for day in range(1, 4):
        for _ in range(20):
            factories.record(users["staff"], record_date=date(2026, 11, day))
    client = as_user(users["staff"])
    first = body(client.get(reverse("records:list")))
    rows = re.findall(r'data-testid="record-row".*?>([A-Z0-9-]+)</a>', first, re.S)
    assert len(rows) == 50
    assert rows[0] == "D0201-2026110320"
    assert rows[19] == "D0201-2026110301"
    assert rows[20] == "D0201-2026110220"
    assert "60 records" in first
    second = body(client.get(reverse("records:list") + "?page=2"))
    assert len(re.findall(r'data-testid="record-row"', second)) == 10


def test_list_reads_a_fixed_number_of_queries(users, work_order):
    for _ in range(5):
        factories.record(users["staff"])
    client = as_user(users["staff"])
    client.get(reverse("records:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("records:list"))
    for _ in range(20):
        factories.record(users["staff"])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("records:list"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_records_list_page_reads_only(users, work_order):
    factories.form("D0202", "变更申请单", retention_period="按合同")
    obsolete = factories.form("D0203", "旧表单", retention_period="离职后1年")
    obsolete.__class__.objects.filter(pk=obsolete.pk).update(status="obsolete")
    factories.record(users["staff"])
    client = as_user(users["staff"])
    response = client.get(reverse("records:types"))
    text = body(response)
    assert response.status_code == 200
    rows = dict(re.findall(r'data-form="([A-Z0-9]+)">(.*?)</tr>', text, re.S))
    assert set(rows) == {"D0201", "D0202", "D0203"}
    assert "5年" in rows["D0201"] and "The filling department" in rows["D0201"]
    assert 'data-testid="kept">1<' in rows["D0201"]
    # Without an entry: what the register's wording gives, marked as such.
    assert "from the register" in rows["D0203"] and "离职后1年" in rows["D0203"]
    assert (
        'data-testid="retention-warning"' in rows["D0202"] and "按合同" in rows["D0202"]
    )
    assert "5年" in rows["D0202"]
    assert 'data-testid="retention-warnings"' in text
    # Reading the list created nothing.
    assert set(RecordType.objects.values_list("form__number", flat=True)) == {"D0201"}


# --- Retention events, disposal ----------------------------------------------------


def training_form():
    return factories.form("D0601", "培训记录", retention_period="离职后1年")


def test_training_record_pending_event_then_departure_plus_one_year(users):
    training_form()
    staff = as_user(users["staff"])
    page = body(staff.get(fill_url("D0601")))
    assert 'name="record-retention_subject"' in page
    missing = staff.post(fill_url("D0601"), work_order_post())
    assert "name the employee, equipment or product" in body(missing)

    response = staff.post(
        fill_url("D0601"), work_order_post(**{"record-retention_subject": "李四"})
    )
    number = "D0601-2026112201"
    assert response["Location"] == detail_url(number)
    text = body(staff.get(detail_url(number)))
    assert 'data-testid="retention-state">Pending event<' in text
    assert "李四" in text

    # Staff may not enter events; the department manager does, on the events page.
    assert staff.get(reverse("records:events")).status_code == 403
    manager = as_user(users["tech_manager"])
    events = body(manager.get(reverse("records:events")))
    assert 'data-testid="waiting-row"' in events and "李四" in events
    bad = manager.post(
        reverse("records:events"),
        {"event": "employee_exit", "subject": "李四", "occurred_on": "2026-12-31"},
    )
    assert bad.status_code == 400
    assert "The date cannot be in the future." in body(bad)
    assert 'value="李四"' in body(bad)
    entered = manager.post(
        reverse("records:events"),
        {"event": "employee_exit", "subject": "李四", "occurred_on": "2026-10-31"},
        follow=True,
    )
    assert "1 record(s) now have their retention end date" in " ".join(
        messages_of(entered)
    )
    assert 'data-testid="event-records">1<' in body(entered)
    assert RetentionTrigger.objects.get().subject == "李四"

    text = body(staff.get(detail_url(number)))
    assert 'data-testid="retention-until">2027-10-31<' in text
    assert "Pending event" not in text

    # Disposal before that date is refused, with a message.
    record = Record.objects.get(number=number)
    refused = staff.post(
        reverse("records:disposal_queue"),
        {"record": [str(record.pk)], "method": "shred", "reason": "清理"},
    )
    assert refused.status_code == 400
    assert "is retained until 2027-10-31; it cannot be destroyed before." in body(
        refused
    )
    assert not DisposalRequest.objects.exists()
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE


def test_full_disposal_flow_through_the_pages(
    users, django_capture_on_commit_callbacks
):
    factories.form("D0202", "值班记录", retention_period="3年")
    staff_user = users["staff"]
    record = services.record_create(
        user=staff_user,
        form="D0202",
        data=factories.work_order_data(),
        record_date=date(2020, 1, 6),
        upload=(MINIMAL_PDF, "值班.pdf"),
    )
    keeper = record.file.storage
    stored = record.file.name
    assert keeper.exists(stored)
    kept = services.record_create(
        user=staff_user, form="D0202", data=factories.work_order_data()
    )
    staff = as_user(staff_user)

    queue = body(staff.get(reverse("records:disposal_queue")))
    assert record.number in queue and kept.number not in queue
    assert 'data-testid="past-retention-badge"' in body(
        staff.get(detail_url(record.number))
    )

    response = staff.post(
        reverse("records:disposal_queue"),
        {"record": [str(record.pk)], "method": "shred", "reason": "到期"},
    )
    assert response.status_code == 302
    disposal = DisposalRequest.objects.get()
    assert response["Location"] == reverse(
        "records:disposal", kwargs={"reference": disposal.reference}
    )
    url = response["Location"]
    page = body(staff.get(url))
    assert disposal.reference == "XH-2026-001"
    assert 'data-testid="approve-form"' not in page  # not the head
    assert as_user(users["market_manager"]).get(url).status_code == 404

    # Staff may not approve: refused in the page.
    approve = reverse(
        "records:disposal_approve", kwargs={"reference": disposal.reference}
    )
    refused = staff.post(approve, {"status": "requested"})
    assert refused.status_code == 400
    assert 'data-testid="page-errors"' in body(refused)
    assert "You may not do this." in body(refused)
    head = as_user(users["tech_manager"])
    assert 'data-testid="approve-form"' in body(head.get(url))
    assert head.post(approve, {"status": "requested"}).status_code == 302
    # A double submit of the same form is a message, not a second approval.
    again = head.post(approve, {"status": "requested"}, follow=True)
    assert "already been decided" in " ".join(messages_of(again))
    controller = as_user(users["controller"])
    assert controller.post(approve, {"status": "head_approved"}).status_code == 302
    disposal.refresh_from_db()
    assert disposal.status == DisposalStatus.APPROVED

    execute = reverse(
        "records:disposal_execute", kwargs={"reference": disposal.reference}
    )
    page = body(staff.get(url))
    assert 'data-testid="execute-form"' in page
    no_witness = staff.post(
        execute, {"status": "approved", "executed_on": "2026-11-22"}
    )
    assert no_witness.status_code == 400
    assert "Name the witness of the destruction." in body(no_witness)
    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(
            execute,
            {
                "status": "approved",
                "executed_on": "2026-11-22",
                "witness": "tech_manager",
                "note": "碎纸机",
            },
        )
    assert done.status_code == 302
    assert not keeper.exists(stored)

    record_page = body(staff.get(detail_url(record.number)))
    assert 'data-testid="destroyed-stub"' in record_page
    assert "was destroyed on 2026-11-22" in record_page
    assert (
        reverse("records:disposal", kwargs={"reference": "XH-2026-001"}) in record_page
    )
    assert "打印机" not in record_page and "值班.pdf" not in record_page
    assert (
        staff.get(reverse("records:file", kwargs={"number": record.number})).status_code
        == 404
    )

    final = body(staff.get(url))
    assert 'data-testid="disposal-status">Destroyed<' in final
    assert 'data-testid="executed-on">2026-11-22<' in final
    assert name_of(staff_user) in final
    assert 'data-testid="witness">' + name_of(users["tech_manager"]) in final
    assert "Shredded" in final
    assert ModelLogEntry.objects.filter(
        action="shoukong.records.disposal_execute"
    ).exists()
    # The queue lists it among the past requests.
    queue = body(staff.get(reverse("records:disposal_queue")))
    assert 'data-testid="past-requests"' in queue and "XH-2026-001" in queue


def test_reject_needs_a_reason_and_gives_the_records_back(users):
    factories.form("D0202", "值班记录", retention_period="3年")
    record = services.record_create(
        user=users["staff"],
        form="D0202",
        data=factories.work_order_data(),
        record_date=date(2020, 1, 6),
    )
    disposal = services.disposal_request_create(
        user=users["staff"], records=[record], method="recycle"
    )
    head = as_user(users["tech_manager"])
    reject = reverse(
        "records:disposal_reject", kwargs={"reference": disposal.reference}
    )
    empty = head.post(reject, {"status": "requested", "reason": ""})
    assert empty.status_code == 400
    assert "Say why the request is rejected." in body(empty)
    done = head.post(reject, {"status": "requested", "reason": "仍需保留"}, follow=True)
    assert "is rejected" in " ".join(messages_of(done))
    assert "仍需保留" in body(done)
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE


def test_disposal_queue_is_for_archive_keepers(users, customer):
    assert as_user(customer).get(reverse("records:disposal_queue")).status_code == 403
    assert (
        as_user(users["staff"]).get(reverse("records:disposal_queue")).status_code
        == 200
    )


def test_list_count_stops_at_the_cap(users, work_order, monkeypatch):
    from records.views import listing

    for _ in range(3):
        factories.record(users["staff"])
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    text = body(as_user(users["staff"]).get(reverse("records:list")))
    assert "More than 2 records" in text
    # The pages reach as far as the count: the newest records.
    assert re.findall(r'data-testid="record-row".*?>([A-Z0-9-]+)</a>', text, re.S) == [
        "D0201-2026112203",
        "D0201-2026112202",
    ]


def test_list_reads_the_same_records_as_visible_to(users, work_order, customer):
    from records.views.common import visible_records

    mine = factories.record(users["staff"])
    confidential = factories.record(users["staff"])
    Record.objects.filter(pk=confidential.pk).update(confidential=True)
    services.record_access_grant(
        user=users["controller"], record=mine, grantee=customer
    )
    for user in [*users.values(), customer]:
        expected = set(Record.objects.visible_to(user).values_list("pk", flat=True))
        assert set(visible_records(user).values_list("pk", flat=True)) == expected, user
