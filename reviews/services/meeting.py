"""The meeting: attendance (签到), 管理者代表's report, the discussion of each
input and the conclusions, recorded by 行政部 (procedure: 行政部 takes the
minutes and the attendance). Recorded again, as corrections, until the report
goes for signature."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.permissions import department_of

from .. import permissions
from ..lifecycle import InputSection, ReviewStatus, Verdict
from ..models import Discussion, Review, ReviewParticipant
from ._common import (
    company_today,
    display_name,
    locked,
    log_action,
    move,
    text,
    user_arg,
)

__all__ = ["meeting_record"]

S = ReviewStatus
_VERDICTS = ("suitability", "adequacy", "effectiveness")
_TEXTS = (
    "mr_report",
    "evaluation",
    "conclusion_system",
    "conclusion_service",
    "conclusion_resources",
)


def _held_on(review: Review, held_on) -> date:
    if isinstance(held_on, datetime):
        held_on = held_on.date()
    if isinstance(held_on, str):
        try:
            held_on = date.fromisoformat(held_on)
        except ValueError:
            held_on = None
    if not isinstance(held_on, date):
        raise ValidationError(_("Give the date the meeting was held."))
    if held_on > company_today():
        raise ValidationError(_("A meeting cannot be recorded before it is held."))
    approved = review.plan_approved_at
    if approved is not None and held_on < timezone.localtime(approved).date():
        raise ValidationError(
            _("The meeting cannot be held before its plan was approved (%(date)s).")
            % {"date": timezone.localtime(approved).date().isoformat()}
        )
    return held_on


def _attendance(review: Review, attendees: Iterable) -> list[str]:
    """Mark who attended; people not invited are added as guests."""
    if attendees is None or isinstance(attendees, (str, bytes)):
        raise ValidationError(_("Record who attended the meeting."))
    users = [
        user_arg(u, _("Name each attendee as a member of staff."))
        for u in attendees
        if u is not None
    ]
    users = list({u.pk: u for u in users}.values())
    if not users:
        raise ValidationError(_("Record who attended the meeting."))
    now = timezone.now()
    present = {u.pk for u in users}
    names = []
    for user in users:
        if not (user.is_active and permissions.can_view_reviews(user)):
            raise ValidationError(
                _("%(name)s is not an active member of staff.")
                % {"name": display_name(user)}
            )
        row, created = ReviewParticipant.objects.get_or_create(
            review=review,
            user=user,
            defaults={
                "name": display_name(user),
                "department": department_of(user),
                "invited": False,
                "attended": True,
                "signed_in_at": now,
            },
        )
        if not created and not row.attended:
            row.attended = True
            row.signed_in_at = now
            row.save(update_fields=["attended", "signed_in_at"])
        names.append(row.name)
    review.participants.exclude(user__in=present).filter(attended=True).update(
        attended=False, signed_in_at=None
    )
    # A guest marked by mistake and not present any more leaves no row.
    review.participants.filter(invited=False, attended=False).delete()
    return names


@transaction.atomic
def meeting_record(
    *,
    user,
    review: Review,
    held_on,
    attendees: Iterable,
    discussions: Mapping[str, str] | None = None,
    **conclusions,
) -> Review:
    """Record the meeting: the date, who attended, the notes on each input and
    the conclusions (``suitability``, ``adequacy``, ``effectiveness`` as
    Verdict values; ``mr_report``, ``evaluation``, ``conclusion_system``,
    ``conclusion_service``, ``conclusion_resources`` as text). The first
    record moves the review to "meeting held"."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status in (S.DRAFT, S.IN_REVIEW):
        raise ValidationError(
            _("The plan is not approved yet: the meeting cannot be recorded.")
        )
    if review.status == S.CANCELLED:
        raise ValidationError(_("The review is cancelled."))
    if review.status not in (S.APPROVED, S.HELD):
        raise ValidationError(
            _("The report has gone for signature: the minutes can no longer change.")
        )
    permissions.ensure(permissions.can_record_meeting(user, review))
    unknown = set(conclusions) - set(_VERDICTS) - set(_TEXTS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if review.status == S.APPROVED:
        pack = review.latest_pack()
        if pack is None:
            raise ValidationError(
                _("Compile the input pack before recording the meeting.")
            )
        if (pack.period_start, pack.period_end) != (
            review.period_start,
            review.period_end,
        ):
            # The plan was revised to another period after the pack.
            raise ValidationError(
                _("The input pack covers another period: compile it again.")
            )
    review.held_on = _held_on(review, held_on)
    for name in _VERDICTS:
        if name in conclusions:
            value = conclusions[name] or ""
            if value and value not in Verdict.values:
                raise ValidationError(
                    _("Unknown conclusion: %(value)s") % {"value": value}
                )
            setattr(review, name, value)
    for name in _TEXTS:
        if name in conclusions:
            setattr(review, name, text(conclusions[name]))
    names = _attendance(review, attendees)
    if discussions is not None and not isinstance(discussions, Mapping):
        raise ValidationError(_("Give the discussion notes input by input."))
    notes = dict(discussions or {})
    bad = set(notes) - set(InputSection.values)
    if bad:
        raise ValidationError(
            _("Unknown review input: %(section)s") % {"section": ", ".join(sorted(bad))}
        )
    for section, value in notes.items():
        value = text(value)
        if value:
            Discussion.objects.update_or_create(
                review=review, section=section, defaults={"notes": value}
            )
        else:
            Discussion.objects.filter(review=review, section=section).delete()
    first = review.status == S.APPROVED
    if first:
        move(review, S.HELD)
    review.minutes_recorded_by = user
    review.save()
    log_action(
        review,
        "meeting_record" if first else "meeting_correct",
        user,
        held_on=review.held_on.isoformat(),
        attendees=names,
        sections=sorted(notes),
    )
    return review
