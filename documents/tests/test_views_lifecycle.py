"""The lifecycle pages: my tasks, the document control desk, stamped copies and
the actions they post (views_lifecycle and the document page's lifecycle tags)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from pypdf import PdfReader

from documents import approvals, changes, services, views_lifecycle
from documents.lifecycle import (
    ChangeSource,
    CopyStatus,
    DocumentStatus,
    IssueStatus,
    RecallStatus,
    ReviewOutcome,
    WithdrawalStatus,
)
from documents.models import (
    Acknowledgement,
    ChangeRequest,
    ControlledCopy,
    Department,
    DistributionListEntry,
    DocumentPage,
    DocumentReview,
    ProcedurePage,
    RecallTask,
)
from documents.stamping import StampingError

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD


# --- Builders -----------------------------------------------------------------------


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def as_user(user) -> Client:
    """A client signed in as ``user``, reading the interface in English."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


def controlled(
    users,
    *,
    title="变更管理程序",
    department="技术部",
    publish_date=None,
    effective_date=None,
    training=False,
):
    """A procedure issued as A with copies 受控01 (original), 02 (staff, with a
    password), 03 (技术部) and 04 (market_manager, with a password)."""
    tech = Department.objects.get(name="技术部")
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title=title,
        department=Department.objects.get(name=department),
        body="<p>变更的申请、评估与批准。</p>",
        training_required=training,
    )
    page.distribution_list.add(
        DistributionListEntry(holder=users["staff"], password_protected=True),
        DistributionListEntry(department=tech),
        DistributionListEntry(holder=users["market_manager"], password_protected=True),
    )
    page.save_revision(user=users["controller"])
    issue = services.issue_create(
        user=users["controller"],
        document=page,
        publish_date=publish_date or timezone.localdate(),
        effective_date=effective_date,
    )
    return DocumentPage.objects.get(pk=page.pk).specific, issue


def reissue(users, page, **kwargs):
    """Issue the next letter of ``page`` (today, unless told otherwise)."""
    page = ProcedurePage.objects.get(pk=page.pk)
    page.body = "<p>变更的申请、评估、批准与回顾。</p>"
    page.save_revision(user=users["controller"])
    kwargs.setdefault("publish_date", timezone.localdate())
    return services.issue_create(user=users["controller"], document=page, **kwargs)


def copy_of(issue, number: int) -> ControlledCopy:
    return ControlledCopy.objects.get(issue=issue, copy_number=number)


def copy_url(page, issue, number: int) -> str:
    url = reverse(
        "documents:copy_pdf", kwargs={"number": page.number, "label": issue.label}
    )
    return f"{url}?copy={number}"


def superseded(users):
    """Issue A superseded by B today: A's copies 02–04 are being recalled."""
    page, issue_a = controlled(users)
    issue_b = reissue(users, page)
    issue_a.refresh_from_db()
    assert issue_a.status == IssueStatus.SUPERSEDED
    return page, issue_a, issue_b


def post(client, url, data=None):
    """POST, follow the redirect; the page that shows the message."""
    return client.post(url, data or {}, follow=True)


# --- Routes -------------------------------------------------------------------------


def test_routes_are_not_shadowed_by_document_permalinks():
    assert reverse("documents:my_tasks") == "/documents/my/"
    assert reverse("documents:control_desk") == "/documents/control/"
    assert resolve("/documents/my/").func is views_lifecycle.my_tasks
    assert resolve("/documents/control/").func is views_lifecycle.control_desk
    match = resolve("/documents/B05/A/copy.pdf")
    assert match.func is views_lifecycle.copy_pdf
    assert match.kwargs == {"number": "B05", "label": "A"}
    assert resolve("/documents/B05/change-request/").url_name == "change_request"
    assert resolve("/documents/B05/A/").url_name == "issue"


