"""Views of the compliance API (see :mod:`compliance.api`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import ModelLogEntry

from documents.api_lifecycle import LifecycleErrorsMixin
from documents.models import ChangeRequest, DocumentPage
from documents.permissions import restricted_ids, restricted_numbers

from .. import coverage, permissions
from .. import nonconformities as nc_services
from ..lifecycle import (
    NonconformityStatus,
)
from ..models import (
    ActionPlan,
    Clause,
    EvidenceFile,
    Extension,
    Implementation,
    Nonconformity,
    Standard,
    Verification,
)
from ..services import clause_for
from .serializers import (
    CanViewCompliance,
    ClauseDetailSerializer,
    ClauseFilterSerializer,
    ClauseQuerySerializer,
    ClauseSerializer,
    ExtensionDecideSerializer,
    NonconformityApproveSerializer,
    NonconformityCancelSerializer,
    NonconformityChangeRequestCreateSerializer,
    NonconformityCloseSerializer,
    NonconformityCommentSerializer,
    NonconformityCreateSerializer,
    NonconformityDetailSerializer,
    NonconformityExtensionSerializer,
    NonconformityFilterSerializer,
    NonconformityImplementSerializer,
    NonconformityPlanSerializer,
    NonconformityReturnSerializer,
    NonconformitySerializer,
    NonconformityVerifySerializer,
    absolute,
    clause_named,
)

S = NonconformityStatus

# --- errors -------------------------------------------------------------------------


class ClauseNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such clause.")


class NonconformityNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such nonconformity.")


class ComplianceErrorsMixin(LifecycleErrorsMixin):
    """Errors as ``{"detail": "..."}`` (400, 403, 404, 409); a nonconformity is
    never edited or deleted, only moved by its actions."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH", "DELETE") and "number" in kwargs:
            raise exceptions.MethodNotAllowed(
                request.method,
                detail=_(
                    "A nonconformity is never edited or deleted; post one of its "
                    "actions to %(url)s{action}/."
                )
                % {"url": api_url(request, kwargs["number"])},
            )
        return super().http_method_not_allowed(request, *args, **kwargs)


# --- helpers ------------------------------------------------------------------------


def query_params(request) -> dict[str, str]:
    """The query string as plain data; an empty parameter means "any"."""
    return {key: value for key, value in request.query_params.items() if value.strip()}


def today():
    return nc_services.company_today()


def api_url(request, number: str) -> str | None:
    url = reverse("compliance_api:nonconformity", kwargs={"number": number.upper()})
    return absolute(request, url)


def standard_for(ref_id: str | None) -> Standard:
    """The active standard ``ref_id`` (the default one when none is named)."""
    ref_id = (ref_id or settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD).strip()
    standard = Standard.objects.filter(ref_id=ref_id, is_active=True).first()
    if standard is None:
        known = ", ".join(
            Standard.objects.filter(is_active=True).values_list("ref_id", flat=True)
        )
        raise serializers.ValidationError(
            {
                "standard": [
                    _("Unknown standard: %(standard)s (there are: %(known)s).")
                    % {"standard": ref_id, "known": known or "-"}
                ]
            }
        )
    return standard


def nonconformity_for(request, number: str) -> Nonconformity:
    """The nonconformity ``number`` (any case) if the requester may read it."""
    found = (
        permissions.visible_nonconformities(request.user)
        .filter(number=number.strip().upper())
        .first()
    )
    if found is None:
        raise NonconformityNotFound
    return found


# --- clauses ------------------------------------------------------------------------


def in_branch(ref_id: str, prefix: str) -> bool:
    """``ref_id`` is the clause ``prefix`` or one of its sub-clauses."""
    prefix = prefix.strip().rstrip(".")
    return ref_id == prefix or ref_id.startswith(prefix + ".")


CLAUSE = OpenApiParameter(
    "ref_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Clause number, e.g. 8.5.1, or with its standard: iso27001-2022:5.1.",
)


class ClauseListView(ComplianceErrorsMixin, APIView):
    """The clauses of a standard and what answers each."""

    permission_classes = [CanViewCompliance]

    @extend_schema(
        tags=["compliance"],
        operation_id="clauses_list",
        summary="List the clauses of a standard",
        description=(
            "Every active clause in order, with the documents that meet it (under "
            "control only unless all_documents=1; a document linked to a clause "
            "also answers its sub-clauses, shown with inherited_from), the "
            "departments answering for it (function allocation matrix), its open "
            "nonconformities, its last audit and its coverage gaps. An unknown "
            "standard is refused with 400."
        ),
        parameters=[ClauseFilterSerializer],
        responses={
            200: ClauseSerializer(many=True),
            400: OpenApiResponse(description="Unknown standard."),
            403: OpenApiResponse(description="Not allowed for you."),
        },
    )
    def get(self, request, *args, **kwargs):
        params = ClauseFilterSerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        standard = standard_for(data.get("standard"))
        rows = coverage.clause_rows(
            standard,
            today=today(),
            all_documents=data["all_documents"]
            and permissions.can_manage_catalogue(request.user),
            reader=request.user,
        )
        parents = {
            child.clause.pk: row.clause.ref_id for row in rows for child in row.children
        }
        prefix = data.get("ref_id", "").strip()
        if prefix:
            rows = [row for row in rows if in_branch(row.clause.ref_id, prefix)]
        context = {"request": request, "parents": parents}
        return Response(ClauseSerializer(rows, many=True, context=context).data)


