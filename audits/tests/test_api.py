"""The audits API over HTTP: the acceptance path (a checklist naming the
current procedures, an auditor refused for want of independence, a finding in
compliance, the report), every refusal, the programme's chain and coverage,
and the schema."""

from __future__ import annotations

import io
from datetime import timedelta

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.models import Nonconformity
from documents import roles
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf

from .. import services
from ..lifecycle import ItemResult
from ..models import Audit, AuditProgramme, ChecklistItem
from . import factories

pytestmark = pytest.mark.django_db

AUDITS = "/api/v1/audits/"
PROGRAMMES = "/api/v1/audit-programmes/"
NCS = "/api/v1/nonconformities/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def s():
    return factories.scene()


@pytest.fixture
def p(s):
    return s.people


def client_for(user) -> APIClient:
    client = APIClient(**EN)
    client.force_login(user)
    return client


def url(number: str, *parts) -> str:
    path = AUDITS + "".join(f"{part}/" for part in (number, *parts))
    return path.removesuffix("/") if path.endswith(".docx/") else path


def audit_body(**extra) -> dict:
    start = factories.start_date()
    return {
        "title": "技术部文件控制和变更管理审核",
        "purpose": "验证文件控制和变更管理是否按程序运行",
        "clauses": ["7.5", "8.5.1"],
        "departments": ["技术部"],
        "planned_start": start.isoformat(),
        "planned_end": start.isoformat(),
        **extra,
    }


def held(minutes: int = 5) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def item_of(audit: Audit, ref_id: str) -> ChecklistItem:
    return ChecklistItem.objects.get(audit=audit, clause__ref_id=ref_id)


@pytest.fixture
def fieldwork(p):
    """An audit of 7.5 and 8.5.1 on 技术部 in its fieldwork, led by auditor."""
    return factories.in_progress(factories.audit(p.controller), p)


def nonconforming(audit: Audit, p) -> Nonconformity:
    """8.5.1 answered nonconforming and written up; the rest conforming."""
    item = item_of(audit, "8.5.1")
    services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="变更单CR-0412无CAB评审记录",
    )
    nc = services.finding_raise(user=p.auditor, item=item, title="紧急变更未评审")
    factories.answer_all(audit, p.auditor)
    return nc


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


# --- the acceptance path --------------------------------------------------------------


