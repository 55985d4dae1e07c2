"""The objectives in the reviews API over HTTP: defining them, entering
measured values, importing a sheet (all rows or none), and the refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.tests.filefactories import make_pdf

from ..models import Measurement, Objective
from . import factories
from .test_api_support import (
    OBJECTIVES,
    client_for,
    last_month,
    last_quarter,
    workbook,
)

pytestmark = pytest.mark.django_db

IMPORT = f"{OBJECTIVES}import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def p():
    return factories.people()


def measurements(code: str) -> str:
    return f"{OBJECTIVES}{code}/measurements/"


def sheet(data: bytes, name: str = "指标.xlsx") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type=XLSX)}


# --- objectives -----------------------------------------------------------------------


def test_objectives_listed_read_defined_and_changed(p):
    api = client_for(p.staff)
    listed = api.get(OBJECTIVES).json()
    codes = {o["code"] for o in listed["results"]}
    assert {"response-rate", "resolution-rate", "satisfaction"} <= codes
    satisfaction = api.get(f"{OBJECTIVES}SATISFACTION/").json()
    assert satisfaction["name"] == "客户满意度"
    assert (satisfaction["target"], satisfaction["target_label"]) == ("90", "≥ 90%")
    assert satisfaction["frequency"] == "quarterly"
    assert satisfaction["measurements"] == [] and satisfaction["latest"] is None
    assert api.get(f"{OBJECTIVES}nothing/").status_code == 404
    assert api.get(OBJECTIVES, {"kind": "indicator"}).status_code == 200
    assert api.get(OBJECTIVES, {"kind": "wish"}).status_code == 400

    body = {
        "code": "change-success",
        "name": "变更成功率",
        "target": "97.5",
        "frequency": "monthly",
        "department": "技术部",
    }
    assert api.post(OBJECTIVES, body, format="json").status_code == 403
    controller = client_for(p.controller)
    created = controller.post(OBJECTIVES, body, format="json")
    assert created.status_code == 201, created.json()
    assert created["Location"].endswith(f"{OBJECTIVES}change-success/")
    assert created.json()["target_label"] == "≥ 97.5%"
    assert created.json()["department"] == "技术部"
    clash = controller.post(OBJECTIVES, {**body, "name": "另一个"}, format="json")
    assert clash.status_code == 400 and "code" in clash.json()["detail"]
    for bad in (
        {**body, "code": "has space"},
        {**body, "code": "x" * 40},
        {**body, "code": "ok-code", "target": "abc"},
        {**body, "code": "ok-code", "target": "150"},
        {**body, "code": "ok-code", "min_value": "100", "max_value": "0"},
        {**body, "code": "ok-code", "name": "名\x00"},
        {**body, "code": "ok-code", "department": "火星部"},
        {"code": "ok-code", "name": "没有目标"},
    ):
        answer = controller.post(OBJECTIVES, bad, format="json")
        assert answer.status_code == 400, bad
        assert answer.json()["detail"]

    changed = controller.patch(
        f"{OBJECTIVES}change-success/", {"target": "98"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["target"] == "98"
    assert (
        controller.patch(f"{OBJECTIVES}change-success/", {}, format="json").status_code
        == 400
    )
    assert (
        api.patch(
            f"{OBJECTIVES}change-success/", {"target": "50"}, format="json"
        ).status_code
        == 403
    )


# --- measurements ---------------------------------------------------------------------


def test_measured_values_entered_and_corrected(p):
    controller = client_for(p.controller)
    month = last_month()
    entered = controller.post(
        measurements("response-rate"),
        {"period": month, "value": "96.5%"},
        format="json",
    )
    assert entered.status_code == 201, entered.json()
    assert (entered.json()["period"], entered.json()["value"]) == (month, "96.5")
    assert entered.json()["met"] is True
    assert entered.json()["recorded_by"]["username"] == "controller"
    same = controller.post(
        measurements("response-rate"), {"period": month, "value": 96.5}, format="json"
    )
    assert same.status_code == 200
    no_reason = controller.post(
        measurements("response-rate"), {"period": month, "value": "94"}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    corrected = controller.post(
        measurements("response-rate"),
        {"period": month, "value": "94", "reason": "统计口径更正"},
        format="json",
    )
    assert corrected.status_code == 200 and corrected.json()["met"] is False
    listed = controller.get(measurements("response-rate")).json()
    assert [(m["period"], m["value"]) for m in listed] == [(month, "94")]
    detail = controller.get(f"{OBJECTIVES}response-rate/").json()
    assert detail["latest"]["value"] == "94"
    assert Measurement.objects.count() == 1


def test_measurement_refusals(p):
    controller = client_for(p.controller)
    quarter = last_quarter()
    unknown = controller.post(
        measurements("uptime"), {"period": quarter, "value": "99"}, format="json"
    )
    assert unknown.status_code == 404 and unknown.json()["detail"]
    too_high = controller.post(
        measurements("satisfaction"), {"period": quarter, "value": "120"}, format="json"
    )
    assert too_high.status_code == 400
    assert "120" in too_high.json()["detail"] and "range" in too_high.json()["detail"]
    cases = [
        {"period": quarter, "value": "-1"},
        {"period": quarter, "value": "abc"},
        {"period": quarter, "value": "NaN"},
        {"period": quarter, "value": ""},
        {"period": quarter, "value": ["95"]},
        {"period": quarter, "value": {"v": 95}},
        {"period": quarter, "value": True},
        {"period": "someday", "value": "95"},
        {"period": "2999Q1", "value": "95"},
        {"period": "2026", "value": "95"},
        {"period": quarter, "value": "95", "note": "a\x00b"},
        {"period": quarter, "value": "95", "note": "n" * 600},
        {"period": quarter},
    ]
    for body in cases:
        answer = controller.post(measurements("satisfaction"), body, format="json")
        assert answer.status_code == 400, body
        assert answer.json()["detail"], body
    staff = client_for(p.staff).post(
        measurements("satisfaction"), {"period": quarter, "value": "95"}, format="json"
    )
    assert staff.status_code == 403
    assert not Measurement.objects.exists()


# --- import ---------------------------------------------------------------------------


def test_import_creates_updates_and_reports_counts(p):
    controller = client_for(p.controller)
    month, quarter = last_month(), last_quarter()
    data = workbook(
        [
            ("response-rate", month, 96.5, "服务台统计"),
            ("事件按时解决率", month, "98.2%", None),
            ("satisfaction", quarter, 92, None),
        ]
    )
    imported = controller.post(IMPORT, sheet(data), format="multipart")
    assert imported.status_code == 200, imported.json()
    body = imported.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert [row["objective"] for row in body["rows"]] == [
        "response-rate",
        "resolution-rate",
        "satisfaction",
    ]
    again = controller.post(IMPORT, sheet(data), format="multipart").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    changed = workbook([("response-rate", month, 97, "复核后")])
    updated = controller.post(IMPORT, sheet(changed), format="multipart").json()
    assert (updated["created"], updated["updated"]) == (0, 1)
    assert Measurement.objects.count() == 3


def test_a_bad_sheet_imports_nothing(p):
    controller = client_for(p.controller)
    month, quarter = last_month(), last_quarter()
    controller.post(
        IMPORT, sheet(workbook([("response-rate", month, 96)])), format="multipart"
    )
    before = Measurement.objects.count()
    assert before == 1

    wrong_columns = workbook(
        [("response-rate", month, 99)], heading=("名称", "月份", "数量")
    )
    refused = controller.post(IMPORT, sheet(wrong_columns), format="multipart")
    assert refused.status_code == 400
    assert "指标" in refused.json()["detail"] and "Nothing" in refused.json()["detail"]
    assert Measurement.objects.count() == before

    mixed = workbook(
        [
            ("resolution-rate", month, 99),  # fine on its own
            ("uptime", month, 99.9),  # unknown objective
            ("satisfaction", quarter, 120),  # out of range
            ("response-rate", "someday", 95),  # unreadable period
        ]
    )
    refused = controller.post(IMPORT, sheet(mixed), format="multipart")
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert errors[0] == "Nothing was imported."
    assert [e.split(":")[0] for e in errors[1:]] == ["Row 3", "Row 4", "Row 5"]
    assert "uptime" in errors[1] and "120" in errors[2]
    assert Measurement.objects.count() == before
    assert not Objective.objects.get(code="resolution-rate").measurements.exists()

    duplicated = workbook([("satisfaction", quarter, 91), ("客户满意度", quarter, 93)])
    refused = controller.post(IMPORT, sheet(duplicated), format="multipart")
    assert refused.status_code == 400 and "Row 3" in refused.json()["detail"]

    for name, data in (
        ("指标.xlsx", b"PK\x03\x04 not really a workbook"),
        ("指标.pdf", make_pdf([["not a sheet"]])),
        ("empty.xlsx", workbook([], heading=None)),
        ("指标.xlsx", workbook([], heading=("指标", "期间", "实际值"))),
    ):
        answer = controller.post(IMPORT, sheet(data, name), format="multipart")
        assert answer.status_code == 400, name
        assert answer.json()["detail"], name
    assert controller.post(IMPORT, {}, format="multipart").status_code == 400
    assert (
        controller.post(IMPORT, {"file": "not a file"}, format="multipart").status_code
        == 400
    )
    assert Measurement.objects.count() == before


def test_import_rows_the_user_may_not_enter_are_refused(p):
    staff = client_for(p.staff)
    data = workbook([("response-rate", last_month(), 96)])
    answer = staff.post(IMPORT, sheet(data), format="multipart")
    assert answer.status_code == 400
    assert "may not enter" in answer.json()["detail"]
    assert not Measurement.objects.exists()
