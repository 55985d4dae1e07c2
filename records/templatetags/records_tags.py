"""Template helpers of the records pages and the site navigation."""

from __future__ import annotations

from django import template

from documents.permissions import department_of

from .. import permissions

register = template.Library()


@register.filter
def is_customer_representative(user) -> bool:
    """Customer representatives read only the records named to them: the
    navigation hides the library, the register and "my tasks" from them."""
    if not getattr(user, "is_authenticated", False):
        return False
    return permissions.is_customer_representative(user)


@register.inclusion_tag("records/includes/subnav.html", takes_context=True)
def records_subnav(context, current: str = ""):
    """The records pages this user may open."""
    user = context["request"].user
    staff = not permissions.is_customer_representative(user)
    own = department_of(user)
    return {
        "current": current,
        "can_fill": permissions.can_fill(user),
        "show_types": staff,
        "show_disposal": permissions.is_records_controller(user)
        or (own is not None and permissions.can_request_disposal(user, own)),
        "show_events": permissions.can_record_event(user)
        or permissions.reads_all_records(user),
    }
