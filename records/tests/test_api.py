"""The records API: filling a form, numbers, reads with corrections, refused
edits, every bad input (nothing written), who sees what, uploads, schema."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from wagtail.models import ModelLogEntry

from documents import roles
from documents.models import Department
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf
from records import services
from records.api import read_upload
from records.lifecycle import DisposalMethod, RecordStatus
from records.models import Correction, Record
from records.tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/records/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def detail_url(number: str) -> str:
    return f"{URL}{number}/"


def corrections_url(number: str) -> str:
    return f"{URL}{number}/corrections/"


def stored_files() -> set[Path]:
    root = Path(settings.SHOUKONG_RECORDS_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture(autouse=True)
def today(monkeypatch):
    # Sunday 22 November 2026, whatever day the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 22)
    )


@pytest.fixture
def work_order(role_groups):
    """D0201 运维工作单, fields as in the demo, 5年, issued A."""
    return factories.form()


@pytest.fixture
def tracking(work_order):
    """D0302 工单跟踪记录: released without fields, free key/value data."""
    return factories.form("D0302", "工单跟踪记录", fields=None)


@pytest.fixture
def engineer(role_groups):
    return doc_factories.user("engineer", role=roles.STAFF, department_name="技术部")


@pytest.fixture
def seller(role_groups):
    return doc_factories.user("seller", role=roles.STAFF, department_name="市场部")


@pytest.fixture
def auditor(role_groups):
    return doc_factories.user(
        "auditor", role=roles.INTERNAL_AUDITOR, department_name="行政部"
    )


@pytest.fixture
def customer(role_groups):
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


@pytest.fixture
def api(engineer):
    """The engineer's client, authenticated by token as an integration would be."""
    client = APIClient()
    token = Token.objects.create(user=engineer)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fill(api, form="D0201", *, language=None, **payload):
    payload.setdefault("data", factories.work_order_data())
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return api.post(URL, {"form": form, **payload}, format="json", **headers)


# --- acceptance: numbers ---------------------------------------------------------


def test_numbers_per_form_per_day_and_related(api, tracking):
    first = fill(api)
    assert first.status_code == 201, first.json()
    second = fill(api, form="d0201")
    third = fill(api, date="2026-11-23")
    assert [r.json()["number"] for r in (first, second, third)] == [
        "D0201-2026112201",
        "D0201-2026112202",
        "D0201-2026112301",
    ]
    related = fill(
        api, form="D0302", related_to="d0201-2026112201", data={"跟踪结果": "已解决"}
    )
    again = fill(
        api, form="D0302", related_to="D0201-2026112201", data={"跟踪结果": "回访"}
    )
    assert related.status_code == again.status_code == 201
    assert related.json()["number"] == "D0302-D0201-2026112201"
    assert again.json()["number"] == "D0302-02-D0201-2026112201"
    assert related.json()["related_to"] == "D0201-2026112201"
    record = Record.objects.get(number="D0302-D0201-2026112201")
    assert record.data == {"跟踪结果": "已解决"}


def test_created_answer(api, work_order):
    response = fill(api)
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "D0201-2026112201"
    assert body["form"] == "D0201"
    assert body["form_issue"] == "A"
    assert body["date"] == "2026-11-22"
    assert body["department"] == "技术部"
    assert body["retention_until"] == "2031-11-22"
    assert body["retention"]["state"] == "running"
    assert body["retention"]["wording"] == "5年"
    assert body["retention"]["until"] == "2031-11-22"
    assert body["file"] is None
    assert body["url"] == "http://testserver/records/D0201-2026112201/"
    assert response["Location"] == body["url"]
    record = Record.objects.get(number=body["number"])
    assert record.created_by.username == "engineer"
    assert record.data["you_xian_ji"] == "中"
    assert (
        ModelLogEntry.objects.for_instance(record)
        .filter(action="shoukong.records.create")
        .exists()
    )


