"""An issue once approved: its controlled copies, reading confirmations, taking
effect, recall of superseded copies, losses, uncontrolled copies, borrowing and
destruction (ISO/IEC 20000-1:2018 7.5.3; document control procedure §4.5–4.7)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils.translation import gettext
from wagtail.models import PageLogEntry

from documents import distribution, services
from documents.lifecycle import (
    BorrowStatus,
    CopyEventAction,
    CopyKind,
    CopyStatus,
    DestructionMethod,
    InvalidTransition,
    IssueStatus,
    RecallStatus,
)
from documents.models import (
    Acknowledgement,
    BorrowRecord,
    ControlledCopy,
    CopyEvent,
    Department,
    DestructionRecord,
    DistributionListEntry,
    DocumentIssue,
    NotificationLog,
    ProcedurePage,
    RecallTask,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)  # a Monday


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: TODAY
    )
    return TODAY


@pytest.fixture
def users(db):
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


# --- helpers -----------------------------------------------------------------------


def dept(name: str) -> Department:
    return Department.objects.get(name=name)


def standard_list(users) -> list[dict]:
    """技术部 ×2, staff ×1 with an opening password, 市场部 ×1."""
    return [
        {"department": dept("技术部"), "copies": 2, "location": "机房"},
        {"holder": users["staff"], "copies": 1, "password_protected": True},
        {"department": dept("市场部"), "copies": 1},
    ]


def make_document(users, *, entries=(), training: bool = False) -> ProcedurePage:
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="文件控制程序",
        department=dept("技术部"),
        body="<p>文件的编写、审批与发放。</p>",
        training_required=training,
    )
    for entry in entries:
        page.distribution_list.add(DistributionListEntry(**entry))
    page.save_revision(user=users["controller"])
    return page


def release(
    users,
    document,
    *,
    publish: date,
    effective_on: date | None = None,
    body: str | None = None,
    training: bool | None = None,
) -> DocumentIssue:
    """The next issue of ``document`` (its latest content, published ``publish``)."""
    # The latest draft, distribution list included (it lives in the revision).
    page = ProcedurePage.objects.get(pk=document.pk).get_latest_revision_as_object()
    page.effective_on = effective_on
    if body is not None:
        page.body = body
    if training is not None:
        page.training_required = training
    page.save_revision(user=users["controller"])
    return services.issue_create(
        user=users["controller"], document=page, publish_date=publish
    )


def issued(users, *, entries=None, publish: date = date(2026, 11, 2), **kwargs):
    document = make_document(
        users, entries=standard_list(users) if entries is None else entries, **kwargs
    )
    return release(users, document, publish=publish)


def copy(issue: DocumentIssue, number: int) -> ControlledCopy:
    return issue.copies.get(kind=CopyKind.CONTROLLED, copy_number=number)


def events(copy_: ControlledCopy) -> list[str]:
    return list(copy_.events.order_by("id").values_list("action", flat=True))


def logged(issue: DocumentIssue, action: str) -> list[PageLogEntry]:
    entries = PageLogEntry.objects.filter(page_id=issue.document_id, action=action)
    return list(entries.order_by("timestamp", "id"))


def activations(issue: DocumentIssue) -> list[PageLogEntry]:
    return [
        e
        for e in logged(issue, "shoukong.documents.activate")
        if e.data["label"] == issue.label
    ]


def daily(day: date) -> str:
    out = io.StringIO()
    call_command("documents_daily", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def superseded(users, *, effective: date, publish: date | None = None):
    """Issue A (with the standard list) superseded by B on ``effective``."""
    issue_a = issued(users, publish=date(2026, 9, 1))
    issue_b = release(
        users,
        issue_a.document,
        publish=publish or effective,
        effective_on=effective,
        body="<p>第二版</p>",
    )
    if issue_b.status == IssueStatus.PENDING:
        daily(effective)
    issue_a.refresh_from_db()
    issue_b.refresh_from_db()
    assert (issue_a.status, issue_b.status) == (
        IssueStatus.SUPERSEDED,
        IssueStatus.EFFECTIVE,
    )
    return issue_a, issue_b


# --- distribution ------------------------------------------------------------------


def test_copies_are_numbered_original_first_then_per_entry_and_copy(users):
    mail.outbox.clear()
    issue = issued(users)
    copies = list(issue.copies.order_by("copy_number"))
    assert [
        (
            c.copy_label,
            c.holder.username if c.holder_id else None,
            c.department.name if c.department_id else None,
            bool(c.open_password),
            c.status,
        )
        for c in copies
    ] == [
        # The original stays with document control, in no department's hands.
        ("受控01", None, None, False, CopyStatus.ISSUED),
        ("受控02", None, "技术部", False, CopyStatus.ISSUED),
        ("受控03", None, "技术部", False, CopyStatus.ISSUED),
        ("受控04", "staff", None, True, CopyStatus.ISSUED),
        ("受控05", None, "市场部", False, CopyStatus.ISSUED),
    ]
    assert copies[0].location == gettext("Document control archive")
    assert copies[1].location == "机房"
    assert {c.issued_by_id for c in copies} == {users["controller"].pk}
    assert [events(c) for c in copies] == [[CopyEventAction.ISSUED]] * 5
    # Holders and every member of a receiving department confirm reading it.
    assert set(issue.acknowledgements.values_list("user__username", flat=True)) == {
        "tech_manager",
        "staff",
        "market_manager",
    }
    assert not issue.acknowledgements.confirmed().exists()
    # One e-mail announces the issue to its readers.
    [message] = mail.outbox
    assert sorted(message.to) == [
        "market_manager@example.com",
        "staff@example.com",
        "tech_manager@example.com",
    ]


def test_each_issue_numbers_its_copies_from_01(users):
    issue_a = issued(users, publish=date(2026, 11, 2))
    issue_b = release(users, issue_a.document, publish=TODAY, body="<p>第二版</p>")
    assert issue_b.label == "B"
    assert [c.copy_label for c in issue_b.copies.order_by("copy_number")] == [
        "受控01",
        "受控02",
        "受控03",
        "受控04",
        "受控05",
    ]


def test_an_issue_without_a_list_keeps_only_the_original(users):
    issue = issued(users, entries=[])
    assert [c.copy_label for c in issue.copies.all()] == ["受控01"]
    assert not issue.acknowledgements.exists()


# --- opening passwords -------------------------------------------------------------


def test_only_the_holder_sees_the_opening_password(users):
    issue = issued(users)
    protected = copy(issue, 4)
    for name in ("tech_manager", "controller", "mr", "market_manager"):
        with pytest.raises(PermissionDenied):
            distribution.copy_password_show(user=users[name], copy=protected)
    assert events(protected) == [CopyEventAction.ISSUED]
    password = distribution.copy_password_show(user=users["staff"], copy=protected)
    assert password == protected.open_password and len(password) >= 8
    assert events(protected) == [CopyEventAction.ISSUED, CopyEventAction.PASSWORD_SHOWN]
    assert protected.events.last().user == users["staff"]


def test_a_department_copy_password_is_for_the_departments_members(users):
    issue = issued(
        users,
        entries=[
            {"department": dept("市场部"), "copies": 1, "password_protected": True}
        ],
    )
    department_copy = copy(issue, 2)
    with pytest.raises(PermissionDenied):
        distribution.copy_password_show(user=users["staff"], copy=department_copy)
    shown = distribution.copy_password_show(
        user=users["market_manager"], copy=department_copy
    )
    assert shown == department_copy.open_password != ""
    assert events(department_copy)[-1] == CopyEventAction.PASSWORD_SHOWN


def test_copies_without_a_password_show_nothing_and_log_nothing(users):
    issue = issued(users)
    plain = copy(issue, 2)
    assert distribution.copy_password_show(user=users["tech_manager"], copy=plain) == ""
    assert events(plain) == [CopyEventAction.ISSUED]


# --- taking effect -----------------------------------------------------------------


def test_training_gate_holds_the_issue_until_every_reader_confirms(users):
    issue = issued(users, training=True, publish=date(2026, 11, 2))
    assert issue.effective_date < TODAY
    assert issue.status == IssueStatus.PENDING
    daily(TODAY)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING

    with pytest.raises(PermissionDenied):
        distribution.acknowledgement_confirm(user=users["gm"], issue=issue)
    distribution.acknowledgement_confirm(user=users["staff"], issue=issue)
    distribution.acknowledgement_confirm(user=users["tech_manager"], issue=issue)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING
    with pytest.raises(ValidationError):
        distribution.acknowledgement_confirm(user=users["staff"], issue=issue)
    assert not activations(issue)

    ack = distribution.acknowledgement_confirm(
        user=users["market_manager"], issue=issue
    )
    assert ack.confirmed_at is not None
    issue.refresh_from_db()
    assert issue.status == IssueStatus.EFFECTIVE
    assert issue.activated_at is not None
    assert len(activations(issue)) == 1
    assert len(logged(issue, "shoukong.documents.acknowledge")) == 3
    assert {e.user_id for e in logged(issue, "shoukong.documents.acknowledge")} == {
        users[n].pk for n in ("staff", "tech_manager", "market_manager")
    }
    with pytest.raises(ValidationError):
        distribution.acknowledgement_confirm(user=users["market_manager"], issue=issue)
    assert Acknowledgement.objects.filter(issue=issue).pending().count() == 0


def test_training_gate_also_waits_for_the_effective_date(users):
    document = make_document(users, entries=standard_list(users), training=True)
    issue = release(users, document, publish=TODAY, effective_on=date(2026, 11, 27))
    for name in ("staff", "tech_manager", "market_manager"):
        distribution.acknowledgement_confirm(user=users[name], issue=issue)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING
    daily(date(2026, 11, 27))
    issue.refresh_from_db()
    assert issue.status == IssueStatus.EFFECTIVE


def test_future_effective_date_waits_for_the_daily_run_which_is_idempotent(users):
    issue_a = issued(users, publish=date(2026, 9, 1))
    issue_b = release(
        users,
        issue_a.document,
        publish=TODAY,
        effective_on=date(2026, 11, 27),
        body="<p>第二版</p>",
    )
    assert issue_b.status == IssueStatus.PENDING
    daily(date(2026, 11, 26))
    issue_a.refresh_from_db()
    issue_b.refresh_from_db()
    assert (issue_a.status, issue_b.status) == (
        IssueStatus.EFFECTIVE,
        IssueStatus.PENDING,
    )
    assert not RecallTask.objects.exists()

    out = daily(date(2026, 11, 27))
    assert issue_b.document.number in out
    issue_a.refresh_from_db()
    issue_b.refresh_from_db()
    assert (issue_a.status, issue_b.status) == (
        IssueStatus.SUPERSEDED,
        IssueStatus.EFFECTIVE,
    )
    assert issue_a.withdrawn_at is not None
    [entry] = activations(issue_b)
    assert entry.data["label"] == "B" and entry.data["superseded"] == ["A"]
    assert entry.user is None  # the system's daily run
    recalls = RecallTask.objects.filter(copy__issue=issue_a).order_by(
        "copy__copy_number"
    )
    assert [r.copy.copy_label for r in recalls] == [
        "受控02",
        "受控03",
        "受控04",
        "受控05",
    ]
    assert copy(issue_a, 1).status == CopyStatus.KEPT
    event_count = CopyEvent.objects.count()

    # A second run the same day (or later) changes nothing.
    daily(date(2026, 11, 27))
    daily(date(2026, 11, 28))
    assert len(activations(issue_b)) == 1
    assert RecallTask.objects.count() == 4
    assert CopyEvent.objects.count() == event_count
    issue_b.refresh_from_db()
    assert issue_b.status == IssueStatus.EFFECTIVE
    assert distribution.issue_activate(user=None, issue=issue_b) is False


@pytest.mark.parametrize(
    ("effective", "due"),
    [
        (date(2026, 11, 24), date(2026, 11, 25)),  # Tuesday → Wednesday
        (date(2026, 11, 27), date(2026, 11, 30)),  # Friday → Monday
        (date(2026, 9, 30), date(2026, 10, 8)),  # before National Day
    ],
    ids=["tuesday", "friday", "national-day"],
)
def test_superseded_copies_are_recalled_within_one_working_day(users, effective, due):
    issue_a, _issue_b = superseded(
        users, effective=effective, publish=date(2026, 9, 28)
    )
    recalls = RecallTask.objects.filter(copy__issue=issue_a)
    assert recalls.count() == 4
    assert {r.due_date for r in recalls} == {due}
    assert {r.status for r in recalls} == {RecallStatus.OPEN}
    assert {r.copy.status for r in recalls} == {CopyStatus.ISSUED}
    original = copy(issue_a, 1)
    assert original.status == CopyStatus.KEPT
    assert not RecallTask.objects.filter(copy=original).exists()
    assert events(original) == [CopyEventAction.ISSUED, CopyEventAction.KEPT]
    assert events(copy(issue_a, 2)) == [
        CopyEventAction.ISSUED,
        CopyEventAction.RECALL_REQUESTED,
    ]


# --- closing recalls ---------------------------------------------------------------


def test_recall_return_closes_the_recall_once(users):
    issue_a, _ = superseded(users, effective=TODAY)
    recall = copy(issue_a, 2).recall
    with pytest.raises(PermissionDenied):
        distribution.recall_return(user=users["tech_manager"], recall=recall)
    closed = distribution.recall_return(user=users["controller"], recall=recall)
    assert (closed.status, closed.closed_by) == (
        RecallStatus.RETURNED,
        users["controller"],
    )
    assert closed.closed_at is not None
    assert copy(issue_a, 2).status == CopyStatus.RETURNED
    assert events(copy(issue_a, 2))[-1] == CopyEventAction.RETURNED
    [entry] = logged(issue_a, "shoukong.documents.recall_close")
    assert entry.data == {"copy": "受控02", "issue": "A", "outcome": "returned"}
    with pytest.raises(InvalidTransition):
        distribution.recall_return(user=users["controller"], recall=recall)
    assert len(logged(issue_a, "shoukong.documents.recall_close")) == 1
    assert events(copy(issue_a, 2)).count(CopyEventAction.RETURNED) == 1


def test_recall_keep_needs_a_reason(users):
    issue_a, _ = superseded(users, effective=TODAY)
    recall = copy(issue_a, 3).recall
    with pytest.raises(ValidationError):
        distribution.recall_keep(user=users["controller"], recall=recall, reason=" ")
    recall.refresh_from_db()
    assert recall.status == RecallStatus.OPEN
    distribution.recall_keep(user=users["controller"], recall=recall, reason="留作对比")
    recall.refresh_from_db()
    assert recall.status == RecallStatus.KEPT
    assert copy(issue_a, 3).status == CopyStatus.KEPT
    assert copy(issue_a, 3).events.get(action=CopyEventAction.KEPT).note == "留作对比"


def test_loss_reported_by_the_holder_is_approved_by_their_department_head(users):
    issue_a, _ = superseded(users, effective=TODAY)
    recall = copy(issue_a, 4).recall  # held by staff of 技术部
    with pytest.raises(PermissionDenied):
        distribution.recall_report_loss(
            user=users["market_manager"], recall=recall, reason="找不到了"
        )
    with pytest.raises(ValidationError):
        distribution.recall_report_loss(user=users["staff"], recall=recall, reason="")
    # Approving before anything is reported is refused.
    with pytest.raises(InvalidTransition):
        distribution.recall_approve_loss(user=users["tech_manager"], recall=recall)

    reported = distribution.recall_report_loss(
        user=users["staff"], recall=recall, reason="搬家时遗失"
    )
    assert (reported.status, reported.loss_reported_by, reported.loss_reason) == (
        RecallStatus.LOSS_REPORTED,
        users["staff"],
        "搬家时遗失",
    )
    assert logged(issue_a, "shoukong.documents.loss_report")
    assert events(copy(issue_a, 4))[-1] == CopyEventAction.LOSS_REPORTED
    # Neither the reporter nor another department's head approves it.
    for name in ("staff", "market_manager", "controller"):
        with pytest.raises(PermissionDenied):
            distribution.recall_approve_loss(user=users[name], recall=recall)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LOSS_REPORTED

    closed = distribution.recall_approve_loss(user=users["tech_manager"], recall=recall)
    assert (closed.status, closed.loss_approved_by, closed.closed_by) == (
        RecallStatus.LOST,
        users["tech_manager"],
        users["tech_manager"],
    )
    assert copy(issue_a, 4).status == CopyStatus.LOST
    assert events(copy(issue_a, 4))[-1] == CopyEventAction.LOST
    assert [
        e.data["outcome"] for e in logged(issue_a, "shoukong.documents.recall_close")
    ] == ["lost"]
    with pytest.raises(InvalidTransition):
        distribution.recall_approve_loss(user=users["tech_manager"], recall=recall)


def test_a_department_head_cannot_approve_their_own_loss_report(users):
    issue_a, _ = superseded(users, effective=TODAY)
    recall = copy(issue_a, 2).recall  # 技术部's copy
    distribution.recall_report_loss(
        user=users["tech_manager"], recall=recall, reason="被水浸坏后丢弃"
    )
    with pytest.raises(PermissionDenied):
        distribution.recall_approve_loss(user=users["tech_manager"], recall=recall)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LOSS_REPORTED
    # The management representative may approve it instead.
    distribution.recall_approve_loss(user=users["mr"], recall=recall)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LOST


def test_a_refused_loss_certificate_reopens_the_recall(users):
    issue_a, _ = superseded(users, effective=TODAY)
    recall = copy(issue_a, 4).recall
    distribution.recall_report_loss(user=users["staff"], recall=recall, reason="遗失")
    reopened = distribution.recall_approve_loss(
        user=users["tech_manager"], recall=recall, approve=False
    )
    assert reopened.status == RecallStatus.OPEN
    assert copy(issue_a, 4).status == CopyStatus.ISSUED
    distribution.recall_return(user=users["controller"], recall=recall)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.RETURNED


def test_overdue_recalls_are_emailed_once_a_day(users):
    issue_a, _ = superseded(users, effective=date(2026, 11, 27))  # due 11-30
    distribution.recall_return(user=users["controller"], recall=copy(issue_a, 5).recall)
    mail.outbox.clear()
    assert distribution.recalls_notify_overdue(today=date(2026, 11, 30)) == 0
    assert mail.outbox == []

    assert distribution.recalls_notify_overdue(today=date(2026, 12, 1)) == 3
    [message] = mail.outbox
    assert sorted(message.to) == ["controller@example.com", "staff@example.com"]
    assert "受控02" in message.body and "受控05" not in message.body
    assert NotificationLog.objects.filter(key="recalls-overdue:2026-12-01").exists()
    assert set(
        RecallTask.objects.overdue(date(2026, 12, 1)).values_list(
            "overdue_notified_on", flat=True
        )
    ) == {date(2026, 12, 1)}

    # The same day again (the command run twice): nothing more is sent.
    assert distribution.recalls_notify_overdue(today=date(2026, 12, 1)) == 0
    daily(date(2026, 12, 1))
    assert len(mail.outbox) == 1
    # The next day they are reminded again.
    daily(date(2026, 12, 2))
    daily(date(2026, 12, 2))
    assert len(mail.outbox) == 2
    assert (
        NotificationLog.objects.filter(key__startswith="recalls-overdue:").count() == 2
    )


# --- uncontrolled copies -----------------------------------------------------------


def test_uncontrolled_copies_need_the_management_representative(users):
    issue = issued(users)
    for name in ("controller", "gm", "tech_manager", "staff"):
        with pytest.raises(PermissionDenied):
            distribution.uncontrolled_copy_create(
                user=users[name], issue=issue, recipient="客户甲"
            )
    with pytest.raises(ValidationError):
        distribution.uncontrolled_copy_create(
            user=users["mr"], issue=issue, recipient=" "
        )
    first = distribution.uncontrolled_copy_create(
        user=users["mr"], issue=issue, recipient=" 客户甲 ", purpose="投标"
    )
    second = distribution.uncontrolled_copy_create(
        user=users["mr"], issue=issue, recipient="客户乙"
    )
    assert [first.copy_label, second.copy_label] == ["非受控01", "非受控02"]
    assert (first.kind, first.recipient, first.approved_by) == (
        CopyKind.UNCONTROLLED,
        "客户甲",
        users["mr"],
    )
    assert distribution.copy_mark(first) == "uncontrolled"
    [entry, _] = logged(issue, "shoukong.documents.uncontrolled_copy")
    assert entry.data == {"issue": "A", "recipient": "客户甲"}
    assert (
        ControlledCopy.objects.filter(issue=issue, kind=CopyKind.UNCONTROLLED).count()
        == 2
    )


def test_uncontrolled_copies_only_of_the_issue_in_force_and_never_recalled(users):
    document = make_document(users, entries=standard_list(users))
    issue_a = release(users, document, publish=date(2026, 9, 1))
    uncontrolled = distribution.uncontrolled_copy_create(
        user=users["mr"], issue=issue_a, recipient="客户甲"
    )
    issue_b = release(
        users, document, publish=TODAY, effective_on=date(2026, 11, 27), body="<p>B</p>"
    )
    with pytest.raises(ValidationError):
        distribution.uncontrolled_copy_create(
            user=users["mr"], issue=issue_b, recipient="客户乙"
        )
    daily(date(2026, 11, 27))
    uncontrolled.refresh_from_db()
    assert uncontrolled.status == CopyStatus.ISSUED
    assert not RecallTask.objects.filter(copy=uncontrolled).exists()
    assert distribution.copy_mark(uncontrolled) == "obsolete"


# --- rendering ---------------------------------------------------------------------


def test_copy_render_is_for_the_holder_and_recorded(users):
    issue = issued(users)
    own = copy(issue, 4)
    for name in ("tech_manager", "market_manager", "gm"):
        with pytest.raises(PermissionDenied):
            distribution.copy_render(user=users[name], copy=own)
    assert events(own) == [CopyEventAction.ISSUED]
    pdf = distribution.copy_render(user=users["staff"], copy=own)
    assert pdf.startswith(b"%PDF")
    distribution.copy_render(user=users["staff"], copy=own, printed=True)
    assert events(own) == [
        CopyEventAction.ISSUED,
        CopyEventAction.DOWNLOADED,
        CopyEventAction.PRINTED,
    ]
    assert {e.user_id for e in own.events.exclude(action=CopyEventAction.ISSUED)} == {
        users["staff"].pk
    }


def test_a_returned_copy_no_longer_opens_for_its_holder(users):
    issue_a, _ = superseded(users, effective=TODAY)
    own = copy(issue_a, 4)
    distribution.recall_return(user=users["controller"], recall=own.recall)
    own.refresh_from_db()
    assert not distribution.can_open_copy(users["staff"], own)
    assert distribution.can_open_copy(users["controller"], own)
    with pytest.raises(PermissionDenied):
        distribution.copy_render(user=users["staff"], copy=own)
    assert CopyEventAction.DOWNLOADED not in events(own)


# --- destruction -------------------------------------------------------------------


def destroy(users, copies, **kwargs):
    arguments = {
        "user": users["controller"],
        "copies": copies,
        "method": DestructionMethod.SHRED,
        "destroyed_on": TODAY,
        "witness": "孙丽娜",
        "approved_by": users["mr"],
    }
    arguments.update(kwargs)
    return distribution.destruction_record(**arguments)


def test_destruction_of_returned_and_kept_copies_of_a_void_issue(users):
    issue_a, _ = superseded(users, effective=TODAY)
    distribution.recall_return(user=users["controller"], recall=copy(issue_a, 2).recall)
    record = destroy(users, [copy(issue_a, 1), copy(issue_a, 2)])
    assert sorted(c.copy_label for c in record.copies.all()) == ["受控01", "受控02"]
    assert (record.executed_by, record.approved_by, record.witness) == (
        users["controller"],
        users["mr"],
        "孙丽娜",
    )
    assert copy(issue_a, 1).status == CopyStatus.DESTROYED
    assert copy(issue_a, 2).status == CopyStatus.DESTROYED
    assert events(copy(issue_a, 2))[-1] == CopyEventAction.DESTROYED
    assert len(logged(issue_a, "shoukong.documents.destroy")) == 2
    with pytest.raises(InvalidTransition):
        destroy(users, [copy(issue_a, 2)])
    assert DestructionRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"approved_by": "controller"}, PermissionDenied),
        ({"approved_by": "gm"}, PermissionDenied),
        ({"user": "staff"}, PermissionDenied),
        ({"method": "burn"}, ValidationError),
        ({"witness": "  "}, ValidationError),
        ({"copies": []}, ValidationError),
        ({"copies": "in force"}, ValidationError),
        ({"copies": "still out"}, InvalidTransition),
    ],
    ids=[
        "approved-by-controller",
        "approved-by-gm",
        "executed-by-staff",
        "unknown-method",
        "no-witness",
        "no-copies",
        "issue-in-force",
        "copy-still-out",
    ],
)
def test_destruction_refusals(users, change, error):
    issue_a, issue_b = superseded(users, effective=TODAY)
    distribution.recall_return(user=users["controller"], recall=copy(issue_a, 2).recall)
    kwargs = {"copies": [copy(issue_a, 2)]}
    for key, value in change.items():
        if key in ("approved_by", "user"):
            value = users[value]
        elif value == "in force":
            value = [copy(issue_b, 1)]
        elif value == "still out":
            value = [copy(issue_a, 3)]
        kwargs[key] = value
    with pytest.raises(error):
        destroy(users, **kwargs)
    assert not DestructionRecord.objects.exists()
    assert not ControlledCopy.objects.filter(status=CopyStatus.DESTROYED).exists()
    assert not logged(issue_a, "shoukong.documents.destroy")


# --- borrowing ---------------------------------------------------------------------


def test_borrowing_the_original_and_returning_it_once(users):
    issue = issued(users)
    original = copy(issue, 1)
    record = distribution.borrow_create(
        user=users["controller"],
        copy=original,
        purpose="内审抽查",
        due_on=date(2026, 11, 30),
        borrower=users["auditor"],
    )
    assert (record.status, record.borrowed_on, record.recorded_by) == (
        BorrowStatus.BORROWED,
        TODAY,
        users["controller"],
    )
    [entry] = logged(issue, "shoukong.documents.borrow")
    assert entry.data == {"copy": "受控01", "due_on": "2026-11-30"}
    with pytest.raises(ValidationError):
        distribution.borrow_create(
            user=users["controller"],
            copy=original,
            purpose="再借",
            due_on=date(2026, 11, 30),
            borrower=users["staff"],
        )
    with pytest.raises(PermissionDenied):
        distribution.borrow_return(user=users["auditor"], record=record)
    returned = distribution.borrow_return(user=users["controller"], record=record)
    assert (returned.status, returned.returned_on) == (BorrowStatus.RETURNED, TODAY)
    assert len(logged(issue, "shoukong.documents.borrow_return")) == 1
    with pytest.raises(InvalidTransition):
        distribution.borrow_return(user=users["controller"], record=record)
    assert len(logged(issue, "shoukong.documents.borrow_return")) == 1
    # Once back it can be lent again.
    distribution.borrow_create(
        user=users["controller"],
        copy=original,
        purpose="再借",
        due_on=TODAY,
        borrower=users["staff"],
    )
    assert BorrowRecord.objects.filter(copy=original).count() == 2


def test_lending_outside_the_company_needs_the_management_representative(users):
    issue = issued(users)
    original = copy(issue, 1)
    lend = {
        "user": users["controller"],
        "copy": original,
        "purpose": "客户审核",
        "due_on": date(2026, 12, 1),
        "borrower_name": "客户审核员 王先生",
    }
    for approver in (None, users["gm"], users["controller"]):
        with pytest.raises(PermissionDenied):
            distribution.borrow_create(**lend, approved_by=approver)
    assert not BorrowRecord.objects.exists()
    record = distribution.borrow_create(**lend, approved_by=users["mr"])
    assert (record.borrower, record.borrower_name, record.approved_by) == (
        None,
        "客户审核员 王先生",
        users["mr"],
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"user": "staff"}, PermissionDenied),
        ({"borrower": None}, ValidationError),
        ({"due_on": date(2026, 11, 22)}, ValidationError),
        ({"copy": "void"}, ValidationError),
    ],
    ids=["not-document-control", "no-borrower", "due-in-the-past", "obsolete-copy"],
)
def test_borrow_refusals(users, change, error):
    issue_a, issue_b = superseded(users, effective=TODAY)
    kwargs = {
        "user": users["controller"],
        "copy": copy(issue_b, 1),
        "purpose": "查阅",
        "due_on": date(2026, 11, 30),
        "borrower": users["staff"],
    }
    kwargs.update(change)
    if change.get("user"):
        kwargs["user"] = users[change["user"]]
    if change.get("copy") == "void":
        kwargs["copy"] = copy(issue_a, 1)  # kept as obsolete
    with pytest.raises(error):
        distribution.borrow_create(**kwargs)
    assert not BorrowRecord.objects.exists()
    assert not logged(issue_b, "shoukong.documents.borrow")
