"""Template helpers of the compliance pages."""

from __future__ import annotations

from django import template

from .. import permissions
from ..lifecycle import ResponsibilityLevel

register = template.Library()

MARKS = {ResponsibilityLevel.PRIMARY: "★", ResponsibilityLevel.SUPPORTING: "☆"}


@register.filter
def responsibility_mark(level: str) -> str:
    """★ for a primary department, ☆ for a supporting one."""
    return MARKS.get(level, "")


@register.inclusion_tag("compliance/clause_subnav.html", takes_context=True)
def compliance_subnav(context, current: str = ""):
    """The compliance pages, with the one shown marked."""
    user = context["request"].user
    standard = context.get("standard")
    return {
        "current": current,
        "standard": getattr(standard, "ref_id", ""),
        "can_view_reports": permissions.can_view_reports(user),
    }
