"""Changes to a document as a whole: change requests, periodic review, withdrawal
without replacement and external documents (ISO/IEC 20000-1:2018 7.5.3)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from wagtail.models import PageLogEntry

from documents import changes, services
from documents.lifecycle import (
    ChangeRequestStatus,
    ChangeSource,
    CopyStatus,
    DocumentStatus,
    ExternalValidity,
    InvalidTransition,
    IssueStatus,
    RecallStatus,
    ReviewOutcome,
    WithdrawalStatus,
)
from documents.models import (
    ChangeRequest,
    Department,
    DistributionListEntry,
    DocumentPage,
    DocumentReview,
    ExternalDocumentPage,
    ExternalSignOut,
    RecallTask,
    WithdrawalRequest,
)
from documents.tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Today, as the services see it; tests move it with ``today.set(...)``."""

    class Today:
        value = TODAY

        def set(self, value: date) -> None:
            self.value = value

    clock = Today()
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: clock.value
    )
    return clock


@pytest.fixture
def users(db):
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def document(users):
    """B01 of 技术部, issue A published 2026-01-05."""
    return issued()


# --- helpers -----------------------------------------------------------------------


def dept(name: str) -> Department:
    return Department.objects.get(name=name)


def issued(
    title: str = "变更管理程序",
    *,
    publish: date = date(2026, 1, 5),
    department: str = "技术部",
) -> DocumentPage:
    return factories.document(
        "procedure", title, dept=dept(department), issue=True, publish_date=publish
    )


def fresh(document) -> DocumentPage:
    return DocumentPage.objects.get(pk=document.pk).specific


def actions(document, action: str) -> list[PageLogEntry]:
    return list(
        PageLogEntry.objects.filter(page_id=document.pk, action=action).order_by(
            "timestamp", "id"
        )
    )


def external(title: str = "ISO/IEC 20000-1:2018") -> DocumentPage:
    page = services.document_create(
        user=None,
        parent=services.external_register(),
        page_class=ExternalDocumentPage,
        title=title,
        issuer="ISO/IEC",
        department=dept("行政部"),
    )
    return services.external_document_register(user=None, document=page)


# --- change requests ---------------------------------------------------------------


def test_anyone_may_request_a_change_with_a_reason(users, document):
    request = changes.change_request_create(
        user=users["staff"],
        document=document,
        reason=" 第5节与实际流程不符 ",
        proposed_change="按现行工单系统改写",
        source_reference="  CA-2026-03 ",
        source=ChangeSource.CORRECTIVE_ACTION,
        source_object=dept("技术部"),
    )
    assert (request.status, request.requested_by, request.reason) == (
        ChangeRequestStatus.OPEN,
        users["staff"],
        "第5节与实际流程不符",
    )
    assert request.source == ChangeSource.CORRECTIVE_ACTION
    assert request.source_reference == "CA-2026-03"
    assert ChangeRequest.objects.get(pk=request.pk).source_object == dept("技术部")
    [entry] = actions(document, "shoukong.documents.change_request")
    assert entry.user == users["staff"]
    assert entry.data == {
        "id": request.pk,
        "source": "corrective_action",
        "reason": "第5节与实际流程不符",
    }
    assert list(ChangeRequest.objects.open()) == [request]


def test_a_draft_may_be_the_subject_of_a_change_request(users):
    draft = factories.document("procedure", "草稿")
    request = changes.change_request_create(
        user=users["staff"], document=draft, reason="补充范围"
    )
    assert request.status == ChangeRequestStatus.OPEN


def test_the_same_open_request_is_not_made_twice(users, document):
    first = changes.change_request_create(
        user=users["staff"], document=document, reason="第5节过时"
    )
    with pytest.raises(ValidationError):
        changes.change_request_create(
            user=users["staff"], document=document, reason=" 第5节过时 "
        )
    # Someone else may ask for the same; once closed, it may be asked again.
    changes.change_request_create(
        user=users["auditor"], document=document, reason="第5节过时"
    )
    changes.change_request_withdraw(user=users["staff"], request=first)
    changes.change_request_create(
        user=users["staff"], document=document, reason="第5节过时"
    )
    assert ChangeRequest.objects.open().count() == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"reason": "  "}, ValidationError),
        ({"source": "rumour"}, ValidationError),
        ({"user": None}, PermissionDenied),
        ({"user": "inactive"}, PermissionDenied),
    ],
    ids=["no-reason", "unknown-source", "anonymous", "inactive"],
)
def test_change_request_refusals(users, document, change, error):
    kwargs = {"user": users["staff"], "document": document, "reason": "需要修改"}
    kwargs.update(change)
    if change.get("user") == "inactive":
        users["staff"].is_active = False
        users["staff"].save()
        kwargs["user"] = users["staff"]
    with pytest.raises(error):
        changes.change_request_create(**kwargs)
    assert not ChangeRequest.objects.exists()
    assert not actions(document, "shoukong.documents.change_request")


