"""The words search shows for kinds and statuses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import EntryKind

DOCUMENT_STATUS_LABELS = {
    "effective": pgettext_lazy("search status", "Controlled"),
    "pending": _("Published, not yet effective"),
    "superseded": pgettext_lazy("search status", "Obsolete"),
    "obsolete": pgettext_lazy("search status", "Obsolete"),
    "external": pgettext_lazy("search status", "External"),
    "draft": pgettext_lazy("search status", "Draft"),
}
CLAUSE_STATUS_LABELS = {
    "active": pgettext_lazy("clause", "Active"),
    "inactive": pgettext_lazy("clause", "Inactive"),
}
# The statuses the status filter offers, by kind.
STATUS_FILTERS = ("effective", "pending", "external", "obsolete", "draft")


def kind_choices() -> list[tuple[str, object]]:
    return list(EntryKind.choices)


def status_label(kind: str, status: str):
    if kind in (EntryKind.DOCUMENT, EntryKind.FORM):
        return DOCUMENT_STATUS_LABELS.get(status, status)
    if kind == EntryKind.RECORD:
        from records.lifecycle import RecordStatus

        return _choice_label(RecordStatus, status)
    if kind == EntryKind.NONCONFORMITY:
        from compliance.lifecycle import NonconformityStatus

        return _choice_label(NonconformityStatus, status)
    if kind == EntryKind.FINDING:
        from audits.lifecycle import ItemResult

        return _choice_label(ItemResult, status)
    if kind == EntryKind.CLAUSE:
        return CLAUSE_STATUS_LABELS.get(status, status)
    return status


def _choice_label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


def is_void(kind: str, status: str) -> bool:
    """Shown with the 作废 mark."""
    return kind in (EntryKind.DOCUMENT, EntryKind.FORM) and status in (
        "superseded",
        "obsolete",
    )
