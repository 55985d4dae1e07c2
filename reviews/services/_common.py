"""What every review service shares: text checks, locking, the chains, the log."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from audits.services._common import display_name
from audits.services._common import required as _required
from audits.services._common import text as _text
from records.services import company_today

from ..lifecycle import REVIEW_TRANSITIONS, SignedPaper, ensure_transition
from ..models import Review

__all__ = [
    "ChainStep",
    "chain_steps",
    "company_today",
    "department_arg",
    "display_name",
    "locked",
    "log_action",
    "move",
    "required",
    "step_label",
    "text",
    "user_arg",
]


# The longest free text a service takes (a plan's agenda, a department's
# input, the minutes): the API refuses longer ones too.
TEXT_LIMIT = 20_000


def text(value, *, limit: int | None = TEXT_LIMIT) -> str:
    """Stripped text without NUL or control characters, at most ``limit``
    characters; anything but a string (or None) is refused."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(_("Give a text."))
    return _text(value, limit=limit)


def required(value, message: str, *, limit: int | None = TEXT_LIMIT) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError(message)
    return _required(value, message, limit=limit)


def user_arg(value, message: str):
    """``value`` if it is a user, else the ValidationError ``message`` (a
    form or an API call handing over a name or an id is refused, not a 500)."""
    if not isinstance(value, get_user_model()):
        raise ValidationError(message)
    return value


def department_arg(value, message: str):
    """``value`` if it is an active department, else ``message``."""
    from documents.models import Department

    if not isinstance(value, Department) or not value.is_active:
        raise ValidationError(message)
    return value


def log_action(instance, action: str, user, **data) -> None:
    """One ``shoukong.reviews.<action>`` entry (registered in wagtail_hooks)."""
    log(instance=instance, action=f"shoukong.reviews.{action}", user=user, data=data)


def locked(review: Review) -> Review:
    return Review.objects.select_for_update().get(pk=review.pk)


def move(review: Review, target: str) -> None:
    ensure_transition(
        REVIEW_TRANSITIONS, review.status, target, label=_("Management review")
    )
    review.status = target


# What the steps of the chains are called (their codes are in the settings).
STEP_LABELS = {
    "review": gettext_lazy("Review"),
    "approve": gettext_lazy("Approval"),
}


def step_label(code: str) -> str:
    label = STEP_LABELS.get(code)
    return str(label) if label is not None else code


@dataclass(frozen=True)
class ChainStep:
    code: str
    role: str


def chain_steps(paper: str) -> list[ChainStep]:
    """The steps of the plan's (SHOUKONG_MGMT_REVIEW_PLAN_CHAIN) or the report's
    (SHOUKONG_MGMT_REVIEW_REPORT_CHAIN) chain."""
    name = (
        "SHOUKONG_MGMT_REVIEW_PLAN_CHAIN"
        if paper == SignedPaper.PLAN
        else "SHOUKONG_MGMT_REVIEW_REPORT_CHAIN"
    )
    steps = [ChainStep(code, role) for code, role in getattr(settings, name)]
    if not steps:
        raise ValidationError(_("%(setting)s names no step.") % {"setting": name})
    return steps