@pytest.mark.parametrize("url", ["/documents/my/", "/documents/control/"])
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("acknowledge", {"issue_id": 1}),
        ("copy_password", {"copy_id": 1}),
        ("recall_report_loss", {"recall_id": 1}),
        ("recall_loss_decide", {"recall_id": 1}),
        ("withdrawal_decide", {"request_id": 1}),
        ("recall_return", {"recall_id": 1}),
        ("recall_keep", {"recall_id": 1}),
        ("review_record", {"number": "B05"}),
        ("change_request", {"number": "B05"}),
    ],
)
def test_actions_are_post_only(users, name, kwargs):
    response = as_user(users["controller"]).get(
        reverse(f"documents:{name}", kwargs=kwargs)
    )
    assert response.status_code == 405


# --- My tasks -----------------------------------------------------------------------


def test_my_tasks_lists_confirmations_and_copies(users):
    page, issue = controlled(users)
    staff = as_user(users["staff"])
    response = staff.get("/documents/my/")
    assert response.status_code == 200
    html = body(response)
    assert "My tasks" in html
    assert page.number in html and "变更管理程序" in html
    # Read-and-understood confirmation for the new issue.
    assert reverse("documents:acknowledge", args=[issue.pk]) in html
    # His own copy (受控02, password) and his department's (受控03), not the
    # original nor market_manager's.
    assert copy_url(page, issue, 2) in html
    assert copy_url(page, issue, 3) in html
    assert copy_url(page, issue, 1) not in html
    assert copy_url(page, issue, 4) not in html
    assert reverse("documents:copy_password", args=[copy_of(issue, 2).pk]) in html
    # No password is ever printed on the page.
    for copy in ControlledCopy.objects.exclude(open_password=""):
        assert copy.open_password not in html
    # The navigation counts the pending confirmation.
    assert 'data-testid="task-count"' in html


def test_acknowledge_then_double_submit_shows_message(users):
    page, issue = controlled(users)
    staff = as_user(users["staff"])
    url = reverse("documents:acknowledge", args=[issue.pk])
    response = post(staff, url)
    assert response.status_code == 200
    assert "alert--success" in body(response)
    assert Acknowledgement.objects.get(issue=issue, user=users["staff"]).confirmed_at
    again = post(staff, url)
    assert again.status_code == 200
    assert "alert--error" in body(again)
    assert "already confirmed" in body(again)
    # Someone not on the distribution list is refused, not given a 500.
    refused = post(as_user(users["auditor"]), url)
    assert refused.status_code == 200
    assert "not awaiting your confirmation" in body(refused)


def test_acknowledge_from_the_document_page_returns_there(users):
    page, issue = controlled(users)
    staff = as_user(users["staff"])
    html = body(staff.get(page.get_permalink()))
    assert 'data-testid="ack-box"' in html
    response = staff.post(
        reverse("documents:acknowledge", args=[issue.pk]),
        {"next": page.get_permalink()},
    )
    assert response.status_code == 302
    assert response["Location"] == page.get_permalink()
    assert 'data-testid="ack-box"' not in body(staff.get(page.get_permalink()))


def test_acknowledge_ignores_foreign_next_url(users):
    page, issue = controlled(users)
    response = as_user(users["staff"]).post(
        reverse("documents:acknowledge", args=[issue.pk]),
        {"next": "https://evil.example.com/"},
    )
    assert response["Location"] == "/documents/my/"


def test_opening_password_is_shown_to_its_holder_only(users):
    page, issue = controlled(users)
    own, theirs = copy_of(issue, 2), copy_of(issue, 4)
    assert own.open_password and theirs.open_password
    staff = as_user(users["staff"])
    response = staff.post(reverse("documents:copy_password", args=[own.pk]))
    assert response.status_code == 200
    html = body(response)
    assert own.open_password in html
    assert theirs.open_password not in html
    assert "no-store" in response["Cache-Control"]
    # Someone else's copy: refused with a message, the password never shown.
    refused = post(staff, reverse("documents:copy_password", args=[theirs.pk]))
    assert refused.status_code == 200
    assert theirs.open_password not in body(refused)
    assert "alert--error" in body(refused)
    # Not even document control sees it.
    controller = as_user(users["controller"])
    refused = post(controller, reverse("documents:copy_password", args=[theirs.pk]))
    assert theirs.open_password not in body(refused)
    # A copy without a password says so.
    plain = post(staff, reverse("documents:copy_password", args=[copy_of(issue, 3).pk]))
    assert "opens without a password" in body(plain)


