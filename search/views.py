"""The staff search page and its autocomplete.

Both only parse the request and render: what is found, for whom, and in which
order is decided by :mod:`search.service`. A wrong filter is shown next to its
field and left out; no query, however odd, is an error.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from documents.lifecycle import Tier
from documents.models import Department

from . import labels, service
from .service import MAX_OFFSET, SearchFilters

PER_PAGE = 20
FACETS = ("kind", "department", "tier")
# The query is echoed into the search box as typed, up to this length (the
# service searches at most analysis.MAX_QUERY_LENGTH characters of it).
ECHO_CHARS = 500
# Filters that narrow a search (the query itself and paging are not filters).
FILTER_PARAMS = (
    "kind",
    "tier",
    "department",
    "clause",
    "status",
    "date_from",
    "date_to",
    "include_obsolete",
)


def _offset(value) -> int:
    try:
        offset = int(str(value or "0").strip())
    except ValueError:
        return 0
    return max(0, min(offset, MAX_OFFSET))


def _query(params, **changes) -> str:
    """``params`` (a QueryDict) as a query string, with ``changes`` applied
    (a value of None drops the parameter)."""
    items = []
    for key in params:
        if key in changes:
            continue
        items.extend((key, value) for value in params.getlist(key))
    for key, value in changes.items():
        if value is not None:
            items.append((key, value))
    return urlencode(items)


def _kind_options(filters: SearchFilters, counts: dict) -> list[dict]:
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value),
            "checked": value in filters.kinds,
        }
        for value, label in labels.kind_choices()
    ]


def _tier_options(filters: SearchFilters, counts: dict) -> list[dict]:
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value),
            "selected": filters.tier == value,
        }
        for value, label in Tier.choices
    ]


def _department_options(filters: SearchFilters, counts: dict) -> list[dict]:
    shown = {pk for pk in counts if pk}
    if filters.department:
        shown.add(filters.department)
    departments = Department.objects.filter(Q(is_active=True) | Q(pk__in=shown))
    return [
        {
            "value": department.pk,
            "label": department.name,
            "count": counts.get(department.pk),
            "selected": filters.department == department.pk,
        }
        for department in departments
    ]


def _status_options(filters: SearchFilters, may_include_obsolete: bool) -> list:
    options = []
    for value in labels.STATUS_FILTERS:
        if value == "obsolete" and not may_include_obsolete:
            continue
        options.append(
            {
                "value": value,
                "label": labels.DOCUMENT_STATUS_LABELS[value],
                "selected": filters.status == value,
            }
        )
    return options


@login_required
@require_GET
def search_page(request):
    params = request.GET
    raw = params.get("q", "")
    filters, errors = SearchFilters.from_params(params)
    may_include_obsolete = service.may_include_obsolete(request.user)
    results = service.search(
        request.user,
        raw,
        filters=filters,
        offset=_offset(params.get("offset")),
        per_page=PER_PAGE,
        facets=FACETS,
    )
    offset = results.offset
    shown = len(results.results)
    previous_offset = next_offset = None
    if offset > 0:
        previous_offset = max(0, offset - results.per_page)
    more = offset + results.per_page < results.total or not results.total_exact
    if more and offset + results.per_page <= MAX_OFFSET:
        next_offset = offset + results.per_page
    filtered = any(params.get(name) for name in FILTER_PARAMS)
    context = {
        "q": raw[:ECHO_CHARS],
        "results": results,
        "filters": filters,
        "errors": errors,
        "filtered": filtered,
        "may_include_obsolete": may_include_obsolete,
        "kind_options": _kind_options(filters, results.facets.get("kind", {})),
        "tier_options": _tier_options(filters, results.facets.get("tier", {})),
        "department_options": _department_options(
            filters, results.facets.get("department", {})
        ),
        "status_options": _status_options(filters, may_include_obsolete),
        "first_number": offset + 1,
        "last_number": offset + shown,
        "previous_query": (
            None
            if previous_offset is None
            else _query(params, offset=str(previous_offset or "") or None)
        ),
        "next_query": (
            None if next_offset is None else _query(params, offset=str(next_offset))
        ),
        "first_page_query": _query(params, offset=None),
        "unfiltered_query": urlencode({"q": raw[:ECHO_CHARS]}),
    }
    return render(request, "search/search.html", context)


@require_GET
def suggest(request):
    """Autocomplete for the search boxes: ``{"results": [{number, title, …}]}``."""
    if not request.user.is_authenticated:
        return JsonResponse({"results": []}, status=401)
    found = service.suggest(request.user, request.GET.get("q", ""))
    results = [
        {
            "kind": item["kind"],
            "number": item["number"],
            "title": item["title"],
            "issue": item["issue"],
            "status": item["status"],
            "label": item["label"],
            "url": item["url"],
        }
        for item in found
    ]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
