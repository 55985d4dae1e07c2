"""The management reviews dashboard and the follow-up tracker.

/reviews/ shows when the next review is due (a warning from
SHOUKONG_MGMT_REVIEW_WARNING_DAYS days before the interval runs out, a red flag
past it), what waits for the user, and every review with a flag when it was
(or is planned to be) held more than the interval after the one before.
/reviews/actions/ lists every output action across the reviews with its
status where it is tracked (compliance, the change request, or the output
itself), filtered by state, department and review.

Everyone in the company reads these pages; a customer representative gets a
403.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from documents.permissions import restricted_ids

from .. import panels, permissions, services
from ..forms import ActionFilters
from ..models import Review, ReviewOutput
from ..schedule import interval_flags, schedule_status
from ..tracking import output_state
from .common import reviews_staff


def _open_actions(today) -> dict[str, int]:
    counts = {"open": 0, "overdue": 0}
    outputs = ReviewOutput.objects.exclude(review__status="cancelled").select_related(
        "review", "nonconformity", "change_request", "document"
    )
    for output in outputs:
        state = output_state(output, today=today)
        if state.is_open:
            counts["open"] += 1
            if state.overdue:
                counts["overdue"] += 1
    return counts


@reviews_staff
def home(request):
    user = request.user
    today = services.company_today()
    schedule = schedule_status(today=today)
    reviews = list(
        Review.objects.select_related("chair").order_by("-planned_date", "-id")
    )
    flags = interval_flags(reviews)
    rows = [{"review": review, "exceeded": flags[review.pk]} for review in reviews]
    return render(
        request,
        "reviews/home.html",
        {
            "today": today,
            "schedule": schedule,
            "schedule_message": panels.schedule_message(schedule),
            "planned_late": panels.planned_late_message(schedule),
            "warning_days": settings.SHOUKONG_MGMT_REVIEW_WARNING_DAYS,
            "interval_months": settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS,
            "waiting": panels.waiting_items(user, today=today),
            "rows": rows,
            "actions": _open_actions(today),
            "can_prepare": permissions.can_prepare(user),
        },
    )


@reviews_staff
def actions(request):
    today = services.company_today()
    filters = ActionFilters(request.GET or None)
    state_filter = filters.value("state")
    department = filters.value("department")
    number = filters.value("review")
    outputs = (
        ReviewOutput.objects.exclude(review__status="cancelled")
        .select_related(
            "review",
            "owner",
            "department",
            "coordinator",
            "nonconformity",
            "change_request",
            "document",
        )
        .order_by("due_date", "review__planned_date", "seq")
    )
    if department is not None:
        outputs = outputs.filter(department=department)
    if number:
        outputs = outputs.filter(review__number=number)
    outputs = list(outputs)
    # A restricted document the user may not open is not named nor linked to.
    hidden = restricted_ids(request.user, {o.document for o in outputs})
    rows = []
    counts = {"open": 0, "overdue": 0, "all": 0}
    for output in outputs:
        state = output_state(output, today=today)
        document_restricted = output.document_id in hidden
        if document_restricted:
            state = replace(state, url="")
        counts["all"] += 1
        counts["open"] += state.is_open
        counts["overdue"] += state.overdue
        if state_filter == "open" and not state.is_open:
            continue
        if state_filter == "overdue" and not state.overdue:
            continue
        rows.append(
            {
                "output": output,
                "state": state,
                "owner": output.owner.get_full_name() or output.owner.get_username(),
                "document_restricted": document_restricted,
                "document_url": output.document.url
                if output.document_id and not document_restricted
                else "",
            }
        )
    return render(
        request,
        "reviews/actions.html",
        {
            "filters": filters,
            "state": state_filter,
            "rows": rows,
            "counts": counts,
            "has_filters": bool(request.GET),
            "title": _("Review actions"),
        },
    )
