"""The review plan (管理评审计划): prepared by 行政部, signed along
SHOUKONG_MGMT_REVIEW_PLAN_CHAIN (管理者代表 reviews, 总经理 approves), revised back
to draft, cancelled; the meeting notice to the participants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.models import Department
from documents.permissions import department_of
from documents.roles import GENERAL_MANAGER
from documents.services import number_sequence_next

from .. import notifications, permissions
from ..lifecycle import (
    InputSection,
    ReviewKind,
    ReviewStatus,
    ReviewTrigger,
    SignatureDecision,
    SignedPaper,
)
from ..models import Review, ReviewAssignment, ReviewParticipant, ReviewSignature
from ._common import (
    ChainStep,
    chain_steps,
    company_today,
    display_name,
    locked,
    log_action,
    move,
    required,
    text,
    user_arg,
)

__all__ = [
    "current_step",
    "default_period",
    "previous_review",
    "review_cancel",
    "review_create",
    "review_notify",
    "review_revise",
    "review_submit",
    "review_update",
    "plan_sign",
    "sign_step",
]

S = ReviewStatus


def _date(value, message: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(message) from None
    if not isinstance(value, date):
        raise ValidationError(message)
    return value


def _number(year: int) -> str:
    seq = number_sequence_next(f"review:{year}")
    return settings.SHOUKONG_MGMT_REVIEW_NUMBER_FORMAT.format(year=year, seq=seq)


def previous_review(*, before: date, exclude: Review | None = None) -> Review | None:
    """The latest review held (or planned, not cancelled) before ``before``."""
    reviews = Review.objects.exclude(status=S.CANCELLED).filter(planned_date__lt=before)
    if exclude is not None and exclude.pk:
        reviews = reviews.exclude(pk=exclude.pk)
    return reviews.order_by("-planned_date", "-id").first()


def default_period(
    planned_date: date, *, review: Review | None = None
) -> tuple[date, date]:
    """From the day after the previous review's period to the meeting date;
    twelve months back when there is no previous review."""
    previous = previous_review(before=planned_date, exclude=review)
    if previous is not None and previous.period_end < planned_date:
        return previous.period_end + timedelta(days=1), planned_date
    months = settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS
    return planned_date - relativedelta(months=months) + timedelta(days=1), planned_date


def _default_title(kind: str, planned_date: date) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == ReviewKind.EXTRA:
            return _("Extra management review of %(date)s") % {
                "date": planned_date.isoformat()
            }
        return _("%(year)s annual management review") % {"year": planned_date.year}


def _default_texts() -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "purpose": _(
                "Judge whether the service management system, its policy and its "
                "objectives remain suitable, adequate and effective, and decide the "
                "improvements and resources needed."
            ),
            "criteria": _(
                "ISO/IEC 20000-1:2018 clause 9.3, the service management manual and "
                "the management review procedure."
            ),
            "agenda": "\n".join(
                f"{n}. {label}" for n, label in enumerate(InputSection.labels, start=1)
            ),
        }


def _chair(chair):
    if chair is not None:
        user_arg(chair, _("The chair must be an active member of staff."))
        if not (chair.is_active and permissions.can_view_reviews(chair)):
            raise ValidationError(_("The chair must be an active member of staff."))
        return chair
    return (
        get_user_model()
        .objects.filter(groups__name=GENERAL_MANAGER, is_active=True)
        .order_by("pk")
        .first()
    )


def _kind_and_trigger(
    kind: str, trigger: str, trigger_note: str
) -> tuple[str, str, str]:
    if kind not in ReviewKind.values:
        raise ValidationError(_("Unknown kind of review."))
    trigger = trigger or ""
    trigger_note = text(trigger_note)
    if kind == ReviewKind.ANNUAL:
        return kind, "", trigger_note
    if trigger not in ReviewTrigger.values:
        raise ValidationError(
            {"trigger": _("An extra review needs the event that calls for it.")}
        )
    if trigger == ReviewTrigger.OTHER and not trigger_note:
        raise ValidationError(
            {"trigger_note": _("Describe what calls for the review.")}
        )
    return kind, trigger, trigger_note


def _participants(review: Review, users: Iterable, *, chair) -> None:
    if users is None or isinstance(users, (str, bytes)):
        raise ValidationError(_("Name the participants."))
    users = [
        user_arg(u, _("Name each participant as a member of staff."))
        for u in users
        if u is not None
    ]
    if chair is not None:
        # The chair heads the list.
        users = [chair] + [u for u in users if u.pk != chair.pk]
    seen = set()
    rows = []
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        if not (user.is_active and permissions.can_view_reviews(user)):
            raise ValidationError(
                _("%(name)s cannot take part: not an active member of staff.")
                % {"name": display_name(user)}
            )
        with translation.override(settings.LANGUAGE_CODE):
            duty = _("Chair") if chair is not None and user.pk == chair.pk else ""
        rows.append(
            ReviewParticipant(
                review=review,
                user=user,
                name=display_name(user),
                department=department_of(user),
                duty=duty,
            )
        )
    review.participants.filter(invited=True).delete()
    ReviewParticipant.objects.bulk_create(rows)


def _assignments(review: Review, assignments: Iterable) -> None:
    """``assignments``: (section, department, due_date or None) triples or
    dicts with those keys."""
    rows = []
    seen = set()
    if assignments is None or isinstance(assignments, (str, bytes)):
        raise ValidationError(_("Give each input with its department."))
    for item in assignments:
        if isinstance(item, dict):
            section = item.get("section")
            department = item.get("department")
            due = item.get("due_date")
        elif isinstance(item, (list, tuple)):
            section, department, due = (list(item) + [None, None, None])[:3]
        else:
            raise ValidationError(_("Give each input with its department."))
        if section not in InputSection.values:
            raise ValidationError(
                _("Unknown review input: %(section)s") % {"section": section}
            )
        if not isinstance(department, Department) or not department.is_active:
            raise ValidationError(_("Each input is provided by an active department."))
        if due is not None:
            due = _date(due, _("Give the date the input is due."))
            if due > review.planned_date:
                raise ValidationError(_("An input cannot be due after the meeting."))
        key = (section, department.pk)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            ReviewAssignment(
                review=review, section=section, department=department, due_date=due
            )
        )
    review.assignments.all().delete()
    ReviewAssignment.objects.bulk_create(rows)


def _period(review: Review, period_start, period_end) -> None:
    start, end = default_period(review.planned_date, review=review)
    if period_start is not None:
        start = _date(period_start, _("Give the first day of the period."))
    if period_end is not None:
        end = _date(period_end, _("Give the last day of the period."))
    if start > end:
        raise ValidationError(_("The period must start before it ends."))
    review.period_start, review.period_end = start, end


@transaction.atomic
def review_create(
    *,
    user,
    planned_date,
    kind: str = ReviewKind.ANNUAL,
    trigger: str = "",
    trigger_note: str = "",
    title: str = "",
    location: str = "",
    chair=None,
    period_start=None,
    period_end=None,
    purpose: str | None = None,
    criteria: str | None = None,
    agenda: str | None = None,
    materials: str = "",
    participants: Iterable = (),
    assignments: Iterable = (),
) -> Review:
    """行政部 prepares the plan: when, where, who, what is reviewed and which
    department provides what. An extra review records its trigger."""
    permissions.ensure(permissions.can_prepare(user))
    planned_date = _date(planned_date, _("Give the meeting date."))
    kind, trigger, trigger_note = _kind_and_trigger(kind, trigger, trigger_note)
    defaults = _default_texts()
    chair = _chair(chair)
    review = Review(
        number=_number(planned_date.year),
        kind=kind,
        trigger=trigger,
        trigger_note=trigger_note,
        title=text(title, limit=200) or _default_title(kind, planned_date),
        planned_date=planned_date,
        location=text(location, limit=200),
        chair=chair,
        purpose=defaults["purpose"] if purpose is None else text(purpose),
        criteria=defaults["criteria"] if criteria is None else text(criteria),
        agenda=defaults["agenda"] if agenda is None else text(agenda),
        materials=text(materials),
        prepared_by=user,
    )
    _period(review, period_start, period_end)
    review.save()
    _participants(review, participants, chair=chair)
    _assignments(review, assignments)
    log_action(
        review,
        "review_create",
        user,
        number=review.number,
        kind=kind,
        trigger=trigger,
        planned_date=planned_date.isoformat(),
    )
    return review


_UPDATABLE = ("title", "location", "purpose", "criteria", "agenda", "materials")


@transaction.atomic
def review_update(*, user, review: Review, **changes) -> Review:
    """Change the draft plan. Keys: planned_date, kind, trigger, trigger_note,
    chair, period_start, period_end, participants, assignments and the texts
    title, location, purpose, criteria, agenda, materials."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status != S.DRAFT:
        raise ValidationError(
            _("The plan is %(status)s: revise it before changing it.")
            % {"status": review.get_status_display()}
        )
    unknown = (
        set(changes)
        - set(_UPDATABLE)
        - {
            "planned_date",
            "kind",
            "trigger",
            "trigger_note",
            "chair",
            "period_start",
            "period_end",
            "participants",
            "assignments",
        }
    )
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    changed = []
    old_planned = review.planned_date
    for field in _UPDATABLE:
        if field in changes:
            value = text(
                changes[field], limit=200 if field in ("title", "location") else None
            )
            if field == "title" and not value:
                raise ValidationError(_("Give the review a title."))
            setattr(review, field, value)
            changed.append(field)
    if "planned_date" in changes:
        review.planned_date = _date(
            changes["planned_date"], _("Give the meeting date.")
        )
        changed.append("planned_date")
    if {"kind", "trigger", "trigger_note"} & set(changes):
        review.kind, review.trigger, review.trigger_note = _kind_and_trigger(
            changes.get("kind", review.kind),
            changes.get("trigger", review.trigger),
            changes.get("trigger_note", review.trigger_note),
        )
        changed += ["kind", "trigger", "trigger_note"]
    if "chair" in changes:
        review.chair = _chair(changes["chair"])
        changed.append("chair")
    if {"period_start", "period_end", "planned_date"} & set(changes):
        start, end = review.period_start, review.period_end
        if "planned_date" in changes and (start, end) == default_period(
            old_planned, review=review
        ):
            # The period followed the meeting date: it follows it still.
            start = end = None
        _period(
            review,
            changes.get("period_start", start),
            changes.get("period_end", end),
        )
        changed += ["period_start", "period_end"]
    if "planned_date" in changes and "assignments" not in changes:
        if review.assignments.filter(due_date__gt=review.planned_date).exists():
            raise ValidationError(_("An input cannot be due after the meeting."))
    if changed:
        review.save(update_fields=sorted(set(changed)))
    if "participants" in changes or "chair" in changes:
        current = [p.user for p in review.participants.filter(invited=True)]
        _participants(review, changes.get("participants", current), chair=review.chair)
        changed.append("participants")
    if "assignments" in changes:
        _assignments(review, changes["assignments"])
        changed.append("assignments")
    if changed:
        log_action(review, "review_update", user, fields=sorted(set(changed)))
    return review


