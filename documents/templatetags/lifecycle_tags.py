"""Template tags for what the lifecycle adds to pages: the document page's
approval record, copies, reading confirmation and change-request form, and the
navigation's "my tasks" badge. The reads are in :mod:`documents.views_lifecycle`.
"""

from __future__ import annotations

from django import template

from .. import views_lifecycle as lifecycle
from ..lifecycle import DocumentStatus, IssueStatus
from ..permissions import can_view_library

register = template.Library()


def _shown(context) -> dict:
    """The viewer, the document and the issue of the page being rendered."""
    request = context.get("request")
    user = getattr(request, "user", None)
    preview = bool(context.get("preview"))
    return {
        "request": request,
        "user": user,
        "page": context.get("page"),
        "issue": context.get("issue"),
        "preview": preview,
        "active": can_view_library(user) and not preview,
        "next": request.get_full_path() if request is not None else "",
    }


def _pending_issue(context, page):
    if "pending_issue" in context:
        return context.get("pending_issue")
    if page is None:
        return None
    return next((i for i in page.issue_list if i.status == IssueStatus.PENDING), None)


@register.inclusion_tag("documents/lifecycle/detail_notices.html", takes_context=True)
def lifecycle_notices(context):
    """Messages, the "approved, effective on …" note and the reading button."""
    shown = _shown(context)
    result = {**shown, "messages": context.get("messages")}
    page, issue = shown["page"], shown["issue"]
    if not shown["active"] or page is None:
        return result
    pending = _pending_issue(context, page)
    if page.status == DocumentStatus.OBSOLETE:
        pending = None
    issues = [i for i in (issue, pending) if i is not None]
    acks = []
    if issues:
        acks = list(lifecycle.pending_acknowledgements(shown["user"], issues))
    result.update(
        {
            "pending": pending,
            "pending_is_shown": pending is not None and pending == issue,
            "acknowledgements": acks,
        }
    )
    return result


@register.inclusion_tag("documents/lifecycle/detail_copies.html", takes_context=True)
def issue_copies(context):
    """The viewer's controlled copies of the issue shown, with download links."""
    shown = _shown(context)
    copies = []
    if shown["active"] and shown["issue"] is not None:
        copies = lifecycle.copies_in_hand(shown["user"], issue=shown["issue"])
    return {**shown, "copies": copies}


@register.inclusion_tag("documents/lifecycle/detail_approval.html", takes_context=True)
def issue_approval(context):
    """The signatures that released the issue shown and, for those who may edit
    the document, where a new issue stands in its approval chain."""
    shown = _shown(context)
    record, status = [], None
    if shown["active"]:
        if shown["issue"] is not None:
            record = lifecycle.approval_record(shown["issue"])
        if shown["page"] is not None:
            status = lifecycle.approval_status(shown["user"], shown["page"])
    return {**shown, "record": record, "workflow": status}


@register.inclusion_tag(
    "documents/lifecycle/detail_change_request.html", takes_context=True
)
def change_request_form(context):
    """A small form for anyone to propose a change to the document."""
    shown = _shown(context)
    page = shown["page"]
    show = (
        shown["active"]
        and page is not None
        and bool(page.number)
        and lifecycle.can_propose_change(page)
    )
    return {**shown, "show": show}


@register.simple_tag(takes_context=True)
def my_tasks_count(context) -> int:
    """Reading confirmations and recalls waiting on the signed-in user."""
    request = context.get("request")
    return lifecycle.my_tasks_count(getattr(request, "user", None))
