"""Nonconformities on the Wagtail admin dashboard: the overdue actions a user
answers for, and what waits for them (ISO/IEC 20000-1:2018 10.1; the
corrective and preventive action procedure's follow-up).

The same rules pick the "Waiting for you" section and the ``mine=1`` filter of
the nonconformity list, so the dashboard and the list never disagree.
:func:`homepage_panels` is called from the ``construct_homepage_panels`` hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component

from documents.models import Department
from documents.permissions import has_role
from documents.roles import GENERAL_MANAGER

from . import nonconformities as nc_services
from . import permissions
from .lifecycle import ACTION_DUE_STATUSES, Decision
from .lifecycle import NonconformityStatus as S
from .models import Extension, Nonconformity

__all__ = [
    "WaitingItem",
    "headed_departments",
    "homepage_panels",
    "overdue_for",
    "waiting_for",
    "waiting_items",
    "waiting_rules",
]

PANEL_LIMIT = 10


# --- Who answers for what ---------------------------------------------------------


def headed_departments(user) -> list[Department]:
    """The departments whose plans ``user`` accepts (their 部门经理, or the
    headless departments' acceptors)."""
    if not permissions.can_view_compliance(user):
        return []
    return [
        department
        for department in Department.objects.filter(is_active=True)
        if permissions.is_head_for(user, department)
    ]


@dataclass(frozen=True)
class WaitingRule:
    key: str
    label: str
    condition: Q


def waiting_rules(user, *, heads: list[Department] | None = None) -> list[WaitingRule]:
    """Each kind of step that waits for ``user``, with the nonconformities it
    selects: drafts to approve, plans to make or accept, actions they own
    under way, actions to verify or close, extensions to decide."""
    if not permissions.can_view_compliance(user):
        return []
    heads = headed_departments(user) if heads is None else heads
    rules = []
    if permissions.can_approve(user):
        rules.append(
            WaitingRule("approve", _("Approve the finding"), Q(status=S.DRAFT))
        )
    if heads:
        rules.append(
            WaitingRule(
                "plan",
                _("Plan the action"),
                Q(status=S.RAISED, department__in=heads),
            )
        )
        rules.append(
            WaitingRule(
                "accept",
                _("Accept or return the plan"),
                Q(status=S.PLANNED, department__in=heads),
            )
        )
    rules.append(
        WaitingRule(
            "implement",
            _("Implement the action"),
            Q(status__in=ACTION_DUE_STATUSES, owner=user),
        )
    )
    if permissions.is_verifier(user):
        # Never one's own action (permissions.can_verify).
        rules.append(
            WaitingRule(
                "verify",
                _("Verify its effectiveness"),
                Q(status=S.IMPLEMENTED) & ~Q(owner=user),
            )
        )
        rules.append(
            WaitingRule(
                "close", _("Close the action"), Q(status=S.EFFECTIVE) & ~Q(owner=user)
            )
        )
    if permissions.can_decide_extension(user):
        pending = Extension.objects.filter(decision=Decision.PENDING).values(
            "nonconformity"
        )
        rules.append(
            WaitingRule(
                "extension", _("Decide the extension request"), Q(pk__in=pending)
            )
        )
    return rules


def waiting_for(
    user, queryset: QuerySet | None = None, *, rules: list[WaitingRule] | None = None
) -> QuerySet:
    """The nonconformities in ``queryset`` that wait for ``user`` (``mine=1``)."""
    queryset = permissions.visible_nonconformities(user, queryset)
    rules = waiting_rules(user) if rules is None else rules
    if not rules:
        return queryset.none()
    condition = Q()
    for rule in rules:
        condition |= rule.condition
    return queryset.filter(condition)


@dataclass
class WaitingItem:
    nonconformity: Nonconformity
    reasons: list[str] = field(default_factory=list)


def waiting_items(user, *, limit: int = PANEL_LIMIT) -> tuple[int, list[WaitingItem]]:
    """How many nonconformities wait for ``user``, and the first ``limit`` of
    them (oldest due date first) with what each waits for."""
    rules = waiting_rules(user)
    if not rules:
        return 0, []
    visible = permissions.visible_nonconformities(user).for_listing()
    items: dict[int, WaitingItem] = {}
    for rule in rules:
        for nc in visible.filter(rule.condition)[:limit]:
            items.setdefault(nc.pk, WaitingItem(nc)).reasons.append(rule.label)
    if not items:
        return 0, []
    count = waiting_for(user, rules=rules).count()
    ordered = sorted(
        items.values(),
        key=lambda item: (
            item.nonconformity.due_date or date.max,
            item.nonconformity.raised_at,
        ),
    )
    return count, ordered[:limit]


def overdue_for(user, today: date, queryset: QuerySet | None = None) -> QuerySet:
    """Overdue actions ``user`` follows: all of them for the verifiers,
    管理者代表 and 总经理; their departments' for department heads; the ones
    they own for everyone else."""
    queryset = permissions.visible_nonconformities(user, queryset).overdue(today)
    if not permissions.can_view_compliance(user):
        return queryset.none()
    if permissions.is_verifier(user) or has_role(user, GENERAL_MANAGER):
        return queryset
    condition = Q(owner=user)
    heads = headed_departments(user)
    if heads:
        condition |= Q(department__in=heads)
    return queryset.filter(condition)


# --- The panels -------------------------------------------------------------------


def _list_url(**query: str) -> str:
    from urllib.parse import urlencode

    return reverse("compliance:nonconformities") + "?" + urlencode(query)


def _row(nc: Nonconformity, today: date, reasons: list[str] | None = None) -> dict:
    owner = nc.owner
    return {
        "number": nc.number,
        "url": nc.get_absolute_url(),
        "title": nc.title,
        "department": nc.department.name,
        "owner": (owner.get_full_name() or owner.get_username()) if owner else "",
        "due_date": nc.due_date,
        "overdue": nc.is_overdue(today),
        "status": nc.get_status_display(),
        "reasons": reasons or [],
    }


class NonconformityPanel(Component):
    """A dashboard table of nonconformities; built with its rows."""

    template_name = "compliance/panels/nonconformities.html"

    def __init__(
        self,
        *,
        name: str,
        order: int,
        heading: str,
        rows: list[dict],
        count: int,
        more_url: str,
        show_reasons: bool = False,
    ):
        self.name = name
        self.order = order
        self.heading = heading
        self.rows = rows
        self.count = count
        self.more_url = more_url
        self.show_reasons = show_reasons

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None):
        return {
            "panel_id": self.name.replace("_", "-"),
            "heading": self.heading,
            "rows": self.rows,
            "count": self.count,
            "more_url": self.more_url,
            "show_reasons": self.show_reasons,
        }


OVERDUE_HEADING = gettext_lazy("Overdue corrective actions")
WAITING_HEADING = gettext_lazy("Nonconformities waiting for you")


def homepage_panels(request) -> list[Component]:
    """The compliance panels of ``request.user``'s dashboard; none when nothing
    is overdue or waiting for them."""
    user = request.user
    if not permissions.can_view_compliance(user):
        return []
    today = nc_services.company_today()
    panels: list[Component] = []
    overdue = overdue_for(user, today).for_listing().order_by("due_date", "number")
    count = overdue.count()
    if count:
        panels.append(
            NonconformityPanel(
                name="shoukong_compliance_overdue",
                order=120,
                heading=str(OVERDUE_HEADING),
                rows=[_row(nc, today) for nc in overdue[:PANEL_LIMIT]],
                count=count,
                more_url=_list_url(overdue="1"),
            )
        )
    count, items = waiting_items(user)
    if count:
        panels.append(
            NonconformityPanel(
                name="shoukong_compliance_waiting",
                order=121,
                heading=str(WAITING_HEADING),
                rows=[_row(i.nonconformity, today, i.reasons) for i in items],
                count=count,
                more_url=_list_url(mine="1"),
                show_reasons=True,
            )
        )
    return panels
