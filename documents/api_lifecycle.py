"""The writing half of the REST API (``/api/v1/``): create a draft, send it into
its approval chain, sign or return a step, download a controlled copy and
confirm reading an issue.

Views stay thin: they validate the request, call the services
(:mod:`documents.services`, :mod:`documents.approvals`,
:mod:`documents.distribution`), which check permission and transitions, and map
what those raise to HTTP answers, always ``{"detail": "..."}`` in the active
language: ``PermissionDenied`` → 403, ``InvalidTransition`` → 409, a
``ValidationError`` → 400, an unknown number, issue or copy → 404, a PDF that
cannot be stamped → 422.

Unissued drafts stay as unknown as in the read API, except to those who may
edit them and to the signers of the approval chain they are in.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.models import WorkflowTask

from . import (
    api,
    approvals,
    distribution,
    extraction,
    labels,
    numbering,
    permissions,
    services,
    stamping,
)
from .lifecycle import CopyKind, DocumentKind, DocumentStatus, InvalidTransition, Tier
from .models import (
    ControlledCopy,
    Department,
    DistributionListEntry,
    DocumentIssue,
    DocumentPage,
    FormPage,
    ManualPage,
    OtherDocumentPage,
    ProcedurePage,
    SignatureTask,
    WorkInstructionPage,
)
from .register import attachment_header

# The page type of each kind that can be created here; tiers map to kinds.
PAGE_CLASSES: dict[str, type[DocumentPage]] = {
    DocumentKind.MANUAL: ManualPage,
    DocumentKind.PROCEDURE: ProcedurePage,
    DocumentKind.INSTRUCTION: WorkInstructionPage,
    DocumentKind.FORM: FormPage,
    DocumentKind.OTHER: OtherDocumentPage,
}
KIND_OF_TIER: dict[int, str] = {
    Tier.MANUAL: DocumentKind.MANUAL,
    Tier.PROCEDURE: DocumentKind.PROCEDURE,
    Tier.INSTRUCTION: DocumentKind.INSTRUCTION,
    Tier.FORM: DocumentKind.FORM,
}
# Kinds that live under another document, never at the library's root.
CHILD_KINDS = frozenset({DocumentKind.INSTRUCTION, DocumentKind.FORM})
# Fields of the request given to the new page as they are.
PAGE_FIELDS = (
    "body",
    "change_summary",
    "effective_on",
    "training_required",
    "description",
    "storage_location",
    "retention_period",
)
# Fields that carry a list; in a multipart request, repeated or JSON-encoded.
LIST_FIELDS = frozenset({"involved_departments", "distribution"})

_HTML_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


# --- errors ------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Not possible in the document's current state.")
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The request is not valid.")
    default_code = "invalid"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The PDF could not be made.")
    default_code = "unprocessable"


def api_exception(exc: Exception) -> Exception:
    """What the services raise, as the REST framework's exceptions."""
    if isinstance(exc, InvalidTransition):
        return Conflict(str(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return BadRequest(" ".join(str(message) for message in exc.messages))
    if isinstance(exc, stamping.StampingError):
        return Unprocessable(exc.message)
    if isinstance(exc, extraction.ExtractionError):
        return exceptions.ValidationError({"source_file": [exc.message]})
    return exc


def error_messages(detail: Any, path: str = "") -> list[str]:
    """The messages of a validation error, each prefixed by its field."""
    if isinstance(detail, dict):
        messages = []
        for key, value in detail.items():
            if key in ("non_field_errors", "detail"):
                where = path
            elif isinstance(key, int):
                where = f"{path}[{key}]"
            else:
                where = f"{path}.{key}" if path else str(key)
            messages += error_messages(value, where)
        return messages
    if isinstance(detail, list):
        messages = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                messages += error_messages(value, f"{path}[{index}]")
            else:
                messages += error_messages(value, path)
        return messages
    return [f"{path}: {detail}" if path else str(detail)]


class LifecycleErrorsMixin:
    """Answer every error as ``{"detail": "..."}``; invalid fields are also
    listed under their names, as the REST framework does."""

    def handle_exception(self, exc):
        exc = api_exception(exc)
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.ValidationError):
            data = response.data
            fields = data if isinstance(data, dict) else {}
            response.data = {"detail": " ".join(error_messages(data)), **fields}
        return response


class LifecycleAPIView(LifecycleErrorsMixin, APIView):
    permission_classes = [api.CanViewLibrary]


# --- lookups -----------------------------------------------------------------------


def may_see_draft(user, page: DocumentPage) -> bool:
    """Whether ``user`` may learn of an unissued draft: they may edit it, or they
    hold a role that signs a step of the approval chain it is in."""
    if permissions.can_edit_document(user, page):
        return True
    state = page.current_workflow_state
    if state is None:
        return False
    roles = user.groups.all()
    steps = WorkflowTask.objects.filter(workflow_id=state.workflow_id)
    for step in steps.select_related("task"):
        task = step.task.specific
        if not isinstance(task, SignatureTask):
            continue
        if task.groups.filter(pk__in=roles).exists():
            return True
    return False


def is_released(page: DocumentPage) -> bool:
    """What staff may read (``DocumentPage.objects.visible_to_staff()``)."""
    if page.status == DocumentStatus.DRAFT:
        return False
    return not (page.kind == DocumentKind.EXTERNAL and not page.live)


def document_for(user, number: str, *, drafts: bool = False) -> DocumentPage:
    """The document numbered ``number`` (any case), as its specific page type.

    Drafts only with ``drafts`` and for those who may see them (404 otherwise,
    as for a number that does not exist)."""
    number = numbering.get_scheme().normalise(number)
    page = DocumentPage.objects.filter(number=number).first()
    if page is None:
        raise exceptions.NotFound
    if not is_released(page) and not (drafts and may_see_draft(user, page)):
        raise exceptions.NotFound
    return page.specific


def issue_for(page: DocumentPage, label: str) -> DocumentIssue:
    try:
        label = labels.normalise_label(label)
    except labels.LabelError:
        raise exceptions.NotFound from None
    issue = page.issues.filter(label=label).first()
    if issue is None:
        raise exceptions.NotFound(_("No such issue."))
    return issue


def department_for(value: str) -> Department:
    """An active department by its name or id."""
    value = str(value).strip()
    departments = Department.objects.filter(is_active=True)
    department = departments.filter(name=value).first()
    if department is None and value.isdigit():
        department = departments.filter(pk=int(value)).first()
    if department is None:
        raise serializers.ValidationError(
            _("Unknown department: %(name)s") % {"name": value}
        )
    return department


def user_for(username: str):
    User = get_user_model()
    user = User.objects.filter(
        is_active=True, **{User.USERNAME_FIELD: username.strip()}
    ).first()
    if user is None:
        raise serializers.ValidationError(
            _("Unknown user: %(name)s") % {"name": username}
        )
    return user


def request_data(request) -> Any:
    """The request body as plain data. Form and multipart bodies become a dict
    with JSON's meaning (a missing boolean is missing, not false); their list
    fields are repeated or JSON-encoded."""
    data = request.data
    if not hasattr(data, "getlist"):
        return data
    result: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        if key not in LIST_FIELDS:
            result[key] = values[-1]
        elif len(values) == 1 and str(values[0]).lstrip().startswith("["):
            try:
                result[key] = json.loads(values[0])
            except ValueError:
                raise exceptions.ValidationError(
                    {key: [_("This is not valid JSON.")]}
                ) from None
        else:
            result[key] = values
    return result


def body_html(text: str) -> str:
    """The body as rich text: HTML keeps what the editor allows (no scripts, no
    event handlers), plain text becomes one paragraph per line."""
    if not text.strip():
        return ""
    if _HTML_TAG_RE.search(text):
        features = DocumentPage._meta.get_field("body").features
        return EditorHTMLConverter(features=features).to_database_format(text)
    return "".join(
        f"<p>{html.escape(line.strip(), quote=False)}</p>"
        for line in text.splitlines()
        if line.strip()
    )


# --- serializers: requests ---------------------------------------------------------


class DistributionEntryInputSerializer(serializers.Serializer):
    """One recipient of the distribution list: a department or a person."""

    department = serializers.CharField(
        required=False, allow_blank=True, help_text="A department's name or id."
    )
    holder = serializers.CharField(
        required=False, allow_blank=True, help_text="A username."
    )
    copies = serializers.IntegerField(min_value=1, max_value=99, default=1)
    location = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    password_protected = serializers.BooleanField(required=False, default=False)

    def validate_department(self, value: str) -> Department | None:
        return department_for(value) if value.strip() else None

    def validate_holder(self, value: str):
        return user_for(value) if value.strip() else None

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("department") and not attrs.get("holder"):
            raise serializers.ValidationError(_("Name a department or a holder."))
        return attrs


class DocumentCreateSerializer(serializers.Serializer):
    """A new draft document. Give its ``tier`` or its ``kind``."""

    title = serializers.CharField(max_length=255)
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, help_text="Tier 1 to 4."
    )
    kind = serializers.ChoiceField(
        choices=[(kind, DocumentKind(kind).label) for kind in PAGE_CLASSES],
        required=False,
    )
    parent = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The parent document's number; required for tiers 3 and 4.",
    )
    department = serializers.CharField(help_text="Owning department: name or id.")
    involved_departments = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Departments sharing duties (names or ids); two or more co-sign.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="HTML, or plain text (one paragraph per line).",
    )
    change_summary = serializers.CharField(required=False, allow_blank=True)
    effective_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Planned effective date; empty: the day it is issued.",
    )
    training_required = serializers.BooleanField(
        required=False,
        help_text="Take effect only once every recipient has confirmed reading it.",
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True
    )
    storage_location = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    retention_period = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )
    distribution = DistributionEntryInputSerializer(many=True, required=False)
    source_file = serializers.FileField(
        required=False,
        allow_empty_file=False,
        help_text="The original .docx or .pdf (multipart requests only).",
    )

    def validate_department(self, value: str) -> Department:
        return department_for(value)

    def validate_involved_departments(self, values: list[str]) -> list[Department]:
        departments: list[Department] = []
        for value in values:
            department = department_for(value)
            if department not in departments:
                departments.append(department)
        return departments

    def validate_body(self, value: str) -> str:
        return body_html(value)

    def validate_parent(self, value: str) -> DocumentPage | None:
        if not value.strip():
            return None
        number = numbering.get_scheme().normalise(value)
        page = DocumentPage.objects.filter(number=number).first()
        user = self.context["request"].user
        if page is None or not (is_released(page) or may_see_draft(user, page)):
            raise serializers.ValidationError(
                _("Unknown document: %(number)s") % {"number": number}
            )
        return page.specific

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("kind")
        tier = attrs.get("tier")
        if tier is not None:
            if kind is not None and kind != KIND_OF_TIER[tier]:
                raise serializers.ValidationError(
                    {"kind": [_("This kind is not of the tier given.")]}
                )
            kind = KIND_OF_TIER[tier]
        if kind is None:
            raise serializers.ValidationError(
                {"tier": [_("Give the tier or the kind of the document.")]}
            )
        if kind in CHILD_KINDS and attrs.get("parent") is None:
            raise serializers.ValidationError(
                {"parent": [_("A document of tier 3 or 4 needs its parent's number.")]}
            )
        attrs["kind"] = kind
        return attrs