def test_session_authentication(engineer, work_order):
    client = APIClient()
    client.force_login(engineer)
    assert client.get(URL).status_code == 200


def test_anonymous_refused(work_order):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"form": "D0201"}, format="json").status_code == 401


def test_department_by_code_or_name(engineer, controller, work_order):
    Department.objects.filter(name="技术部").update(code="TEC")
    answer = fill(client_for(controller), department="tec")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["department"] == "技术部"
    answer = fill(client_for(controller), department="技术部")
    assert answer.json()["number"] == "D0201-2026112202"


# --- reading, corrections, refused edits -----------------------------------------


def test_detail_with_fields_values_and_corrections(api, engineer, work_order):
    number = fill(api).json()["number"]
    response = api.post(
        corrections_url(number),
        {"field": "优先级", "value": "高", "reason": "录入错误"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    correction = response.json()
    assert correction["field"] == "you_xian_ji"
    assert correction["label"] == "优先级"
    assert (correction["old_value"], correction["new_value"]) == ("中", "高")
    assert correction["corrected_by"] == "engineer"
    assert correction["reason"] == "录入错误"

    body = api.get(detail_url(number.lower())).json()
    assert body["number"] == number
    assert body["form"] == "D0201"
    assert body["form_title"] == "运维工作单"
    assert body["form_issue"] == "A"
    assert body["department"] == "技术部"
    assert body["confidential"] is False
    assert body["status"] == "active"
    assert body["retention_until"] == "2031-11-22"
    assert body["retention_state"] == "running"
    assert body["legal_hold"] is False
    assert [f["name"] for f in body["fields"]] == [
        "bao_gao_ren",
        "gu_zhang_miao_shu",
        "you_xian_ji",
        "chu_li_shi_zhang_xiao_shi",
        "wan_cheng_ri_qi",
    ]
    assert body["fields"][2] == {
        "name": "you_xian_ji",
        "label": "优先级",
        "type": "dropdown",
        "required": True,
        "choices": ["高", "中", "低"],
        "help_text": "",
    }
    assert body["values"]["you_xian_ji"] == "高"
    assert body["original_values"]["you_xian_ji"] == "中"
    [shown] = body["corrections"]
    assert shown["old_value"] == "中" and shown["new_value"] == "高"
    assert shown["corrected_by"] == "engineer"
    assert shown["corrected_at"].startswith("20")
    assert body["file"] is None
    assert body["related_to"] is None
    assert body["related_records"] == []
    assert body["created_by"] == "engineer"
    assert api.get(corrections_url(number)).json() == body["corrections"]
    record = Record.objects.get(number=number)
    assert record.data["you_xian_ji"] == "中"
    assert (
        ModelLogEntry.objects.for_instance(record)
        .filter(action="shoukong.records.correct")
        .exists()
    )


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_direct_edit_refused(api, work_order, method):
    number = fill(api).json()["number"]
    before = Record.objects.get(number=number)
    response = getattr(api, method)(
        detail_url(number), {"data": {"you_xian_ji": "高"}}, format="json", **EN
    )
    assert response.status_code == 405
    detail = response.json()["detail"]
    assert "never edited or deleted" in detail
    assert detail.endswith(f"/api/v1/records/{number}/corrections/.")
    after = Record.objects.get(number=number)
    assert after.data == before.data
    assert after.status == RecordStatus.ACTIVE
    assert not Correction.objects.exists()
    assert Record.objects.count() == 1


def test_correction_refusals(api, controller, work_order):
    number = fill(api).json()["number"]
    url = corrections_url(number)
    cases = [
        ({"field": "不存在", "value": "x", "reason": "r"}, "field"),
        ({"field": "you_xian_ji", "value": "紧急", "reason": "r"}, "value"),
        ({"field": "you_xian_ji", "value": "高", "reason": " "}, "reason"),
        ({"field": "you_xian_ji", "value": "高"}, "reason"),
        ({"field": "you_xian_ji", "value": "中", "reason": "r"}, "value"),
    ]
    for payload, key in cases:
        response = api.post(url, payload, format="json")
        assert response.status_code == 400, payload
        assert key in response.json(), response.json()
        assert response.json()["detail"]
    record = Record.objects.get(number=number)
    services.record_hold_place(user=controller, record=record, reason="诉讼")
    held = api.post(
        url, {"field": "you_xian_ji", "value": "高", "reason": "r"}, format="json", **EN
    )
    assert held.status_code == 400
    assert "legal hold" in held.json()["detail"]
    assert not Correction.objects.exists()
    assert api.post(corrections_url("D0201-2026010101"), {}).status_code == 404


def test_destroyed_record_is_a_stub(api, engineer, controller, role_groups):
    factories.form()
    old = fill(api, date="2020-01-06").json()["number"]
    record = Record.objects.get(number=old)
    manager = doc_factories.user(
        "tech_manager", role=roles.DEPARTMENT_MANAGER, department_name="技术部"
    )
    witness = doc_factories.user("witness", department_name="技术部")
    request = services.disposal_request_create(
        user=engineer, records=[record], method=DisposalMethod.SHRED
    )
    services.disposal_request_approve(user=manager, request=request)
    services.disposal_request_approve(user=controller, request=request)
    services.disposal_execute(user=engineer, request=request, witness=witness)

    body = api.get(detail_url(old)).json()
    assert body["number"] == old
    assert body["status"] == "destroyed"
    assert body["disposal"] == request.reference
    assert body["date"] == "2020-01-06"
    assert body["destroyed_at"]
    for hidden in ("values", "original_values", "corrections", "file", "fields"):
        assert hidden not in body
    refused = api.post(
        corrections_url(old),
        {"field": "you_xian_ji", "value": "高", "reason": "r"},
        format="json",
        **EN,
    )
    assert refused.status_code == 400
    assert "destroyed" in refused.json()["detail"]
    related = fill(api, related_to=old, language="en")
    assert related.status_code == 400
    assert "related_to" in related.json()


# --- bad input: 400, nothing written ---------------------------------------------


def html_as_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "scan.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "application/pdf"
    )


BAD_JSON = [
    ({"form": "D9999"}, "form"),
    ({"form": "D0203"}, "form"),  # issued never: not effective
    ({"form": "B02"}, "form"),  # a procedure, not a form
    ({"form": ""}, "form"),
    ({"data": factories.work_order_data(bao_gao_ren="")}, "data"),
    ({"data": factories.work_order_data(you_xian_ji="紧急")}, "data"),
    ({"data": factories.work_order_data(chu_li_shi_zhang_xiao_shi="两小时")}, "data"),
    ({"data": {**factories.work_order_data(), "foo": "1"}}, "data"),
    ({"data": [1, 2]}, "data"),
    ({"data": "{not json"}, "data"),
    ({"data": {}}, "data"),
    ({"related_to": "D0201-2026010101"}, "related_to"),
    ({"date": "2026-12-31"}, "date"),
    ({"date": "22/11/2026"}, "date"),
    ({"department": "不存在"}, "department"),
]


@pytest.mark.parametrize(("payload", "key"), BAD_JSON)
def test_bad_json_input_writes_nothing(api, work_order, payload, key):
    factories.form("D0203", "未发布表", issue=False)
    files = stored_files()
    payload = {"form": "D0201", "data": factories.work_order_data(), **payload}
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert key in body, body
    assert body["detail"]
    assert not Record.objects.exists()
    assert stored_files() == files
    # No number was used up.
    assert fill(api).json()["number"] == "D0201-2026112201"


def test_data_errors_are_keyed_by_field(api, work_order):
    body = fill(
        api, data=factories.work_order_data(bao_gao_ren="", you_xian_ji="紧急")
    ).json()
    assert set(body["data"]) == {"bao_gao_ren", "you_xian_ji"}
    body = fill(
        api, data={**factories.work_order_data(), "foo": "1"}, language="en"
    ).json()
    assert body["data"]["non_field_errors"] == ["This form has no field named foo."]
    assert "data: This form has no field named foo." in body["detail"]


def test_messages_are_translated(api, work_order):
    english = fill(api, form="D9999", language="en").json()
    assert english["form"] == ["There is no form numbered “D9999”."]
    chinese = fill(api, form="D9999", language="zh-hans").json()
    assert chinese["form"] and chinese["detail"]


def test_record_of_another_department_is_as_unknown_as_none(api, seller, work_order):
    hidden = factories.record(seller).number
    response = fill(api, related_to=hidden, language="en")
    missing = fill(api, related_to="D0201-2026010101", language="en")
    assert response.status_code == missing.status_code == 400
    assert response.json()["related_to"] == [f"There is no record numbered “{hidden}”."]
    assert missing.json()["related_to"] == [
        "There is no record numbered “D0201-2026010101”."
    ]
    assert Record.objects.count() == 1


def multipart(api, file, **fields):
    payload = {
        "form": "D0201",
        "data": json.dumps(factories.work_order_data()),
        "file": file,
        **fields,
    }
    return api.post(URL, payload, format="multipart", **EN)


def test_multipart_upload_is_stored(api, work_order):
    pdf = make_pdf([["运维工作单 扫描件"]], cjk=True)
    response = multipart(api, SimpleUploadedFile("扫描件.pdf", pdf, "application/pdf"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["file"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["file"]["size"] == len(pdf)
    record = Record.objects.get(number=body["number"])
    with record.file.open("rb") as handle:
        assert handle.read() == pdf
    detail = api.get(detail_url(record.number)).json()
    assert detail["file"]["name"] == record.file_name
    assert detail["file"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert detail["file"]["url"].endswith(f"/records/{record.number}/file/")


def test_multipart_file_alone_is_a_record(api, work_order):
    pdf = make_pdf([["scan"]])
    response = api.post(
        URL,
        {"form": "D0201", "file": SimpleUploadedFile("a.pdf", pdf)},
        format="multipart",
    )
    assert response.status_code == 400  # D0201's fields are required
    assert set(response.json()["data"]) >= {"bao_gao_ren"}


@pytest.mark.parametrize(
    ("upload", "fields", "key", "words"),
    [
        (html_as_pdf, {}, "file", "scan.pdf"),
        (
            lambda: SimpleUploadedFile("tool.exe", b"MZ\x90\x00" * 10),
            {},
            "file",
            "tool.exe",
        ),
        (
            lambda: SimpleUploadedFile(
                "big.pdf", make_pdf([["scan"]]) + b"%" + b"0" * 2048
            ),
            {},
            "file",
            "larger than",
        ),
        (
            lambda: SimpleUploadedFile("a.pdf", make_pdf([["scan"]])),
            {"data": '{"bao_gao_ren": '},
            "data",
            "not valid JSON",
        ),
        (
            lambda: SimpleUploadedFile("a.pdf", make_pdf([["scan"]])),
            {"data": "[1]"},
            "data",
            "must be an object",
        ),
    ],
)
def test_bad_multipart_writes_nothing(
    api, work_order, settings, upload, fields, key, words
):
    settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES = 1024
    files = stored_files()
    response = multipart(api, upload(), **fields)
    assert response.status_code == 400
    assert key in response.json()
    assert words in response.json()["detail"]
    assert not Record.objects.exists()
    assert stored_files() == files


def test_upload_read_with_a_cap_not_its_declared_size():
    class Lying(io.BytesIO):
        name = "scan.pdf"
        size = 10  # declared

        def chunks(self):
            while chunk := self.read(100):
                yield chunk

    content, name = read_upload(Lying(b"%PDF-" + b"x" * 5000), 1000)
    assert len(content) == 1001
    assert name == "scan.pdf"
    content, _name = read_upload(Lying(b"%PDF-1.4"), 1000)
    assert content == b"%PDF-1.4"


def test_refusals_for_another_department_and_customers(
    api, seller, customer, work_order
):
    assert fill(api, department="市场部").status_code == 403
    assert fill(client_for(customer), department="技术部").status_code == 403
    created = fill(client_for(seller), department="市场部")
    assert created.json()["number"] == "D0201-2026112201"
    assert Record.objects.count() == 1


# --- who sees what ---------------------------------------------------------------


def numbers(client, **params) -> tuple[int, list[str]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    body = response.json()
    return body["count"], [r["number"] for r in body["results"]]


def test_other_department_sees_nothing(api, engineer, seller, work_order):
    number = factories.record(engineer).number
    seller_api = client_for(seller)
    hidden = seller_api.get(detail_url(number))
    missing = seller_api.get(detail_url("D0201-2026010101"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert numbers(seller_api) == (0, [])
    assert numbers(seller_api, q=number) == (0, [])
    assert seller_api.get(corrections_url(number)).status_code == 404
    refused = seller_api.post(
        corrections_url(number),
        {"field": "you_xian_ji", "value": "高", "reason": "r"},
        format="json",
    )
    assert refused.status_code == 404
    assert numbers(api) == (1, [number])


def test_controller_and_auditor_read_all_but_confidential(
    engineer, controller, auditor, work_order
):
    public = factories.record(engineer).number
    record_type = services.record_type_ensure(form=work_order)
    services.record_type_update(
        user=controller,
        record_type=record_type,
        retention_class=record_type.retention_class,
        confidential=True,
    )
    secret = factories.record(engineer)
    assert secret.confidential
    for reader in (controller, auditor):
        client = client_for(reader)
        assert numbers(client) == (1, [public])
        assert client.get(detail_url(public)).status_code == 200
        assert client.get(detail_url(secret.number)).status_code == 404
    services.record_access_grant(user=controller, record=secret, grantee=auditor)
    auditors = client_for(auditor)
    assert numbers(auditors)[0] == 2
    body = auditors.get(detail_url(secret.number)).json()
    assert body["confidential"] is True
    assert body["values"]["bao_gao_ren"] == "张三"
    # Reading is not correcting.
    refused = auditors.post(
        corrections_url(secret.number),
        {"field": "you_xian_ji", "value": "高", "reason": "r"},
        format="json",
    )
    assert refused.status_code == 403
    assert numbers(client_for(controller)) == (1, [public])
    assert numbers(client_for(engineer))[0] == 2


def test_customer_representative_sees_only_granted(
    engineer, controller, customer, tracking
):
    first = factories.record(engineer)
    factories.record(engineer)
    follow_up = services.record_create(
        user=engineer, form="D0302", data={"结果": "ok"}, related_to=first
    )
    client = client_for(customer)
    assert numbers(client) == (0, [])
    assert client.get(detail_url(first.number)).status_code == 404
    services.record_access_grant(user=controller, record=first, grantee=customer)
    assert numbers(client) == (1, [first.number])
    body = client.get(detail_url(first.number)).json()
    assert body["number"] == first.number
    # The follow-up is not named to them: not listed among the related records.
    assert body["related_records"] == []
    assert client.get(detail_url(follow_up.number)).status_code == 404
    assert client_for(engineer).get(detail_url(first.number)).json()[
        "related_records"
    ] == [follow_up.number]
    refused = client.post(
        corrections_url(first.number),
        {"field": "you_xian_ji", "value": "高", "reason": "r"},
        format="json",
    )
    assert refused.status_code == 403


# --- list filters ----------------------------------------------------------------


def test_list_filters_and_pagination(api, engineer, seller, controller, tracking):
    a = factories.record(engineer).number
    b = factories.record(engineer, record_date=date(2026, 11, 20)).number
    c = services.record_create(
        user=engineer, form="D0302", data={"结果": "ok"}, related_to=a
    ).number
    m = factories.record(seller).number
    Department.objects.filter(name="市场部").update(code="MKT")
    boss = client_for(controller)
    assert numbers(boss)[0] == 4
    assert numbers(boss, form="d0302") == (1, [c])
    assert numbers(boss, department="mkt") == (1, [m])
    assert numbers(boss, department="市场部") == (1, [m])
    assert numbers(boss, date_from="2026-11-21")[0] == 3
    assert numbers(boss, date_to="2026-11-21") == (1, [b])
    assert numbers(boss, q=" d0201－2026112 ")[0] == 3
    assert numbers(boss, q="D0201-20261120") == (1, [b])
    assert numbers(boss, status="active")[0] == 4
    assert numbers(boss, status="destroyed") == (0, [])
    assert numbers(boss, status="")[0] == 4
    page = boss.get(URL, {"limit": 1}).json()
    assert page["count"] == 4 and len(page["results"]) == 1 and page["next"]
    item = page["results"][0]
    assert set(item) >= {
        "number",
        "form",
        "form_title",
        "form_issue",
        "date",
        "department",
        "confidential",
        "status",
        "retention_until",
        "retention_state",
        "legal_hold",
        "related_to",
        "created_by",
        "created_at",
        "url",
    }
    assert "values" not in item
    listed = {r["number"]: r for r in boss.get(URL).json()["results"]}
    assert listed[c]["related_to"] == a
    for bad in ({"status": "gone"}, {"date_from": "2026/11/01"}):
        response = boss.get(URL, bad, **EN)
        assert response.status_code == 400
        assert response.json()["detail"]


def test_list_query_count_does_not_grow(
    api, engineer, work_order, django_assert_max_num_queries
):
    for _ in range(5):
        factories.record(engineer)
    with django_assert_max_num_queries(12):
        assert api.get(URL).json()["count"] == 5


# --- retention events ------------------------------------------------------------


def test_event_based_retention(api, engineer, controller, role_groups):
    factories.form("D0401", "培训记录", fields=None, retention_period="离职后1年")
    payload = {"data": {}, "form": "D0401"}
    missing = api.post(URL, {**payload, "data": {"姓名": "李四"}}, format="json")
    assert missing.status_code == 400
    assert "retention_subject" in missing.json()
    created = api.post(
        URL,
        {**payload, "data": {"姓名": "李四"}, "retention_subject": "李四"},
        format="json",
    ).json()
    assert created["retention_until"] is None
    assert created["retention"]["state"] == "pending_event"
    assert created["retention"]["wording"] == "离职后1年"
    event = {
        "event": "employee_exit",
        "subject": " 李四 ",
        "occurred_on": "2026-11-20",
        "note": "离职",
    }
    events = f"{URL}retention-events/"
    assert api.post(events, event, format="json").status_code == 403
    boss = client_for(controller)
    response = boss.post(events, event, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["subject"] == "李四"
    assert response.json()["records"] == 1
    assert boss.post(events, event, format="json").status_code == 200
    other_date = boss.post(
        events, {**event, "occurred_on": "2026-11-21"}, format="json"
    )
    assert other_date.status_code == 400
    future = boss.post(
        events, {**event, "subject": "王五", "occurred_on": "2026-12-01"}, format="json"
    )
    assert future.status_code == 400 and "occurred_on" in future.json()
    body = api.get(detail_url(created["number"])).json()
    assert body["retention_until"] == "2027-11-20"
    assert body["retention_state"] == "running"


# --- schema ----------------------------------------------------------------------


def test_schema_describes_the_records_api(engineer, work_order):
    GENERATOR_STATS.reset()
    response = client_for(engineer).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/records/"])
    assert "get" in paths["/api/v1/records/{number}/"]
    assert {"get", "post"} <= set(paths["/api/v1/records/{number}/corrections/"])
    assert "post" in paths["/api/v1/records/retention-events/"]
    create = paths["/api/v1/records/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(create)
    params = {p["name"] for p in paths["/api/v1/records/"]["get"]["parameters"]}
    assert params >= {"form", "department", "date_from", "date_to", "status", "q"}
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
