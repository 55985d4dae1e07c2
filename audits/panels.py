"""Internal audits on the Wagtail admin dashboard and the audits home page:
what waits for a user (programme steps to sign, ad hoc audit requests to
decide, audit reports to approve) and the current year's programme coverage
warning.

The same :func:`waiting_items` fills the "Waiting for you" section of
/audits/ and the dashboard panel, so the two never disagree.
:func:`homepage_panels` is called from the ``construct_homepage_panels`` hook
(audits.wagtail_hooks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component

from . import permissions
from .coverage import programme_coverage
from .lifecycle import AuditStatus, ProgrammeStatus
from .models import Audit, AuditProgramme
from .services import chain_steps, company_today, current_step

__all__ = [
    "WaitingItem",
    "coverage_warnings",
    "homepage_panels",
    "sees_coverage",
    "waiting_items",
]

PANEL_LIMIT = 10


@dataclass(frozen=True)
class WaitingItem:
    """One thing waiting for the user: what (``kind``), on what, where."""

    kind: str  # "sign", "decide" or "approve"
    label: str
    reference: str
    title: str
    url: str
    detail: str = ""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def waiting_items(user) -> list[WaitingItem]:
    """Programme steps awaiting ``user``'s signature, ad hoc audits awaiting
    their decision (管理者代表) and audit reports awaiting their approval."""
    if not permissions.can_view_audits(user):
        return []
    items: list[WaitingItem] = []
    in_review = AuditProgramme.objects.filter(
        status=ProgrammeStatus.IN_REVIEW
    ).order_by("year")
    for programme in in_review:
        step = current_step(programme)
        if step is not None and permissions.can_sign_step(user, step.role):
            items.append(
                WaitingItem(
                    kind="sign",
                    label=_("Sign the programme (%(role)s)") % {"role": step.role},
                    reference=str(programme.year),
                    title=programme.title,
                    url=programme.get_absolute_url(),
                    detail=_("Revision %(revision)s")
                    % {"revision": programme.revision},
                )
            )
    if permissions.can_decide(user):
        requested = (
            Audit.objects.filter(status=AuditStatus.REQUESTED)
            .select_related("requested_by")
            .order_by("planned_start", "id")
        )
        for audit in requested:
            items.append(
                WaitingItem(
                    kind="decide",
                    label=_("Accept or reject the ad hoc audit"),
                    reference=audit.number,
                    title=audit.title,
                    url=audit.get_absolute_url(),
                    detail=_("Requested by %(name)s")
                    % {"name": _name(audit.requested_by)},
                )
            )
    if permissions.can_approve_report(user):
        reported = Audit.objects.filter(status=AuditStatus.REPORTED).order_by(
            "planned_start", "id"
        )
        for audit in reported:
            items.append(
                WaitingItem(
                    kind="approve",
                    label=_("Approve the audit report"),
                    reference=audit.number,
                    title=audit.title,
                    url=audit.get_absolute_url(),
                )
            )
    return items


def sees_coverage(user) -> bool:
    """Whether the dashboard shows ``user`` the programme coverage warning: the
    preparers, 管理者代表 and the programme's signers."""
    if not permissions.can_view_audits(user):
        return False
    return (
        permissions.can_prepare(user)
        or permissions.can_decide(user)
        or any(permissions.can_sign_step(user, step.role) for step in chain_steps())
    )


def coverage_warnings(year: int) -> tuple[AuditProgramme | None, list[str]]:
    """The year's programme and what its coverage warns about; a year with no
    programme warns that there is none."""
    programme = AuditProgramme.objects.filter(year=year).select_related("standard")
    programme = programme.first()
    if programme is None:
        return None, [
            _("There is no internal audit programme for %(year)s yet.") % {"year": year}
        ]
    return programme, programme_coverage(programme).warnings


# --- The panels -----------------------------------------------------------------------


class AuditPanel(Component):
    """A dashboard panel: a list of linked items, or warnings, and a link on."""

    template_name = "audits/includes/coverage_panel.html"

    def __init__(
        self,
        *,
        name: str,
        order: int,
        heading: str,
        more_url: str,
        more_label: str,
        items: list[WaitingItem] | None = None,
        warnings: list[str] | None = None,
        count: int = 0,
    ):
        self.name = name
        self.order = order
        self.heading = heading
        self.more_url = more_url
        self.more_label = more_label
        self.items = items or []
        self.warnings = warnings or []
        self.count = count

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None):
        return {
            "panel_id": self.name.replace("_", "-"),
            "heading": self.heading,
            "items": self.items,
            "warnings": self.warnings,
            "count": self.count,
            "more_url": self.more_url,
            "more_label": self.more_label,
        }


WAITING_HEADING = gettext_lazy("Audits waiting for you")
COVERAGE_HEADING = gettext_lazy("Internal audit programme %(year)s")


def homepage_panels(request) -> list[Component]:
    """The audit panels of ``request.user``'s dashboard; none when nothing
    waits and the year's programme covers everything."""
    user = request.user
    if not permissions.can_view_audits(user):
        return []
    panels: list[Component] = []
    items = waiting_items(user)
    if items:
        panels.append(
            AuditPanel(
                name="shoukong_audits_waiting",
                order=125,
                heading=str(WAITING_HEADING),
                items=items[:PANEL_LIMIT],
                count=len(items),
                more_url=reverse("audits:home"),
                more_label=_("Open internal audits"),
            )
        )
    if sees_coverage(user):
        year = company_today().year
        programme, warnings = coverage_warnings(year)
        if warnings:
            more_url = (
                programme.get_absolute_url()
                if programme is not None
                else reverse("audits:programmes")
            )
            panels.append(
                AuditPanel(
                    name="shoukong_audits_coverage",
                    order=126,
                    heading=str(COVERAGE_HEADING) % {"year": year},
                    warnings=warnings,
                    more_url=more_url,
                    more_label=_("Open the programme")
                    if programme is not None
                    else _("Open the programmes"),
                )
            )
    return panels
