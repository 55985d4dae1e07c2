"""Front-end views for staff: the library, document and issue pages, the register.

Views parse the request and render; which documents appear, in which order and
under which heading is decided in :mod:`documents.library`, and what a register
row holds in :mod:`documents.register`. Every view reads a fixed number of
queries, however many documents the library holds.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from . import library as listing
from . import numbering
from . import register as registry
from .lifecycle import DocumentStatus, IssueStatus
from .models import DocumentIssue, DocumentPage
from .permissions import can_view_library

# Rows per page of the HTML listings (staff may pick 50, 100 or 200); exports
# always hold every row. Each page sorts the whole library by number, so on a
# library of 5,000 documents a page costs ~25 ms before its first row; see
# bench/library.py.
LIBRARY_PAGE_SIZE = 100
REGISTER_PAGE_SIZE = 50

library_access_required = user_passes_test(can_view_library)


def home(request):
    from .permissions import CUSTOMER_REPRESENTATIVE, has_role

    # A customer representative reads only the records named to them.
    if has_role(request.user, CUSTOMER_REPRESENTATIVE):
        return redirect("records:list")
    return redirect("documents:library")


# --- Listings ----------------------------------------------------------------------


def _listing_context(request, filters, *, page_size: int) -> dict:
    """Filter, order naturally and page the documents; rows of the shown page."""
    base = filters.apply(DocumentPage.objects.visible_to_staff())
    ids = listing.in_library_order(base.order_by(), group=filters.group).values_list(
        "pk", flat=True
    )
    page_size = filters.per_page or page_size
    # Counted and sliced in SQL: the order comes from the indexed number_sort.
    page_obj = Paginator(ids, page_size).get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    rows = listing.in_order(
        registry.build_rows(
            listing.listing_queryset().filter(pk__in=shown),
            request,
            group=filters.group,
        ),
        shown,
    )
    return {
        "filters": filters,
        "rows": rows,
        "total": page_obj.paginator.count,
        "page_obj": page_obj,
        "is_paginated": page_obj.has_other_pages(),
        "filter_query": urlencode(filters.query_items()),
        "departments": listing.active_departments(),
        "tier_choices": listing.tier_choices(),
        "status_choices": listing.status_choices(),
        "page_size": page_size,
        "page_sizes": listing.PAGE_SIZES,
    }


@library_access_required
def library(request):
    filters = listing.LibraryFilters.from_query(request.GET)
    context = _listing_context(request, filters, page_size=LIBRARY_PAGE_SIZE)
    context["groups"] = listing.group_rows(context["rows"], by=filters.group)
    context["columns"] = [str(label) for label in listing.LIBRARY_COLUMNS]
    context["label_style"] = listing.css_labels(context["columns"])
    return render(request, "documents/library.html", context)


@library_access_required
def register(request):
    filters = listing.LibraryFilters.from_query(request.GET)
    export_format = request.GET.get("format")
    if export_format in registry.EXPORT_FORMATS:
        return registry.export_response(all_rows(filters, request), export_format)
    context = _listing_context(request, filters, page_size=REGISTER_PAGE_SIZE)
    context["headings"] = registry.headings()
    context["label_style"] = listing.css_labels(context["headings"])
    context["export_query"] = urlencode(filters.query_items(group="", per_page=""))
    return render(request, "documents/register.html", context)


def all_rows(filters, request=None) -> list[registry.RegisterRow]:
    """Every register row matching ``filters``, in library order (for exports)."""
    return registry.build_rows(filters.apply(listing.listing_queryset()), request)


# --- Document and issue pages --------------------------------------------------------


# An issue's body and extracted text can run to megabytes: the history table
# needs neither, so they are read for the one issue shown (see _content).
HEAVY_ISSUE_FIELDS = ("body", "source_text")


def _detail_queryset():
    issues = DocumentIssue.objects.newest_first().defer(*HEAVY_ISSUE_FIELDS)
    return (
        DocumentPage.objects.visible_to_staff()
        .select_related("department", "source_file")
        .defer("body", "source_text")
        .prefetch_related(
            Prefetch("issues", queryset=issues, to_attr="prefetched_issues")
        )
    )


def _content(page, issue, preview: bool) -> dict:
    """Title, body, source file and extracted text of the issue shown (as it was
    released), or of the page itself in a preview or before any issue."""
    if issue is not None and not preview:
        if any(f in issue.get_deferred_fields() for f in HEAVY_ISSUE_FIELDS):
            issue = DocumentIssue.objects.select_related("source_file").get(pk=issue.pk)
        return {
            "title": issue.title,
            "body": issue.body,
            "source_file": issue.source_file,
            "source_text": issue.source_text,
        }
    return {
        "title": page.title,
        "body": str(page.body or ""),
        "source_file": page.source_file,
        "source_text": page.source_text,
    }


def _canonical_number(number: str) -> str:
    return numbering.get_scheme().normalise(number)


@library_access_required
def document_detail(request, number):
    canonical = _canonical_number(number)
    if canonical != number:
        return redirect(
            reverse("documents:detail", kwargs={"number": canonical}), permanent=True
        )
    page = get_object_or_404(_detail_queryset(), number=canonical)
    return render_document(request, page)


@library_access_required
def issue_detail(request, number, label):
    canonical, canonical_label = _canonical_number(number), label.upper()
    if (canonical, canonical_label) != (number, label):
        return redirect(
            reverse(
                "documents:issue",
                kwargs={"number": canonical, "label": canonical_label},
            ),
            permanent=True,
        )
    page = get_object_or_404(_detail_queryset(), number=canonical)
    issue = next((i for i in page.issue_list if i.label == canonical_label), None)
    if issue is None:
        raise Http404("No such issue")
    return render_document(request, page, issue)


def _parent_document(page) -> dict | None:
    """The parent document (number, title, URL), if the parent is one."""
    parent_path = page.path[: -page.steplen]
    parent = (
        DocumentPage.objects.visible_to_staff()
        .filter(path=parent_path)
        .values("number", "title")
        .first()
    )
    if parent is None:
        return None
    url = (
        reverse("documents:detail", kwargs={"number": parent["number"]})
        if parent["number"]
        else None
    )
    return {**parent, "url": url}


def _children(page, request) -> list[registry.RegisterRow]:
    rows = registry.build_rows(listing.listing_queryset().child_of(page), request)
    return rows


# Other apps add a section to the document page (the clauses a document
# answers, ...): ``fn(request, page)`` returns safe HTML, or None to add nothing.
DOCUMENT_PANELS_HOOK = "shoukong_document_panels"


def _panels(request, page) -> list:
    panels = []
    for fn in hooks.get_hooks(DOCUMENT_PANELS_HOOK):
        html = fn(request, page)
        if html:
            panels.append(html)
    return panels


def document_context(request, page, issue=None, preview=False) -> dict:
    """What the document page shows: one issue's snapshot, or (preview) the draft."""
    current = page.current_issue
    if issue is None and not preview:
        issue = current or page.released_issue or page.latest_issue
    content = _content(page, issue, preview)
    document_obsolete = page.status == DocumentStatus.OBSOLETE
    is_void = not preview and (
        document_obsolete or (issue is not None and issue.is_void)
    )
    is_current = (
        not preview
        and issue is not None
        and issue.status == IssueStatus.EFFECTIVE
        and page.status == DocumentStatus.CONTROLLED
    )
    return {
        "page": page,
        "document": page,
        "issue": issue,
        "current_issue": current,
        "pending_issue": page.pending_issue,
        "issues": page.issue_list,
        "content": content,
        "preview": preview,
        "is_void": is_void,
        "is_current": is_current,
        "document_obsolete": document_obsolete,
        "parent": _parent_document(page),
        "children": _children(page, request),
        "panels": _panels(request, page),
        "type_label": registry.type_label(tier=page.tier, kind=page.kind),
        "next_review_due": page.next_review_due if is_current else None,
        "review_overdue": is_current
        and page.next_review_due is not None
        and page.next_review_due < timezone.localdate(),
    }


def render_document(request, page, issue=None, preview=False):
    """Render a document page; also Wagtail's serve and preview of a document."""
    if not can_view_library(request.user):
        return redirect_to_login(request.get_full_path())
    if page.status == DocumentStatus.DRAFT and not preview:
        raise Http404("Draft documents are not published to staff")
    return render(
        request,
        "documents/document_detail.html",
        document_context(request, page, issue, preview),
    )
