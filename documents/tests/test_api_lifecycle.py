"""The writing API: create a draft, submit it, sign or return its steps, download
a controlled copy, confirm reading; every refusal and its HTTP status."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from documents.lifecycle import CopyEventAction, IssueStatus, RecallStatus
from documents.models import (
    ControlledCopy,
    CopyEvent,
    DocumentPage,
    ProcedurePage,
    RecallTask,
)
from documents.tests import filefactories

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
LIST_URL = "/api/v1/documents/"
CHAIN = ("tech_manager", "market_manager", "mr", "gm")


def url(number: str, action: str = "") -> str:
    return f"{LIST_URL}{number}/{action}"


def copy_url(number: str, label: str) -> str:
    return f"{LIST_URL}{number}/issues/{label}/copy.pdf"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    # Sunday 22 November 2026, whatever day the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 22)
    )
    cache.clear()


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def clients(users):
    """An API client per demo user, authenticated by token."""

    def client(user) -> APIClient:
        api = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return {name: client(user) for name, user in users.items()}


def create_procedure(api: APIClient, **extra):
    payload = {
        "title": "变更管理程序",
        "tier": 2,
        "department": "行政部",
        "involved_departments": ["技术部", "市场部"],
        "body": "变更的申请、评估与批准。\n变更的实施 & 回顾。",
        "change_summary": "首次发布",
        "distribution": [
            {"department": "技术部", "copies": 1, "location": "技术部资料柜"},
            {"holder": "staff", "copies": 1, "password_protected": False},
        ],
        **extra,
    }
    return api.post(LIST_URL, payload, format="json")


def approve(api: APIClient, number: str, **data):
    return api.post(
        url(number, "approve/"), {"password": PASSWORD, **data}, format="json"
    )


def sign_through(clients, number: str) -> dict:
    for name in CHAIN:
        response = approve(clients[name], number)
        assert response.status_code == 200, (name, response.json())
        assert response.json()["signed"] is True
    response = approve(clients["controller"], number, attachments_complete=True)
    assert response.status_code == 200, response.json()
    return response.json()


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "".join(page.extract_text() for page in reader.pages)


def test_acceptance_flow_through_the_api(clients, users):
    controller = clients["controller"]

    created = create_procedure(controller)
    assert created.status_code == 201, created.json()
    body = created.json()
    number = body["number"]
    assert number.startswith("B")
    assert body["title"] == "变更管理程序"
    assert body["status"] == "draft"
    assert body["workflow"] is None
    assert body["url"] == f"http://testserver/documents/{number}/"
    assert body["distribution"] == {
        "entries": [
            {
                "department": "技术部",
                "holder": None,
                "copies": 1,
                "location": "技术部资料柜",
                "password_protected": False,
            },
            {
                "department": None,
                "holder": "staff",
                "copies": 1,
                "location": "",
                "password_protected": False,
            },
        ],
        "issue": None,
        "copies": [],
    }
    page = ProcedurePage.objects.get(number=number)
    assert page.body == "<p>变更的申请、评估与批准。</p><p>变更的实施 &amp; 回顾。</p>"
    released = page.get_latest_revision().as_object()
    assert {d.name for d in released.involved_departments.all()} == {"技术部", "市场部"}
    # A draft stays unknown to staff.
    assert clients["staff"].get(url(number)).status_code == 404
    assert clients["staff"].post(url(number, "submit/")).status_code == 404

    submitted = controller.post(url(number, "submit/"))
    assert submitted.status_code == 200, submitted.json()
    workflow = submitted.json()["workflow"]
    assert workflow["status"] == "in_progress"
    assert workflow["step_type"] == "CoSignTask"
    assert workflow["may_act"] == ["market_manager", "tech_manager"]

    # Refusals while it is being signed.
    again = controller.post(url(number, "submit/"))
    assert again.status_code == 409
    assert again.json()["detail"]
    not_yours = approve(clients["gm"], number)
    assert not_yours.status_code == 403
    assert not_yours.json()["detail"]
    wrong = clients["tech_manager"].post(
        url(number, "approve/"), {"password": "wrong"}, format="json"
    )
    assert wrong.status_code == 403
    assert wrong.json()["detail"]

    first = approve(clients["tech_manager"], number)
    assert first.status_code == 200, first.json()
    assert first.json()["signed"] is True
    assert first.json()["finished"] is False
    assert first.json()["workflow"]["may_act"] == ["market_manager"]
    twice = approve(clients["tech_manager"], number)
    assert twice.status_code == 409
    assert twice.json()["detail"]
    no_reason = clients["market_manager"].post(
        url(number, "reject/"), {"comment": "  "}, format="json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"]

    for name in CHAIN[1:]:
        response = approve(clients[name], number)
        assert response.status_code == 200, (name, response.json())
    last = approve(clients["controller"], number, attachments_complete=True)
    assert last.status_code == 200, last.json()
    result = last.json()
    assert result == {
        "number": number,
        "signed": True,
        "returned": False,
        "finished": True,
        "reasons": [],
        "workflow": None,
        "current_issue": "A",
    }
    # Nothing left to sign.
    assert approve(clients["controller"], number).status_code == 409

    # The detail shows the distribution list and, to each, the copies they hold.
    detail = clients["staff"].get(url(number)).json()
    assert detail["status"] == "controlled"
    assert detail["current_issue"] == "A"
    assert detail["workflow"] is None
    assert len(detail["distribution"]["entries"]) == 2
    assert detail["distribution"]["issue"] == "A"
    staff_copies = detail["distribution"]["copies"]
    # 受控02 for 技术部 (staff's department), 受控03 for staff by name.
    assert [(c["copy"], c["holder"]) for c in staff_copies] == [
        ("受控02", None),
        ("受控03", "staff"),
    ]
    assert staff_copies[1]["url"] == (
        f"http://testserver{copy_url(number, 'A')}?copy=3"
    )
    everything = controller.get(url(number)).json()["distribution"]["copies"]
    assert [c["copy"] for c in everything] == ["受控01", "受控02", "受控03"]
    assert (
        clients["market_manager"].get(url(number)).json()["distribution"]["copies"]
        == []
    )

    # The holder downloads the stamped copy; anyone else is refused.
    pdf = clients["staff"].get(copy_url(number, "A"), {"copy": 3})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="{number}-A-copy03.pdf"; '
        f"filename*=UTF-8''{number}-A-%E5%8F%97%E6%8E%A703.pdf"
    )
    text = pdf_text(pdf)
    assert "受控03" in text
    assert "A" in text
    assert CopyEvent.objects.filter(
        copy__copy_number=3, action=CopyEventAction.DOWNLOADED
    ).exists()
    assert (
        clients["market_manager"].get(copy_url(number, "A"), {"copy": 3}).status_code
        == 403
    )
    assert clients["staff"].get(copy_url(number, "A"), {"copy": 9}).status_code == 404
    assert clients["staff"].get(copy_url(number, "Z"), {"copy": 3}).status_code == 404
    for params in ({}, {"copy": "drei"}):
        refused = clients["staff"].get(copy_url(number, "A"), params)
        assert refused.status_code == 400
        assert "copy" in refused.json()
        assert refused.json()["detail"].startswith("copy: ")

    # Reading confirmation (签收).
    read = clients["staff"].post(url(number, "issues/A/acknowledge/"))
    assert read.status_code == 200, read.json()
    assert read.json()["issue"] == "A"
    assert read.json()["issue_status"] == "effective"
    assert clients["staff"].post(url(number, "issues/A/acknowledge/")).status_code == (
        400
    )
    assert clients["gm"].post(url(number, "issues/A/acknowledge/")).status_code == 403

    # Issue B: the draft changed through the API, signed again; the detail
    # shows who may act to those involved, not to all staff.
    changed = controller.patch(
        url(number, "draft/"),
        {"body": "变更的申请、评估、批准与回顾。", "change_summary": "增加回顾"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert clients["staff"].patch(
        url(number, "draft/"), {"body": "x"}, format="json"
    ).status_code in (403, 404)
    assert controller.post(url(number, "submit/")).status_code == 200
    assert clients["staff"].get(url(number)).json()["workflow"] is None
    assert (
        controller.patch(
            url(number, "draft/"), {"body": "y"}, format="json"
        ).status_code
        == 409
    )
    in_review = controller.get(url(number)).json()
    assert in_review["current_issue"] == "A"
    assert in_review["workflow"]["step_type"] == "CoSignTask"
    assert in_review["workflow"]["may_act"] == ["market_manager", "tech_manager"]

    result = sign_through(clients, number)
    assert result["finished"] is True
    assert result["current_issue"] == "B"
    issues = {i.label: i for i in DocumentPage.objects.get(number=number).issues.all()}
    assert issues["A"].status == IssueStatus.SUPERSEDED
    assert issues["B"].status == IssueStatus.EFFECTIVE
    assert {r.status for r in RecallTask.objects.filter(copy__issue=issues["A"])} == {
        RecallStatus.OPEN
    }
    pdf = clients["staff"].get(copy_url(number, "b"), {"copy": "3"})
    assert pdf.status_code == 200
    text = pdf_text(pdf)
    assert "受控03" in text
    assert "B" in text


def test_returning_a_document_and_a_failed_check(clients):
    number = create_procedure(clients["controller"]).json()["number"]
    # Nothing to act on before it is submitted.
    assert approve(clients["tech_manager"], number).status_code == 409
    clients["controller"].post(url(number, "submit/"))

    returned = clients["market_manager"].post(
        url(number, "reject/"), {"comment": "职责划分不清"}, format="json"
    )
    assert returned.status_code == 200, returned.json()
    assert returned.json()["returned"] is True
    assert returned.json()["signed"] is False
    assert returned.json()["workflow"]["status"] == "needs_changes"
    assert returned.json()["workflow"]["comment"] == "职责划分不清"
    assert returned.json()["current_issue"] is None

    # The author changes the draft (its latest revision) and sends it back.
    page = ProcedurePage.objects.get(number=number).get_latest_revision_as_object()
    page.body = "<p>职责已划分。</p>"
    page.save_revision(user=page.owner)
    assert clients["controller"].post(url(number, "submit/")).status_code == 200

    for name in CHAIN:
        response = approve(clients[name], number)
        assert response.status_code == 200, (name, response.json())
    failed = approve(clients["controller"], number, attachments_complete=False)
    assert failed.status_code == 200
    assert failed.json()["returned"] is True
    assert failed.json()["finished"] is False
    assert failed.json()["reasons"]
    assert failed.json()["workflow"]["status"] == "needs_changes"


def test_creation_is_validated(clients, users):
    controller = clients["controller"]
    cases = [
        ({"department": "不存在的部门"}, "department"),
        ({"involved_departments": ["技术部", "后勤部"]}, "involved_departments"),
        ({"distribution": [{"holder": "nobody"}]}, "distribution"),
        ({"distribution": [{"copies": 2}]}, "distribution"),
        ({"tier": 3}, "parent"),
        ({"tier": 4, "parent": "B404"}, "parent"),
        ({"tier": 2, "kind": "manual"}, "kind"),
        ({"tier": 5}, "tier"),
        ({"effective_on": "22/11/2026"}, "effective_on"),
    ]
    for extra, field in cases:
        response = create_procedure(controller, **extra)
        assert response.status_code == 400, (extra, response.json())
        assert field in response.json(), (extra, response.json())
        assert response.json()["detail"].startswith(field), (extra, response.json())
    untiered = controller.post(
        LIST_URL, {"title": "无层级", "department": "行政部"}, format="json"
    )
    assert untiered.status_code == 400
    assert "tier" in untiered.json()
    assert not DocumentPage.objects.exists()

    # Staff may not create documents.
    refused = create_procedure(clients["staff"])
    assert refused.status_code == 403
    assert refused.json()["detail"]
    assert not DocumentPage.objects.exists()

    # A procedure does not go under another document.
    parent = create_procedure(controller).json()["number"]
    misplaced = create_procedure(controller, parent=parent)
    assert misplaced.status_code == 400
    assert misplaced.json()["detail"]

    # A form under its procedure (a draft its author may see), from HTML.
    form = create_procedure(
        controller,
        tier=4,
        parent=parent.lower(),
        title="变更申请表",
        body='<p onclick="steal()">表单<script>alert(1)</script></p>',
        involved_departments=[],
        distribution=[],
    )
    assert form.status_code == 201, form.json()
    assert form.json()["number"].startswith("D")
    page = DocumentPage.objects.get(number=form.json()["number"])
    assert page.tier == 4
    assert page.get_parent().specific.number == parent
    assert "script" not in page.body and "onclick" not in page.body
    assert "表单" in page.body
    # Staff don't learn the draft parent's number.
    hidden = create_procedure(clients["staff"], tier=4, parent=parent)
    assert hidden.status_code == 400
    assert "parent" in hidden.json()


def test_creation_with_a_source_file(clients):
    data = {
        "title": "服务管理手册",
        "tier": "1",
        "department": "行政部",
        "involved_departments": '["技术部", "市场部"]',
        "distribution": '[{"holder": "staff"}]',
        "training_required": "true",
        "effective_on": "2026-12-01",
        "source_file": io.BytesIO(filefactories.make_docx(["服务管理手册", "1 范围"])),
    }
    data["source_file"].name = "A01-服务管理手册.docx"
    response = clients["controller"].post(LIST_URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    page = DocumentPage.objects.get(number=response.json()["number"]).specific
    assert page.tier == 1
    assert "1 范围" in page.source_text
    assert page.source_file is not None
    released = page.get_latest_revision().as_object()
    assert released.source_file_id == page.source_file_id
    assert released.training_required is True
    assert released.effective_on == date(2026, 12, 1)
    assert [e.holder.username for e in released.distribution_list.all()] == ["staff"]
    assert released.involved_departments.count() == 2

    bad = {
        "title": "坏文件",
        "tier": "2",
        "department": "行政部",
        "source_file": io.BytesIO(b"MZ not a document"),
    }
    bad["source_file"].name = "bad.docx"
    refused = clients["controller"].post(LIST_URL, bad, format="multipart")
    assert refused.status_code == 400
    assert "source_file" in refused.json()
    assert DocumentPage.objects.count() == 1


def test_copy_of_another_department_and_the_original(clients):
    number = create_procedure(clients["controller"]).json()["number"]
    clients["controller"].post(url(number, "submit/"))
    sign_through(clients, number)
    # 受控02 is 技术部's: its manager may open it, 市场部's may not.
    assert (
        clients["tech_manager"].get(copy_url(number, "A"), {"copy": 2}).status_code
        == 200
    )
    assert (
        clients["market_manager"].get(copy_url(number, "A"), {"copy": 2}).status_code
        == 403
    )
    # Document control opens every copy, the original included.
    original = clients["controller"].get(
        copy_url(number, "A"), {"copy": 1}, HTTP_ACCEPT="application/pdf"
    )
    assert original.status_code == 200
    assert "受控01" in pdf_text(original)
    assert ControlledCopy.objects.filter(issue__document__number=number).count() == 3


def test_errors_name_the_reason(clients):
    number = create_procedure(clients["controller"]).json()["number"]
    clients["controller"].post(url(number, "submit/"))
    english = clients["gm"].post(
        url(number, "approve/"),
        {"password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 403
    assert english.json() == {"detail": "This step is not yours to sign."}
    # Messages go through gettext: the REST framework's own are translated.
    params = {"copy": "drei"}
    english = clients["staff"].get(
        copy_url(number, "A"), params, HTTP_ACCEPT_LANGUAGE="en"
    )
    chinese = clients["staff"].get(
        copy_url(number, "A"), params, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert english.json() == {
        "detail": "copy: A valid integer is required.",
        "copy": ["A valid integer is required."],
    }
    assert chinese.status_code == 400
    assert chinese.json()["detail"] != english.json()["detail"]


def test_anonymous_requests_are_refused(db):
    client = APIClient()
    assert client.post(LIST_URL, {}, format="json").status_code == 401
    assert client.post(url("B01", "submit/")).status_code == 401
    assert client.get(copy_url("B01", "A"), {"copy": 2}).status_code == 401


def test_schema_lists_the_new_endpoints(clients):
    GENERATOR_STATS.reset()
    response = clients["staff"].get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths["/api/v1/documents/"]
    assert set(paths) >= {
        "/api/v1/documents/{number}/submit/",
        "/api/v1/documents/{number}/approve/",
        "/api/v1/documents/{number}/reject/",
        "/api/v1/documents/{number}/issues/{label}/copy.pdf",
        "/api/v1/documents/{number}/issues/{label}/acknowledge/",
    }
    pdf = paths["/api/v1/documents/{number}/issues/{label}/copy.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"
