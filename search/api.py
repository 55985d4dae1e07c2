"""The search API: ``GET /api/v1/search/`` and ``GET /api/v1/search/suggest/``.

Both answer through :mod:`search.service`, the one search of Shoukong: what a
caller may not see is neither found, nor counted, nor suggested. A query is
never an error (an empty one answers nothing, with a notice); a wrong filter is
(400, ``{"errors": {"tier": "…"}}``), in the caller's language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import labels, service
from .models import EntryKind

SUGGEST_LIMIT = 10
SUGGEST_MAX = 20


# --- answers (the schema; the views build plain data) --------------------------------

KINDS = [value for value, _label in EntryKind.choices]


@extend_schema_field({"type": "string", "enum": KINDS})
class KindField(serializers.CharField):
    """The kind of a result, as an enum."""


class SearchResultSerializer(serializers.Serializer):
    kind = KindField()
    number = serializers.CharField(help_text="D0201, B05, D0201-2026112201, 8.5.1 …")
    title = serializers.CharField()
    issue = serializers.CharField(help_text="Issue label (A, B, …); empty if none.")
    status = serializers.CharField()
    status_label = serializers.CharField()
    void = serializers.BooleanField(
        help_text="A superseded or obsolete issue (shown with the 作废 mark)."
    )
    department = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    snippet = serializers.CharField(
        help_text="HTML: an excerpt with <mark> around the words found."
    )
    url = serializers.URLField()
    date = serializers.DateField(allow_null=True)
    effective_date = serializers.DateField(allow_null=True)


class SearchAnswerSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)
    total = serializers.IntegerField(help_text="Entries found, over every page.")
    total_exact = serializers.BooleanField(
        help_text="False when more entries match than were counted: total is then "
        "a lower bound (1,000, or the end of the page asked for)."
    )
    took_ms = serializers.FloatField()
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    query = serializers.CharField()
    match_all = serializers.BooleanField(
        help_text=(
            "False when nothing contains every word and the results contain some "
            "of them (a notice says so)."
        )
    )
    include_obsolete = serializers.BooleanField(
        help_text="Whether superseded and obsolete issues were searched."
    )
    notices = serializers.ListField(child=serializers.CharField())
    suggestions = SearchResultSerializer(
        many=True, help_text="The closest titles, when nothing was found."
    )


class SearchErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.CharField(), help_text="Message per wrong parameter."
    )


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=", ".join(KINDS) + ".")
    number = serializers.CharField()
    title = serializers.CharField()
    issue = serializers.CharField()
    status = serializers.CharField()
    label = serializers.CharField(help_text="Number and title, to show.")
    url = serializers.URLField()
    title_html = serializers.CharField(help_text="HTML: the title with <mark>.")


class SuggestAnswerSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)


# --- parameters -----------------------------------------------------------------------

Q_PARAMETER = OpenApiParameter(
    "q",
    OpenApiTypes.STR,
    description=(
        "Words (Chinese or not), a document or record number (d201 finds D0201), "
        '"a phrase", or a prefix*. Only the first 200 characters are searched.'
    ),
)
SEARCH_PARAMETERS = [
    Q_PARAMETER,
    OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        enum=KINDS,
        description="Only these kinds (repeat the parameter or separate by commas).",
    ),
    OpenApiParameter("tier", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter("department", OpenApiTypes.INT, description="Department id."),
    OpenApiParameter("clause", OpenApiTypes.STR, description="Clause, e.g. 8.5.1."),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description=(
            "Entry status: for documents "
            + ", ".join(labels.STATUS_FILTERS)
            + " (obsolete covers superseded); for other kinds their own status."
        ),
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter(
        "include_obsolete",
        OpenApiTypes.BOOL,
        description=(
            "Also superseded and obsolete issues (作废): only for document control, "
            "management, department managers and internal auditors."
        ),
    ),
    OpenApiParameter("offset", OpenApiTypes.INT, description="At most 1000."),
    OpenApiParameter(
        "limit",
        OpenApiTypes.INT,
        description=f"Results per answer, 1 to {service.MAX_PER_PAGE} (default "
        f"{service.DEFAULT_PER_PAGE}).",
    ),
]


def _whole(params, name: str, default: int, *, low: int) -> tuple[int, str | None]:
    """A whole number parameter, or the message saying it is wrong."""
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default, None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low:
        return default, _("A whole number of at least %(low)d.") % {"low": low}
    return value, None


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if url else ""


def result_data(request, result: service.Result) -> dict:
    data = result.as_dict()
    data["url"] = _absolute(request, data["url"])
    return data


# --- views ----------------------------------------------------------------------------


class SearchView(APIView):
    """Search documents, forms, records, clauses, nonconformities and findings."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["search"],
        summary="Search",
        description=(
            "What you may see, best match first: current documents and forms "
            "(the issue in force and approved issues not yet effective), kept "
            "records, clauses, nonconformities and audit findings. A number typed "
            "in full comes first. When nothing contains every word, what contains "
            "some of them is shown (match_all false); when nothing matches, "
            "suggestions holds the closest titles. An empty q answers nothing "
            "(with a notice)."
        ),
        parameters=SEARCH_PARAMETERS,
        responses={
            200: SearchAnswerSerializer,
            400: OpenApiResponse(
                SearchErrorsSerializer, description="A wrong filter or paging value."
            ),
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    def get(self, request):
        params = request.query_params
        filters, errors = service.SearchFilters.from_params(params)
        errors = dict(errors)
        offset, error = _whole(params, "offset", 0, low=0)
        if error:
            errors["offset"] = error
        limit, error = _whole(params, "limit", service.DEFAULT_PER_PAGE, low=1)
        if error:
            errors["limit"] = error
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        q = params.get("q") or ""
        found = service.search(
            request.user,
            q,
            filters=filters,
            offset=offset,
            per_page=min(limit, service.MAX_PER_PAGE),
        )
        notices = list(found.notices)
        if found.is_empty_query:
            notices.append(
                _("Type words, a document number or a record number to search.")
            )
        return Response(
            {
                "results": [result_data(request, r) for r in found.results],
                "total": found.total,
                "total_exact": found.total_exact,
                "took_ms": round(found.took_ms, 1),
                "offset": found.offset,
                "limit": found.per_page,
                "query": found.query,
                "match_all": found.match_all,
                "include_obsolete": found.include_obsolete,
                "notices": [str(n) for n in notices],
                "suggestions": [result_data(request, r) for r in found.suggestions],
            }
        )


class SuggestView(APIView):
    """Numbers and titles starting with what was typed (autocomplete)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["search"],
        summary="Suggest (autocomplete)",
        description=(
            "Current documents, forms, clauses and records you may see whose "
            "number or title starts with q (documents, forms and clauses first)."
        ),
        parameters=[
            Q_PARAMETER,
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"1 to {SUGGEST_MAX} (default {SUGGEST_LIMIT}).",
            ),
        ],
        responses={
            200: SuggestAnswerSerializer,
            400: OpenApiResponse(SearchErrorsSerializer, description="A wrong limit."),
            401: OpenApiResponse(description="Not signed in."),
        },
    )
    def get(self, request):
        limit, error = _whole(request.query_params, "limit", SUGGEST_LIMIT, low=1)
        if error:
            return Response(
                {"errors": {"limit": error}}, status=status.HTTP_400_BAD_REQUEST
            )
        found = service.suggest(
            request.user,
            request.query_params.get("q") or "",
            limit=min(limit, SUGGEST_MAX),
        )
        for item in found:
            item["url"] = _absolute(request, item["url"])
        return Response({"results": found})
