"""The audit pages: planning through the form as the auditor (and the
independence refusal), the audit's page, the whole path through the steps to
the approved report and its .docx, the list, "my assignments", an ad hoc
request, and the 403/404/405 refusals."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.lifecycle import AuditStatus, ItemResult
from audits.models import Audit, AuditMeeting, AuditReport
from compliance import nonconformities as nc_services
from compliance.reports import DOCX_CONTENT_TYPE
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

A = AuditStatus


@pytest.fixture
def s():
    return factories.scene()


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def detail_url(audit) -> str:
    return reverse("audits:audit", kwargs={"number": audit.number})


def action_url(audit, action: str) -> str:
    return reverse(
        "audits:audit_action", kwargs={"number": audit.number, "action": action}
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def post(client, audit, action, data=None):
    """POST a step and follow the redirect back to the page."""
    return client.post(action_url(audit, action), data or {}, follow=True)


def refreshed(audit) -> Audit:
    return Audit.objects.get(pk=audit.pk)


def audit_data(**extra) -> dict:
    start = factories.start_date()
    data = {
        "title": "技术部文件控制和变更管理审核",
        "kind": "planned",
        "purpose": "核实文件控制和变更管理按程序执行",
        "criteria": "",
        "planned_start": start.isoformat(),
        "planned_end": start.isoformat(),
        "clauses": [factories.clause("7.5").pk, factories.clause("8.5.1").pk],
        "departments": [doc_factories.department("技术部").pk],
        "leader": "",
    }
    data.update(extra)
    return data


def meeting_data(*users, **extra) -> dict:
    held = timezone.localtime().replace(second=0, microsecond=0)
    return {
        "held_at": held.strftime("%Y-%m-%dT%H:%M"),
        "location": "三楼会议室",
        "attendees": [u.pk for u in users],
        "guests": "外部顾问 王工",
        "notes": "说明审核范围和日程",
        **extra,
    }


def fake_docx(audit) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(f"{audit.number} 内审报告")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _report_docx_ready() -> bool:
    from audits import reports

    try:
        reports.report_docx(None)
    except NotImplementedError:
        return False
    except Exception:  # a real builder fails on None: it exists
        return True
    return True


# --- Planning through the form ------------------------------------------------------


def test_auditor_plans_an_audit_through_the_form_and_its_page_shows_it(s):
    p = s.people
    client = as_user(p.auditor)
    page = client.get(reverse("audits:audit_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="ad_hoc"' in html and "8.5.1" in html
    # The criteria start from the default text.
    assert services.audits.default_criteria()[:20] in html

    response = client.post(reverse("audits:audit_new"), audit_data(leader=p.auditor.pk))
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(audit)
    assert audit.status == A.PLANNED
    assert sorted(c.ref_id for c in audit.clauses.all()) == ["7.5", "8.5.1"]
    assert [d.name for d in audit.departments.all()] == ["技术部"]
    assert audit.leader == p.auditor
    assert audit.criteria == services.audits.default_criteria()

    page = client.get(detail_url(audit))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Audit {audit.number} planned." in messages_of(page)
    assert 'data-testid="scope-clause" data-ref="7.5"' in html
    assert 'data-testid="scope-clause" data-ref="8.5.1"' in html
    assert (
        reverse(
            "compliance:clause",
            kwargs={"standard": "iso20000-1-2018", "ref_id": "8.5.1"},
        )
        in html
    )
    assert "技术部" in html
    assert 'data-role="leader" data-user="auditor"' in html
    assert 'data-testid="notice-hint"' in html
    assert 'data-action="audit_create"' in html
    for step in ("edit", "team", "schedule", "generate", "cancel"):
        assert f'data-testid="action-{step}"' in html or f"link-{step}" in html
    # The notice waits for the programme's approval: not offered yet.
    assert 'data-testid="action-notify"' not in html


def test_a_non_independent_leader_is_refused_with_the_reason_and_nothing_is_created(s):
    p = s.people
    client = as_user(p.auditor)
    response = client.post(
        reverse("audits:audit_new"), audit_data(leader=p.tech_manager.pk)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "An auditor may not audit their own work." in html
    assert "tech_manager belongs to 技术部, the audited department." in html
    assert "变更管理" in html  # the process tech_manager owns
    assert response.context["form"].errors["leader"]
    assert not Audit.objects.exists()


def test_the_form_reports_missing_input_without_creating_anything(s):
    client = as_user(s.people.auditor)
    response = client.post(
        reverse("audits:audit_new"),
        audit_data(clauses=[], kind="ad_hoc", trigger="", trigger_note=""),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"clauses", "trigger", "trigger_note"}
    assert not Audit.objects.exists()


# --- The whole path -----------------------------------------------------------------


def test_the_whole_path_through_the_steps(s, monkeypatch):
    p = s.people
    if not _report_docx_ready():
        monkeypatch.setattr("audits.reports.report_docx", fake_docx)
    auditor = as_user(p.auditor)
    auditor.post(reverse("audits:audit_new"), audit_data(leader=p.auditor.pk))
    audit = Audit.objects.get()
    factories.programme_approve(audit.programme, p)

    # The schedule: a formset of lines.
    assert auditor.get(action_url(audit, "schedule")).status_code == 200
    day = audit.planned_start.isoformat()
    lines = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-date": day,
        "form-0-start_time": "09:00",
        "form-0-end_time": "10:00",
        "form-0-department": doc_factories.department("技术部").pk,
        "form-0-activity": "抽查变更记录",
        "form-0-auditor": p.auditor.pk,
        "form-1-date": "",
        "form-1-activity": "",
    }
    response = auditor.post(action_url(audit, "schedule"), lines)
    assert response.status_code == 302
    assert [line.activity for line in audit.schedule.all()] == ["抽查变更记录"]

    response = post(auditor, audit, "notify")
    assert (
        "The notice has been sent to the auditees, their heads and the team."
        in messages_of(response)
    )
    assert refreshed(audit).status == A.NOTIFIED

    response = auditor.post(action_url(audit, "generate"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "audits:checklist", kwargs={"number": audit.number}
    )
    assert audit.items.count() >= 2

    page = auditor.get(action_url(audit, "opening"))
    assert page.status_code == 200
    html = page.content.decode()
    # The team comes first in the attendance list, and is ticked.
    assert html.index("Audit team") < html.index("Others")
    response = auditor.post(
        action_url(audit, "opening"), meeting_data(p.auditor, p.tech_manager)
    )
    assert response.status_code == 302
    assert refreshed(audit).status == A.IN_PROGRESS
    opening = AuditMeeting.objects.get(audit=audit, kind="opening")
    assert sorted(a.name for a in opening.attendees.all()) == [
        "auditor",
        "tech_manager",
        "外部顾问 王工",
    ]

    # A nonconforming item becomes a finding (a draft nonconformity).
    item = audit.items.filter(clause__ref_id="8.5.1").first()
    services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="一张变更单没有评审记录",
    )
    finding = services.finding_raise(user=p.auditor, item=item)

    # Closing is refused while items are unanswered, naming them.
    response = auditor.post(action_url(audit, "closing"), meeting_data(p.auditor))
    assert response.status_code == 400
    html = response.content.decode()
    assert "checklist items are not answered yet: 7.5 #" in html
    assert refreshed(audit).status == A.IN_PROGRESS

    factories.answer_all(audit, p.auditor)
    response = auditor.post(action_url(audit, "closing"), meeting_data(p.auditor))
    assert response.status_code == 302
    assert refreshed(audit).status == A.COMPLETED

    page = auditor.get(action_url(audit, "report"))
    assert page.status_code == 200
    distribution = page.context["form"].initial["distribution"].splitlines()
    assert distribution == ["技术部", "管理层", "行政部"]
    response = auditor.post(
        action_url(audit, "report"),
        {
            "overview": "按计划完成技术部审核",
            "evaluation": "体系基本有效运行",
            "distribution": "技术部\n管理层\n行政部",
        },
    )
    assert response.status_code == 302
    report = AuditReport.objects.get(audit=audit)
    assert report.distribution == ["技术部", "管理层", "行政部"]

    response = post(auditor, audit, "submit")
    assert refreshed(audit).status == A.REPORTED

    page = as_user(p.mr).get(detail_url(audit))
    html = page.content.decode()
    assert f'data-number="{finding.number}"' in html
    assert 'data-testid="finding-draft"' in html and "awaiting 管理者代表" in html
    assert 'data-testid="action-approve"' in html

    mr = as_user(p.mr)
    response = post(mr, audit, "approve")
    assert f"Approve these findings before the report: {finding.number}" in messages_of(
        response
    )
    assert refreshed(audit).status == A.REPORTED

    nc_services.nonconformity_approve(user=p.mr, nonconformity=finding)
    response = post(mr, audit, "approve")
    assert (
        "Report approved: the audit is closed and its records are filed."
        in messages_of(response)
    )
    audit = refreshed(audit)
    assert audit.status == A.CLOSED
    report = AuditReport.objects.get(audit=audit)
    assert report.file

    # The approved report is the frozen file.
    response = auditor.get(
        reverse("audits:report_docx", kwargs={"number": audit.number})
    )
    assert response.status_code == 200
    with report.file.open("rb") as handle:
        assert response.content == handle.read()

    html = auditor.get(detail_url(audit)).content.decode()
    assert 'data-testid="report-status"' in html and "Approved by mr" in html
    for action in ("meeting_opening", "meeting_closing", "report_approve"):
        assert f'data-action="{action}"' in html
    # Newest first.
    assert html.index('data-action="report_approve"') < html.index(
        'data-action="audit_create"'
    )


def test_the_report_docx_before_approval(s):
    p = s.people
    audit = factories.audit(p.auditor)
    client = as_user(p.controller)
    url = reverse("audits:report_docx", kwargs={"number": audit.number})
    try:
        response = client.get(url)
    except NotImplementedError:
        pytest.skip("audits.reports.report_docx is still a stub")
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_CONTENT_TYPE
    assert f'{audit.number}.docx"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    import docx

    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs
    )
    assert audit.purpose in text


# --- Ad hoc requests, team, edit, cancel ----------------------------------------------


def test_a_department_head_asks_for_an_ad_hoc_audit_and_mr_decides(s):
    p = s.people
    head = as_user(p.market_manager)
    page = head.get(reverse("audits:audit_new") + "?kind=ad_hoc")
    assert page.status_code == 200
    assert list(page.context["form"].fields["kind"].choices) == [("ad_hoc", "Ad hoc")]
    assert "leader" not in page.context["form"].fields
    response = head.post(
        reverse("audits:audit_new"),
        audit_data(
            kind="ad_hoc",
            trigger="department_request",
            trigger_note="市场部投诉增多，请求审核变更管理",
        ),
    )
    assert response.status_code == 302
    audit = Audit.objects.get()
    assert audit.status == A.REQUESTED

    mr = as_user(p.mr)
    response = post(mr, audit, "reject", {"comment": ""})
    assert refreshed(audit).status == A.REQUESTED
    assert any(
        "comment" in m.lower() or "why" in m.lower() for m in messages_of(response)
    )
    response = post(mr, audit, "accept", {"comment": "同意"})
    assert "Accepted: the audit is planned." in messages_of(response)
    assert refreshed(audit).status == A.PLANNED


def test_team_page_refuses_tech_manager_and_accepts_the_auditor(s):
    p = s.people
    audit = factories.audit(p.controller)
    client = as_user(p.controller)
    page = client.get(action_url(audit, "team"))
    assert page.status_code == 200
    response = client.post(
        action_url(audit, "team"),
        {"leader": p.auditor.pk, "auditors": [p.tech_manager.pk]},
    )
    assert response.status_code == 400
    assert "tech_manager belongs to 技术部" in response.content.decode()
    assert response.context["form"].errors["auditors"]
    assert not audit.team.exists()
    response = client.post(action_url(audit, "team"), {"leader": p.auditor.pk})
    assert response.status_code == 302
    assert refreshed(audit).leader == p.auditor


def test_edit_changes_only_what_changed_and_cancel_needs_a_reason(s):
    p = s.people
    audit = factories.audit(p.controller)
    client = as_user(p.controller)
    page = client.get(action_url(audit, "edit"))
    assert page.status_code == 200
    data = audit_data(title="文件控制审核（修订）")
    for name in ("kind", "leader"):
        data.pop(name)
    response = client.post(action_url(audit, "edit"), data)
    assert response.status_code == 302
    assert refreshed(audit).title == "文件控制审核（修订）"

    response = post(client, audit, "cancel", {"reason": ""})
    assert refreshed(audit).status == A.PLANNED
    response = post(client, audit, "cancel", {"reason": "与外审时间冲突"})
    assert "The audit is cancelled; its number stays." in messages_of(response)
    assert refreshed(audit).status == A.CANCELLED


# --- The list and my assignments ----------------------------------------------------


def test_the_list_filters_and_counts_findings(s):
    p = s.people
    first = factories.audit(p.controller)
    other = factories.audit(
        p.controller,
        clauses=("6.1",),
        departments=("市场部",),
        kind="ad_hoc",
        title="市场部风险审核",
    )
    client = as_user(p.staff)
    url = reverse("audits:audits")

    def numbers(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return [row["audit"].number for row in response.context["rows"]]

    assert set(numbers()) == {first.number, other.number}
    assert numbers("?kind=ad_hoc") == [other.number]
    assert numbers(f"?department={doc_factories.department('技术部').pk}") == [
        first.number
    ]
    assert numbers("?clause=8.5") == [first.number]
    assert numbers(f"?year={first.planned_start.year}&status=planned") != []
    response = client.get(url)
    assert [row["findings"] for row in response.context["rows"]] == [0, 0]
    assert "Plan an audit" not in response.content.decode()


def test_my_assignments_show_role_items_and_next_step(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.controller), p)
    client = as_user(p.auditor)
    response = client.get(reverse("audits:mine"))
    assert response.status_code == 200
    [row] = response.context["current"]
    assert row["audit"] == audit
    assert row["role"] == "Audit team leader"
    assert row["mine"] == audit.items.count() and row["mine_open"] == row["mine"]
    assert row["next"].startswith("Answer your")
    assert row["next_url"] == reverse(
        "audits:checklist", kwargs={"number": audit.number}
    )

    factories.answer_all(audit, p.auditor)
    [row] = as_user(p.auditor).get(reverse("audits:mine")).context["current"]
    assert row["next"] == "Record the closing meeting"


# --- Refusals -----------------------------------------------------------------------


def test_refusals_403_404_405(s):
    p = s.people
    audit = factories.audit(p.controller)
    staff = as_user(p.staff)
    # Staff read the audit but may not plan one or take its steps.
    assert staff.get(detail_url(audit)).status_code == 200
    assert staff.get(reverse("audits:audit_new")).status_code == 403
    assert staff.get(action_url(audit, "team")).status_code == 403
    assert staff.get(action_url(audit, "opening")).status_code == 403
    assert staff.post(action_url(audit, "notify")).status_code == 403
    assert staff.post(action_url(audit, "edit"), {}).status_code == 403
    # A POST-only step read with GET; an unknown step; an unknown audit.
    assert staff.get(action_url(audit, "notify")).status_code == 405
    assert staff.get(action_url(audit, "approve")).status_code == 405
    assert staff.post(action_url(audit, "explode")).status_code == 404
    missing = reverse("audits:audit", kwargs={"number": "IA-1999-99"})
    assert staff.get(missing).status_code == 404
    # A customer representative sees no audit at all.
    customer = as_user(
        doc_factories.user(
            "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
        )
    )
    assert customer.get(detail_url(audit)).status_code == 404
    assert customer.post(action_url(audit, "notify")).status_code == 404
    assert (
        customer.get(
            reverse("audits:report_docx", kwargs={"number": audit.number})
        ).status_code
        == 404
    )
    assert customer.get(reverse("audits:audits")).status_code == 403
    # Anonymous visitors go to the login page.
    assert Client().get(detail_url(audit)).status_code == 302


def test_notify_warns_outside_the_notice_window(s, monkeypatch):
    p = s.people
    start = factories.today() + timedelta(days=10)
    audit = factories.audit(p.controller, start=start)
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    factories.programme_approve(refreshed(audit).programme, p)
    response = post(as_user(p.auditor), audit, "notify")
    warnings = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings and "10 days before the audit" in str(warnings[0])
    assert refreshed(audit).status == A.NOTIFIED
