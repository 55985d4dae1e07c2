"""Statuses of controlled documents and of their issues, with their transition tables.

Pure: no ORM access. Services call :func:`ensure_transition` before they assign a
status, so "not allowed now" (:class:`InvalidTransition`) stays distinct from "not
allowed for you" (``PermissionDenied``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class InvalidTransition(Exception):
    """The requested change of status is not allowed from the current status."""

    def __init__(self, current: str, target: str, label: str = "") -> None:
        self.current = current
        self.target = target
        super().__init__(
            gettext("%(what)s cannot go from “%(current)s” to “%(target)s”.")
            % {"what": label or gettext("Status"), "current": current, "target": target}
        )


class DocumentKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    PROCEDURE = "procedure", _("Procedure")
    INSTRUCTION = "instruction", _("Work instruction")
    FORM = "form", _("Form")
    OTHER = "other", _("Other document")
    EXTERNAL = "external", _("External document")


TIER_OF_KIND: dict[str, int | None] = {
    DocumentKind.MANUAL: 1,
    DocumentKind.PROCEDURE: 2,
    DocumentKind.INSTRUCTION: 3,
    DocumentKind.FORM: 4,
    DocumentKind.OTHER: None,
    DocumentKind.EXTERNAL: None,
}

NUMBERED_KINDS = frozenset(
    {
        DocumentKind.MANUAL,
        DocumentKind.PROCEDURE,
        DocumentKind.INSTRUCTION,
        DocumentKind.FORM,
    }
)


class Tier(models.IntegerChoices):
    MANUAL = 1, _("Tier 1 · manual")
    PROCEDURE = 2, _("Tier 2 · procedure")
    INSTRUCTION = 3, _("Tier 3 · work instruction")
    FORM = 4, _("Tier 4 · form")


class DocumentStatus(models.TextChoices):
    """Where a document stands as a whole (ISO/IEC 20000-1:2018 7.5.3)."""

    DRAFT = "draft", _("Draft")
    CONTROLLED = "controlled", _("Controlled")
    OBSOLETE = "obsolete", _("Obsolete")
    EXTERNAL = "external", _("External")


DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    # The first approved issue puts a draft under control.
    DocumentStatus.DRAFT: frozenset({DocumentStatus.CONTROLLED}),
    # Withdrawal without replacement makes a document obsolete; its number stays.
    DocumentStatus.CONTROLLED: frozenset({DocumentStatus.OBSOLETE}),
    DocumentStatus.EXTERNAL: frozenset({DocumentStatus.OBSOLETE}),
    DocumentStatus.OBSOLETE: frozenset(),
}


class IssueStatus(models.TextChoices):
    """The status of one approved release (issue A, B, …) of a document."""

    PENDING = "pending", _("Approved, not yet effective")
    EFFECTIVE = "effective", _("Effective")
    SUPERSEDED = "superseded", _("Superseded")
    OBSOLETE = "obsolete", _("Obsolete")


ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    IssueStatus.PENDING: frozenset({IssueStatus.EFFECTIVE, IssueStatus.OBSOLETE}),
    # A newer issue supersedes the effective one; withdrawal makes it obsolete.
    IssueStatus.EFFECTIVE: frozenset({IssueStatus.SUPERSEDED, IssueStatus.OBSOLETE}),
    IssueStatus.SUPERSEDED: frozenset(),
    IssueStatus.OBSOLETE: frozenset(),
}

# Issues that are no longer in force carry the 作废 banner wherever they are shown.
VOID_ISSUE_STATUSES = frozenset({IssueStatus.SUPERSEDED, IssueStatus.OBSOLETE})


def can_transition(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    return target in table.get(current, frozenset())


def ensure_transition(
    table: dict[str, frozenset[str]], current: str, target: str, *, label: str = ""
) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is in ``table``."""
    if not can_transition(table, current, target):
        raise InvalidTransition(current, target, label)