class ClauseDetailView(ComplianceErrorsMixin, APIView):
    """One clause with its sub-clauses, processes, findings and audits."""

    permission_classes = [CanViewCompliance]

    @extend_schema(
        tags=["compliance"],
        operation_id="clauses_retrieve",
        summary="Retrieve a clause",
        description=(
            "As listed, with its sub-clauses, the processes it belongs to and their "
            "owners, its open nonconformities and its audit history."
        ),
        parameters=[CLAUSE, ClauseQuerySerializer],
        responses={
            200: ClauseDetailSerializer,
            400: OpenApiResponse(description="Unknown standard."),
            403: OpenApiResponse(description="Not allowed for you."),
            404: OpenApiResponse(description="No such clause."),
        },
    )
    def get(self, request, ref_id: str, *args, **kwargs):
        params = ClauseQuerySerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        named = data.get("standard")
        if named:
            standard_for(named)
        try:
            clause = clause_for(ref_id, standard=named)
        except DjangoValidationError as exc:
            raise ClauseNotFound(" ".join(exc.messages)) from None
        clause = Clause.objects.select_related("standard", "parent").get(pk=clause.pk)
        (row,) = coverage.clause_rows(
            clause.standard,
            today=today(),
            all_documents=data["all_documents"]
            and permissions.can_manage_catalogue(request.user),
            clauses=[clause],
            reader=request.user,
        )
        processes = clause.processes.filter(is_active=True).select_related(
            "owner", "department"
        )
        findings = permissions.visible_nonconformities(
            request.user,
            Nonconformity.objects.open()
            .nonconformities()
            .filter(clause=clause)
            .for_listing()
            .order_by("raised_at", "id"),
        )
        context = {
            "request": request,
            "parents": {clause.pk: clause.parent.ref_id if clause.parent_id else None},
            "processes": processes,
            "findings": findings,
            "audits": coverage.audit_history(clause),
        }
        return Response(ClauseDetailSerializer(row, context=context).data)


# --- nonconformities: data ----------------------------------------------------------


def nonconformity_detail(request, pk: int) -> dict[str, Any]:
    """Everything about the nonconformity ``pk``, as its detail answers it."""
    nc = nonconformity_loaded(pk)
    history = list(
        ModelLogEntry.objects.for_instance(nc)
        .select_related("user")
        .order_by("timestamp", "id")
    )
    change_requests = list(
        ChangeRequest.objects.filter(
            source_type=ContentType.objects.get_for_model(Nonconformity),
            source_id=nc.pk,
        )
        .select_related("document")
        .order_by("requested_at", "id")
    )
    user = request.user
    named = [*nc.documents.all(), *(cr.document for cr in change_requests)]
    context = {
        "request": request,
        "today": today(),
        "number": nc.number,
        "history": history,
        "change_requests": change_requests,
        "allowed_actions": permissions.allowed_actions(user, nc),
        # Restricted documents the user may not open are not named.
        "restricted": restricted_ids(user, named),
        "restricted_numbers": restricted_numbers(
            user, [(entry.data or {}).get("document") for entry in history]
        ),
    }
    return NonconformityDetailSerializer(nc, context=context).data


def nonconformity_loaded(pk: int) -> Nonconformity:
    """A nonconformity with everything its detail shows, in a fixed number of
    queries."""
    return (
        Nonconformity.objects.for_listing()
        .select_related("approved_by", "closed_by")
        .prefetch_related(
            Prefetch("documents", queryset=DocumentPage.objects.for_listing()),
            Prefetch(
                "plans",
                queryset=ActionPlan.objects.select_related(
                    "owner", "submitted_by", "decided_by"
                ).order_by("version"),
            ),
            Prefetch(
                "extensions",
                queryset=Extension.objects.select_related(
                    "requested_by", "decided_by"
                ).order_by("requested_at", "id"),
            ),
            Prefetch(
                "implementations",
                queryset=Implementation.objects.select_related("recorded_by")
                .prefetch_related(
                    Prefetch("files", queryset=EvidenceFile.objects.order_by("id"))
                )
                .order_by("round"),
            ),
            Prefetch(
                "verifications",
                queryset=Verification.objects.select_related(
                    "verified_by", "implementation"
                ).order_by("verified_at", "id"),
            ),
        )
        .get(pk=pk)
    )