def test_copy_pdf_downloads_for_the_holder(users):
    page, issue = controlled(users)
    staff = as_user(users["staff"])
    response = staff.get(copy_url(page, issue, 3))  # 技术部's copy
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    filename = f"{page.number}-A-受控03.pdf"
    assert "filename*=utf-8''" + quote(filename) in disposition
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "受控03" in text
    # His own copy is encrypted with the opening password.
    protected = staff.get(copy_url(page, issue, 2))
    assert protected.status_code == 200
    reader = PdfReader(io.BytesIO(protected.content))
    assert reader.is_encrypted
    reader.decrypt(copy_of(issue, 2).open_password)
    assert "受控02" in reader.pages[0].extract_text()


def test_copy_pdf_is_refused_to_others_and_404_when_unknown(users):
    page, issue = controlled(users)
    market = as_user(users["market_manager"])
    assert market.get(copy_url(page, issue, 2)).status_code == 403
    assert market.get(copy_url(page, issue, 3)).status_code == 403
    assert market.get(copy_url(page, issue, 4)).status_code == 200
    assert market.get(copy_url(page, issue, 9)).status_code == 404
    url = reverse("documents:copy_pdf", kwargs={"number": page.number, "label": "A"})
    assert market.get(url).status_code == 404
    assert market.get(url + "?copy=x").status_code == 404
    assert market.get(f"/documents/{page.number}/Z/copy.pdf?copy=4").status_code == 404
    assert market.get("/documents/B99/A/copy.pdf?copy=4").status_code == 404
    # The original stays with document control, though registered to 行政部.
    assert as_user(users["auditor"]).get(copy_url(page, issue, 1)).status_code == 403
    assert as_user(users["controller"]).get(copy_url(page, issue, 1)).status_code == 200
    anonymous = Client().get(copy_url(page, issue, 4))
    assert anonymous.status_code == 302


def test_copy_pdf_stamping_error_is_a_message(users, monkeypatch):
    page, issue = controlled(users)

    def broken(**kwargs):
        raise StampingError("the source PDF is damaged")

    monkeypatch.setattr("documents.stamping.render_issue_pdf", broken)
    response = as_user(users["staff"]).get(copy_url(page, issue, 3), follow=True)
    assert response.status_code == 200
    html = body(response)
    assert "alert--error" in html and "the source PDF is damaged" in html


# --- Recalls ------------------------------------------------------------------------


def test_holder_reports_a_recalled_copy_lost_and_the_head_approves(users):
    page, issue_a, issue_b = superseded(users)
    recall = RecallTask.objects.get(copy=copy_of(issue_a, 2))
    staff = as_user(users["staff"])
    html = body(staff.get("/documents/my/"))
    assert 'data-testid="recall-row"' in html
    assert recall.due_date.strftime("%Y-%m-%d") in html
    url = reverse("documents:recall_report_loss", args=[recall.pk])
    # A reason is needed.
    assert "Describe how the copy was lost" in body(post(staff, url, {"reason": ""}))
    response = post(staff, url, {"reason": "出差途中遗失"})
    assert "alert--success" in body(response)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LOSS_REPORTED
    again = post(staff, url, {"reason": "出差途中遗失"})
    assert "no longer possible" in body(again)

    # The head of 技术部 (the holder's department) decides; others do not see it.
    assert 'data-testid="loss-reports"' not in body(
        as_user(users["market_manager"]).get("/documents/my/")
    )
    head = as_user(users["tech_manager"])
    html = body(head.get("/documents/my/"))
    assert 'data-testid="loss-reports"' in html and "出差途中遗失" in html
    decide = reverse("documents:recall_loss_decide", args=[recall.pk])
    data = {"decision": "approve", "status": RecallStatus.LOSS_REPORTED}
    assert "alert--success" in body(post(head, decide, data))
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LOST
    assert copy_of(issue_a, 2).status == CopyStatus.LOST
    assert "already been decided" in body(post(head, decide, data))
    # Without the status of the shown form the service refuses it all the same.
    assert "no longer possible" in body(post(head, decide, {"decision": "approve"}))