def test_no_change_request_on_an_obsolete_document(users, document):
    changes.document_withdraw(user=None, document=fresh(document))
    with pytest.raises(ValidationError):
        changes.change_request_create(
            user=users["staff"], document=fresh(document), reason="改一下"
        )
    assert not ChangeRequest.objects.exists()


def _request(users, document, by: str = "staff") -> ChangeRequest:
    number = ChangeRequest.objects.count() + 1
    return changes.change_request_create(
        user=users[by], document=document, reason=f"流程已变化（{number}）"
    )


def test_accepting_names_the_drafter(users, document):
    request = _request(users, document)
    accepted = changes.change_request_decide(
        user=users["controller"],
        request=request,
        accept=True,
        drafter=users["tech_manager"],
        comment="同意",
    )
    assert (accepted.status, accepted.decided_by, accepted.drafter) == (
        ChangeRequestStatus.ACCEPTED,
        users["controller"],
        users["tech_manager"],
    )
    assert accepted.decided_at is not None and accepted.decision_comment == "同意"
    [entry] = actions(document, "shoukong.documents.change_request_decide")
    assert entry.data == {"id": request.pk, "status": "accepted"}
    # Without a drafter, the decider drafts.
    other = changes.change_request_decide(
        user=users["tech_manager"], request=_request(users, document), accept=True
    )
    assert other.drafter == users["tech_manager"]


def test_rejecting_needs_a_reason(users, document):
    request = _request(users, document)
    with pytest.raises(ValidationError):
        changes.change_request_decide(
            user=users["controller"], request=request, accept=False, comment=" "
        )
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.OPEN
    rejected = changes.change_request_decide(
        user=users["controller"], request=request, accept=False, comment="不属于本程序"
    )
    assert (rejected.status, rejected.drafter, rejected.decision_comment) == (
        ChangeRequestStatus.REJECTED,
        None,
        "不属于本程序",
    )
    assert not ChangeRequest.objects.open().exists()


@pytest.mark.parametrize(
    ("decider", "drafter", "error"),
    [
        ("staff", None, PermissionDenied),
        ("auditor", None, PermissionDenied),
        ("controller", "staff", ValidationError),
        ("controller", "auditor", ValidationError),
    ],
)
def test_deciding_needs_drafting_rights(users, document, decider, drafter, error):
    request = _request(users, document)
    with pytest.raises(error):
        changes.change_request_decide(
            user=users[decider],
            request=request,
            accept=True,
            drafter=users[drafter] if drafter else None,
        )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ChangeRequestStatus.OPEN, None)
    assert not actions(document, "shoukong.documents.change_request_decide")


@pytest.mark.parametrize(
    ("first", "then_accept"),
    [
        ("accept", True),
        ("accept", False),
        ("reject", True),
        ("withdraw", True),
    ],
)
def test_a_decided_request_cannot_be_decided_again(users, document, first, then_accept):
    request = _request(users, document)
    if first == "withdraw":
        changes.change_request_withdraw(user=users["staff"], request=request)
    else:
        changes.change_request_decide(
            user=users["controller"],
            request=request,
            accept=first == "accept",
            comment="决定",
        )
    status = ChangeRequest.objects.get(pk=request.pk).status
    with pytest.raises(InvalidTransition):
        changes.change_request_decide(
            user=users["mr"], request=request, accept=then_accept, comment="再决定"
        )
    request.refresh_from_db()
    assert request.status == status
    assert request.decided_by != users["mr"]