# --- nonconformities: list, create, read --------------------------------------------

NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Nonconformity number, e.g. NC-2026-001 (any case).",
)


def _refusals(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(description="Invalid request; see detail and fields."),
        403: OpenApiResponse(description="Not allowed for you."),
        404: OpenApiResponse(description="No such nonconformity (or action)."),
        405: OpenApiResponse(description="Nonconformities are never edited."),
        409: OpenApiResponse(description="Not possible in the current state."),
    }
    return {code: described[code] for code in codes}


class NonconformityPagination(LimitOffsetPagination):
    max_limit = 500


def nonconformities_filtered(queryset, data: dict[str, Any]):
    """The list's filters (already validated)."""
    if "status" in data:
        queryset = queryset.filter(status=data["status"])
    if "clause" in data:
        try:
            clause = clause_named(data["clause"], data.get("standard"))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"clause": exc.detail}) from None
        queryset = queryset.filter(clause=clause)
    elif "standard" in data:
        queryset = queryset.filter(clause__standard=standard_for(data["standard"]))
    department = data.get("department", "").strip()
    if department:
        match = Q(department__name=department)
        if department.isascii() and department.isdigit() and len(department) < 10:
            match |= Q(department_id=int(department))
        queryset = queryset.filter(match)
    if "source" in data:
        queryset = queryset.filter(source=data["source"])
    if data.get("grade", "").strip():
        queryset = queryset.filter(grade__code=data["grade"].strip())
    if "kind" in data:
        queryset = queryset.filter(kind=data["kind"])
    if data["open"]:
        queryset = queryset.open()
    if data["overdue"]:
        queryset = queryset.overdue(today())
    return queryset


