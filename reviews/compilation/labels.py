"""What the pack's summary keys are called, for the pack page and the report
(one map, so the two never disagree)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["AGE_LABELS", "SUMMARY_LABELS", "count_items"]

SUMMARY_LABELS = {
    "total": pgettext_lazy("review pack", "Total"),
    "open": pgettext_lazy("review pack", "Open"),
    "closed": pgettext_lazy("review pack", "Closed"),
    "overdue": pgettext_lazy("review pack", "Overdue"),
    "met": _("Target met"),
    "not_met": _("Target not met"),
    "unmeasured": _("Not measured"),
    "no_target": _("No target set"),
    "audits": _("Audits"),
    "completed": pgettext_lazy("review pack", "Completed"),
    "findings": _("Findings"),
    "open_findings": _("Open findings"),
    "raised_in_period": _("Raised in the period"),
    "closed_in_period": _("Closed in the period"),
    "issued_in_period": _("Issued in the period"),
    "reviews_overdue": _("Reviews overdue"),
    "recalls_overdue": _("Recalls overdue"),
    "open_change_requests": _("Open change requests"),
    "controlled": _("Controlled documents"),
    "past_retention": _("Records past retention"),
    "disposable": _("Ready for disposal"),
    "inputs": _("Signed inputs"),
    "by_status": _("By status"),
    "by_status_label": _("By status"),
    "by_age": _("Open, by age"),
    "by_clause": _("By clause"),
    "by_grade": _("By grade"),
    "by_form": _("By form"),
}

AGE_LABELS = {
    "lt30": _("under 30 days"),
    "30to90": _("30 to 90 days"),
    "gt90": _("over 90 days"),
}


def count_items(key: str, counts) -> list[tuple[str, object]]:
    """``(label, value)`` of a summary's counts in reading order. PostgreSQL
    keeps a JSON object's keys in its own order, so the age buckets are put
    back in theirs here, wherever the pack is shown."""
    if key != "by_age":
        return [(str(k), v) for k, v in counts.items()]
    known = [(str(AGE_LABELS[k]), counts[k]) for k in AGE_LABELS if k in counts]
    return known + [(str(k), v) for k, v in counts.items() if k not in AGE_LABELS]