# --- Signing --------------------------------------------------------------------------


def _revision(review: Review, paper: str) -> int:
    return review.plan_revision if paper == SignedPaper.PLAN else review.report_revision


def current_step(review: Review, paper: str | None = None) -> ChainStep | None:
    """The step of the plan (in review) or of the report (reporting) awaiting
    a signature; None when nothing is being signed."""
    if paper is None:
        paper = {S.IN_REVIEW: SignedPaper.PLAN, S.REPORTING: SignedPaper.REPORT}.get(
            review.status
        )
    if paper is None:
        return None
    if (paper == SignedPaper.PLAN and review.status != S.IN_REVIEW) or (
        paper == SignedPaper.REPORT and review.status != S.REPORTING
    ):
        return None
    signed = set(
        review.signatures.filter(
            paper=paper,
            revision=_revision(review, paper),
            decision=SignatureDecision.SIGNED,
        ).values_list("step", flat=True)
    )
    return next((s for s in chain_steps(paper) if s.code not in signed), None)


def sign_step(
    *, user, review: Review, paper: str, decision: str, comment: str
) -> tuple[ChainStep, bool]:
    """Record the signature or the return of the current step of ``paper``:
    (the step, whether the chain is now complete). The caller moves the
    status."""
    step = current_step(review, paper)
    if step is None:  # pragma: no cover - the callers check the status first
        raise ValidationError(_("There is nothing to sign."))
    if not permissions.can_sign_step(user, step.role):
        # Two holders of a role signing at once: the second is told who
        # signed first rather than refused as if they had no right.
        done = (
            review.signatures.filter(
                paper=paper,
                revision=_revision(review, paper),
                decision=SignatureDecision.SIGNED,
            )
            .order_by("-signed_at", "-id")
            .first()
        )
        if done is not None and permissions.can_sign_step(user, done.role):
            raise ValidationError(
                _("This step has already been signed by %(name)s.")
                % {"name": done.signer_name}
            )
        permissions.ensure(False)
    if decision not in SignatureDecision.values:
        raise ValidationError(_("Sign or return it."))
    if (
        decision == SignatureDecision.SIGNED
        and review.signatures.filter(
            paper=paper,
            revision=_revision(review, paper),
            decision=SignatureDecision.SIGNED,
            user=user,
        ).exists()
    ):
        # One person, one signature per revision: the review and the
        # approval are two people's judgement.
        raise ValidationError(
            _("You have already signed this revision at another step.")
        )
    comment = text(comment)
    if decision == SignatureDecision.RETURNED and not comment:
        raise ValidationError(_("Say why it is returned."))
    ReviewSignature.objects.create(
        review=review,
        paper=paper,
        revision=_revision(review, paper),
        step=step.code,
        role=step.role,
        user=user,
        signer_name=display_name(user),
        decision=decision,
        comment=comment,
        signed_at=timezone.now(),
    )
    done = decision == SignatureDecision.SIGNED and current_step(review, paper) is None
    return step, done