class NonconformityListCreateView(ComplianceErrorsMixin, generics.GenericAPIView):
    """Nonconformities and potential nonconformities, newest first."""

    permission_classes = [CanViewCompliance]
    serializer_class = NonconformitySerializer
    pagination_class = NonconformityPagination

    @extend_schema(
        tags=["compliance"],
        operation_id="nonconformities_list",
        summary="List nonconformities",
        description="Newest first, paginated with limit and offset.",
        parameters=[NonconformityFilterSerializer],
        responses={200: NonconformitySerializer(many=True), **_refusals(400, 403)},
    )
    def get(self, request, *args, **kwargs):
        params = NonconformityFilterSerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        queryset = nonconformities_filtered(
            permissions.visible_nonconformities(
                request.user, Nonconformity.objects.for_listing()
            ),
            params.validated_data,
        ).order_by("-raised_at", "-id")
        page = self.paginate_queryset(queryset)
        context = {"request": request, "today": today()}
        answer = NonconformitySerializer(page, many=True, context=context).data
        return self.get_paginated_response(answer)

    @extend_schema(
        tags=["compliance"],
        operation_id="nonconformities_create",
        summary="Raise a nonconformity",
        description=(
            "Records a nonconformity (kind corrective) or a potential one "
            "(preventive) against a clause and a responsible department. Findings "
            "of an internal audit wait for 管理者代表's approval (status draft); "
            "the others are raised at once."
        ),
        request={
            "application/json": NonconformityCreateSerializer,
            "multipart/form-data": NonconformityCreateSerializer,
        },
        responses={201: NonconformityDetailSerializer, **_refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = NonconformityCreateSerializer(
            data=request.data, context={"request": request}
        )
        params.is_valid(raise_exception=True)
        nc = nc_services.nonconformity_raise(user=request.user, **params.validated_data)
        return Response(
            nonconformity_detail(request, nc.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": api_url(request, nc.number)},
        )


class NonconformityDetailView(ComplianceErrorsMixin, APIView):
    """One nonconformity with its action, history and your allowed actions."""

    permission_classes = [CanViewCompliance]

    @extend_schema(
        tags=["compliance"],
        operation_id="nonconformities_retrieve",
        summary="Retrieve a nonconformity",
        description=(
            "With its plans, extension requests, implementations (evidence files "
            "with their download), verifications, document change requests, "
            "history and the actions you may take now. Nonconformities are never "
            "edited or deleted: PUT, PATCH and DELETE answer 405."
        ),
        parameters=[NUMBER],
        responses={200: NonconformityDetailSerializer, **_refusals(403, 404)},
    )
    def get(self, request, number: str, *args, **kwargs):
        nc = nonconformity_for(request, number)
        return Response(nonconformity_detail(request, nc.pk))


# --- nonconformities: actions -------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A step: its request body (whose validated data are the service's
    arguments), its service, and whether it creates something (201)."""

    serializer: type[serializers.Serializer]
    service: Callable[..., Any]
    created: bool = False


ACTIONS: dict[str, Action] = {
    "approve": Action(
        NonconformityApproveSerializer, nc_services.nonconformity_approve
    ),
    "cancel": Action(NonconformityCancelSerializer, nc_services.nonconformity_cancel),
    "plan": Action(NonconformityPlanSerializer, nc_services.nonconformity_plan),
    "accept": Action(NonconformityCommentSerializer, nc_services.nonconformity_accept),
    "return": Action(NonconformityReturnSerializer, nc_services.nonconformity_return),
    "implement": Action(
        NonconformityImplementSerializer, nc_services.nonconformity_implement
    ),
    "verify": Action(NonconformityVerifySerializer, nc_services.nonconformity_verify),
    "close": Action(NonconformityCloseSerializer, nc_services.nonconformity_close),
    "extension": Action(
        NonconformityExtensionSerializer,
        nc_services.nonconformity_extension_request,
        created=True,
    ),
    "change-request": Action(
        NonconformityChangeRequestCreateSerializer,
        nc_services.nonconformity_change_request,
        created=True,
    ),
}

ACTION = OpenApiParameter(
    "action",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(ACTIONS),
    description="The action to take.",
)

ACTION_REQUEST = PolymorphicProxySerializer(
    component_name="NonconformityActionRequest",
    serializers=[action.serializer for action in ACTIONS.values()],
    resource_type_field_name=None,
)


class NonconformityActionView(ComplianceErrorsMixin, APIView):
    """Move a nonconformity's action along: one endpoint per step."""

    permission_classes = [CanViewCompliance]

    @extend_schema(
        tags=["compliance"],
        operation_id="nonconformities_action",
        summary="Take an action on a nonconformity",
        description=(
            "approve (管理者代表, a finding awaiting approval); cancel (reason); "
            "plan (the responsible department: root_cause, target, actions, owner "
            "username, due_date, correction); accept (comment) or return (comment) "
            "by the department's head; implement (the owner: description, "
            "completed_on, evidence files as multipart, repeated); verify (行政部: "
            "effective, comment; not effective reopens the action); close (note); "
            "extension (the owner: new_due, reason; 201); change-request "
            "(document, reason, proposed_change; 201). Answers the nonconformity "
            "as retrieved. Refused: 403 for the wrong person, 409 or 400 when the "
            "status does not allow it (nothing is changed), 404 for an unknown "
            "action."
        ),
        parameters=[NUMBER, ACTION],
        request={
            "application/json": ACTION_REQUEST,
            "multipart/form-data": ACTION_REQUEST,
        },
        responses={
            200: NonconformityDetailSerializer,
            201: NonconformityDetailSerializer,
            **_refusals(400, 403, 404, 409),
        },
    )
    def post(self, request, number: str, action: str, *args, **kwargs):
        step = ACTIONS.get(action)
        if step is None:
            raise exceptions.NotFound(
                _("Unknown action: %(action)s (there are: %(actions)s).")
                % {"action": action, "actions": ", ".join(ACTIONS)}
            )
        nc = nonconformity_for(request, number)
        params = step.serializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        step.service(user=request.user, nonconformity=nc, **params.validated_data)
        return Response(
            nonconformity_detail(request, nc.pk),
            status=status.HTTP_201_CREATED if step.created else status.HTTP_200_OK,
        )


class ExtensionDecideView(ComplianceErrorsMixin, APIView):
    """管理者代表 approves or refuses an extension request."""

    permission_classes = [CanViewCompliance]

    @extend_schema(
        tags=["compliance"],
        operation_id="nonconformities_extension_decide",
        summary="Decide an extension request",
        description=(
            "Approved, the action's due date moves to the requested one; refused, "
            "a comment is required. Answers the nonconformity as retrieved."
        ),
        parameters=[
            NUMBER,
            OpenApiParameter(
                "extension_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The extension request's id (extensions[].id).",
            ),
        ],
        request=ExtensionDecideSerializer,
        responses={200: NonconformityDetailSerializer, **_refusals(400, 403, 404)},
    )
    def post(self, request, number: str, extension_id: int, *args, **kwargs):
        nc = nonconformity_for(request, number)
        extension = nc.extensions.filter(pk=extension_id).first()
        if extension is None:
            raise exceptions.NotFound(_("No such extension request."))
        params = ExtensionDecideSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        nc_services.nonconformity_extension_decide(
            user=request.user,
            extension=extension,
            approve=params.validated_data["approve"],
            comment=params.validated_data["comment"],
        )
        return Response(nonconformity_detail(request, nc.pk))