def test_an_audit_of_7_5_and_8_5_1_over_http(s, p):
    auditor = client_for(p.auditor)

    # tech_manager heads 技术部 and owns 变更管理 (8.5.1): refused, nothing made.
    refused = auditor.post(AUDITS, audit_body(leader="tech_manager"), format="json")
    assert refused.status_code == 400, refused.json()
    detail = refused.json()["detail"]
    assert "技术部" in detail and "变更管理" in detail and "8.5.1" in detail
    assert not Audit.objects.exists() and not AuditProgramme.objects.exists()

    created = auditor.post(AUDITS, audit_body(leader="auditor"), format="json")
    assert created.status_code == 201, created.json()
    audit = created.json()
    number = audit["number"]
    year = factories.start_date().year
    assert number == f"IA-{year}-01"
    assert created["Location"] == f"http://testserver{url(number)}"
    assert (audit["status"], audit["kind"], audit["programme"]) == (
        "planned",
        "planned",
        year,
    )
    assert [c["ref_id"] for c in audit["clauses"]] == ["7.5", "8.5.1"]
    assert audit["departments"] == ["技术部"]
    assert [(m["username"], m["role"]) for m in audit["team"]] == [
        ("auditor", "leader")
    ]
    assert {"edit", "team", "schedule", "checklist"} <= set(audit["allowed_actions"])

    generated = auditor.post(url(number, "generate"), format="json")
    assert generated.status_code == 200
    assert generated.json()["checklist"]["items"] == 2
    checklist = auditor.get(url(number, "checklist")).json()
    items = {item["clause"]["ref_id"]: item for item in checklist["items"]}
    assert {item["department"] for item in items.values()} == {"技术部"}
    documents = [
        (d["number"], d["title"], d["issue"]) for d in items["7.5"]["documents"]
    ]
    assert documents == [("B05", "文件控制程序", "A"), ("B06", "记录控制程序", "A")]
    assert [(d["number"], d["issue"]) for d in items["8.5.1"]["documents"]] == [
        ("B07", "A")
    ]
    assert items["8.5.1"]["responsible"] == [
        {"department": "技术部", "level": "primary"}
    ]
    assert items["8.5.1"]["auditor"]["username"] == "auditor"
    assert items["8.5.1"]["question"] and items["8.5.1"]["result"] == ""

    # The programme goes along its chain before the notice.
    early = auditor.post(url(number, "notify"), format="json")
    assert early.status_code == 400 and "not approved" in early.json()["detail"]
    programme = f"{PROGRAMMES}{year}/"
    draft = auditor.get(programme).json()
    assert draft["status"] == "draft"
    assert [a["number"] for a in draft["audits"]] == [number]
    assert {"update", "submit"} <= set(draft["allowed_actions"])
    submitted = auditor.post(f"{programme}submit/", format="json").json()
    assert submitted["current_step"] == {"code": "review", "role": "管理者代表"}
    assert client_for(p.gm).post(f"{programme}sign/").status_code == 403
    mr = client_for(p.mr)
    assert mr.get(programme).json()["allowed_actions"] == ["sign", "return"]
    assert mr.post(f"{programme}sign/", format="json").status_code == 200
    approved = client_for(p.gm).post(f"{programme}sign/", {"comment": "同意"}).json()
    assert approved["status"] == "approved" and approved["current_step"] is None
    assert [(x["step"], x["user"]["username"]) for x in approved["signatures"]] == [
        ("review", "mr"),
        ("approve", "gm"),
    ]

    notified = auditor.post(url(number, "notify"), format="json")
    assert notified.status_code == 200
    assert notified.json()["status"] == "notified"
    assert notified.json()["warnings"] == []  # five days ahead
    opening = auditor.post(
        url(number, "opening"),
        {
            "held_at": held(),
            "attendees": ["auditor", "tech_manager", "staff"],
            "guests": ["外部顾问"],
            "location": "技术部会议室",
        },
        format="json",
    )
    assert opening.status_code == 200, opening.json()
    assert opening.json()["status"] == "in_progress"
    (meeting,) = opening.json()["meetings"]
    assert meeting["kind"] == "opening"
    assert [a["name"] for a in meeting["attendees"]] == [
        "auditor",
        "tech_manager",
        "staff",
        "外部顾问",
    ]

    # A nonconforming answer, saved from the tablet's copy.
    item = items["8.5.1"]
    item_url = url(number, "checklist", item["id"])
    answer = {
        "result": "nonconforming",
        "evidence": "变更单CR-0412无CAB评审记录",
        "version": item["version"],
    }
    saved = auditor.patch(item_url, answer, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["version"] == item["version"] + 1
    assert saved.json()["answered_by"]["username"] == "auditor"
    stale = auditor.patch(item_url, {**answer, "result": "conforming"}, format="json")
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert stale.json()["item"]["result"] == "nonconforming"
    assert stale.json()["item"]["version"] == item["version"] + 1

    raised = auditor.post(
        url(number, "checklist", item["id"], "finding"),
        {"title": "紧急变更未经CAB评审", "grade": "major", "documents": ["B07"]},
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    finding = raised.json()
    assert finding["status"] == "draft" and finding["number"].startswith("NC-")
    assert (finding["clause"], finding["department"]) == ("8.5.1", "技术部")
    assert raised["Location"] == finding["api_url"]
    nc = auditor.get(f"{NCS}{finding['number']}/").json()
    assert (nc["clause"], nc["source"], nc["status"]) == (
        "8.5.1",
        "internal_audit",
        "draft",
    )
    assert nc["source_reference"] == number
    assert [d["number"] for d in nc["documents"]] == ["B07"]
    assert auditor.get(item_url).json()["finding"]["number"] == finding["number"]

    # 7.5 is not answered yet: the fieldwork cannot end.
    closing = auditor.post(
        url(number, "closing"), {"held_at": held(1), "attendees": ["auditor"]}
    )
    assert closing.status_code == 400
    assert "not answered" in closing.json()["detail"]
    detail = auditor.get(url(number)).json()
    assert detail["status"] == "in_progress"
    assert [f["number"] for f in detail["findings"]] == [finding["number"]]
    assert detail["checklist"] == {
        "items": 2,
        "answered": 1,
        "url": f"http://testserver{url(number, 'checklist')}",
    }


def test_closing_report_approval_and_docx(fieldwork, p):
    audit = fieldwork
    nc = nonconforming(audit, p)
    auditor, mr = client_for(p.auditor), client_for(p.mr)

    closed = auditor.post(
        url(audit.number, "closing"),
        {"held_at": held(1), "attendees": ["auditor", "tech_manager"]},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "completed"
    assert closed.json()["allowed_actions"] == ["report", "submit"]
    assert auditor.post(url(audit.number, "submit")).status_code == 400
    report = auditor.post(
        url(audit.number, "report"),
        {
            "overview": "按计划完成技术部审核",
            "evaluation": "体系总体有效，变更管理需加强",
            "distribution": ["总经理", "技术部"],
        },
        format="json",
    )
    assert report.status_code == 200, report.json()
    assert report.json()["report"]["status"] == "draft"
    assert report.json()["report"]["distribution"] == ["总经理", "技术部"]
    submitted = auditor.post(url(audit.number, "submit"))
    assert submitted.json()["status"] == "reported"
    assert client_for(p.staff).post(url(audit.number, "approve")).status_code == 403

    waiting = mr.post(url(audit.number, "approve"))
    assert waiting.status_code == 400 and nc.number in waiting.json()["detail"]
    assert mr.post(f"{NCS}{nc.number}/approve/").status_code == 200
    approved = mr.post(url(audit.number, "approve"))
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "closed"
    assert body["report"]["status"] == "approved"
    assert body["report"]["approved_by"]["username"] == "mr"
    assert isinstance(body["warnings"], list)

    download = auditor.get(url(audit.number, "report.docx"))
    assert download.status_code == 200
    assert download["Content-Type"] == DOCX
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and audit.number in disposition
    audit.report.refresh_from_db()
    with audit.report.file.open("rb") as frozen:
        assert download.content == frozen.read()
    text = docx_text(download.content)
    assert nc.number in text and "8.5.1" in text


def test_report_docx_before_approval_and_refusals(fieldwork, p, monkeypatch):
    monkeypatch.setattr("audits.reports.report_docx", lambda audit: b"draft docx")
    answer = client_for(p.staff).get(
        url(fieldwork.number, "report.docx"), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 200 and answer.content == b"draft docx"
    assert client_for(p.staff).get(url("IA-1999-99", "report.docx")).status_code == 404


# --- creating -------------------------------------------------------------------------


def test_create_refuses_unknown_names_and_creates_nothing(s, p):
    auditor = client_for(p.auditor)
    cases = {
        "clauses": (["7.5", "8.9.9"], "8.9.9"),
        "departments": (["火星部"], "火星部"),
        "processes": (["无此流程"], "无此流程"),
        "auditees": (["nobody"], "nobody"),
        "auditors": (["ghost"], "ghost"),
        "standard": ("iso9999", "iso9999"),
    }
    for field, (value, named) in cases.items():
        extra = {field: value, "leader": "auditor"} if field == "auditors" else {}
        answer = auditor.post(AUDITS, audit_body(**{field: value, **extra}))
        assert answer.status_code == 400, field
        assert named in answer.json()["detail"] and field in answer.json(), field
    missing = auditor.post(AUDITS, {"title": "只有标题"}, format="json")
    assert missing.status_code == 400
    assert {"purpose", "departments", "planned_start", "planned_end"} <= set(
        missing.json()
    )
    backwards = audit_body(planned_end="2000-01-01")
    assert auditor.post(AUDITS, backwards, format="json").status_code == 400
    assert not Audit.objects.exists()


def test_staff_may_not_plan_an_audit(s, p):
    answer = client_for(p.staff).post(AUDITS, audit_body(), format="json")
    assert answer.status_code == 403
    assert not Audit.objects.exists()


def test_ad_hoc_request_accepted_or_rejected_by_the_mr(s, p):
    head = client_for(p.market_manager)
    body = audit_body(
        kind="ad_hoc",
        trigger="department_request",
        trigger_note="新系统上线后验证变更控制",
        departments=["市场部"],
    )
    asked = head.post(AUDITS, body, format="json")
    assert asked.status_code == 201, asked.json()
    number = asked.json()["number"]
    assert asked.json()["status"] == "requested"
    assert asked.json()["trigger"] == "department_request"
    assert asked.json()["requested_by"]["username"] == "market_manager"
    assert head.post(url(number, "accept")).status_code == 403
    mr = client_for(p.mr)
    assert mr.get(url(number)).json()["allowed_actions"][:2] == ["accept", "reject"]
    accepted = mr.post(url(number, "accept"), {"comment": "同意"}, format="json")
    assert accepted.json()["status"] == "planned"
    assert accepted.json()["decided_by"]["username"] == "mr"
    again = mr.post(url(number, "reject"), {"comment": "重复"}, format="json")
    assert again.status_code == 409 and again.json()["detail"]

    other = head.post(AUDITS, body, format="json").json()["number"]
    assert mr.post(url(other, "reject"), {}, format="json").status_code == 400
    rejected = mr.post(url(other, "reject"), {"comment": "并入年度审核"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_comment"] == "并入年度审核"
    no_trigger = head.post(AUDITS, {**body, "trigger": ""}, format="json")
    assert no_trigger.status_code == 400


# --- reading --------------------------------------------------------------------------


def test_detail_by_number_or_id_and_never_edited(s, p):
    audit = factories.audit(p.controller)
    api = client_for(p.staff)
    by_number = api.get(url(audit.number.lower()))
    assert by_number.status_code == 200
    assert by_number.json()["number"] == audit.number
    assert by_number.json()["allowed_actions"] == []
    assert by_number.json()["url"].endswith(f"/audits/audits/{audit.number}/")
    assert api.get(url(str(audit.pk))).json()["number"] == audit.number
    # A token works as well as a session.
    token = APIClient(**EN)
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=p.staff)}")
    assert token.get(url(audit.number)).json()["title"] == audit.title
    unknown = api.get(url("IA-1999-99"))
    assert unknown.status_code == 404 and unknown.json()["detail"]
    for method in ("put", "patch", "delete"):
        answer = getattr(client_for(p.controller), method)(url(audit.number), {})
        assert answer.status_code == 405
        assert "action" in answer.json()["detail"]
    assert Audit.objects.filter(pk=audit.pk, title=audit.title).exists()
    action = api.post(url(audit.number, "teleport"))
    assert action.status_code == 404 and "teleport" in action.json()["detail"]


def test_customer_representative_and_anonymous_are_refused(s, p):
    audit = factories.audit(p.controller)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    urls = [
        AUDITS,
        url(audit.number),
        url(audit.number, "checklist"),
        url(audit.number, "report.docx"),
        PROGRAMMES,
        f"{PROGRAMMES}{audit.programme.year}/",
    ]
    for path in urls:
        assert client_for(customer).get(path).status_code == 403, path
        assert APIClient().get(path).status_code == 401, path
    refused = client_for(customer).post(AUDITS, audit_body(), format="json")
    assert refused.status_code == 403
    assert Audit.objects.count() == 1


def test_list_filters_and_pages(s, p):
    first = factories.audit(p.controller)
    factories.in_progress(first, p)
    services.programme_revise(
        user=p.controller, programme=first.programme, reason="增加审核"
    )
    market = factories.audit(
        p.controller, clauses=("9.1",), departments=("市场部",), title="市场部审核"
    )
    by_process = factories.audit(
        p.controller, clauses=(), processes=[s.change_process], title="变更流程审核"
    )
    api = client_for(p.auditor)

    def numbers(**params) -> list[str]:
        answer = api.get(AUDITS, params)
        assert answer.status_code == 200, answer.json()
        return sorted(item["number"] for item in answer.json()["results"])

    everything = sorted(a.number for a in (first, market, by_process))
    assert numbers() == everything
    assert numbers(year=first.planned_start.year) == everything
    assert numbers(year=2001) == []
    assert numbers(status="in_progress") == [first.number]
    assert numbers(kind="ad_hoc") == []
    assert numbers(department="市场部") == [market.number]
    assert numbers(clause="8.5.1") == sorted([first.number, by_process.number])
    assert numbers(mine="1") == [first.number]
    row = api.get(AUDITS, {"mine": "1"}).json()["results"][0]
    assert row["leader"]["username"] == "auditor"
    assert row["status_display"] and row["api_url"].endswith(url(first.number))
    page = api.get(AUDITS, {"limit": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]
    assert api.get(AUDITS, {"status": "lost"}).status_code == 400
    unknown = api.get(AUDITS, {"clause": "8.9.9"})
    assert unknown.status_code == 400 and "8.9.9" in unknown.json()["detail"]


def test_list_and_detail_queries_do_not_grow(s, p):
    api = client_for(p.staff)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    first = factories.in_progress(factories.audit(p.controller), p)
    api.get(AUDITS)  # warm the content-type and session caches
    before = queries(AUDITS), queries(url(first.number))
    services.programme_revise(user=p.controller, programme=first.programme, reason="x")
    for department in ("市场部", "行政部"):
        factories.audit(p.controller, departments=(department,), clauses=("9.1", "7.5"))
    nonconforming(first, p)
    after = queries(AUDITS), queries(url(first.number))
    assert after[0] == before[0]
    assert after[1] <= before[1] + 1  # the findings, now there are some


# --- planning actions -----------------------------------------------------------------


def test_update_team_and_schedule(s, p):
    audit = factories.audit(p.controller)
    api = client_for(p.controller)
    updated = api.post(
        url(audit.number, "update"),
        {"title": "技术部变更管理审核", "clauses": ["8.5.1"], "auditees": ["staff"]},
        format="json",
    )
    assert updated.status_code == 200, updated.json()
    body = updated.json()
    assert body["title"] == "技术部变更管理审核"
    assert [c["ref_id"] for c in body["clauses"]] == ["8.5.1"]
    assert body["departments"] == ["技术部"]  # not given: unchanged
    assert [a["username"] for a in body["auditees"]] == ["staff"]
    bad = api.post(url(audit.number, "update"), {"clauses": ["8.9.9"]}, format="json")
    assert bad.status_code == 400 and "8.9.9" in bad.json()["detail"]

    dependent = api.post(
        url(audit.number, "team"),
        {"leader": "auditor", "auditors": ["tech_manager"]},
        format="json",
    )
    assert dependent.status_code == 400
    assert "tech_manager" in dependent.json()["detail"]
    team = api.post(
        url(audit.number, "team"),
        {"leader": "auditor", "auditors": ["market_manager"]},
        format="json",
    )
    assert team.status_code == 200
    assert [(m["username"], m["role"]) for m in team.json()["team"]] == [
        ("auditor", "leader"),
        ("market_manager", "auditor"),
    ]

    day = audit.planned_start.isoformat()
    outside = {"date": "2000-01-03", "activity": "首次会议"}
    refused = api.post(
        url(audit.number, "schedule"), {"slots": [outside]}, format="json"
    )
    assert refused.status_code == 400 and "outside" in refused.json()["detail"]
    slots = [
        {
            "date": day,
            "start_time": "09:00",
            "end_time": "09:30",
            "activity": "首次会议",
        },
        {
            "date": day,
            "start_time": "09:30",
            "end_time": "11:30",
            "department": "技术部",
            "activity": "审核变更记录",
            "auditor": "market_manager",
        },
    ]
    scheduled = api.post(url(audit.number, "schedule"), {"slots": slots}, format="json")
    assert scheduled.status_code == 200, scheduled.json()
    lines = scheduled.json()["schedule"]
    assert [(x["start_time"], x["department"]) for x in lines] == [
        ("09:00:00", None),
        ("09:30:00", "技术部"),
    ]
    assert lines[1]["auditor"]["username"] == "market_manager"


def test_notify_warns_outside_the_notice_days_and_cancel(s, p):
    start = factories.today() + timedelta(days=20)
    audit = factories.audit(p.controller, start=start)
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    factories.programme_approve(audit.programme, p)
    api = client_for(p.auditor)
    notified = api.post(url(audit.number, "notify"))
    assert notified.status_code == 200
    (warning,) = notified.json()["warnings"]
    assert "20 days" in warning
    assert notified.json()["notice_sent_at"]
    # An approved programme's audit is cancelled only once it is revised.
    assert api.post(url(audit.number, "cancel"), {}, format="json").status_code == 400
    blocked = api.post(url(audit.number, "cancel"), {"reason": "人员变动"})
    assert blocked.status_code == 400 and "revise" in blocked.json()["detail"]
    revised = api.post(
        f"{PROGRAMMES}{audit.programme.year}/revise/", {"reason": "调整计划"}
    )
    assert revised.json()["revision"] == 1 and revised.json()["status"] == "draft"
    cancelled = api.post(url(audit.number, "cancel"), {"reason": "人员变动"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "人员变动"
    assert api.post(url(audit.number, "notify")).status_code in (400, 409)


# --- the checklist --------------------------------------------------------------------


def test_checklist_items_added_assigned_and_dropped(s, p):
    audit = factories.audit(p.controller)
    services.audit_team_set(
        user=p.controller, audit=audit, leader=p.auditor, auditors=[p.market_manager]
    )
    api = client_for(p.auditor)
    checklist = url(audit.number, "checklist")
    assert api.get(checklist).json()["items"] == []
    question = {
        "clause": "8.5.1",
        "department": "技术部",
        "question": "紧急变更如何评审？",
    }
    added = api.post(checklist, question, format="json")
    assert added.status_code == 201, added.json()
    item = added.json()
    assert (item["clause"]["ref_id"], item["position"]) == ("8.5.1", 1)
    assert [d["number"] for d in item["documents"]] == ["B07"]
    assert item["auditor"]["username"] == "auditor"
    other = {**question, "department": "市场部"}
    assert api.post(checklist, other, format="json").status_code == 400
    unknown = api.post(checklist, {**question, "clause": "8.9.9"}, format="json")
    assert unknown.status_code == 400 and "8.9.9" in unknown.json()["clause"][0]

    item_url = url(audit.number, "checklist", item["id"])
    moved = api.patch(item_url, {"auditor": "market_manager"}, format="json")
    assert moved.json()["auditor"]["username"] == "market_manager"
    unassigned = api.patch(item_url, {"auditor": None}, format="json")
    assert unassigned.json()["auditor"] is None
    outsider = api.patch(item_url, {"auditor": "tech_manager"}, format="json")
    assert outsider.status_code == 400 and "team" in outsider.json()["detail"]
    early = api.patch(item_url, {"result": "conforming"}, format="json")
    assert early.status_code == 400 and "opening meeting" in early.json()["detail"]
    reworded = api.patch(item_url, {"question": "紧急变更由谁批准？"}, format="json")
    assert reworded.json()["question"] == "紧急变更由谁批准？"

    assert client_for(p.staff).delete(item_url).status_code == 403
    assert api.delete(item_url).status_code == 204
    assert api.get(item_url).status_code == 404
    assert not ChecklistItem.objects.exists()


def test_answers_need_facts_and_an_independent_auditor(fieldwork, p):
    item = item_of(fieldwork, "8.5.1")
    item_url = url(fieldwork.number, "checklist", item.pk)
    api = client_for(p.auditor)
    bare = api.patch(item_url, {"result": "nonconforming"}, format="json")
    assert bare.status_code == 400 and "facts" in bare.json()["detail"]
    wrong = api.patch(item_url, {"result": "splendid"}, format="json")
    assert wrong.status_code == 400 and "result" in wrong.json()
    outsider = client_for(p.staff).patch(item_url, {"result": "conforming"})
    assert outsider.status_code == 403
    ok = api.patch(item_url, {"result": "observation", "evidence": "评审记录不完整"})
    assert ok.status_code == 200 and ok.json()["result_display"]
    elsewhere = factories.audit(p.controller, departments=("市场部",), kind="ad_hoc")
    assert api.get(url(elsewhere.number, "checklist", item.pk)).status_code == 404


def test_evidence_files_are_checked(fieldwork, p, settings):
    item = item_of(fieldwork, "8.5.1")
    evidence = url(fieldwork.number, "checklist", item.pk, "evidence")
    api = client_for(p.auditor)
    pdf = make_pdf([["CR-0412"]])

    uploaded = api.post(
        evidence,
        {
            "files": [
                SimpleUploadedFile("变更单.pdf", pdf, content_type="application/pdf"),
                SimpleUploadedFile("照片.pdf", pdf, content_type="application/pdf"),
            ]
        },
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.json()
    files = uploaded.json()["files"]
    assert [(f["name"], f["size"]) for f in files] == [
        ("变更单.pdf", len(pdf)),
        ("照片.pdf", len(pdf)),
    ]
    assert files[0]["url"].endswith(
        f"/audits/audits/{fieldwork.number}/evidence/{files[0]['id']}/"
    )
    assert uploaded.json()["version"] == item.version + 1

    disguised = SimpleUploadedFile("扫描件.pdf", b"MZ\x90\x00" * 64)
    refused = api.post(evidence, {"files": [disguised]}, format="multipart")
    assert refused.status_code == 400
    assert "扫描件.pdf" in refused.json()["detail"]
    assert "not really" in refused.json()["detail"]

    settings.SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES = 100
    big = SimpleUploadedFile("大文件.pdf", pdf, content_type="application/pdf")
    too_large = api.post(evidence, {"files": [big]}, format="multipart")
    assert too_large.status_code == 400 and "larger" in too_large.json()["detail"]
    assert api.post(evidence, {}, format="multipart").status_code == 400
    assert item.files.count() == 2


def test_finding_refusals(fieldwork, p):
    api = client_for(p.auditor)
    item = item_of(fieldwork, "8.5.1")
    finding = url(fieldwork.number, "checklist", item.pk, "finding")
    unanswered = api.post(finding, {}, format="json")
    assert (
        unanswered.status_code == 400 and "nonconforming" in unanswered.json()["detail"]
    )
    services.checklist_item_update(
        user=p.auditor, item=item, result="nonconforming", evidence="无评审记录"
    )
    assert api.post(finding, {"grade": "huge"}, format="json").json()["grade"][0]
    unknown = api.post(finding, {"documents": ["B99"]}, format="json")
    assert unknown.status_code == 400 and "B99" in unknown.json()["detail"]
    observation = api.post(finding, {"grade": "improvement"}, format="json")
    assert observation.status_code == 400
    # By default a minor nonconformity with the documents the item names.
    raised = api.post(finding, {}, format="json")
    assert raised.status_code == 201
    assert raised.json()["grade"] == "minor"
    nc = Nonconformity.objects.get(number=raised.json()["number"])
    assert list(nc.documents.values_list("number", flat=True)) == ["B07"]
    twice = api.post(finding, {}, format="json")
    assert twice.status_code == 400 and nc.number in twice.json()["detail"]
    changed = api.patch(
        url(fieldwork.number, "checklist", item.pk), {"result": "conforming"}
    )
    assert changed.status_code == 400 and nc.number in changed.json()["detail"]


# --- programmes -----------------------------------------------------------------------


def test_programme_created_and_its_coverage_warns(s, p):
    api = client_for(p.controller)
    year = factories.start_date().year + 1
    created = api.post(
        PROGRAMMES, {"year": year, "basis": "上年审核发现集中在变更管理"}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["year"], body["status"], body["revision"]) == (year, "draft", 0)
    assert body["title"] and body["prepared_by"]["username"] == "controller"
    assert created["Location"].endswith(f"{PROGRAMMES}{year}/")
    assert body["coverage"]["complete"] is False
    assert len(body["coverage"]["warnings"]) == 2
    twice = api.post(PROGRAMMES, {"year": year}, format="json")
    assert twice.status_code == 400 and str(year) in twice.json()["detail"]
    assert client_for(p.staff).post(PROGRAMMES, {"year": year + 1}).status_code == 403

    factories.audit(
        p.controller,
        start=factories.start_date().replace(year=year, month=3, day=10),
        departments=("技术部", "行政部"),
    )
    detail = api.get(f"{PROGRAMMES}{year}/").json()
    coverage = detail["coverage"]
    rows = {row["ref_id"]: row for row in coverage["clauses"]}
    (number,) = [a["number"] for a in detail["audits"]]
    assert rows["7.5"]["covered"] and rows["7.5"]["months"]["3"] == [number]
    assert rows["7.5.1"]["months"]["3"] == [number]  # a sub-clause inherits
    assert rows["7.5"]["months"]["4"] == []
    assert rows["4.1"]["covered"] is False
    assert (
        "4" in coverage["uncovered_clauses"] or "4.1" in coverage["uncovered_clauses"]
    )
    assert "7.5" not in coverage["uncovered_clauses"]
    assert set(coverage["uncovered_departments"]) == {"管理层", "市场部"}
    departments = {d["name"]: d for d in coverage["departments"]}
    assert departments["技术部"] == {
        "name": "技术部",
        "covered": True,
        "audits": [number],
    }
    assert any("市场部" in warning for warning in coverage["warnings"])
    listed = api.get(PROGRAMMES).json()
    assert [row["year"] for row in listed["results"]] == [year]
    assert api.get(f"{PROGRAMMES}1999/").status_code == 404


def test_programme_chain_refusals(s, p):
    api = client_for(p.controller)
    year = factories.start_date().year
    programme = f"{PROGRAMMES}{year}/"
    api.post(PROGRAMMES, {"year": year}, format="json")
    empty = api.post(f"{programme}submit/")
    assert empty.status_code == 400 and "at least one audit" in empty.json()["detail"]
    factories.audit(p.controller)
    renamed = api.post(f"{programme}update/", {"title": "年度内审计划"}, format="json")
    assert renamed.json()["title"] == "年度内审计划"
    assert api.post(f"{programme}sign/").status_code == 400  # nothing to sign
    api.post(f"{programme}submit/")
    assert api.post(f"{programme}update/", {"title": "x"}).status_code == 400
    mr = client_for(p.mr)
    assert mr.post(f"{programme}return/", {}, format="json").status_code == 400
    returned = mr.post(f"{programme}return/", {"comment": "补充市场部审核"})
    assert returned.json()["status"] == "draft"
    assert returned.json()["signatures"][0]["decision"] == "returned"
    api.post(f"{programme}submit/")
    mr.post(f"{programme}sign/")
    assert mr.post(f"{programme}sign/").status_code == 403  # 总经理's step
    approved = client_for(p.gm).post(f"{programme}sign/").json()
    assert approved["status"] == "approved"
    assert api.get(programme).json()["allowed_actions"] == ["revise"]
    assert api.post(f"{programme}revise/", {}, format="json").status_code == 400
    assert api.post(f"{programme}submit/").status_code == 409
    assert api.post(f"{programme}teleport/").status_code == 404
    late = api.post(AUDITS, audit_body(), format="json")
    assert late.status_code == 400 and "revise" in late.json()["detail"]


# --- schema ---------------------------------------------------------------------------


def test_schema_describes_the_audits_api():
    GENERATOR_STATS.reset()
    staff = doc_factories.user("staff", role=roles.STAFF, department_name="技术部")
    response = client_for(staff).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/audits/"])
    assert set(paths["/api/v1/audits/{id}/"]) >= {"get"}
    action = paths["/api/v1/audits/{id}/{action}/"]["post"]
    enum = next(x for x in action["parameters"] if x["name"] == "action")["schema"]
    assert {"team", "notify", "opening", "closing", "approve"} <= set(enum["enum"])
    assert {"get", "post"} <= set(paths["/api/v1/audits/{id}/checklist/"])
    item = paths["/api/v1/audits/{id}/checklist/{item_id}/"]
    assert {"get", "patch", "delete"} <= set(item)
    assert "409" in item["patch"]["responses"]
    evidence = paths["/api/v1/audits/{id}/checklist/{item_id}/evidence/"]["post"]
    assert "multipart/form-data" in evidence["requestBody"]["content"]
    docx_answer = paths["/api/v1/audits/{id}/report.docx"]["get"]["responses"]["200"]
    assert DOCX in docx_answer["content"]
    assert {"get", "post"} <= set(paths["/api/v1/audit-programmes/"])
    assert "post" in paths["/api/v1/audit-programmes/{year}/{action}/"]
    params = {x["name"] for x in paths["/api/v1/audits/"]["get"]["parameters"]}
    assert params >= {"year", "status", "kind", "department", "clause", "mine"}
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