@transaction.atomic
def review_submit(*, user, review: Review) -> Review:
    """Send the draft plan along SHOUKONG_MGMT_REVIEW_PLAN_CHAIN."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    chain_steps(SignedPaper.PLAN)
    if not review.participants.exists():
        raise ValidationError(_("Name the participants before submitting the plan."))
    move(review, S.IN_REVIEW)
    fields = ["status"]
    if review.signatures.filter(
        paper=SignedPaper.PLAN, revision=review.plan_revision
    ).exists():
        # Returned on the way: the changed plan is a new revision, signed by
        # every step again.
        review.plan_revision += 1
        fields.append("plan_revision")
    review.save(update_fields=fields)
    log_action(review, "plan_submit", user, revision=review.plan_revision)
    notifications.plan_to_sign(review=review, step=current_step(review))
    return review


@transaction.atomic
def plan_sign(*, user, review: Review, decision: str, comment: str = "") -> Review:
    """Sign or return the plan's current step; the last signature approves it
    and files it as a record."""
    review = locked(review)
    if review.status != S.IN_REVIEW:
        raise ValidationError(
            _("The plan is %(status)s; there is nothing to sign.")
            % {"status": review.get_status_display()}
        )
    step, done = sign_step(
        user=user,
        review=review,
        paper=SignedPaper.PLAN,
        decision=decision,
        comment=comment,
    )
    if decision == SignatureDecision.RETURNED:
        move(review, S.DRAFT)
        review.save(update_fields=["status"])
        log_action(
            review, "plan_return", user, step=step.code, comment=text(comment)[:200]
        )
        notifications.plan_returned(review=review, comment=text(comment))
        return review
    log_action(review, "plan_sign", user, step=step.code, role=step.role)
    if not done:
        notifications.plan_to_sign(review=review, step=current_step(review))
        return review
    move(review, S.APPROVED)
    review.plan_approved_at = timezone.now()
    review.save(update_fields=["status", "plan_approved_at"])
    log_action(review, "plan_approve", user, revision=review.plan_revision)
    from ..filing import plan_record_file

    # A form not in force is not filed: the signer is told (filing_warnings).
    review.filing_warnings = plan_record_file(user=user, review=review)
    return review


@transaction.atomic
def review_revise(*, user, review: Review, reason: str) -> Review:
    """Open an approved plan for change before the meeting: a new revision,
    signed again, and a new notice."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status != S.APPROVED:
        raise ValidationError(
            _("Only an approved plan is revised; this one is %(status)s.")
            % {"status": review.get_status_display()}
        )
    reason = required(reason, _("Say why the plan is revised."))
    move(review, S.DRAFT)
    review.plan_revision += 1
    review.plan_approved_at = None
    review.notified_at = None
    review.save(
        update_fields=["status", "plan_revision", "plan_approved_at", "notified_at"]
    )
    log_action(
        review, "plan_revise", user, revision=review.plan_revision, reason=reason[:200]
    )
    return review


@transaction.atomic
def review_cancel(*, user, review: Review, reason: str) -> Review:
    """Cancel a review before its meeting; the row and its number stay."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    reason = required(reason, _("Say why the review is cancelled."))
    move(review, S.CANCELLED)
    review.cancel_reason = reason
    review.save(update_fields=["status", "cancel_reason"])
    log_action(review, "review_cancel", user, reason=reason[:200])
    return review


@transaction.atomic
def review_notify(*, user, review: Review) -> Review:
    """Send the meeting notice to the participants and the heads of the
    departments that provide inputs; sent again after a change."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status != S.APPROVED:
        raise ValidationError(
            _("The notice goes out once the plan is approved and before the meeting.")
        )
    if review.planned_date < company_today():
        raise ValidationError(_("The meeting date has passed: revise the plan."))
    review.notified_at = timezone.now()
    review.notified_by = user
    review.save(update_fields=["notified_at", "notified_by"])
    sent_to = notifications.meeting_notice(review=review)
    log_action(review, "review_notify", user, recipients=sent_to)
    return review