def test_the_requester_or_an_editor_withdraws_a_request(users, document):
    mine = _request(users, document)
    with pytest.raises(PermissionDenied):
        changes.change_request_withdraw(user=users["auditor"], request=mine)
    assert ChangeRequest.objects.get(pk=mine.pk).status == ChangeRequestStatus.OPEN
    withdrawn = changes.change_request_withdraw(user=users["staff"], request=mine)
    assert withdrawn.status == ChangeRequestStatus.WITHDRAWN
    [entry] = actions(document, "shoukong.documents.change_request_withdraw")
    assert (entry.user, entry.data) == (users["staff"], {"id": mine.pk})
    with pytest.raises(InvalidTransition):
        changes.change_request_withdraw(user=users["staff"], request=mine)

    accepted = _request(users, document, by="auditor")
    changes.change_request_decide(
        user=users["controller"], request=accepted, accept=True
    )
    changes.change_request_withdraw(user=users["controller"], request=accepted)
    assert ChangeRequest.objects.get(pk=accepted.pk).status == (
        ChangeRequestStatus.WITHDRAWN
    )

    rejected = _request(users, document)
    changes.change_request_decide(
        user=users["controller"], request=rejected, accept=False, comment="不改"
    )
    with pytest.raises(InvalidTransition):
        changes.change_request_withdraw(user=users["staff"], request=rejected)


def test_accepted_requests_are_done_when_the_next_issue_is_released(users, document):
    accepted = _request(users, document)
    changes.change_request_decide(
        user=users["controller"], request=accepted, accept=True
    )
    still_open = _request(users, document)
    rejected = _request(users, document)
    changes.change_request_decide(
        user=users["controller"], request=rejected, accept=False, comment="不改"
    )
    page = fresh(document)
    page.body = "<p>第二版</p>"
    page.save_revision(user=users["controller"])
    issue_b = services.issue_create(
        user=users["controller"], document=page, publish_date=TODAY
    )
    assert issue_b.label == "B"
    statuses = {
        r.pk: (r.status, r.resulting_issue_id) for r in ChangeRequest.objects.all()
    }
    assert statuses == {
        accepted.pk: (ChangeRequestStatus.ISSUED, issue_b.pk),
        still_open.pk: (ChangeRequestStatus.OPEN, None),
        rejected.pk: (ChangeRequestStatus.REJECTED, None),
    }
    assert list(issue_b.change_requests.all()) == [accepted]
    # Done is final.
    with pytest.raises(InvalidTransition):
        changes.change_request_withdraw(user=users["staff"], request=accepted)


# --- periodic review ---------------------------------------------------------------


def test_no_change_review_restarts_the_review_clock(users, document, today):
    assert fresh(document).next_review_due == date(2029, 1, 5)
    today.set(date(2027, 3, 1))
    review = changes.review_record(
        user=users["controller"],
        document=document,
        outcome=ReviewOutcome.NO_CHANGE,
        note="仍然适用",
    )
    assert (review.outcome, review.reviewed_on, review.reviewed_by) == (
        ReviewOutcome.NO_CHANGE,
        date(2027, 3, 1),
        users["controller"],
    )
    assert review.issue.label == "A" and review.change_request is None
    assert fresh(document).next_review_due == date(2030, 3, 1)
    listed = DocumentPage.objects.for_listing().get(pk=document.pk)
    assert listed.next_review_due == date(2030, 3, 1)
    [entry] = actions(document, "shoukong.documents.review")
    assert entry.data == {"outcome": "no_change", "issue": "A"}
    assert not ChangeRequest.objects.exists()


def test_change_outcome_raises_a_change_request(users, document, today):
    today.set(date(2027, 3, 1))
    review = changes.review_record(
        user=users["tech_manager"],
        document=document,
        outcome=ReviewOutcome.CHANGE,
        reason="新增云服务供应商管理",
    )
    request = review.change_request
    assert (request.status, request.source, request.reason, request.requested_by) == (
        ChangeRequestStatus.OPEN,
        ChangeSource.PERIODIC_REVIEW,
        "新增云服务供应商管理",
        users["tech_manager"],
    )
    # The clock does not restart until the change is issued.
    assert fresh(document).next_review_due == date(2029, 1, 5)
    assert actions(document, "shoukong.documents.change_request")
    assert actions(document, "shoukong.documents.review")[0].data["outcome"] == "change"


@pytest.mark.parametrize(
    ("who", "outcome", "subject", "error"),
    [
        ("staff", ReviewOutcome.NO_CHANGE, "issued", PermissionDenied),
        ("auditor", ReviewOutcome.NO_CHANGE, "issued", PermissionDenied),
        ("controller", "maybe", "issued", ValidationError),
        ("controller", ReviewOutcome.NO_CHANGE, "draft", ValidationError),
        ("controller", ReviewOutcome.NO_CHANGE, "obsolete", ValidationError),
    ],
    ids=["staff", "auditor", "unknown-outcome", "draft", "obsolete"],
)
def test_review_refusals(users, document, who, outcome, subject, error):
    if subject == "draft":
        document = factories.document("procedure", "草稿")
    elif subject == "obsolete":
        changes.document_withdraw(user=None, document=fresh(document))
    with pytest.raises(error):
        changes.review_record(user=users[who], document=document, outcome=outcome)
    assert not DocumentReview.objects.exists()
    assert not ChangeRequest.objects.exists()