def test_loss_refused_by_someone_else_is_a_message(users):
    page, issue_a, issue_b = superseded(users)
    recall = RecallTask.objects.get(copy=copy_of(issue_a, 2))
    post(
        as_user(users["staff"]),
        reverse("documents:recall_report_loss", args=[recall.pk]),
        {"reason": "遗失"},
    )
    decide = reverse("documents:recall_loss_decide", args=[recall.pk])
    market = as_user(users["market_manager"])
    response = post(market, decide, {"decision": "approve"})
    assert "Only the department head approves a loss" in body(response)
    assert "Choose approve or refuse" in body(post(market, decide, {}))
    head = as_user(users["tech_manager"])
    assert "alert--success" in body(post(head, decide, {"decision": "refuse"}))
    recall.refresh_from_db()
    assert recall.status == RecallStatus.OPEN


def test_control_desk_is_for_document_control(users):
    superseded(users)
    assert as_user(users["staff"]).get("/documents/control/").status_code == 403
    assert as_user(users["tech_manager"]).get("/documents/control/").status_code == 403
    assert as_user(users["controller"]).get("/documents/control/").status_code == 200
    assert as_user(users["admin"]).get("/documents/control/").status_code == 200


def test_control_desk_lists_recalls_and_highlights_overdue(users):
    page, issue_a, issue_b = superseded(users)
    yesterday = timezone.localdate() - timedelta(days=1)
    RecallTask.objects.filter(copy=copy_of(issue_a, 2)).update(due_date=yesterday)
    html = body(as_user(users["controller"]).get("/documents/control/"))
    assert html.count('data-testid="desk-recall"') == 3
    assert "is-overdue" in html and yesterday.strftime("%Y-%m-%d") in html
    for number in (2, 3, 4):
        assert copy_of(issue_a, number).copy_label in html


def test_controller_closes_recalls_and_double_submits_are_messages(users):
    page, issue_a, issue_b = superseded(users)
    returned = RecallTask.objects.get(copy=copy_of(issue_a, 2))
    kept = RecallTask.objects.get(copy=copy_of(issue_a, 3))
    controller = as_user(users["controller"])
    url = reverse("documents:recall_return", args=[returned.pk])
    assert "alert--success" in body(post(controller, url))
    returned.refresh_from_db()
    assert returned.status == RecallStatus.RETURNED
    assert "no longer possible" in body(post(controller, url))

    keep = reverse("documents:recall_keep", args=[kept.pk])
    assert "Say why the obsolete copy is kept" in body(post(controller, keep))
    assert "alert--success" in body(post(controller, keep, {"reason": "培训参考"}))
    kept.refresh_from_db()
    assert kept.status == RecallStatus.KEPT
    assert "no longer possible" in body(post(controller, keep, {"reason": "培训参考"}))
    # A kept copy stays in its department's hands, marked obsolete.
    staff_copies = body(as_user(users["staff"]).get("/documents/my/"))
    assert copy_url(page, issue_a, 3) in staff_copies


def test_staff_cannot_close_recalls(users):
    page, issue_a, issue_b = superseded(users)
    recall = RecallTask.objects.get(copy=copy_of(issue_a, 2))
    staff = as_user(users["staff"])
    response = post(staff, reverse("documents:recall_return", args=[recall.pk]))
    assert response.status_code == 200
    assert "Only document control" in body(response)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.OPEN


# --- Issues waiting to take effect --------------------------------------------------


