"""The one error the stamping package raises for bad input, and its translator."""

from __future__ import annotations

import re
from typing import Final

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext, pgettext

__all__ = ["StampingError", "clean_text"]

# C0/C1 controls (but tab and newline), lone surrogates and non-characters: none
# of them can be drawn, and some make reportlab or the UTF-16 encoders fail.
_UNDRAWABLE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def _(message: str) -> str:
    """Translate ``message``; fall back to the source text when Django isn't ready."""
    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


def _p(context: str, message: str) -> str:
    """Translate ``message`` in ``context``; the source text if Django isn't ready."""
    try:
        return pgettext(context, message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


def clean_text(value: object) -> str:
    """``value`` as text without characters that cannot be drawn."""
    return _UNDRAWABLE.sub("", str(value))


class StampingError(ValueError):
    """A PDF could not be read or stamped. ``message`` is translated for humans."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
