"""Front-end views for staff: the library, document and issue pages, the register.

Views parse the request and render; which documents appear, in which order and
under which heading is decided in :mod:`documents.library`, and what a register
row holds in :mod:`documents.register`. Every view reads a fixed number of
queries, however many documents the library holds.

Every read is ``DocumentPage.objects.visible_to(request.user)``: a restricted
document (``confidential``) is absent from the listings, the register, its
exports and their counts for those who may not read it, and its pages answer
404 to them, as for a number that does not exist. Document control sets who
reads a document and its other names on the document page
(:func:`document_access`, :func:`document_aliases`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail import hooks

from . import access, numbering
from . import library as listing
from . import register as registry
from .forms import DocumentAccessForm, DocumentAliasesForm
from .lifecycle import DocumentStatus, IssueStatus
from .models import DocumentIssue, DocumentPage
from .permissions import can_manage_access, can_read_document, can_view_library

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
    base = filters.apply(listing.listing_queryset(request.user))
    ids = listing.in_library_order(base.order_by(), group=filters.group).values_list(
        "pk", flat=True
    )
    page_size = filters.per_page or page_size
    # Counted and sliced in SQL: the order comes from the indexed number_sort.
    page_obj = Paginator(ids, page_size).get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    rows = listing.in_order(
        registry.build_rows(
            listing.listing_queryset(request.user).filter(pk__in=shown),
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


def all_rows(filters, request) -> list[registry.RegisterRow]:
    """Every register row matching ``filters`` that ``request.user`` may read, in
    library order (for exports)."""
    queryset = listing.listing_queryset(request.user)
    return registry.build_rows(filters.apply(queryset), request)


# --- Document and issue pages --------------------------------------------------------


# An issue's body and extracted text can run to megabytes: the history table
# needs neither, so they are read for the one issue shown (see _content).
HEAVY_ISSUE_FIELDS = ("body", "source_text")


def _detail_queryset(user):
    issues = DocumentIssue.objects.newest_first().defer(*HEAVY_ISSUE_FIELDS)
    return (
        DocumentPage.objects.visible_to(user)
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
    page = get_object_or_404(_detail_queryset(request.user), number=canonical)
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
    page = get_object_or_404(_detail_queryset(request.user), number=canonical)
    issue = next((i for i in page.issue_list if i.label == canonical_label), None)
    if issue is None:
        raise Http404("No such issue")
    return render_document(request, page, issue)


def _parent_document(page, user) -> dict | None:
    """The parent document (number, title, URL), if the parent is one that
    ``user`` may read."""
    parent_path = page.path[: -page.steplen]
    parent = (
        DocumentPage.objects.visible_to(user)
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
    queryset = listing.listing_queryset(request.user).child_of(page)
    return registry.build_rows(queryset, request)


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
        "parent": _parent_document(page, request.user),
        "children": _children(page, request),
        "panels": _panels(request, page),
        "type_label": registry.type_label(tier=page.tier, kind=page.kind),
        "next_review_due": page.next_review_due if is_current else None,
        "review_overdue": is_current
        and page.next_review_due is not None
        and page.next_review_due < timezone.localdate(),
        **_access_context(request, page, preview),
    }


def render_document(request, page, issue=None, preview=False):
    """Render a document page; also Wagtail's serve and preview of a document."""
    if not can_view_library(request.user):
        return redirect_to_login(request.get_full_path())
    if page.status == DocumentStatus.DRAFT and not preview:
        raise Http404("Draft documents are not published to staff")
    if not preview and not can_read_document(request.user, page):
        # Wagtail's own serve of an unnumbered document comes here too.
        raise Http404("No such document")
    return render(
        request,
        "documents/document_detail.html",
        document_context(request, page, issue, preview),
    )


# --- Who reads a document, and its other names (document control) --------------------


def _access_context(request, page, preview: bool) -> dict:
    """The forms of document control on the document page (None for others)."""
    if preview or not page.number or not can_manage_access(request.user, page):
        return {"access_form": None, "aliases_form": None}
    readers = list(page.reader_departments.values_list("pk", flat=True))
    return {
        "access_form": DocumentAccessForm(
            initial={"confidential": page.confidential, "reader_departments": readers}
        ),
        "aliases_form": DocumentAliasesForm(initial={"other_names": page.other_names}),
    }


def _managed_document(request, number: str) -> DocumentPage:
    """The document numbered ``number`` that the user may read (404 otherwise)
    and may set the readers and names of (403 otherwise)."""
    canonical = _canonical_number(number)
    page = get_object_or_404(
        DocumentPage.objects.visible_to(request.user), number=canonical
    )
    if not can_manage_access(request.user, page):
        raise PermissionDenied(_("Only document control (文控) may do this."))
    return page


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _save(request, page, form, save, success: str):
    """Validate ``form``, call ``save(data)`` (one service call), message the
    outcome and go back to the document."""
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(str(m) for m in exc.messages))
        else:
            messages.success(request, success % {"document": page.number})
    return redirect(page.get_permalink() or reverse("documents:library"))


@require_POST
@library_access_required
def document_access(request, number):
    """Restrict the document to its department and the reader departments, or
    open it to all staff again."""
    page = _managed_document(request, number)
    form = DocumentAccessForm(request.POST)
    return _save(
        request,
        page,
        form,
        lambda data: access.document_set_access(
            user=request.user,
            document=page,
            confidential=data["confidential"],
            reader_departments=data["reader_departments"],
        ),
        _("Who may read %(document)s is saved."),
    )


@require_POST
@library_access_required
def document_aliases(request, number):
    """Set the other names the document is found by."""
    page = _managed_document(request, number)
    form = DocumentAliasesForm(request.POST)
    return _save(
        request,
        page,
        form,
        lambda data: access.document_set_aliases(
            user=request.user, document=page, aliases=data["other_names"]
        ),
        _("The other names of %(document)s are saved."),
    )