def test_pending_issue_with_training_gate(users):
    page, issue = controlled(users, training=True)
    assert issue.status == IssueStatus.PENDING
    controller = as_user(users["controller"])
    html = body(controller.get("/documents/control/"))
    readers = issue.acknowledgements.count()
    assert f"0/{readers} confirmed" in html
    staff = as_user(users["staff"])
    detail = body(staff.get(page.get_permalink()))
    assert 'data-testid="pending-note"' in detail and "Approved, effective on" in detail
    post(staff, reverse("documents:acknowledge", args=[issue.pk]))
    assert f"1/{readers} confirmed" in body(controller.get("/documents/control/"))


def test_newer_pending_issue_is_announced_on_the_current_one(users):
    page, issue_a = controlled(users)
    later = timezone.localdate() + timedelta(days=10)
    issue_b = reissue(users, page, effective_date=later)
    assert issue_b.status == IssueStatus.PENDING
    html = body(as_user(users["staff"]).get(page.get_permalink()))
    assert 'data-testid="pending-note"' in html
    assert "Issue B is approved, effective on" in html
    assert later.strftime("%Y-%m-%d") in html


# --- Periodic review and change requests --------------------------------------------


def _due_for_review(users, title):
    today = timezone.localdate()
    published = date(today.year - 3, today.month, 1) + timedelta(days=40)
    published = min(published, today)
    page, issue = controlled(users, title=title, publish_date=published)
    assert page.next_review_due <= today + timedelta(days=60)
    return page


def test_review_no_change_and_needs_change(users):
    unchanged = _due_for_review(users, "事件管理程序")
    changing = _due_for_review(users, "问题管理程序")
    controller = as_user(users["controller"])
    html = body(controller.get("/documents/control/"))
    assert unchanged.number in html and changing.number in html

    url = reverse("documents:review_record", args=[unchanged.number])
    response = post(controller, url, {"outcome": ReviewOutcome.NO_CHANGE})
    assert "alert--success" in body(response)
    assert (
        DocumentReview.objects.filter(
            document=unchanged, outcome=ReviewOutcome.NO_CHANGE
        ).count()
        == 1
    )
    again = post(controller, url, {"outcome": ReviewOutcome.NO_CHANGE})
    assert "already been recorded today" in body(again)
    assert DocumentReview.objects.filter(document=unchanged).count() == 1

    url = reverse("documents:review_record", args=[changing.number])
    empty = post(controller, url, {"outcome": ReviewOutcome.CHANGE, "reason": ""})
    assert "Say what needs to change" in body(empty)
    response = post(
        controller, url, {"outcome": ReviewOutcome.CHANGE, "reason": "流程已变"}
    )
    assert "alert--success" in body(response)
    request = ChangeRequest.objects.get(document=changing)
    assert request.source == ChangeSource.PERIODIC_REVIEW
    assert "流程已变" in body(controller.get("/documents/control/"))
    # Staff may not record reviews.
    staff = as_user(users["staff"])
    refused = post(staff, url, {"outcome": ReviewOutcome.NO_CHANGE})
    assert "alert--error" in body(refused)


def test_staff_propose_a_change_from_the_document_page(users):
    page, issue = controlled(users)
    staff = as_user(users["staff"])
    assert 'data-testid="change-request"' in body(staff.get(page.get_permalink()))
    url = reverse("documents:change_request", args=[page.number])
    data = {"reason": "步骤三与实际不符", "proposed_change": "改为先评估后批准"}
    response = staff.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == page.get_permalink()
    request = ChangeRequest.objects.get(document=page)
    assert request.requested_by == users["staff"]
    assert request.proposed_change == "改为先评估后批准"
    assert "already proposed this change" in body(post(staff, url, data))
    assert ChangeRequest.objects.filter(document=page).count() == 1
    assert "Give the reason" in body(post(staff, url, {"reason": " "}))
    assert (
        staff.post(reverse("documents:change_request", args=["B99"]), data).status_code
        == 404
    )
    assert "步骤三与实际不符" in body(
        as_user(users["controller"]).get("/documents/control/")
    )


# --- Withdrawal ---------------------------------------------------------------------


