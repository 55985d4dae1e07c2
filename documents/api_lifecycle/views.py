"""The endpoints of the writing API; each validates its request, calls the
services and answers with what they did."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from .. import api, approvals, distribution
from ..lifecycle import CopyKind, DocumentKind
from ..models import ControlledCopy, DocumentPage, form_schema
from ..register import attachment_header
from .base import (
    LifecycleAPIView,
    LifecycleErrorsMixin,
    document_for,
    issue_for,
    request_data,
)
from .drafts import document_create_from, document_revise_from
from .serializers import (
    AcknowledgedSerializer,
    ActResultSerializer,
    ApproveSerializer,
    CopyQuerySerializer,
    DocumentCreatedSerializer,
    DocumentCreateSerializer,
    DocumentReviseSerializer,
    RejectSerializer,
    SubmittedSerializer,
)


def draft_answer(request, page: DocumentPage) -> dict:
    """What a draft now holds, as answered to its creation or change."""
    draft = page.get_latest_revision_as_object()
    answer = {
        "number": page.number,
        "title": draft.title,
        "status": page.status,
        "url": api._absolute(request, page.get_permalink()),
        "workflow": approvals.workflow_summary(page),
        "distribution": api.distribution_data(page, request),
    }
    if page.kind == DocumentKind.FORM:
        answer["form_fields"] = api.form_fields_data(
            form_schema(draft.form_fields.all())
        )
    return answer


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
        return Response(draft_answer(request, page), status=status.HTTP_201_CREATED)


class DocumentReviseView(LifecycleAPIView):
    """Change a draft before it is submitted: the text, the planned effective
    date, the departments involved, the distribution list, the source file, a
    form's fields."""

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
            data=request_data(request), context={"request": request, "page": page}
        )
        params.is_valid(raise_exception=True)
        page = document_revise_from(
            user=request.user, page=page, data=params.validated_data
        )
        return Response(draft_answer(request, page))


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
