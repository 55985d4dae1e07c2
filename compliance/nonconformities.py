"""Nonconformities and their corrective or preventive actions: every change of
state (ISO/IEC 20000-1:2018 10.1; corrective and preventive action procedure).

Each service locks the nonconformity, asks :mod:`compliance.permissions`,
checks the transition in :mod:`compliance.lifecycle`, writes append-only rows
(plans, extensions, implementations, verifications) and leaves one log entry.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from documents.lifecycle import ChangeRequestStatus, ChangeSource
from documents.models import ChangeRequest, Department, DocumentPage
from documents.permissions import RESTRICTED_DOCUMENT, restricted_ids
from documents.services import number_sequence_next
from records import evidence as evidence_files
from records.services import company_today

from . import notifications, permissions
from .lifecycle import (
    NONCONFORMITY_TRANSITIONS,
    Decision,
    NonconformityKind,
    NonconformitySource,
    NonconformityStatus,
    ensure_transition,
)
from .models import (
    ActionPlan,
    Clause,
    EvidenceFile,
    Extension,
    Implementation,
    Nonconformity,
    NonconformityGrade,
    Verification,
)

S = NonconformityStatus

__all__ = [
    "company_today",
    "nonconformity_accept",
    "nonconformity_approve",
    "nonconformity_cancel",
    "nonconformity_change_request",
    "nonconformity_close",
    "nonconformity_extension_decide",
    "nonconformity_extension_request",
    "nonconformity_implement",
    "nonconformity_plan",
    "nonconformity_raise",
    "nonconformity_return",
    "nonconformity_verify",
]

# Change requests still under way hold a corrective action open (DCP: a change
# to the documents follows document control, and the action is done only when
# the new issue is out).
_CHANGE_DONE = frozenset(
    {
        ChangeRequestStatus.ISSUED,
        ChangeRequestStatus.REJECTED,
        ChangeRequestStatus.WITHDRAWN,
    }
)


# Control characters other than tab and line breaks: PostgreSQL refuses NUL,
# and the .xlsx and .docx reports cannot carry the others.
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _text(value: str | None) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(_("The text contains a NUL character."))
    if not _CONTROL.isdisjoint(value):
        raise ValidationError(_("The text contains a control character."))
    return value


def _required(value: str | None, message: str) -> str:
    value = _text(value)
    if not value:
        raise ValidationError(message)
    return value


def _locked(nonconformity: Nonconformity) -> Nonconformity:
    return Nonconformity.objects.select_for_update().get(pk=nonconformity.pk)


def _move(nonconformity: Nonconformity, target: str) -> None:
    ensure_transition(
        NONCONFORMITY_TRANSITIONS,
        nonconformity.status,
        target,
        label=_("Nonconformity"),
    )
    nonconformity.status = target


def _log(nonconformity: Nonconformity, action: str, user, **data) -> None:
    log(
        instance=nonconformity,
        action=f"shoukong.compliance.{action}",
        user=user,
        data={"number": nonconformity.number, "status": nonconformity.status, **data},
    )


def _number(kind: str, when: datetime) -> str:
    formats = settings.SHOUKONG_NONCONFORMITY_NUMBER_FORMATS
    pattern = formats.get(kind) or formats[NonconformityKind.CORRECTIVE]
    year = when.astimezone(zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)).year
    seq = number_sequence_next(f"nonconformity:{kind}:{year}")
    return pattern.format(year=year, seq=seq)


# --- Raising --------------------------------------------------------------------------


def work_done(nonconformity: Nonconformity) -> bool:
    """Whether a plan was accepted or work recorded: the finding can then be
    closed, never cancelled."""
    return (
        nonconformity.implementations.exists()
        or nonconformity.plans.filter(decision=Decision.ACCEPTED).exists()
    )


def needs_approval(source: str) -> bool:
    return source in settings.SHOUKONG_NONCONFORMITY_APPROVAL_SOURCES


@transaction.atomic
def nonconformity_raise(
    *,
    user,
    title: str,
    facts: str,
    department: Department,
    grade: NonconformityGrade,
    source: str,
    kind: str = NonconformityKind.CORRECTIVE,
    clause: Clause | None = None,
    documents: Iterable[DocumentPage] = (),
    source_reference: str = "",
    source_object=None,
    owner=None,
    due_date: date | None = None,
) -> Nonconformity:
    """Record a nonconformity or a potential one with its facts, clause and
    responsible department (CAPA procedure 4.1). Findings from the sources in
    SHOUKONG_NONCONFORMITY_APPROVAL_SOURCES wait for approval first.

    ``owner`` and ``due_date`` are set when the action was already assigned
    where it was decided (a management review's output); the department's
    accepted plan replaces them."""
    permissions.ensure(permissions.can_raise(user))
    title = _required(title, _("Give a short summary of the nonconformity."))[:200]
    facts = _required(facts, _("Describe the facts of the nonconformity."))
    if source not in NonconformitySource.values:
        raise ValidationError(_("Unknown source of the nonconformity."))
    if kind not in NonconformityKind.values:
        raise ValidationError(_("Unknown kind of nonconformity."))
    if not grade.is_active:
        raise ValidationError(_("This grade is no longer in use."))
    if not department.is_active:
        raise ValidationError(_("This department is no longer active."))
    if clause is not None and not (clause.is_active and clause.standard.is_active):
        raise ValidationError(_("This clause is no longer in use."))
    now = timezone.now()
    nonconformity = Nonconformity(
        number=_number(kind, now),
        kind=kind,
        source=source,
        source_reference=_text(source_reference)[:100],
        grade=grade,
        clause=clause,
        department=department,
        title=title,
        facts=facts,
        raised_by=user,
        raised_at=now,
        status=S.DRAFT if needs_approval(source) else S.RAISED,
        owner=owner,
        due_date=due_date,
    )
    if source_object is not None:
        nonconformity.source_type = ContentType.objects.get_for_model(source_object)
        nonconformity.source_id = source_object.pk
    nonconformity.save()
    documents = list(documents)
    if documents:
        nonconformity.documents.set(documents)
    _log(
        nonconformity,
        "nonconformity_raise",
        user,
        clause=clause.ref_id if clause else None,
        department=department.name,
        grade=grade.code,
        source=source,
        **({"owner": owner.get_username()} if owner is not None else {}),
        **({"due_date": due_date.isoformat()} if due_date is not None else {}),
    )
    if nonconformity.status == S.RAISED:
        notifications.raised(nonconformity=nonconformity)
    else:
        notifications.awaiting_approval(nonconformity=nonconformity)
    return nonconformity


@transaction.atomic
def nonconformity_approve(*, user, nonconformity: Nonconformity) -> Nonconformity:
    """管理者代表 approves a finding before it goes to the department (internal
    audit procedure)."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_approve(user))
    _move(nonconformity, S.RAISED)
    nonconformity.approved_by = user
    nonconformity.approved_at = timezone.now()
    nonconformity.save(update_fields=["status", "approved_by", "approved_at"])
    _log(nonconformity, "nonconformity_approve", user)
    notifications.raised(nonconformity=nonconformity)
    return nonconformity


@transaction.atomic
def nonconformity_cancel(
    *, user, nonconformity: Nonconformity, reason: str
) -> Nonconformity:
    """Cancel a finding raised in error, before an action is planned; the row
    and its number stay."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_cancel(user, nonconformity))
    reason = _required(reason, _("Say why the nonconformity is cancelled."))
    if work_done(nonconformity):
        raise ValidationError(
            _("Work has been done on this action: close it, do not cancel it.")
        )
    _move(nonconformity, S.CANCELLED)
    nonconformity.closing_note = reason
    nonconformity.save(update_fields=["status", "closing_note"])
    _log(nonconformity, "nonconformity_cancel", user, reason=reason[:200])
    return nonconformity


# --- Planning and acceptance ----------------------------------------------------------


@transaction.atomic
def nonconformity_plan(
    *,
    user,
    nonconformity: Nonconformity,
    root_cause: str,
    target: str,
    actions: str,
    owner,
    due_date: date,
    correction: str = "",
) -> ActionPlan:
    """The responsible department analyses the cause and plans the action:
    target, measures, who implements them and the deadline are all required
    (CAPA procedure 4.1.3)."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_plan(user, nonconformity))
    root_cause = _required(root_cause, _("Give the root cause."))
    target = _required(target, _("Give the target the action must reach."))
    actions = _required(actions, _("Describe the actions to take."))
    correction = _text(correction)
    if owner is None or not permissions.can_view_compliance(owner):
        raise ValidationError(_("Name an active user who implements the action."))
    if due_date is None:
        raise ValidationError(_("Give the due date."))
    if due_date < company_today():
        raise ValidationError(_("The due date cannot be in the past."))
    _move(nonconformity, S.PLANNED)
    version = nonconformity.plans.count() + 1
    plan = ActionPlan.objects.create(
        nonconformity=nonconformity,
        version=version,
        correction=correction,
        root_cause=root_cause,
        target=target,
        actions=actions,
        owner=owner,
        due_date=due_date,
        submitted_by=user,
        submitted_at=timezone.now(),
    )
    nonconformity.save(update_fields=["status"])
    _log(
        nonconformity,
        "nonconformity_plan",
        user,
        version=version,
        owner=owner.get_username(),
        due_date=due_date.isoformat(),
    )
    notifications.planned(nonconformity=nonconformity, plan=plan)
    return plan


def _pending_plan(nonconformity: Nonconformity) -> ActionPlan:
    plan = nonconformity.plans.filter(decision=Decision.PENDING).first()
    if plan is None:  # pragma: no cover - PLANNED always has one
        raise ValidationError(_("There is no plan waiting for a decision."))
    return plan


@transaction.atomic
def nonconformity_accept(
    *, user, nonconformity: Nonconformity, comment: str = ""
) -> ActionPlan:
    """The responsible department's head accepts the plan in writing; its owner
    and due date become the action's."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_accept(user, nonconformity))
    _move(nonconformity, S.ACCEPTED)
    plan = _pending_plan(nonconformity)
    plan.decision = Decision.ACCEPTED
    plan.decided_by = user
    plan.decided_at = timezone.now()
    plan.decision_comment = _text(comment)
    plan.save(
        update_fields=["decision", "decided_by", "decided_at", "decision_comment"]
    )
    nonconformity.owner = plan.owner
    nonconformity.due_date = plan.due_date
    nonconformity.save(update_fields=["status", "owner", "due_date"])
    _log(nonconformity, "nonconformity_accept", user, version=plan.version)
    notifications.accepted(nonconformity=nonconformity)
    return plan


@transaction.atomic
def nonconformity_return(
    *, user, nonconformity: Nonconformity, comment: str
) -> ActionPlan:
    """The head returns the plan with a reason; the department plans again."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_accept(user, nonconformity))
    comment = _required(comment, _("Say why the plan is returned."))
    _move(nonconformity, S.RAISED)
    plan = _pending_plan(nonconformity)
    plan.decision = Decision.RETURNED
    plan.decided_by = user
    plan.decided_at = timezone.now()
    plan.decision_comment = comment
    plan.save(
        update_fields=["decision", "decided_by", "decided_at", "decision_comment"]
    )
    nonconformity.save(update_fields=["status"])
    _log(
        nonconformity,
        "nonconformity_return",
        user,
        version=plan.version,
        comment=comment[:200],
    )
    notifications.returned(nonconformity=nonconformity, plan=plan)
    return plan


# --- Extensions -----------------------------------------------------------------------


@transaction.atomic
def nonconformity_extension_request(
    *, user, nonconformity: Nonconformity, new_due: date, reason: str
) -> Extension:
    """The owner asks in writing for more time when objective factors prevent
    completion (CAPA procedure 4.3); 管理者代表 decides."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_request_extension(user, nonconformity))
    if nonconformity.status not in (S.ACCEPTED, S.REOPENED):
        raise ValidationError(
            _("An extension can be asked only while the action is under way.")
        )
    reason = _required(reason, _("Say why more time is needed."))
    if new_due is None or nonconformity.due_date is None:
        raise ValidationError(_("Give the new due date."))
    if new_due <= nonconformity.due_date:
        raise ValidationError(_("The new due date must be after the current one."))
    if new_due < company_today():
        raise ValidationError(_("The new due date cannot be in the past."))
    if nonconformity.extensions.filter(decision=Decision.PENDING).exists():
        raise ValidationError(_("An extension request is already waiting."))
    extension = Extension.objects.create(
        nonconformity=nonconformity,
        requested_by=user,
        requested_at=timezone.now(),
        current_due=nonconformity.due_date,
        new_due=new_due,
        reason=reason,
    )
    _log(
        nonconformity,
        "nonconformity_extension_request",
        user,
        extension=extension.pk,
        new_due=new_due.isoformat(),
    )
    notifications.extension_requested(nonconformity=nonconformity, extension=extension)
    return extension


@transaction.atomic
def nonconformity_extension_decide(
    *, user, extension: Extension, approve: bool, comment: str = ""
) -> Extension:
    """管理者代表 approves (the due date moves) or rejects, with a reason."""
    nonconformity = _locked(extension.nonconformity)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    permissions.ensure(permissions.can_decide_extension(user))
    if extension.decision != Decision.PENDING:
        raise ValidationError(_("This extension request has already been decided."))
    comment = _text(comment)
    if not approve and not comment:
        raise ValidationError(_("Say why the extension is refused."))
    if approve and nonconformity.status not in (S.ACCEPTED, S.REOPENED):
        raise ValidationError(_("The action is no longer under way."))
    extension.decision = Decision.APPROVED if approve else Decision.REJECTED
    extension.decided_by = user
    extension.decided_at = timezone.now()
    extension.decision_comment = comment
    extension.save(
        update_fields=["decision", "decided_by", "decided_at", "decision_comment"]
    )
    if approve:
        nonconformity.due_date = extension.new_due
        nonconformity.save(update_fields=["due_date"])
    _log(
        nonconformity,
        "nonconformity_extension_decide",
        user,
        extension=extension.pk,
        decision=extension.decision,
        due_date=nonconformity.due_date.isoformat() if nonconformity.due_date else None,
    )
    notifications.extension_decided(nonconformity=nonconformity, extension=extension)
    return extension


# --- Implementation, verification, closing --------------------------------------------


@transaction.atomic
def nonconformity_implement(
    *,
    user,
    nonconformity: Nonconformity,
    description: str,
    completed_on: date | None = None,
    evidence: Sequence[tuple[str, bytes]] = (),
) -> Implementation:
    """The owner records what was done, with evidence; 行政部 then verifies."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_implement(user, nonconformity))
    description = _required(description, _("Describe what was done."))
    today = company_today()
    completed_on = completed_on or today
    if completed_on > today:
        raise ValidationError(_("The completion date cannot be in the future."))
    uploads = evidence_files.check_uploads(
        evidence, max_bytes=settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES
    )
    _move(nonconformity, S.IMPLEMENTED)
    implementation = Implementation.objects.create(
        nonconformity=nonconformity,
        round=nonconformity.implementations.count() + 1,
        description=description,
        completed_on=completed_on,
        recorded_by=user,
        recorded_at=timezone.now(),
    )
    stored = evidence_files.store_evidence(
        EvidenceFile,
        uploads,
        user=user,
        nonconformity=nonconformity,
        implementation=implementation,
    )
    try:
        nonconformity.implemented_on = completed_on
        nonconformity.save(update_fields=["status", "implemented_on"])
        _log(
            nonconformity,
            "nonconformity_implement",
            user,
            round=implementation.round,
            completed_on=completed_on.isoformat(),
            files=[f.name for f in stored],
        )
    except Exception:
        # The rows roll back with this transaction; the files must go too.
        for evidence in stored:
            evidence.file.storage.delete(evidence.file.name)
        raise
    notifications.implemented(nonconformity=nonconformity)
    return implementation


@transaction.atomic
def nonconformity_verify(
    *, user, nonconformity: Nonconformity, effective: bool, comment: str
) -> Verification:
    """行政部 verifies the effectiveness of an implemented action; not
    effective reopens it (CAPA procedure 4.3)."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_verify(user, nonconformity))
    if nonconformity.status != S.IMPLEMENTED:
        raise ValidationError(_("Only an implemented action can be verified."))
    comment = _required(comment, _("Give the verification opinion."))
    _move(nonconformity, S.EFFECTIVE if effective else S.REOPENED)
    implementation = nonconformity.implementations.order_by("-round").first()
    verification = Verification.objects.create(
        nonconformity=nonconformity,
        implementation=implementation,
        effective=effective,
        comment=comment,
        verified_by=user,
        verified_at=timezone.now(),
    )
    update = ["status"]
    if not effective:
        nonconformity.implemented_on = None
        update.append("implemented_on")
    nonconformity.save(update_fields=update)
    _log(
        nonconformity,
        "nonconformity_verify",
        user,
        effective=effective,
        round=implementation.round,
        comment=comment[:200],
    )
    notifications.verified(nonconformity=nonconformity, verification=verification)
    return verification


def open_change_requests(nonconformity: Nonconformity):
    """Document change requests raised by this action and not yet done."""
    return ChangeRequest.objects.filter(
        source_type=ContentType.objects.get_for_model(Nonconformity),
        source_id=nonconformity.pk,
    ).exclude(status__in=_CHANGE_DONE)


@transaction.atomic
def nonconformity_close(
    *, user, nonconformity: Nonconformity, note: str = ""
) -> Nonconformity:
    """Close a verified action, or a finding whose grade needs no action. An
    action whose document change is not yet issued stays open (DCP)."""
    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_close(user, nonconformity))
    note = _text(note)
    if nonconformity.status == S.RAISED:
        if nonconformity.grade.requires_action:
            raise ValidationError(
                _("This nonconformity needs an action verified as effective first.")
            )
        if not note:
            raise ValidationError(_("Say why the finding is closed without action."))
    elif nonconformity.status != S.EFFECTIVE:
        raise ValidationError(_("Only an action verified as effective can be closed."))
    pending = list(open_change_requests(nonconformity).select_related("document"))
    if pending:
        hidden = restricted_ids(user, [r.document for r in pending])
        raise ValidationError(
            _("The document changes this action raised are not issued yet: %(ids)s.")
            % {
                "ids": ", ".join(
                    str(RESTRICTED_DOCUMENT)
                    if r.document_id in hidden
                    else str(r.document.number)
                    for r in pending
                )
            }
        )
    _move(nonconformity, S.CLOSED)
    nonconformity.closed_by = user
    nonconformity.closed_at = timezone.now()
    nonconformity.closing_note = note
    nonconformity.save(
        update_fields=["status", "closed_by", "closed_at", "closing_note"]
    )
    _log(nonconformity, "nonconformity_close", user)
    return nonconformity


@transaction.atomic
def nonconformity_change_request(
    *,
    user,
    nonconformity: Nonconformity,
    document: DocumentPage,
    reason: str,
    proposed_change: str = "",
) -> ChangeRequest:
    """A corrective action that needs a document changed raises a change request
    through document control; the action cannot close until it is issued."""
    from documents.changes import change_request_create

    nonconformity = _locked(nonconformity)
    permissions.ensure(permissions.can_request_change(user, nonconformity))
    if not nonconformity.is_open:
        raise ValidationError(_("The nonconformity is no longer open."))
    request = change_request_create(
        user=user,
        document=document,
        reason=reason,
        proposed_change=proposed_change,
        source=ChangeSource.CORRECTIVE_ACTION,
        source_reference=nonconformity.number,
        source_object=nonconformity,
    )
    _log(
        nonconformity,
        "nonconformity_change_request",
        user,
        document=document.number,
        change_request=request.pk,
    )
    return request