class DocumentReviseSerializer(DocumentCreateSerializer):
    """Changes to a draft (or the next issue's draft); every field optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tier", "kind", "parent"):
            self.fields.pop(name)
        for field in self.fields.values():
            field.required = False

    def validate(self, attrs: dict) -> dict:
        return attrs


class ApproveSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The signer's password: a signature re-authenticates.",
    )
    comment = serializers.CharField(required=False, allow_blank=True)
    attachments_complete = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Pre-issue check only: the forms and annexes are complete.",
    )


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="Why it is returned (required)."
    )


class CopyQuerySerializer(serializers.Serializer):
    copy = serializers.IntegerField(
        min_value=1, help_text="The copy number: 2 for 受控02."
    )


# --- serializers: answers ----------------------------------------------------------


class DocumentCreatedSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    status = serializers.CharField(help_text="draft")
    url = serializers.URLField(allow_null=True)
    workflow = api.WorkflowSummarySerializer(allow_null=True)
    distribution = api.DistributionSerializer()


class SubmittedSerializer(serializers.Serializer):
    number = serializers.CharField()
    workflow = api.WorkflowSummarySerializer(allow_null=True)


class ActResultSerializer(serializers.Serializer):
    number = serializers.CharField()
    signed = serializers.BooleanField(help_text="A signature was recorded.")
    returned = serializers.BooleanField(
        help_text="Returned to its author (by the signer, or by a failed check)."
    )
    finished = serializers.BooleanField(help_text="The chain is complete: issued.")
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="What the pre-issue check found."
    )
    workflow = api.WorkflowSummarySerializer(allow_null=True)
    current_issue = serializers.CharField(
        allow_null=True, help_text="The label of the issue in force."
    )


class AcknowledgedSerializer(serializers.Serializer):
    number = serializers.CharField()
    issue = serializers.CharField()
    confirmed_at = serializers.DateTimeField()
    issue_status = serializers.CharField(
        help_text="pending until it takes effect, then effective."
    )


# --- creating a draft --------------------------------------------------------------


def extract_upload(upload) -> tuple[str, bytes, extraction.ExtractionResult]:
    """Read an uploaded source file and extract its text in a resource-limited
    child process, before anything is written (an untrusted file)."""
    limits = extraction.Limits.from_settings()
    if upload.size > limits.max_file_bytes:
        raise extraction.ExtractionError("too_large")
    filename = os.path.basename(upload.name or "") or "source"
    content = b"".join(upload.chunks())
    with tempfile.TemporaryDirectory(prefix="shoukong-upload-") as folder:
        path = os.path.join(folder, "upload")
        with open(path, "wb") as handle:
            handle.write(content)
        result = extraction.extract_file_isolated(
            path, limits=limits, filename=filename
        )
    return filename, content, result


def document_create_from(*, user, data: dict) -> DocumentPage:
    """A draft from validated :class:`DocumentCreateSerializer` data, with its
    departments involved and distribution list in its first revision."""
    upload = data.get("source_file")
    source = extract_upload(upload) if upload is not None else None
    fields = {name: data[name] for name in PAGE_FIELDS if name in data}
    with transaction.atomic():
        parent = data.get("parent") or services.library_ensure()
        page = services.document_create(
            user=user,
            parent=parent,
            page_class=PAGE_CLASSES[data["kind"]],
            title=data["title"],
            department=data["department"],
            **fields,
        )
        changed = False
        if data.get("involved_departments"):
            page.involved_departments.set(data["involved_departments"])
            changed = True
        for entry in data.get("distribution") or []:
            page.distribution_list.add(DistributionListEntry(**entry))
            changed = True
        if source is not None:
            filename, content, result = source
            # Saves a revision with the changes above.
            services.document_attach_source(
                user=user,
                document=page,
                filename=filename,
                content=content,
                text=result.text,
                sha256=result.sha256,
            )
        elif changed:
            page.save_revision(user=user)
    return page


def document_revise_from(*, user, page: DocumentPage, data: dict) -> DocumentPage:
    """Save a new revision of ``page``'s draft with ``data`` applied (the next
    issue is prepared this way; it is released only through the chain)."""
    permissions.ensure_can_edit_document(user, page)
    if page.workflow_in_progress:
        raise InvalidTransition(_("in approval"), _("changed"), _("Document"))
    upload = data.get("source_file")
    source = extract_upload(upload) if upload is not None else None
    with transaction.atomic():
        draft = page.get_latest_revision_as_object()
        for name in ("title", "department", *PAGE_FIELDS):
            if name in data:
                setattr(draft, name, data[name])
        if "involved_departments" in data:
            draft.involved_departments.set(data["involved_departments"])
        if "distribution" in data:
            draft.distribution_list.set(
                [DistributionListEntry(**entry) for entry in data["distribution"]]
            )
        if source is not None:
            filename, content, result = source
            services.document_attach_source(
                user=user,
                document=draft,
                filename=filename,
                content=content,
                text=result.text,
                sha256=result.sha256,
            )
        else:
            draft.save_revision(user=user, log_action=True)
    return DocumentPage.objects.get(pk=page.pk).specific


# --- views -------------------------------------------------------------------------

NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Document number, e.g. B05 (any case).",
)
LABEL = OpenApiParameter(
    "label", OpenApiTypes.STR, OpenApiParameter.PATH, description="Issue, e.g. A."
)


def _refusals(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(description="Invalid request; see detail."),
        403: OpenApiResponse(description="Not allowed for you."),
        404: OpenApiResponse(description="No such document (or a draft)."),
        409: OpenApiResponse(description="Not possible in the current state."),
        422: OpenApiResponse(description="The PDF could not be stamped."),
    }
    return {code: described[code] for code in codes}


class DocumentListCreateView(LifecycleErrorsMixin, api.DocumentListView):
    """Documents staff may read, in natural number order."""

    # GET is api.DocumentListView's, unchanged (the docstring above is its
    # description in the schema); POST creates a draft.

    def handle_exception(self, exc):
        if self.request is not None and self.request.method == "POST":
            return super().handle_exception(exc)
        # The list keeps its errors as they were.
        return api.DocumentListView.handle_exception(self, exc)

    @extend_schema(
        tags=["documents"],
        summary="Create a draft document",
        description=(
            "A draft with its number assigned, under the library (tiers 1 and 2) "
            "or under its parent (tiers 3 and 4). Send JSON, or multipart to "
            "upload the source file (list fields repeated or JSON-encoded)."
        ),
        request={
            "application/json": DocumentCreateSerializer,
            "multipart/form-data": DocumentCreateSerializer,
        },
        responses={201: DocumentCreatedSerializer, **_refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = DocumentCreateSerializer(
            data=request_data(request), context={"request": request}
        )
        params.is_valid(raise_exception=True)
        page = document_create_from(user=request.user, data=params.validated_data)
        answer = {
            "number": page.number,
            "title": page.title,
            "status": page.status,
            "url": api._absolute(request, page.get_permalink()),
            "workflow": approvals.workflow_summary(page),
            "distribution": api.distribution_data(page, request),
        }
        return Response(answer, status=status.HTTP_201_CREATED)


class DocumentReviseView(LifecycleAPIView):
    """Change a draft before it is submitted: the text, the planned effective
    date, the departments involved, the distribution list, the source file."""

    @extend_schema(
        tags=["approval"],
        summary="Change the draft",
        parameters=[NUMBER],
        request={
            "application/json": DocumentReviseSerializer,
            "multipart/form-data": DocumentReviseSerializer,
        },
        responses={200: DocumentCreatedSerializer, **_refusals(400, 403, 404, 409)},
    )
    def patch(self, request, number: str):
        page = document_for(request.user, number, drafts=True)
        params = DocumentReviseSerializer(
            data=request_data(request), context={"request": request}
        )
        params.is_valid(raise_exception=True)
        page = document_revise_from(
            user=request.user, page=page, data=params.validated_data
        )
        return Response(
            {
                "number": page.number,
                "title": page.get_latest_revision_as_object().title,
                "status": page.status,
                "url": api._absolute(request, page.get_permalink()),
                "workflow": approvals.workflow_summary(page),
                "distribution": api.distribution_data(page, request),
            }
        )


class DocumentSubmitView(LifecycleAPIView):
    """Send a draft (or a returned one, once changed) into its approval chain."""

    @extend_schema(
        tags=["approval"],
        summary="Submit for approval",
        parameters=[NUMBER],
        request=None,
        responses={200: SubmittedSerializer, **_refusals(400, 403, 404, 409)},
    )
    def post(self, request, number: str):
        page = document_for(request.user, number, drafts=True)
        approvals.document_submit(user=request.user, document=page)
        return Response(
            {"number": page.number, "workflow": approvals.workflow_summary(page)}
        )


class DocumentActView(LifecycleAPIView):
    """Sign (approve) or return (reject) the document's current step."""

    action = ""
    params_class: type[serializers.Serializer] = ApproveSerializer

    def act(self, request, number: str) -> Response:
        page = document_for(request.user, number, drafts=True)
        params = self.params_class(data=request_data(request))
        params.is_valid(raise_exception=True)
        result = approvals.document_act(
            user=request.user,
            document=page,
            action=self.action,
            **params.validated_data,
        )
        page = DocumentPage.objects.get(pk=page.pk)
        current = page.current_issue
        return Response(
            {
                "number": page.number,
                "signed": result.signed,
                "returned": result.returned,
                "finished": result.finished,
                "reasons": result.reasons,
                "workflow": approvals.workflow_summary(page),
                "current_issue": current.label if current else None,
            }
        )


