"""What every audit service shares: text checks, locking, the log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from records.services import company_today

__all__ = ["company_today", "display_name", "log_action", "required", "text"]

# Control characters other than tab and line breaks: PostgreSQL refuses NUL,
# and the .xlsx and .docx exports cannot carry the others.
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def text(value: str | None, *, limit: int | None = None) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(_("The text contains a NUL character."))
    if not _CONTROL.isdisjoint(value):
        raise ValidationError(_("The text contains a control character."))
    if limit is not None and len(value) > limit:
        raise ValidationError(
            _("The text is too long (at most %(limit)s characters).") % {"limit": limit}
        )
    return value


def required(value: str | None, message: str, *, limit: int | None = None) -> str:
    value = text(value, limit=limit)
    if not value:
        raise ValidationError(message)
    return value


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def log_action(instance, action: str, user, **data) -> None:
    """One ``shoukong.audits.<action>`` entry (registered in wagtail_hooks)."""
    log(instance=instance, action=f"shoukong.audits.{action}", user=user, data=data)