def test_reviews_due_lists_documents_due_within_60_days_soonest_first(users, today):
    overdue = issued("逾期", publish=date(2023, 1, 10))  # due 2026-01-10
    soon = issued("将到期", publish=date(2023, 2, 20))  # due 2026-02-20
    edge = issued("窗口末日", publish=date(2023, 3, 16))  # due 2026-03-16
    issued("窗口之外", publish=date(2023, 3, 17))  # due 2026-03-17
    issued("新文件", publish=date(2026, 1, 5))
    factories.document("procedure", "草稿")
    day = date(2026, 1, 15)  # horizon: 2026-03-16
    assert [d.pk for d in changes.reviews_due(today=day)] == [
        overdue.pk,
        soon.pk,
        edge.pk,
    ]
    # Reviewed "no change": off the list for another three years.
    today.set(day)
    changes.review_record(
        user=users["controller"], document=overdue, outcome=ReviewOutcome.NO_CHANGE
    )
    assert [d.pk for d in changes.reviews_due(today=day)] == [soon.pk, edge.pk]


# --- withdrawal --------------------------------------------------------------------


def distributed(users) -> DocumentPage:
    """B01 of 技术部 with copies for 技术部 and staff, issue A in force."""
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=factories.PAGE_CLASSES["procedure"],
        title="旧的备份程序",
        department=dept("技术部"),
        body="<p>磁带备份。</p>",
    )
    page.distribution_list.add(DistributionListEntry(department=dept("技术部")))
    page.distribution_list.add(DistributionListEntry(holder=users["staff"]))
    page.save_revision(user=users["controller"])
    services.issue_create(
        user=users["controller"], document=page, publish_date=date(2026, 1, 5)
    )
    return fresh(page)


def test_withdrawal_by_department_head_then_management_representative(users):
    document = distributed(users)
    issue = document.issues.get()
    request = changes.withdrawal_request(
        user=users["controller"], document=document, reason=" 已改用云备份 "
    )
    assert (request.status, request.reason) == (
        WithdrawalStatus.REQUESTED,
        "已改用云备份",
    )
    first = changes.withdrawal_decide(
        user=users["tech_manager"], request=request, approve=True
    )
    assert (first.status, first.department_approved_by) == (
        WithdrawalStatus.DEPARTMENT_APPROVED,
        users["tech_manager"],
    )
    assert fresh(document).status == DocumentStatus.CONTROLLED
    final = changes.withdrawal_decide(user=users["mr"], request=request, approve=True)
    assert (final.status, final.approved_by) == (WithdrawalStatus.APPROVED, users["mr"])
    assert final.approved_at is not None

    assert fresh(document).status == DocumentStatus.OBSOLETE
    issue.refresh_from_db()
    assert issue.status == IssueStatus.OBSOLETE and issue.withdrawn_at is not None
    copies = {c.copy_label: c for c in issue.copies.all()}
    assert copies["受控01"].status == CopyStatus.KEPT
    recalls = RecallTask.objects.filter(copy__issue=issue).order_by("copy__copy_number")
    assert [(r.copy.copy_label, r.status) for r in recalls] == [
        ("受控02", RecallStatus.OPEN),
        ("受控03", RecallStatus.OPEN),
    ]
    assert [
        e.data["status"]
        for e in actions(document, "shoukong.documents.withdrawal_decide")
    ] == [
        "department_approved",
        "approved",
    ]
    assert len(actions(document, "shoukong.documents.withdrawal_request")) == 1
    [entry] = actions(document, "shoukong.documents.withdraw")
    assert (entry.user, entry.data) == (users["mr"], {"number": document.number})
    # Obsolete is final: no further withdrawal.
    with pytest.raises((ValidationError, PermissionDenied)):
        changes.withdrawal_request(
            user=users["controller"], document=fresh(document), reason="再次"
        )


