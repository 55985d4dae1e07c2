"""The nonconformity pages: the acceptance path of a major nonconformity
against 8.5.1 through the pages as the right people, the refusals, the
evidence download, the list's filters and export, and the dashboard panels."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from compliance import nonconformities as svc
from compliance import panels
from compliance.lifecycle import Decision
from compliance.lifecycle import NonconformityStatus as S
from compliance.models import EvidenceFile, Nonconformity
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def p():
    return factories.people()


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def detail_url(nc) -> str:
    return reverse("compliance:nonconformity", kwargs={"number": nc.number})


def action_url(nc, action: str) -> str:
    return reverse(
        "compliance:nonconformity_action",
        kwargs={"number": nc.number, "action": action},
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def post(client, nc, action, data=None, **extra):
    """POST a step and follow the redirect back to the page."""
    return client.post(action_url(nc, action), data or {}, follow=True, **extra)


def refreshed(nc) -> Nonconformity:
    return Nonconformity.objects.get(pk=nc.pk)


def customer():
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


# --- The acceptance path -----


def test_major_nonconformity_round_the_loop_through_the_pages(p):
    auditor = as_user(p.auditor)
    tech = doc_factories.department("技术部")
    form = auditor.get(
        reverse("compliance:nonconformity_new")
        + "?clause=8.5.1&standard=iso20000-1-2018"
    )
    assert form.status_code == 200
    assert 'value="8.5.1"' in form.content.decode()

    response = auditor.post(
        reverse("compliance:nonconformity_new"),
        {
            "title": "变更未经CAB评审即实施",
            "facts": "抽查三张变更单，其中一张无评审记录。",
            "kind": "corrective",
            "source": "internal_audit",
            "grade": "major",
            "standard": "iso20000-1-2018",
            "clause": "8.5.1",
            "department": tech.pk,
            "documents": "",
            "source_reference": "IA-2026-02",
        },
    )
    nc = Nonconformity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(nc)
    assert nc.status == S.DRAFT and nc.clause.ref_id == "8.5.1"
    assert nc.grade.code == "major" and nc.department == tech

    # An internal audit finding waits for 管理者代表; nobody else is offered it.
    staff = as_user(p.staff)
    page = staff.get(detail_url(nc)).content.decode()
    assert 'data-testid="action-approve"' not in page
    assert 'data-testid="action-plan"' not in page
    assert staff.post(action_url(nc, "approve")).status_code == 403
    mr = as_user(p.mr)
    assert 'data-testid="action-approve"' in mr.get(detail_url(nc)).content.decode()
    response = post(mr, nc, "approve")
    assert refreshed(nc).status == S.RAISED

    # 技术部 plans; another department's manager neither sees nor may do it.
    market = as_user(p.market_manager)
    page = market.get(detail_url(nc)).content.decode()
    assert 'data-testid="action-plan"' not in page
    plan = {
        "root_cause": "CAB会议未覆盖紧急变更",
        "target": "所有变更均有评审记录",
        "actions": "修订变更管理程序并培训",
        "correction": "补齐评审记录",
        "owner": p.staff.pk,
        "due_date": (TODAY + timedelta(days=30)).isoformat(),
    }
    assert market.post(action_url(nc, "plan"), plan).status_code == 403
    assert refreshed(nc).status == S.RAISED
    assert 'data-testid="action-plan"' in staff.get(detail_url(nc)).content.decode()
    response = post(staff, nc, "plan", plan)
    assert refreshed(nc).status == S.PLANNED
    assert any("Plan version 1" in m for m in messages_of(response))

    # The head accepts; the staff member and the other head may not.
    page = staff.get(detail_url(nc)).content.decode()
    assert 'data-testid="action-accept"' not in page
    assert market.post(action_url(nc, "accept"), {}).status_code == 403
    head = as_user(p.tech_manager)
    assert 'data-testid="action-accept"' in head.get(detail_url(nc)).content.decode()
    post(head, nc, "accept", {"comment": "同意"})
    nc = refreshed(nc)
    assert nc.status == S.ACCEPTED
    assert nc.owner == p.staff and nc.due_date == TODAY + timedelta(days=30)

    # A double submit: a clear message, nothing changes.
    response = post(head, nc, "accept", {"comment": "again"})
    assert response.status_code == 200
    assert any("no longer possible" in m for m in messages_of(response))
    plan_row = nc.plans.get()
    assert (
        plan_row.decision == Decision.ACCEPTED and plan_row.decision_comment == "同意"
    )
    assert refreshed(nc).status == S.ACCEPTED

    # Implemented with a PDF as evidence.
    evidence = SimpleUploadedFile("检查记录.pdf", PDF, content_type="application/pdf")
    response = post(
        staff,
        nc,
        "implement",
        {"description": "已修订程序并完成培训", "evidence": evidence},
    )
    assert refreshed(nc).status == S.IMPLEMENTED, messages_of(response)
    stored = EvidenceFile.objects.get()
    assert stored.name.endswith(".pdf") and stored.size == len(PDF)

    # The implementer may not verify; 行政部 finds it not effective.
    assert (
        staff.post(
            action_url(nc, "verify"), {"effective": "yes", "comment": "x"}
        ).status_code
        == 403
    )
    controller = as_user(p.controller)
    assert (
        'data-testid="action-verify"' in controller.get(detail_url(nc)).content.decode()
    )
    post(
        controller, nc, "verify", {"effective": "no", "comment": "仍有两张变更单无记录"}
    )
    assert refreshed(nc).status == S.REOPENED

    post(staff, nc, "implement", {"description": "补充检查并再次培训"})
    assert refreshed(nc).status == S.IMPLEMENTED
    post(controller, nc, "verify", {"effective": "yes", "comment": "抽查十张均有记录"})
    assert refreshed(nc).status == S.EFFECTIVE
    # Closing is for the verifiers only.
    assert staff.post(action_url(nc, "close"), {}).status_code == 403
    post(controller, nc, "close", {"note": ""})
    nc = refreshed(nc)
    assert nc.status == S.CLOSED

    page = controller.get(detail_url(nc))
    html = page.content.decode()
    actions = [e["action"] for e in page.context["history"]]
    assert actions == [
        "nonconformity_raise",
        "nonconformity_approve",
        "nonconformity_plan",
        "nonconformity_accept",
        "nonconformity_implement",
        "nonconformity_verify",
        "nonconformity_implement",
        "nonconformity_verify",
        "nonconformity_close",
    ]
    assert html.count('data-testid="history-entry"') == 9
    assert "Action plan accepted" in html and "Nonconformity closed" in html
    assert "No" in [d["value"] for d in page.context["history"][5]["details"]]
    assert "仍有两张变更单无记录" in html
    assert (
        reverse(
            "compliance:clause",
            kwargs={"standard": "iso20000-1-2018", "ref_id": "8.5.1"},
        )
        in html
    )
    assert 'data-testid="evidence-link"' in html
    # Nothing is offered on a closed nonconformity.
    assert 'data-testid="nc-actions"' not in html


# --- Refusals -----


def test_bad_clause_is_a_form_error(p):
    client = as_user(p.auditor)
    response = client.post(
        reverse("compliance:nonconformity_new"),
        {
            "title": "x",
            "facts": "y",
            "kind": "corrective",
            "source": "staff_report",
            "grade": "minor",
            "standard": "iso20000-1-2018",
            "clause": "9.9",
            "department": doc_factories.department("技术部").pk,
        },
    )
    assert response.status_code == 400
    assert "No clause 9.9 in iso20000-1-2018." in response.content.decode()
    assert response.context["form"].errors["clause"]
    assert not Nonconformity.objects.exists()


def test_unknown_document_number_is_a_form_error(p):
    response = as_user(p.auditor).post(
        reverse("compliance:nonconformity_new"),
        {
            "title": "x",
            "facts": "y",
            "kind": "corrective",
            "source": "staff_report",
            "grade": "minor",
            "department": doc_factories.department("技术部").pk,
            "documents": "B05, ZZ99",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["documents"]
    assert not Nonconformity.objects.exists()


def test_raising_with_documents_and_without_clause(p):
    doc = doc_factories.document("procedure", "变更管理程序", number="B05", issue=True)
    response = as_user(p.staff).post(
        reverse("compliance:nonconformity_new"),
        {
            "title": "机房温度超限",
            "facts": "巡检发现机房温度32度。",
            "kind": "preventive",
            "source": "monitoring",
            "grade": "observation",
            "department": doc_factories.department("技术部").pk,
            "documents": "b05",
        },
    )
    assert response.status_code == 302
    nc = Nonconformity.objects.get()
    assert nc.status == S.RAISED and nc.clause is None
    assert nc.number.startswith("PA-")
    assert [d.pk for d in nc.documents.all()] == [doc.pk]


def test_unknown_action_and_number_are_404(p):
    nc = factories.nonconformity(p.auditor)
    client = as_user(p.controller)
    assert client.post(action_url(nc, "explode")).status_code == 404
    assert client.get("/compliance/nonconformities/NC-1999-999/").status_code == 404
    assert client.get(action_url(nc, "close")).status_code == 405


def test_form_errors_and_service_refusals_are_messages(p):
    nc = factories.nonconformity(p.auditor)
    staff = as_user(p.staff)
    response = post(
        staff,
        nc,
        "plan",
        {
            "root_cause": "x",
            "target": "y",
            "actions": "z",
            "owner": p.staff.pk,
            "due_date": "2026-02-30",
        },
    )
    assert response.status_code == 200
    assert any("Due date" in m for m in messages_of(response))
    assert refreshed(nc).status == S.RAISED
    response = post(
        staff,
        nc,
        "plan",
        {
            "root_cause": "x",
            "target": "y",
            "actions": "z",
            "owner": p.staff.pk,
            "due_date": (TODAY - timedelta(days=1)).isoformat(),
        },
    )
    assert any("cannot be in the past" in m for m in messages_of(response))
    assert refreshed(nc).status == S.RAISED and not nc.plans.exists()


def test_oversized_evidence_is_refused_before_reading(p, settings):
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.ACCEPTED, today=TODAY
    )
    settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 200)
    response = post(
        as_user(p.staff), nc, "implement", {"description": "done", "evidence": big}
    )
    assert any("larger than" in m for m in messages_of(response))
    assert refreshed(nc).status == S.ACCEPTED
    assert not EvidenceFile.objects.exists()


def test_extension_request_and_decision(p):
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.ACCEPTED, today=TODAY
    )
    staff = as_user(p.staff)
    assert 'data-testid="action-extension"' in (
        staff.get(detail_url(nc)).content.decode()
    )
    new_due = TODAY + timedelta(days=60)
    # Only the owner asks.
    assert (
        as_user(p.tech_manager)
        .post(
            action_url(nc, "extension"),
            {"new_due": new_due.isoformat(), "reason": "供应商延期"},
        )
        .status_code
        == 403
    )
    post(
        staff,
        nc,
        "extension",
        {"new_due": new_due.isoformat(), "reason": "供应商延期"},
    )
    assert nc.extensions.get().decision == Decision.PENDING
    mr = as_user(p.mr)
    assert (
        'data-testid="action-extension-decide"'
        in mr.get(detail_url(nc)).content.decode()
    )
    response = post(mr, nc, "extension-decide", {"decision": "reject", "comment": ""})
    assert any("Say why" in m for m in messages_of(response))
    post(mr, nc, "extension-decide", {"decision": "approve", "comment": "同意"})
    assert refreshed(nc).due_date == new_due
    response = post(mr, nc, "extension-decide", {"decision": "approve", "comment": ""})
    assert any("No extension request is waiting" in m for m in messages_of(response))


def test_return_cancel_and_change_request(p):
    doc = doc_factories.document("procedure", "变更管理程序", number="B05", issue=True)
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.PLANNED, today=TODAY
    )
    head = as_user(p.tech_manager)
    post(head, nc, "return", {"comment": "根本原因分析不足"})
    assert refreshed(nc).status == S.RAISED
    page = as_user(p.staff).get(detail_url(nc))
    html = page.content.decode()
    assert "根本原因分析不足" in html
    # A new plan starts from the returned one.
    assert (
        page.context["forms"]["plan"].initial["root_cause"] == "CAB会议未覆盖紧急变更"
    )

    response = post(
        as_user(p.staff),
        nc,
        "change-request",
        {"document": "B05", "reason": "补充紧急变更评审要求", "proposed_change": ""},
    )
    assert any("B05" in m for m in messages_of(response))
    assert svc.open_change_requests(nc).get().document_id == doc.pk
    assert 'data-testid="change-request"' in (
        as_user(p.staff).get(detail_url(nc)).content.decode()
    )

    other = factories.nonconformity(p.controller, title="误报")
    assert (
        as_user(p.staff).post(action_url(other, "cancel"), {"reason": "x"}).status_code
        == 403
    )
    post(as_user(p.mr), other, "cancel", {"reason": "重复登记"})
    assert refreshed(other).status == S.CANCELLED


# --- Evidence -----


def test_evidence_download_is_permission_checked(p):
    nc = factories.advance(
        factories.nonconformity(p.auditor), p, S.ACCEPTED, today=TODAY
    )
    svc.nonconformity_implement(
        user=p.staff,
        nonconformity=nc,
        description="done",
        evidence=[("记录 1.pdf", PDF)],
    )
    evidence = EvidenceFile.objects.get()
    url = reverse(
        "compliance:evidence", kwargs={"number": nc.number, "evidence_id": evidence.pk}
    )
    response = as_user(p.market_manager).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")

    assert as_user(customer()).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page
    other = factories.nonconformity(p.auditor, title="另一项")
    wrong = reverse(
        "compliance:evidence",
        kwargs={"number": other.number, "evidence_id": evidence.pk},
    )
    assert as_user(p.staff).get(wrong).status_code == 404


# --- The list -----


@pytest.fixture
def listed(p):
    """Five nonconformities: overdue (技术部, 8.5.1), planned (技术部, 7.5.3),
    draft (internal audit, 市场部), implemented (技术部), closed (技术部)."""
    overdue = factories.advance(
        factories.nonconformity(p.auditor, title="逾期项"), p, S.ACCEPTED, today=TODAY
    )
    Nonconformity.objects.filter(pk=overdue.pk).update(
        due_date=TODAY - timedelta(days=3)
    )
    planned = factories.advance(
        factories.nonconformity(p.auditor, clause_ref="7.5.3", title="计划项"),
        p,
        S.PLANNED,
        today=TODAY,
    )
    draft = factories.nonconformity(
        p.auditor,
        department="市场部",
        grade_code="minor",
        source="internal_audit",
        title="待批项",
    )
    implemented = factories.advance(
        factories.nonconformity(p.auditor, kind="preventive", title="已实施项"),
        p,
        S.IMPLEMENTED,
        today=TODAY,
    )
    closed = factories.advance(
        factories.nonconformity(p.auditor, title="已关闭项"), p, S.CLOSED, today=TODAY
    )
    return {
        "overdue": overdue,
        "planned": planned,
        "draft": draft,
        "implemented": implemented,
        "closed": closed,
    }


def numbers(response) -> set[str]:
    return {row["number"] for row in response.context["rows"]}


def test_list_filters(p, listed):
    client = as_user(p.staff)
    url = reverse("compliance:nonconformities")
    response = client.get(url)
    assert response.status_code == 200
    assert numbers(response) == {nc.number for nc in listed.values()}
    html = response.content.decode()
    assert html.count('data-testid="overdue"') == 1

    def only(query, *keys):
        got = numbers(client.get(url + query))
        assert got == {listed[k].number for k in keys}, query

    only("?overdue=1", "overdue")
    only("?open=1", "overdue", "planned", "draft", "implemented")
    only("?status=planned", "planned")
    only("?clause=7.5", "planned")
    only(
        "?clause=8.5.1&standard=iso20000-1-2018",
        "overdue",
        "draft",
        "implemented",
        "closed",
    )
    only(f"?department={doc_factories.department('市场部').pk}", "draft")
    only("?source=internal_audit", "draft")
    only("?grade=minor", "draft")
    only("?kind=preventive", "implemented")
    only(f"?q={listed['closed'].number}", "closed")
    # An invalid filter value is shown, not applied.
    assert client.get(url + "?department=abc").status_code == 200


def test_waiting_for_me(p, listed):
    url = reverse("compliance:nonconformities") + "?mine=1"
    head = as_user(p.tech_manager).get(url)
    assert numbers(head) == {listed["planned"].number}
    assert 'data-testid="waiting-item"' in head.content.decode()
    assert numbers(as_user(p.controller).get(url)) == {listed["implemented"].number}
    # 管理者代表 approves findings and, as a verifier, verifies actions.
    assert numbers(as_user(p.mr).get(url)) == {
        listed["draft"].number,
        listed["implemented"].number,
    }
    assert numbers(as_user(p.staff).get(url)) == {listed["overdue"].number}
    market = as_user(p.market_manager).get(reverse("compliance:nonconformities"))
    assert 'data-testid="waiting"' not in market.content.decode()


def test_list_refuses_customer_representatives(p):
    client = as_user(customer())
    assert client.get(reverse("compliance:nonconformities")).status_code == 403
    assert client.get(reverse("compliance:nonconformity_new")).status_code == 403


def test_xlsx_export(p, listed):
    response = as_user(p.staff).get(
        reverse("compliance:nonconformities") + "?open=1&format=xlsx"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    exported = {row[0] for row in rows[1:]}
    assert exported == {
        listed[k].number for k in ("overdue", "planned", "draft", "implemented")
    }
    overdue_row = next(r for r in rows if r[0] == listed["overdue"].number)
    assert "Yes" in overdue_row


# --- The dashboard -----


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_homepage_panels(p, listed):
    controller = panels.homepage_panels(_request(p.controller))
    assert [panel.name for panel in controller] == [
        "shoukong_compliance_overdue",
        "shoukong_compliance_waiting",
    ]
    html = controller[0].render_html({"request": _request(p.controller)})
    assert listed["overdue"].number in html
    waiting = controller[1].get_context_data({})
    assert [r["number"] for r in waiting["rows"]] == [listed["implemented"].number]

    # The market manager: nothing of theirs is overdue or waiting.
    assert panels.homepage_panels(_request(p.market_manager)) == []
    assert panels.homepage_panels(_request(customer())) == []
    # The owner sees their overdue action.
    staff = panels.homepage_panels(_request(p.staff))
    assert listed["overdue"].number in [
        r["number"] for r in staff[0].get_context_data({})["rows"]
    ]