class DocumentApproveView(DocumentActView):
    action = "approve"
    params_class = ApproveSerializer

    @extend_schema(
        tags=["approval"],
        summary="Sign the current step",
        description=(
            "Co-sign, review, approve or (document control) check and issue. "
            "A failed pre-issue check returns the document with its reasons."
        ),
        parameters=[NUMBER],
        request=ApproveSerializer,
        responses={200: ActResultSerializer, **_refusals(400, 403, 404, 409)},
    )
    def post(self, request, number: str):
        return self.act(request, number)


class DocumentRejectView(DocumentActView):
    action = "reject"
    params_class = RejectSerializer

    @extend_schema(
        tags=["approval"],
        summary="Return the document to its author",
        parameters=[NUMBER],
        request=RejectSerializer,
        responses={200: ActResultSerializer, **_refusals(400, 403, 404, 409)},
    )
    def post(self, request, number: str):
        return self.act(request, number)


class CopyPdfView(LifecycleAPIView):
    """The stamped PDF of one controlled copy, for its holder or document control.
    Every download is recorded in the distribution and recall record."""

    def perform_content_negotiation(self, request, force=False):
        # "Accept: application/pdf" gets the PDF, and errors as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["copies"],
        summary="Download a controlled copy",
        parameters=[NUMBER, LABEL, CopyQuerySerializer],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **_refusals(400, 403, 404, 422),
        },
    )
    def get(self, request, number: str, label: str):
        params = CopyQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = document_for(request.user, number)
        issue = issue_for(page, label)
        copy = (
            ControlledCopy.objects.select_related(
                "issue__document", "issue__source_file", "holder", "department"
            )
            .filter(
                issue=issue,
                kind=CopyKind.CONTROLLED,
                copy_number=params.validated_data["copy"],
            )
            .first()
        )
        if copy is None:
            raise exceptions.NotFound(_("No such copy."))
        pdf = distribution.copy_render(user=request.user, copy=copy)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = attachment_header(
            f"{page.number}-{issue.label}-{copy.copy_label}.pdf",
            fallback=f"{page.number}-{issue.label}-copy{copy.copy_number:02d}.pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class AcknowledgeView(LifecycleAPIView):
    """The reader confirms having read and understood the issue (签收)."""

    @extend_schema(
        tags=["copies"],
        summary="Confirm reading an issue",
        parameters=[NUMBER, LABEL],
        request=None,
        responses={200: AcknowledgedSerializer, **_refusals(400, 403, 404)},
    )
    def post(self, request, number: str, label: str):
        page = document_for(request.user, number)
        issue = issue_for(page, label)
        acknowledgement = distribution.acknowledgement_confirm(
            user=request.user, issue=issue
        )
        issue.refresh_from_db(fields=["status"])
        return Response(
            {
                "number": page.number,
                "issue": issue.label,
                "confirmed_at": acknowledgement.confirmed_at,
                "issue_status": issue.status,
            }
        )