def test_withdrawal_is_decided_by_the_head_then_the_representative(users):
    page, issue = controlled(users, department="技术部")
    withdrawal = changes.withdrawal_request(
        user=users["controller"], document=page, reason="业务不再开展"
    )
    url = reverse("documents:withdrawal_decide", args=[withdrawal.pk])
    head = as_user(users["tech_manager"])
    html = body(head.get("/documents/my/"))
    assert 'data-testid="withdrawals"' in html and "业务不再开展" in html
    mr = as_user(users["mr"])
    assert "The head of the owning department decides first" in body(
        post(mr, url, {"decision": "approve"})
    )
    data = {"decision": "approve", "status": WithdrawalStatus.REQUESTED}
    assert "alert--success" in body(post(head, url, data))
    assert "already been decided" in body(post(head, url, data))
    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.DEPARTMENT_APPROVED

    assert "业务不再开展" in body(mr.get("/documents/my/"))
    assert "Say why the withdrawal is refused" in body(
        post(mr, url, {"decision": "refuse", "comment": ""})
    )
    data = {"decision": "approve", "status": WithdrawalStatus.DEPARTMENT_APPROVED}
    assert "alert--success" in body(post(mr, url, data))
    page.refresh_from_db()
    assert page.status == DocumentStatus.OBSOLETE
    # An obsolete document takes no change requests.
    detail = body(as_user(users["staff"]).get(page.get_permalink()))
    assert 'data-testid="change-request"' not in detail


# --- Approvals ----------------------------------------------------------------------


def _sign_through(document, users):
    approvals.document_submit(user=users["controller"], document=document)
    for name in ("tech_manager", "market_manager", "mr", "gm"):
        approvals.document_act(
            user=users[name], document=document, action="approve", password=PASSWORD
        )
    result = approvals.document_act(
        user=users["controller"],
        document=document,
        action="approve",
        password=PASSWORD,
        attachments_complete=True,
    )
    assert result.finished, result.reasons
    return document.issues.newest_first().first()


def test_approval_record_status_and_my_approvals(users):
    tech = Department.objects.get(name="技术部")
    market = Department.objects.get(name="市场部")
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="发布管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>发布的计划与实施。</p>",
    )
    page.involved_departments.set([tech, market])
    page.distribution_list.add(DistributionListEntry(holder=users["staff"]))
    page.save_revision(user=users["controller"])
    issue_a = _sign_through(page, users)
    assert issue_a.label == "A"

    staff = as_user(users["staff"])
    html = body(staff.get(page.get_permalink()))
    assert 'data-testid="approval-record"' in html
    for meaning in ("Co-signed", "Reviewed", "Approved (", "Pre-issue check passed"):
        assert meaning in html
    assert "技术部" in html and "市场部" in html
    assert 'data-testid="approval-status"' not in html

    # Issue B goes into approval: those who may edit see where it stands.
    page = ProcedurePage.objects.get(pk=page.pk)
    page.body = "<p>发布的计划、实施与回退。</p>"
    page.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=page)
    html = body(as_user(users["controller"]).get(page.get_permalink()))
    assert 'data-testid="approval-status"' in html
    assert "会签" in html
    assert 'data-testid="approval-status"' not in body(staff.get(page.get_permalink()))

    # The co-signers find it in their tasks, with the admin page to sign in.
    tasks = body(as_user(users["tech_manager"]).get("/documents/my/"))
    assert f"/admin/pages/{page.pk}/edit/" in tasks and "发布管理程序" in tasks
    assert f"/admin/pages/{page.pk}/edit/" not in body(staff.get("/documents/my/"))


def test_document_page_lists_the_viewers_copies(users):
    page, issue = controlled(users)
    html = body(as_user(users["staff"]).get(page.get_permalink()))
    assert 'data-testid="my-copies"' in html
    assert copy_url(page, issue, 2) in html and copy_url(page, issue, 3) in html
    assert copy_url(page, issue, 4) not in html
    auditor = body(as_user(users["auditor"]).get(page.get_permalink()))
    assert 'data-testid="my-copies"' not in auditor
    controller = body(as_user(users["controller"]).get(page.get_permalink()))
    assert copy_url(page, issue, 1) in controller  # the original, kept by 文控
