"""Management reviews on the Wagtail admin dashboard and the reviews home page:
when the next review is due (flagged once more than
SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS months have passed since the last one), and
what waits for a user: plan or report steps to sign, inputs their department
must provide or sign off, packs to confirm (管理者代表), output actions they
own that are still open.

The same :func:`waiting_items` fills the "Waiting for you" section of
/reviews/ and the dashboard panel, so the two never disagree.
:func:`homepage_panels` is called from the ``construct_homepage_panels`` hook
(reviews.wagtail_hooks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component

from compliance.permissions import is_head_for
from documents.permissions import department_of

from . import permissions
from .lifecycle import InputStatus, ReviewStatus, SignedPaper
from .models import DepartmentInput, Review, ReviewAssignment, ReviewOutput
from .schedule import ScheduleStatus, schedule_status
from .services import chain_steps, company_today, current_step
from .tracking import output_state

__all__ = [
    "WaitingItem",
    "homepage_panels",
    "schedule_message",
    "sees_schedule",
    "waiting_items",
]

PANEL_LIMIT = 10

# Reviews whose departments still provide inputs (permissions._open_for_inputs).
INPUT_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED)


@dataclass(frozen=True)
class WaitingItem:
    """One thing waiting for the user: what (``kind``), on what, where."""

    kind: str  # "sign_plan", "sign_report", "input", "sign_input", "confirm", "output"
    label: str
    reference: str
    title: str
    url: str
    detail: str = ""
    overdue: bool = False


def _signing(user) -> list[WaitingItem]:
    items = []
    reviews = Review.objects.filter(
        status__in=(ReviewStatus.IN_REVIEW, ReviewStatus.REPORTING)
    ).order_by("planned_date", "id")
    for review in reviews:
        step = current_step(review)
        if step is None or not permissions.can_sign_step(user, step.role):
            continue
        if review.status == ReviewStatus.IN_REVIEW:
            kind, label = "sign_plan", _("Sign the review plan (%(role)s)")
            url = review.get_absolute_url() + "#actions"
        else:
            kind, label = "sign_report", _("Sign the review report (%(role)s)")
            url = reverse("reviews:report", kwargs={"number": review.number})
        items.append(
            WaitingItem(
                kind=kind,
                label=label % {"role": step.role},
                reference=review.number,
                title=review.title,
                url=url,
                detail=_("Meeting %(date)s")
                % {"date": review.meeting_date.isoformat()},
            )
        )
    return items


def _inputs(user, today) -> list[WaitingItem]:
    """Assignments of reviews still open for inputs whose department has no
    signed input yet, for that department's head and staff."""
    assignments = (
        ReviewAssignment.objects.filter(review__status__in=INPUT_STATUSES)
        .select_related("review", "department")
        .order_by("review__planned_date", "review_id", "id")
    )
    own = department_of(user)
    inputs = {
        (i.review_id, i.section, i.department_id): i
        for i in DepartmentInput.objects.filter(review__status__in=INPUT_STATUSES).only(
            "review_id", "section", "department_id", "status"
        )
    }
    heads: dict[int, bool] = {}
    items = []
    for assignment in assignments:
        department = assignment.department
        if department.pk not in heads:
            heads[department.pk] = is_head_for(user, department)
        head = heads[department.pk]
        if not (head or (own is not None and own.pk == department.pk)):
            continue
        found = inputs.get((assignment.review_id, assignment.section, department.pk))
        if found is not None and found.status == InputStatus.SIGNED:
            continue
        review = assignment.review
        if head and found is not None and found.status == InputStatus.DRAFT:
            kind = "sign_input"
            label = _("Sign off %(department)s's input") % {
                "department": department.name
            }
        else:
            kind = "input"
            if found is None:
                label = _("Provide %(department)s's input")
            elif found.status == InputStatus.RETURNED:
                label = _("Rework %(department)s's returned input")
            else:
                label = _("%(department)s's input awaits its head's sign-off")
            label = label % {"department": department.name}
        detail = assignment.get_section_display()
        if assignment.due_date:
            detail = _("%(section)s, due %(date)s") % {
                "section": detail,
                "date": assignment.due_date.isoformat(),
            }
        items.append(
            WaitingItem(
                kind=kind,
                label=label,
                reference=review.number,
                title=review.title,
                url=reverse("reviews:inputs", kwargs={"number": review.number}),
                detail=str(detail),
                overdue=assignment.due_date is not None and assignment.due_date < today,
            )
        )
    return items


def _packs(user) -> list[WaitingItem]:
    if not permissions.can_confirm_pack(user):
        return []
    items = []
    for review in Review.objects.filter(status=ReviewStatus.APPROVED).order_by(
        "planned_date", "id"
    ):
        pack = review.latest_pack()
        if pack is None or pack.confirmed_at is not None:
            continue
        items.append(
            WaitingItem(
                kind="confirm",
                label=_("Confirm the input pack"),
                reference=review.number,
                title=review.title,
                url=reverse("reviews:pack", kwargs={"number": review.number}),
                detail=_("Version %(version)s, compiled %(date)s")
                % {
                    "version": pack.version,
                    "date": pack.compiled_at.date().isoformat(),
                },
            )
        )
    return items