def test_withdrawal_also_voids_an_approved_issue_not_yet_effective(users):
    document = distributed(users)
    page = document.get_latest_revision_as_object()
    page.body = "<p>第二版</p>"
    page.effective_on = date(2026, 12, 1)
    page.save_revision(user=users["controller"])
    pending = services.issue_create(
        user=users["controller"], document=fresh(document), publish_date=TODAY
    )
    assert pending.status == IssueStatus.PENDING
    request = changes.withdrawal_request(
        user=users["controller"], document=document, reason="不再需要"
    )
    changes.withdrawal_decide(user=users["tech_manager"], request=request, approve=True)
    changes.withdrawal_decide(user=users["mr"], request=request, approve=True)
    assert set(document.issues.values_list("status", flat=True)) == {
        IssueStatus.OBSOLETE
    }
    assert RecallTask.objects.filter(copy__issue=pending).count() == 2
    # The daily run does not bring the voided issue back.
    call_command("documents_daily", "--date", "2026-12-01", stdout=io.StringIO())
    pending.refresh_from_db()
    assert pending.status == IssueStatus.OBSOLETE


@pytest.mark.parametrize(
    ("stage", "who"),
    [
        ("requested", "market_manager"),
        ("requested", "mr"),
        ("requested", "gm"),
        ("requested", "staff"),
        ("department_approved", "tech_manager"),
        ("department_approved", "gm"),
        ("department_approved", "market_manager"),
    ],
)
def test_withdrawal_wrong_approver(users, stage, who):
    document = distributed(users)
    request = changes.withdrawal_request(
        user=users["controller"], document=document, reason="不再需要"
    )
    if stage == "department_approved":
        changes.withdrawal_decide(
            user=users["tech_manager"], request=request, approve=True
        )
    for approve in (True, False):
        with pytest.raises(PermissionDenied):
            changes.withdrawal_decide(
                user=users[who], request=request, approve=approve, comment="理由"
            )
    request.refresh_from_db()
    assert request.status == stage
    assert fresh(document).status == DocumentStatus.CONTROLLED


@pytest.mark.parametrize("stage", ["requested", "department_approved"])
def test_withdrawal_cannot_be_approved_by_its_requester(users, stage):
    document = distributed(users)
    requester = "tech_manager" if stage == "requested" else "mr"
    request = changes.withdrawal_request(
        user=users[requester], document=document, reason="不再需要"
    )
    if stage == "department_approved":
        changes.withdrawal_decide(
            user=users["tech_manager"], request=request, approve=True
        )
    with pytest.raises(PermissionDenied):
        changes.withdrawal_decide(user=users[requester], request=request, approve=True)
    request.refresh_from_db()
    assert request.status == stage
    assert fresh(document).status == DocumentStatus.CONTROLLED


@pytest.mark.parametrize("stage", ["requested", "department_approved"])
def test_refusing_a_withdrawal_needs_a_comment(users, stage):
    document = distributed(users)
    request = changes.withdrawal_request(
        user=users["controller"], document=document, reason="不再需要"
    )
    decider = "tech_manager"
    if stage == "department_approved":
        changes.withdrawal_decide(
            user=users["tech_manager"], request=request, approve=True
        )
        decider = "mr"
    with pytest.raises(ValidationError):
        changes.withdrawal_decide(
            user=users[decider], request=request, approve=False, comment=" "
        )
    assert WithdrawalRequest.objects.get(pk=request.pk).status == stage
    refused = changes.withdrawal_decide(
        user=users[decider], request=request, approve=False, comment="仍有项目在用"
    )
    assert (refused.status, refused.comment) == (
        WithdrawalStatus.REJECTED,
        "仍有项目在用",
    )
    assert fresh(document).status == DocumentStatus.CONTROLLED
    assert document.issues.get().status == IssueStatus.EFFECTIVE
    assert not RecallTask.objects.exists()
    # A refused request is closed; a new one may be made.
    with pytest.raises(InvalidTransition):
        changes.withdrawal_decide(user=users["mr"], request=request, approve=True)
    again = changes.withdrawal_request(
        user=users["controller"], document=document, reason="项目已结束"
    )
    assert again.status == WithdrawalStatus.REQUESTED


@pytest.mark.parametrize(
    ("who", "reason", "subject", "error"),
    [
        ("staff", "不再需要", "issued", PermissionDenied),
        ("controller", "  ", "issued", ValidationError),
        ("controller", "不再需要", "draft", ValidationError),
        ("controller", "不再需要", "pending", ValidationError),
    ],
    ids=["staff", "no-reason", "draft", "already-pending"],
)
def test_withdrawal_request_refusals(users, who, reason, subject, error):
    document = distributed(users)
    if subject == "draft":
        document = factories.document("procedure", "草稿")
    elif subject == "pending":
        changes.withdrawal_request(
            user=users["tech_manager"], document=document, reason="第一次"
        )
    before = WithdrawalRequest.objects.count()
    with pytest.raises(error):
        changes.withdrawal_request(user=users[who], document=document, reason=reason)
    assert WithdrawalRequest.objects.count() == before


