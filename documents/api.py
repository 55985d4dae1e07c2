"""The REST API of the controlled-document library (``/api/v1/``): its reads.

Staff read what they may read in the library: released documents, never
unissued drafts nor restricted documents they are not a reader of
(``DocumentPage.objects.visible_to(user)``, in lists, counts, parents and
children alike), and of an issued
document what was issued — the title and text of its issue in force (its latest
issue once obsolete), never a page published since without being issued. Every
read costs a fixed number of SQL queries whatever the number of documents: pages
come with their issues prefetched and parents are looked up in bulk
(:func:`parent_numbers`). Documents are ordered naturally by number (``B99``
before ``B100``), in SQL on the indexed ``number_sort`` column.

Nothing here changes data: the writes (create, submit, sign, copies) are in
:mod:`documents.api_lifecycle`, through the services.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import strip_tags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from . import approvals, distribution, numbering, permissions
from .library import in_library_order
from .lifecycle import CopyKind, DocumentKind, DocumentStatus, IssueStatus, Tier
from .models import ControlledCopy, DocumentIssue, DocumentPage, form_schema

# --- helpers -----------------------------------------------------------------------

EXCERPT_LENGTH = 500

# Block-level tags end a run of text: put a space where they were so that
# paragraphs don't run into each other once the tags are stripped.
_BLOCK_TAG_RE = re.compile(
    r"<\s*/?\s*(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|hr|pre)\b[^>]*>",
    re.IGNORECASE,
)


def parent_numbers(pages: Iterable[DocumentPage], user) -> dict[int, str | None]:
    """The parent document's number of each page, by page pk, in ONE query.

    A Wagtail page's parent is the page whose tree path is its own path minus
    one step. Parents that are not documents (the library root, the external
    register) map to None, and so do unissued drafts and restricted documents
    ``user`` may not read: they may not learn their numbers.
    """
    pages = list(pages)
    steplen = DocumentPage.steplen
    parent_path = {
        page.pk: page.path[:-steplen] for page in pages if len(page.path) > steplen
    }
    if not parent_path:
        return {page.pk: None for page in pages}
    numbers = dict(
        DocumentPage.objects.visible_to(user)
        .filter(path__in=set(parent_path.values()))
        .values_list("path", "number")
    )
    return {page.pk: numbers.get(parent_path.get(page.pk)) for page in pages}


# Issue columns a listing never shows: the snapshot of the issued text.
ISSUE_TEXT_FIELDS = ("body", "source_text", "source_sha256", "change_summary")


def with_listed_issues(queryset):
    """``queryset`` with its departments and its issues (newest first, into
    ``prefetched_issues`` as ``with_issues()`` does) without the issued text:
    two queries in all, and no big text columns read for nothing."""
    return queryset.select_related("department").prefetch_related(
        Prefetch(
            "issues",
            queryset=DocumentIssue.objects.newest_first().defer(*ISSUE_TEXT_FIELDS),
            to_attr="prefetched_issues",
        )
    )


def shown_issue(page: DocumentPage) -> DocumentIssue | None:
    """The issue the API shows of ``page``: the one in force, else (an obsolete
    document, or one issued but not yet in force) the latest. None for
    documents that are registered, never issued (external, other)."""
    return page.current_issue or page.latest_issue


def shown_title():
    """SQL for :func:`document_title`: the title of the issue in force, else of
    the latest issue, else the page's own."""
    issues = (
        DocumentIssue.objects.filter(document=OuterRef("pk"))
        .annotate(
            _in_force=Case(
                When(status=IssueStatus.EFFECTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("_in_force", "-issued_at", "-id")
        .values("title")[:1]
    )
    return Coalesce(Subquery(issues), "title")


def document_title(page: DocumentPage) -> str:
    """The issued title; the page's own when the document has no issue."""
    issue = shown_issue(page)
    return issue.title if issue is not None else page.title


def text_excerpt(page: DocumentPage, length: int = EXCERPT_LENGTH) -> str:
    """The first ``length`` characters of the document's text, whitespace collapsed.

    The issued text (see :func:`shown_issue`), or the page's own when the
    document has no issue: the text extracted from the source file when there
    is one, else the body with its HTML stripped.
    """
    source = shown_issue(page) or page
    text = source.source_text or ""
    if not text.strip():
        body = str(source.body or "")
        text = html.unescape(strip_tags(_BLOCK_TAG_RE.sub(" ", body)))
    text = " ".join(text.split())
    if len(text) > length:
        return text[:length].rstrip() + "…"
    return text


def choice_list(text: str) -> list[str]:
    """The choices (or several default values) of a form field, read as
    Wagtail's form builder reads them: one per line, else comma-separated."""
    if not (text or "").strip():
        return []
    lines = text.strip().splitlines()
    if len(lines) > 1:
        return [line.strip().rstrip(",").strip() for line in lines]
    return [part.strip() for part in text.split(",")]


def form_fields_data(schema: list[dict]) -> list[dict]:
    """A form's field list (``DocumentIssue.form_schema``) as the API shows it."""
    return [
        {
            "name": field.get("name", ""),
            "label": field.get("label", ""),
            "type": field.get("type", ""),
            "required": bool(field.get("required")),
            "choices": choice_list(field.get("choices") or ""),
            "default": field.get("default") or "",
            "help_text": field.get("help_text") or "",
        }
        for field in schema
    ]


def _absolute(request, url: str | None) -> str | None:
    if not url:
        return None
    return request.build_absolute_uri(url) if request is not None else url


def distribution_entries(page: DocumentPage) -> list[dict]:
    """The page's distribution list (分发列表): who receives copies of an issue.

    Works on a saved page (one query) and on a page whose list was just changed
    in memory (a draft before its revision is published)."""
    entries = page.distribution_list.all().select_related("department", "holder")
    return [
        {
            "department": entry.department.name if entry.department_id else None,
            "holder": entry.holder.get_username() if entry.holder_id else None,
            "copies": entry.copies,
            "location": entry.location,
            "password_protected": entry.password_protected,
        }
        for entry in entries
    ]


def copy_pdf_url(request, number: str, label: str, copy_number: int) -> str | None:
    """Where the API serves the stamped PDF of one controlled copy."""
    url = reverse("api:copy-pdf", kwargs={"number": number, "label": label})
    return _absolute(request, f"{url}?copy={copy_number}")


def visible_copies(issue: DocumentIssue, user) -> list[ControlledCopy]:
    """The controlled copies of ``issue`` that ``user`` may see: all of them for
    document control (文控), otherwise those they or their department hold
    (never the original, 受控01, kept by document control)."""
    copies = issue.copies.filter(kind=CopyKind.CONTROLLED).select_related(
        "department", "holder"
    )
    if not distribution.is_document_controller(user):
        mine = Q(holder=user)
        department = distribution.department_of(user)
        if department is not None:
            mine |= Q(holder__isnull=True, department=department)
        copies = copies.filter(mine).exclude(copy_number=distribution.ORIGINAL_COPY)
    return list(copies.order_by("copy_number"))


def distribution_data(page: DocumentPage, request) -> dict:
    """The distribution list and the copies of the issue shown (see
    :func:`shown_issue`) that the requesting user may see."""
    issue = shown_issue(page)
    user = getattr(request, "user", None)
    copies = []
    if issue is not None and page.number and user is not None:
        copies = [
            {
                "copy": copy.copy_label,
                "copy_number": copy.copy_number,
                "holder": copy.holder.get_username() if copy.holder_id else None,
                "department": copy.department.name if copy.department_id else None,
                "location": copy.location,
                "status": copy.status,
                "password_protected": bool(copy.open_password),
                "url": copy_pdf_url(
                    request, page.number, issue.label, copy.copy_number
                ),
            }
            for copy in visible_copies(issue, user)
        ]
    return {
        "entries": distribution_entries(page),
        "issue": issue.label if issue is not None else None,
        "copies": copies,
    }


# --- permissions -----------------------------------------------------------------


class CanViewLibrary(BasePermission):
    """Signed-in, active users: the same rule as the staff-facing library."""

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_library(request.user)


# --- serializers -----------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class SignatureSummarySerializer(serializers.Serializer):
    meaning = serializers.CharField(
        help_text="co_signed, reviewed, approved or checked."
    )
    user = serializers.CharField(help_text="The signer's username.")
    department = serializers.CharField(
        allow_null=True, help_text="The department a co-signature is for."
    )
    signed_at = serializers.DateTimeField()
    issue = serializers.CharField(help_text="The issue the signature releases.")


class WorkflowSummarySerializer(serializers.Serializer):
    """Where a document stands in its approval chain (null when it is in none)."""

    status = serializers.CharField(help_text="in_progress or needs_changes.")
    step = serializers.CharField(
        allow_null=True, help_text="The name of the current step."
    )
    step_type = serializers.CharField(
        allow_null=True, help_text="CoSignTask, SignOffTask or PreIssueCheckTask."
    )
    may_act = serializers.ListField(
        child=serializers.CharField(),
        help_text="Usernames of those who may sign or return the current step.",
    )
    comment = serializers.CharField(
        allow_blank=True, help_text="The reason it was returned, if it was."
    )
    signatures = SignatureSummarySerializer(many=True)


class DistributionEntrySerializer(serializers.Serializer):
    """One line of the distribution list: a department or a person."""

    department = serializers.CharField(allow_null=True)
    holder = serializers.CharField(allow_null=True, help_text="A username.")
    copies = serializers.IntegerField(min_value=1, max_value=99)
    location = serializers.CharField(allow_blank=True)
    password_protected = serializers.BooleanField()


class CopySummarySerializer(serializers.Serializer):
    """A controlled copy of the issue shown."""

    copy = serializers.CharField(help_text="e.g. 受控02.")
    copy_number = serializers.IntegerField()
    holder = serializers.CharField(allow_null=True, help_text="A username.")
    department = serializers.CharField(allow_null=True)
    location = serializers.CharField(allow_blank=True)
    status = serializers.CharField(
        help_text="issued, returned, lost, kept or destroyed."
    )
    password_protected = serializers.BooleanField()
    url = serializers.URLField(help_text="The stamped PDF of this copy.")


class DistributionSerializer(serializers.Serializer):
    entries = DistributionEntrySerializer(
        many=True, help_text="The distribution list (分发列表)."
    )
    issue = serializers.CharField(
        allow_null=True, help_text="The issue whose copies are listed."
    )
    copies = CopySummarySerializer(
        many=True,
        help_text="All copies for document control; otherwise the requester's own.",
    )


class FormFieldSerializer(serializers.Serializer):
    """One field of a form (tier 4) to fill."""

    name = serializers.CharField(
        help_text="The key its value is sent and stored under, e.g. bao_gao_ren."
    )
    label = serializers.CharField()
    type = serializers.CharField(
        help_text="A type of Wagtail's form builder: singleline, dropdown, date …"
    )
    required = serializers.BooleanField()
    choices = serializers.ListField(
        child=serializers.CharField(), help_text="The choices of a choice field."
    )
    default = serializers.CharField(allow_blank=True)
    help_text = serializers.CharField(allow_blank=True)


class DocumentIssueSerializer(serializers.ModelSerializer):
    status = serializers.CharField(
        read_only=True,
        help_text="pending, effective, superseded or obsolete.",
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentIssue
        fields = [
            "label",
            "status",
            "status_display",
            "publish_date",
            "effective_date",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, issue: DocumentIssue) -> str | None:
        number = self.context.get("document_number")
        if number is None:
            number = issue.document.number
        if not number:
            return None
        url = reverse(
            "documents:issue", kwargs={"number": number, "label": issue.label}
        )
        return _absolute(self.context.get("request"), url)


class DocumentSerializer(serializers.ModelSerializer):
    """A document as listed in the register."""

    title = serializers.SerializerMethodField(
        help_text="The title as issued (the issue in force, else the latest)."
    )
    kind = serializers.CharField(
        read_only=True,
        help_text="manual, procedure, instruction, form, other or external.",
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    tier = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="1 to 4; null outside the tiers."
    )
    parent = serializers.SerializerMethodField(
        help_text="The parent document's number."
    )
    department = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    status = serializers.CharField(
        read_only=True, help_text="controlled, obsolete or external."
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    current_issue = serializers.SerializerMethodField(
        help_text="The label of the issue in force."
    )
    publish_date = serializers.DateField(read_only=True, allow_null=True)
    effective_date = serializers.DateField(read_only=True, allow_null=True)
    next_review_due = serializers.DateField(read_only=True, allow_null=True)
    other_names = serializers.ListField(
        source="alias_list",
        child=serializers.CharField(),
        read_only=True,
        help_text="Other names the document is known and found by.",
    )
    confidential = serializers.BooleanField(
        read_only=True,
        help_text="Restricted: only its readers may open it (they alone see it).",
    )
    url = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField(help_text="Newest first.")

    class Meta:
        model = DocumentPage
        fields = [
            "number",
            "title",
            "kind",
            "kind_display",
            "tier",
            "parent",
            "department",
            "status",
            "status_display",
            "current_issue",
            "publish_date",
            "effective_date",
            "next_review_due",
            "other_names",
            "confidential",
            "url",
            "issues",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_title(self, page: DocumentPage) -> str:
        return document_title(page)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, page: DocumentPage) -> str | None:
        return self.context.get("parent_numbers", {}).get(page.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_issue(self, page: DocumentPage) -> str | None:
        issue = page.current_issue
        return issue.label if issue else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, page: DocumentPage) -> str | None:
        return _absolute(self.context.get("request"), page.get_permalink())

    @extend_schema_field(DocumentIssueSerializer(many=True))
    def get_issues(self, page: DocumentPage) -> list[dict]:
        context = {**self.context, "document_number": page.number}
        return DocumentIssueSerializer(page.issue_list, many=True, context=context).data


class DocumentDetailSerializer(DocumentSerializer):
    """A document with its register entry, an excerpt of its text and children."""

    text_excerpt = serializers.SerializerMethodField(
        help_text="The first 500 characters of the document's issued text."
    )
    children = serializers.SerializerMethodField(
        help_text="Numbers of the child documents, in natural order."
    )
    workflow = serializers.SerializerMethodField(
        help_text="The approval in progress, or null."
    )
    distribution = serializers.SerializerMethodField()
    form_fields = serializers.SerializerMethodField(
        help_text=(
            "Forms (tier 4) only, absent otherwise: the fields released with the "
            "issue shown, which records are filled to."
        )
    )
    draft_form_fields = serializers.SerializerMethodField(
        help_text=(
            "Forms (tier 4) only: the fields of the latest draft, for those who "
            "may edit it; null for others."
        )
    )

    # Present only in the answer about a form.
    FORM_ONLY_FIELDS = ("form_fields", "draft_form_fields")

    class Meta(DocumentSerializer.Meta):
        fields = DocumentSerializer.Meta.fields + [
            "description",
            "retention_period",
            "storage_location",
            "text_excerpt",
            "children",
            "workflow",
            "distribution",
            "form_fields",
            "draft_form_fields",
        ]
        read_only_fields = fields

    def to_representation(self, page: DocumentPage) -> dict:
        data = super().to_representation(page)
        if page.kind != DocumentKind.FORM:
            for name in self.FORM_ONLY_FIELDS:
                data.pop(name, None)
        return data

    @extend_schema_field(serializers.CharField())
    def get_text_excerpt(self, page: DocumentPage) -> str:
        return text_excerpt(page)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_children(self, page: DocumentPage) -> list[str]:
        return self.context.get("children", [])

    @extend_schema_field(WorkflowSummarySerializer(allow_null=True))
    def get_workflow(self, page: DocumentPage) -> dict | None:
        # Return comments and who signs are for those involved, not all staff.
        from .api_lifecycle import may_see_draft

        request = self.context.get("request")
        if request is None or not may_see_draft(request.user, page):
            return None
        return approvals.workflow_summary(page)

    @extend_schema_field(DistributionSerializer)
    def get_distribution(self, page: DocumentPage) -> dict:
        return distribution_data(page, self.context.get("request"))

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form_fields(self, page: DocumentPage) -> list[dict] | None:
        if page.kind != DocumentKind.FORM:
            return None
        issue = shown_issue(page)
        return form_fields_data(issue.form_schema if issue is not None else [])

    @extend_schema_field(FormFieldSerializer(many=True, allow_null=True))
    def get_draft_form_fields(self, page: DocumentPage) -> list[dict] | None:
        request = self.context.get("request")
        if (
            page.kind != DocumentKind.FORM
            or request is None
            or not permissions.can_edit_document(request.user, page)
        ):
            return None
        draft = page.get_latest_revision_as_object()
        return form_fields_data(form_schema(draft.form_fields.all()))


class DocumentFilterSerializer(serializers.Serializer):
    """Query parameters of the document list; validated, errors are translated."""

    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, help_text="Tier 1 to 4."
    )
    department = serializers.CharField(
        required=False, help_text="Owning department: its name or id."
    )
    status = serializers.ChoiceField(
        choices=[c for c in DocumentStatus.choices if c[0] != DocumentStatus.DRAFT],
        required=False,
        help_text="Drafts are never listed.",
    )
    parent = serializers.CharField(
        required=False, help_text="The parent's document number, e.g. B05."
    )
    kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)
    q = serializers.CharField(
        required=False, help_text="Text in the number or the title."
    )


# --- views -----------------------------------------------------------------------


@extend_schema(
    tags=["auth"],
    summary="Obtain an API token",
    request=AuthTokenSerializer,
    responses={
        200: TokenSerializer,
        400: OpenApiResponse(description="Wrong credentials or inactive user."),
    },
)
class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    # Nobody is signed in yet; no session means no CSRF refusal for scripts
    # that happen to carry a browser cookie.
    authentication_classes: list = []
    # Slow down password guessing: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    # ["auth-token"] attempts per client address (SHOUKONG_TOKEN_RATE).
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"


class DocumentAPIMixin:
    permission_classes = [CanViewLibrary]

    def dispatch(self, request, *args, **kwargs):
        # The user's roles are asked by the permission check, the list and
        # the parents (visible_to): read once.
        with permissions.roles_cached():
            return super().dispatch(request, *args, **kwargs)

    def base_queryset(self):
        return DocumentPage.objects.visible_to(self.request.user)

    def serializer_context(self, pages: list[DocumentPage], **extra) -> dict:
        return {
            "request": self.request,
            "parent_numbers": parent_numbers(pages, self.request.user),
            **extra,
        }


class DocumentListView(DocumentAPIMixin, generics.GenericAPIView):
    """Documents staff may read, in natural number order."""

    serializer_class = DocumentSerializer

    def filter_queryset(self, queryset):
        # An empty parameter (?status=) means "any", as in an HTML form.
        params = DocumentFilterSerializer(
            data={
                key: value
                for key, value in self.request.query_params.items()
                if value.strip()
            }
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "tier" in data:
            queryset = queryset.filter(tier=data["tier"])
        if "kind" in data:
            queryset = queryset.filter(kind=data["kind"])
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        department = data.get("department", "").strip()
        if department:
            match = Q(department__name=department)
            if department.isdigit():
                match |= Q(department_id=int(department))
            queryset = queryset.filter(match)
        parent_number = data.get("parent", "").strip()
        if parent_number:
            number = numbering.get_scheme().normalise(parent_number)
            # A draft parent (or a restricted one the user may not read) is as
            # unknown as a missing one: its existence is not theirs to learn.
            parent = (
                self.base_queryset().filter(number=number).only("path", "depth").first()
            )
            if parent is None:
                return queryset.none()
            queryset = queryset.child_of(parent)
        text = data.get("q", "").strip()
        if text:
            # The title shown, so a title published but not issued finds nothing.
            queryset = queryset.alias(_shown_title=shown_title()).filter(
                Q(number__icontains=text) | Q(_shown_title__icontains=text)
            )
        return queryset

    @extend_schema(
        tags=["documents"],
        summary="List documents",
        parameters=[DocumentFilterSerializer],
        responses=DocumentSerializer(many=True),
    )
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.base_queryset())
        # Natural order in SQL (the indexed number_sort column), so the
        # paginator's count and slice are SQL too. A list never shows the text.
        queryset = with_listed_issues(
            in_library_order(queryset.order_by()).defer("body", "source_text")
        )
        pages = self.paginate_queryset(queryset)
        if pages is None:
            pages = list(queryset)
        serializer = self.get_serializer(
            pages, many=True, context=self.serializer_context(pages)
        )
        if self.paginator is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)


class DocumentDetailView(DocumentAPIMixin, generics.GenericAPIView):
    """One document by its number (case-insensitive: ``b05`` finds B05)."""

    serializer_class = DocumentDetailSerializer
    pagination_class = None

    @extend_schema(
        tags=["documents"],
        summary="Retrieve a document",
        parameters=[
            OpenApiParameter(
                "number",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Document number, e.g. B05 (any case).",
            )
        ],
        responses={
            200: DocumentDetailSerializer,
            404: OpenApiResponse(description="No such document, or a draft."),
        },
    )
    def get(self, request, number: str, *args, **kwargs):
        number = numbering.get_scheme().normalise(number)
        page = (
            with_listed_issues(self.base_queryset().filter(number=number))
            .defer("body", "source_text")
            .first()
        )
        if page is None:
            raise NotFound
        # The text of the one issue shown (or of the page, when none is): one
        # query, not the text of every issue.
        shown = shown_issue(page)
        if shown is not None:
            shown.refresh_from_db(fields=["body", "source_text"])
        else:
            page.refresh_from_db(fields=["body", "source_text"])
        scheme = numbering.get_scheme()
        children = sorted(
            (
                child
                for child in self.base_queryset()
                .child_of(page)
                .values_list("number", flat=True)
                if child
            ),
            key=lambda child: numbering.sort_key(scheme, child),
        )
        serializer = DocumentDetailSerializer(
            page, context=self.serializer_context([page], children=children)
        )
        return Response(serializer.data)


# --- schema ----------------------------------------------------------------------


def api_endpoints_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: describe this API, not Wagtail's own
    admin API that the same URLconf also serves."""
    prefix = reverse("api:schema").removesuffix("schema/")
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(prefix)]


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of ``/api/v1/`` (YAML, or JSON with ``?format=json``).

    For the same users as the API itself: it names what the library holds.
    """

    permission_classes = [CanViewLibrary]

    custom_settings = {"PREPROCESSING_HOOKS": ["documents.api.api_endpoints_only"]}