def _outputs(user, today) -> list[WaitingItem]:
    outputs = (
        ReviewOutput.objects.filter(owner=user)
        .exclude(review__status=ReviewStatus.CANCELLED)
        .select_related("review", "nonconformity", "change_request", "document")
        .order_by("due_date", "review_id", "seq")
    )
    items = []
    for output in outputs:
        state = output_state(output, today=today)
        if not state.is_open:
            continue
        items.append(
            WaitingItem(
                kind="output",
                label=_("Carry out the review action (due %(date)s)")
                % {"date": output.due_date.isoformat()},
                reference=output.reference,
                title=output.description[:80],
                url=state.url
                or reverse("reviews:outputs", kwargs={"number": output.review.number}),
                detail=state.label,
                overdue=state.overdue,
            )
        )
    return items


def waiting_items(user, *, today=None) -> list[WaitingItem]:
    """Everything waiting for ``user`` in the management reviews."""
    if not permissions.can_view_reviews(user):
        return []
    today = today or company_today()
    return [
        *_signing(user),
        *_packs(user),
        *_inputs(user, today),
        *_outputs(user, today),
    ]


# --- The schedule ---------------------------------------------------------------------


def sees_schedule(user) -> bool:
    """Whether the dashboard shows ``user`` when the next review is due: the
    preparers, 管理者代表 and the signers of the plan and the report."""
    if not permissions.can_view_reviews(user):
        return False
    if permissions.can_prepare(user) or permissions.can_confirm_pack(user):
        return True
    roles = {s.role for paper in SignedPaper.values for s in chain_steps(paper)}
    return any(permissions.can_sign_step(user, role) for role in roles)


def schedule_message(status: ScheduleStatus) -> str:
    """The schedule in one sentence (the dashboard panel, the home page)."""
    if status.level == "none":
        return _("No management review has been held yet.")
    values = {
        "last": status.last.held_on.isoformat(),
        "due": status.due.isoformat(),
        "days": abs(status.days_left),
        "months": settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS,
    }
    if status.level == "overdue":
        return (
            _(
                "Overdue: the last management review was held on %(last)s, more "
                "than %(months)s months ago; the next one was due by %(due)s "
                "(%(days)s days ago)."
            )
            % values
        )
    if status.level == "warning":
        return (
            _(
                "The next management review is due by %(due)s: %(days)s days "
                "left (the last one was held on %(last)s)."
            )
            % values
        )
    return (
        _(
            "The next management review is due by %(due)s (the last one was "
            "held on %(last)s)."
        )
        % values
    )


def planned_late_message(status: ScheduleStatus) -> str:
    if not status.planned_late or status.next_planned is None:
        return ""
    return _("%(number)s is planned for %(date)s, after the due date %(due)s.") % {
        "number": status.next_planned.number,
        "date": status.next_planned.planned_date.isoformat(),
        "due": status.due.isoformat(),
    }


# --- The panel ------------------------------------------------------------------------


class ReviewPanel(Component):
    """The dashboard panel: the schedule flag, then what waits for the user."""

    template_name = "reviews/includes/dashboard_panel.html"

    def __init__(
        self,
        *,
        name: str,
        order: int,
        heading: str,
        more_url: str,
        more_label: str,
        schedule: ScheduleStatus | None = None,
        items: list[WaitingItem] | None = None,
        count: int = 0,
    ):
        self.name = name
        self.order = order
        self.heading = heading
        self.more_url = more_url
        self.more_label = more_label
        self.schedule = schedule
        self.items = items or []
        self.count = count

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None):
        schedule = self.schedule
        return {
            "panel_id": self.name.replace("_", "-"),
            "heading": self.heading,
            "schedule": schedule,
            "schedule_message": schedule_message(schedule) if schedule else "",
            "planned_late": planned_late_message(schedule) if schedule else "",
            "items": self.items,
            "count": self.count,
            "more_url": self.more_url,
            "more_label": self.more_label,
        }


PANEL_HEADING = gettext_lazy("Management reviews")


def _flagged(status: ScheduleStatus) -> bool:
    """Worth a line on the dashboard: due soon, overdue, planned too late, or
    none held and none planned."""
    if status.level in ("warning", "overdue") or status.planned_late:
        return True
    return status.level == "none" and status.next_planned is None


def homepage_panels(request) -> list[Component]:
    """The reviews panel of ``request.user``'s dashboard; none when nothing
    waits and the schedule needs no attention."""
    user = request.user
    if not permissions.can_view_reviews(user):
        return []
    today = company_today()
    schedule = None
    if sees_schedule(user):
        status = schedule_status(today=today)
        if _flagged(status):
            schedule = status
    items = waiting_items(user, today=today)
    if schedule is None and not items:
        return []
    return [
        ReviewPanel(
            name="shoukong_reviews",
            order=127,
            heading=str(PANEL_HEADING),
            schedule=schedule,
            items=items[:PANEL_LIMIT],
            count=len(items),
            more_url=reverse("reviews:home"),
            more_label=_("Open management reviews"),
        )
    ]