# --- external documents ------------------------------------------------------------


def test_external_validity_check_records_a_current_document(users):
    page = external()
    checked = changes.external_validity_check(
        user=users["controller"],
        document=page,
        validity=ExternalValidity.CURRENT,
        note="官网核对",
    )
    assert (checked.validity, checked.validity_checked_on, checked.status) == (
        ExternalValidity.CURRENT,
        TODAY,
        DocumentStatus.EXTERNAL,
    )
    [entry] = actions(page, "shoukong.documents.external_check")
    assert entry.data == {"validity": "current", "note": "官网核对"}
    assert not actions(page, "shoukong.documents.withdraw")


@pytest.mark.parametrize(
    "validity", [ExternalValidity.SUPERSEDED, ExternalValidity.WITHDRAWN]
)
def test_a_superseded_or_withdrawn_external_document_is_withdrawn_from_use(
    users, validity
):
    page = external()
    checked = changes.external_validity_check(
        user=users["controller"], document=page, validity=validity
    )
    assert (checked.validity, checked.status) == (validity, DocumentStatus.OBSOLETE)
    assert fresh(page).status == DocumentStatus.OBSOLETE
    assert len(actions(page, "shoukong.documents.withdraw")) == 1
    # Checking it again records the check without withdrawing it twice.
    changes.external_validity_check(
        user=users["controller"], document=page, validity=validity
    )
    assert len(actions(page, "shoukong.documents.external_check")) == 2
    assert len(actions(page, "shoukong.documents.withdraw")) == 1


@pytest.mark.parametrize(
    ("who", "subject", "validity", "error"),
    [
        ("staff", "external", ExternalValidity.CURRENT, PermissionDenied),
        ("tech_manager", "external", ExternalValidity.SUPERSEDED, PermissionDenied),
        ("controller", "procedure", ExternalValidity.CURRENT, ValidationError),
        ("controller", "external", "expired", ValidationError),
    ],
    ids=["staff", "department-manager", "not-external", "unknown-validity"],
)
def test_external_validity_check_refusals(
    users, document, who, subject, validity, error
):
    page = external() if subject == "external" else document
    with pytest.raises(error):
        changes.external_validity_check(
            user=users[who], document=page, validity=validity
        )
    assert not actions(page, "shoukong.documents.external_check")
    if subject == "external":
        page = fresh(page)
        assert (page.status, page.validity_checked_on) == (
            DocumentStatus.EXTERNAL,
            None,
        )


def test_external_sign_out_by_the_receiving_department(users):
    page = external()
    sign_out = changes.external_sign_out(
        user=users["staff"], document=page, department=dept("技术部"), copies=2
    )
    assert (sign_out.department, sign_out.signed_by, sign_out.copies) == (
        dept("技术部"),
        users["staff"],
        2,
    )
    [entry] = actions(page, "shoukong.documents.external_sign_out")
    assert entry.data == {"department": "技术部", "copies": 2}
    # Document control signs out for any department.
    changes.external_sign_out(
        user=users["controller"], document=page, department=dept("市场部")
    )
    assert ExternalSignOut.objects.filter(document=page).count() == 2


@pytest.mark.parametrize(
    ("who", "department", "copies", "subject", "error"),
    [
        ("staff", "市场部", 1, "external", PermissionDenied),
        ("staff", "技术部", 0, "external", ValidationError),
        ("staff", "技术部", 1, "procedure", ValidationError),
        ("staff", "技术部", 1, "obsolete", ValidationError),
    ],
    ids=["other-department", "no-copies", "not-external", "obsolete"],
)
def test_external_sign_out_refusals(
    users, document, who, department, copies, subject, error
):
    page = document if subject == "procedure" else external()
    if subject == "obsolete":
        changes.external_validity_check(
            user=users["controller"],
            document=page,
            validity=ExternalValidity.WITHDRAWN,
        )
        page = fresh(page)
    with pytest.raises(error):
        changes.external_sign_out(
            user=users[who], document=page, department=dept(department), copies=copies
        )
    assert not ExternalSignOut.objects.exists()
    assert not actions(page, "shoukong.documents.external_sign_out")
