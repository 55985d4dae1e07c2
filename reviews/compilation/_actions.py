"""Actions from previous reviews, with the status their nonconformity,
change request or own follow-up gives them now."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models.functions import Coalesce
from django.urls import reverse

from compliance.lifecycle import NonconformityStatus

from ..lifecycle import OutputKind, ReviewStatus
from ..models import Review, ReviewOutput
from ..tracking import OutputState, output_state
from ._common import Period, iso, name

__all__ = ["previous_actions"]

# Reviews whose meeting has been held.
HELD_STATUSES = (ReviewStatus.HELD, ReviewStatus.REPORTING, ReviewStatus.COMPLETED)


def _status_group(state: OutputState) -> str:
    """The status of ``state`` without the nonconformity's number, to count by."""
    if state.code.startswith("nc:"):
        return str(NonconformityStatus(state.code[3:]).label)
    return state.label


def previous_actions(period: Period) -> dict[str, Any]:
    """The outputs of earlier reviews (met before this one, not cancelled)
    still open, and every output of the last review held."""
    review, today = period.review, period.today
    earlier = (
        Review.objects.exclude(pk=review.pk)
        .exclude(status=ReviewStatus.CANCELLED)
        .alias(meeting_on=Coalesce("held_on", "planned_date"))
        .filter(meeting_on__lt=review.meeting_date)
    )
    last_held = (
        earlier.filter(status__in=HELD_STATUSES)
        .order_by("-held_on", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    outputs = (
        ReviewOutput.objects.filter(review__in=earlier)
        .select_related(
            "review",
            "owner",
            "department",
            "nonconformity",
            "change_request",
            "document",
        )
        .defer("document__body", "document__source_text")
        .order_by("review__planned_date", "review_id", "seq")
    )
    rows = []
    by_status: Counter = Counter()
    for output in outputs:
        state = output_state(output, today=today)
        if not state.is_open and output.review_id != last_held:
            continue
        nc = output.nonconformity if output.nonconformity_id else None
        by_status[_status_group(state)] += 1
        rows.append(
            {
                "reference": output.reference,
                "review": output.review.number,
                "kind": output.kind,
                "kind_label": str(OutputKind(output.kind).label),
                "description": output.description,
                "owner": name(output.owner),
                "department": output.department.name,
                # An extension granted in compliance moves the due date.
                "due_date": iso((nc.due_date if nc else None) or output.due_date),
                "status": state.code,
                "status_label": state.label,
                # The status without the nonconformity's number, to group by.
                "status_group": _status_group(state),
                "open": state.is_open,
                "overdue": state.overdue,
                "url": state.url
                or reverse("reviews:outputs", kwargs={"number": output.review.number}),
                "nonconformity": nc.number if nc else None,
                "last_review": output.review_id == last_held,
            }
        )
    still_open = sum(1 for row in rows if row["open"])
    return {
        "source": "reviews",
        "source_url": reverse("reviews:actions"),
        "summary": {
            "total": len(rows),
            "open": still_open,
            "closed": len(rows) - still_open,
            "overdue": sum(1 for row in rows if row["overdue"]),
            "by_status": dict(by_status.most_common()),
        },
        "rows": rows,
    }
