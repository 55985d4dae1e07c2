"""Views of the audits API (see :mod:`audits.api`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.utils.http import content_disposition_header
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

from compliance.api.serializers import absolute, clause_named
from compliance.api.views import query_params
from documents.api_lifecycle import LifecycleErrorsMixin
from documents.permissions import restricted_ids
from records.models import Record
from records.permissions import visible_records_filter

from .. import permissions, reports, services
from ..lifecycle import MeetingKind
from ..models import (
    Audit,
    AuditMeeting,
    AuditRecordLink,
    AuditTeamMember,
    ChecklistEvidence,
    ChecklistItem,
    MeetingAttendee,
    ScheduleSlot,
)
from . import inputs
from .serializers import (
    AuditDetailSerializer,
    AuditSerializer,
    CanViewAudits,
    ChecklistItemSerializer,
    ChecklistSerializer,
    ConflictSerializer,
    FindingSerializer,
    audit_api_url,
    report_of,
)

DOCX = reports.DOCX_CONTENT_TYPE

# --- errors -------------------------------------------------------------------------


class AuditNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such audit.")


class ItemNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such checklist item.")


class AuditErrorsMixin(LifecycleErrorsMixin):
    """Errors as ``{"detail": "..."}`` (400, 403, 404, 409); a checklist item
    saved from a stale copy answers 409 with the item as stored."""

    permission_classes = [CanViewAudits]

    def handle_exception(self, exc):
        if isinstance(exc, services.ChecklistConflict):
            item = item_loaded(exc.item.pk)
            body = {"detail": str(exc), "item": item_data(self.request, item)}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


def unknown_action(action: str, known) -> exceptions.NotFound:
    return exceptions.NotFound(
        _("Unknown action: %(action)s (there are: %(actions)s).")
        % {"action": action, "actions": ", ".join(known)}
    )


def refusals(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(description="Invalid request; see detail and fields."),
        403: OpenApiResponse(description="Not allowed for you."),
        404: OpenApiResponse(
            description="No such audit, checklist item, programme or action."
        ),
        405: OpenApiResponse(description="Audits change only through actions."),
        409: OpenApiResponse(description="Not possible in the current state."),
    }
    return {code: described[code] for code in codes}


# --- lookups ------------------------------------------------------------------------

AUDIT_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The audit's number, e.g. IA-2026-01 (any case), or its numeric id.",
)
ITEM_ID = OpenApiParameter(
    "item_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The checklist item's id (items[].id).",
)


def audit_for(request, id: str) -> Audit:
    """The audit numbered (or with the id) ``id``, if the requester may see it."""
    if not permissions.can_view_audits(request.user):
        raise AuditNotFound
    value = id.strip()
    match = Q(number=value.upper())
    if value.isascii() and value.isdigit() and len(value) < 10:
        match |= Q(pk=int(value))
    found = Audit.objects.select_related("standard").filter(match).first()
    if found is None:
        raise AuditNotFound
    return found


def item_for(audit: Audit, item_id: int) -> ChecklistItem:
    item = ChecklistItem.objects.filter(audit=audit, pk=item_id).first()
    if item is None:
        raise ItemNotFound
    return item


# --- audits: data -------------------------------------------------------------------


def team_prefetch() -> Prefetch:
    # The leader first ("leader" > "auditor").
    members = AuditTeamMember.objects.select_related("user").order_by("-role", "id")
    return Prefetch("team", queryset=members)


def audits_listed():
    return Audit.objects.select_related("standard", "programme").prefetch_related(
        "clauses", "departments", team_prefetch()
    )


def audit_loaded(pk: int) -> Audit:
    """An audit with everything its detail shows, in a fixed number of queries."""
    meetings = AuditMeeting.objects.select_related(
        "chaired_by", "recorded_by"
    ).prefetch_related(
        Prefetch("attendees", queryset=MeetingAttendee.objects.select_related("user"))
    )
    return (
        audits_listed()
        .select_related(
            "requested_by",
            "decided_by",
            "notice_sent_by",
            "report__written_by",
            "report__submitted_by",
            "report__approved_by",
        )
        .prefetch_related(
            "processes",
            "auditees",
            Prefetch(
                "schedule",
                queryset=ScheduleSlot.objects.select_related("department", "auditor"),
            ),
            Prefetch("meetings", queryset=meetings),
            Prefetch("items", queryset=ChecklistItem.objects.only("audit", "result")),
            Prefetch(
                "record_links",
                queryset=AuditRecordLink.objects.select_related("record"),
            ),
        )
        .get(pk=pk)
    )


def audit_detail(request, pk: int, warnings=()) -> dict[str, Any]:
    """The audit ``pk`` as its detail answers it (with the warnings of the
    action just taken)."""
    audit = audit_loaded(pk)
    findings = (
        audit.findings()
        .select_related("grade", "clause", "department")
        .order_by("raised_at", "id")
    )
    records = [link.record_id for link in audit.record_links.all()]
    visible = set()
    if records:
        visible = set(
            Record.objects.filter(visible_records_filter(request.user))
            .filter(pk__in=records)
            .values_list("pk", flat=True)
        )
    context = {
        "request": request,
        "findings": findings,
        "visible_records": visible,
        "allowed_actions": permissions.allowed_actions(request.user, audit),
        "warnings": warnings,
    }
    return AuditDetailSerializer(audit, context=context).data


def audits_filtered(request, data: dict[str, Any]):
    """The list's filters (already validated)."""
    queryset = audits_listed()
    if "year" in data:
        year = data["year"]
        queryset = queryset.filter(
            Q(programme__year=year) | Q(planned_start__year=year)
        )
    if "status" in data:
        queryset = queryset.filter(status=data["status"])
    if "kind" in data:
        queryset = queryset.filter(kind=data["kind"])
    department = data.get("department", "").strip()
    if department:
        queryset = queryset.filter(departments__name=department)
    if data.get("clause", "").strip():
        try:
            clause = clause_named(data["clause"], None)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"clause": exc.detail}) from None
        queryset = queryset.filter(Q(clauses=clause) | Q(processes__clauses=clause))
    if data["mine"]:
        queryset = queryset.filter(team__user=request.user)
    return queryset.distinct().order_by("-planned_start", "-id")


class AuditPagination(LimitOffsetPagination):
    max_limit = 500


# --- audits: list, create, read -----------------------------------------------------


class AuditListCreateView(AuditErrorsMixin, generics.GenericAPIView):
    """Internal audits, the latest first."""

    serializer_class = AuditSerializer
    pagination_class = AuditPagination

    @extend_schema(
        tags=["audits"],
        operation_id="audits_list",
        summary="List internal audits",
        description="The latest first, paginated with limit and offset.",
        parameters=[inputs.AuditFilterSerializer],
        responses={200: AuditSerializer(many=True), **refusals(400, 403)},
    )
    def get(self, request, *args, **kwargs):
        params = inputs.AuditFilterSerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        queryset = audits_filtered(request, params.validated_data)
        page = self.paginate_queryset(queryset)
        answer = AuditSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(answer)

    @extend_schema(
        tags=["audits"],
        operation_id="audits_create",
        summary="Plan an audit",
        description=(
            "A planned audit joins its year's programme (a draft; an approved "
            "programme must be revised first); an ad hoc one names its trigger "
            "and waits for 管理者代表 unless he plans it. With a leader (and "
            "auditors) the team is formed at once: an auditor who is not "
            "independent of the scope (their own department, a process they "
            "own) is refused with the reasons, and no audit is created."
        ),
        request=inputs.AuditCreateSerializer,
        responses={201: AuditDetailSerializer, **refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = inputs.AuditCreateSerializer(
            data=request.data, context={"request": request}
        )
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        leader = data.pop("leader", None)
        auditors = data.pop("auditors", [])
        with transaction.atomic():
            audit = services.audit_create(user=request.user, **data)
            if leader is not None:
                services.audit_team_set(
                    user=request.user, audit=audit, leader=leader, auditors=auditors
                )
        return Response(
            audit_detail(request, audit.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": absolute(request, audit_api_url(audit.number))},
        )


class AuditDetailView(AuditErrorsMixin, APIView):
    """One audit with its scope, team, schedule, meetings, findings and report."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH", "DELETE"):
            url = absolute(request, audit_api_url(kwargs["id"]))
            raise exceptions.MethodNotAllowed(
                request.method,
                detail=_(
                    "An audit is not edited or deleted directly; post one of its "
                    "actions to %(url)s{action}/ (update, cancel …)."
                )
                % {"url": url},
            )
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        tags=["audits"],
        operation_id="audits_retrieve",
        summary="Retrieve an audit",
        description=(
            "With its scope, team, schedule, meetings and attendance, findings, "
            "report, filed records and the actions you may take now. PUT, PATCH "
            "and DELETE answer 405: post an action instead."
        ),
        parameters=[AUDIT_ID],
        responses={200: AuditDetailSerializer, **refusals(403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        audit = audit_for(request, id)
        return Response(audit_detail(request, audit.pk))


# --- audits: actions ----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A step: its request body (whose validated data are the service's
    arguments besides ``user`` and ``audit``) and its service; with
    ``warnings`` the service answers ``(object, warnings)``."""

    serializer: type[serializers.Serializer]
    service: Callable[..., Any]
    warnings: bool = False


AUDIT_ACTIONS: dict[str, Action] = {
    "update": Action(inputs.AuditUpdateSerializer, services.audit_update),
    "team": Action(inputs.TeamSerializer, services.audit_team_set),
    "schedule": Action(inputs.ScheduleSerializer, services.audit_schedule_set),
    "notify": Action(inputs.NoBodySerializer, services.audit_notify, warnings=True),
    "accept": Action(
        inputs.AcceptSerializer, partial(services.audit_decide, accept=True)
    ),
    "reject": Action(
        inputs.CommentSerializer, partial(services.audit_decide, accept=False)
    ),
    "cancel": Action(inputs.CancelSerializer, services.audit_cancel),
    "generate": Action(inputs.NoBodySerializer, services.checklist_generate),
    "opening": Action(
        inputs.MeetingRecordSerializer,
        partial(services.meeting_record, kind=MeetingKind.OPENING),
    ),
    "closing": Action(
        inputs.MeetingRecordSerializer,
        partial(services.meeting_record, kind=MeetingKind.CLOSING),
    ),
    "report": Action(inputs.ReportSaveSerializer, services.report_save),
    "submit": Action(inputs.NoBodySerializer, services.report_submit),
    "approve": Action(inputs.NoBodySerializer, services.report_approve, warnings=True),
    "return": Action(inputs.CommentSerializer, services.report_return),
}


def proxy(name: str, actions) -> PolymorphicProxySerializer:
    """One request body per action (in the schema)."""
    bodies = list(dict.fromkeys(action.serializer for action in actions.values()))
    return PolymorphicProxySerializer(
        component_name=name, serializers=bodies, resource_type_field_name=None
    )


class AuditActionView(AuditErrorsMixin, APIView):
    """Move an audit along: one endpoint per step."""

    @extend_schema(
        tags=["audits"],
        operation_id="audits_action",
        summary="Take an action on an audit",
        description=(
            "update (title, purpose, criteria, trigger_note, clauses, "
            "departments, processes, auditees, planned_start, planned_end; only "
            "those given change); team (leader, auditors: each independent of "
            "the scope); schedule (slots: date, start_time, end_time, "
            "department, activity, auditor); notify (the programme approved; "
            "warnings when outside 3–5 days ahead); accept (comment) or reject "
            "(comment) an ad hoc request (管理者代表); cancel (reason); generate "
            "(the checklist's missing items); opening or closing (held_at, "
            "attendees, guests, location, notes; closing refuses unanswered "
            "items and findings not written up); report (overview, evaluation, "
            "distribution); submit; approve (管理者代表, every finding approved; "
            "freezes the .docx and files the records, with warnings); return "
            "(comment). Answers the audit as retrieved, with the warnings. "
            "Refused: 403 for the wrong person, 409 or 400 when the status does "
            "not allow it (nothing is changed), 404 for an unknown action."
        ),
        parameters=[
            AUDIT_ID,
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(AUDIT_ACTIONS),
                description="The action to take.",
            ),
        ],
        request=proxy("AuditActionRequest", AUDIT_ACTIONS),
        responses={200: AuditDetailSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, id: str, action: str, *args, **kwargs):
        step = AUDIT_ACTIONS.get(action)
        if step is None:
            raise unknown_action(action, AUDIT_ACTIONS)
        audit = audit_for(request, id)
        context = {"request": request, "standard": audit.standard.ref_id}
        params = step.serializer(data=request.data, context=context)
        params.is_valid(raise_exception=True)
        result = step.service(user=request.user, audit=audit, **params.validated_data)
        warnings = result[1] if step.warnings else ()
        return Response(audit_detail(request, audit.pk, warnings=warnings))


class AuditReportDocxView(AuditErrorsMixin, APIView):
    """The audit report as .docx: the frozen file once approved."""

    def perform_content_negotiation(self, request, force=False):
        # Any Accept header gets the file, and errors as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["audits"],
        operation_id="audits_report_docx",
        summary="Download the audit report (.docx)",
        description=(
            "公司管理体系内审报告 with purpose, criteria, scope, dates, team, "
            "overview, evaluation, findings by clause and department and the "
            "distribution list. Once approved, the file frozen on approval; "
            "before, as it stands now."
        ),
        parameters=[AUDIT_ID],
        responses={(200, DOCX): OpenApiTypes.BINARY, **refusals(403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        audit = audit_for(request, id)
        report = report_of(audit)
        if report is not None and report.approved_at and report.file:
            with report.file.open("rb") as frozen:
                data = frozen.read()
        else:
            data = reports.report_docx(audit)
        response = HttpResponse(data, content_type=DOCX)
        response["Content-Disposition"] = content_disposition_header(
            True, f"{audit.number}-report.docx"
        )
        response["Cache-Control"] = "private, no-store"
        return response


# --- checklists ---------------------------------------------------------------------


def items_loaded():
    files = ChecklistEvidence.objects.select_related("uploaded_by").order_by("id")
    return (
        ChecklistItem.objects.select_related(
            "audit", "clause", "department", "auditor", "answered_by", "nonconformity"
        )
        .prefetch_related(Prefetch("files", queryset=files))
        .order_by("position", "id")
    )


def item_loaded(pk: int) -> ChecklistItem:
    return items_loaded().get(pk=pk)


def item_data(request, item: ChecklistItem) -> dict[str, Any]:
    context = {"request": request, "number": item.audit.number}
    return ChecklistItemSerializer(item, context=context).data


class ChecklistView(AuditErrorsMixin, APIView):
    """The audit's checklist (内审检查表)."""

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_list",
        summary="The audit's checklist",
        description=(
            "Every item in order: its clause and audited department, the "
            "departments answering for the clause and the documents then in "
            "force (number, title, issue), the question, the auditor, the "
            "result and evidence, the files and the finding raised."
        ),
        parameters=[AUDIT_ID],
        responses={200: ChecklistSerializer, **refusals(403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        audit = audit_for(request, id)
        items = list(items_loaded().filter(audit=audit))
        checklist = {
            "audit": audit.number,
            "status": audit.status,
            "items_total": len(items),
            "answered": sum(1 for item in items if item.answered),
            "items": items,
        }
        ids = {d.get("id") for i in items for d in i.documents if isinstance(d, dict)}
        context = {
            "request": request,
            "number": audit.number,
            "restricted": restricted_ids(request.user, ids - {None}),
        }
        return Response(ChecklistSerializer(checklist, context=context).data)

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_add",
        summary="Add a question to the checklist",
        description="A question of your own for a clause and an audited department.",
        parameters=[AUDIT_ID],
        request=inputs.ChecklistItemAddSerializer,
        responses={201: ChecklistItemSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, *args, **kwargs):
        audit = audit_for(request, id)
        context = {"request": request, "standard": audit.standard.ref_id}
        params = inputs.ChecklistItemAddSerializer(data=request.data, context=context)
        params.is_valid(raise_exception=True)
        item = services.checklist_item_add(
            user=request.user, audit=audit, **params.validated_data
        )
        return Response(
            item_data(request, item_loaded(item.pk)), status=status.HTTP_201_CREATED
        )


class ChecklistItemView(AuditErrorsMixin, APIView):
    """One checklist item: read, save as you go, or drop."""

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_item_retrieve",
        summary="Retrieve a checklist item",
        parameters=[AUDIT_ID, ITEM_ID],
        responses={200: ChecklistItemSerializer, **refusals(403, 404)},
    )
    def get(self, request, id: str, item_id: int, *args, **kwargs):
        item = item_for(audit_for(request, id), item_id)
        return Response(item_data(request, item_loaded(item.pk)))

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_item_update",
        summary="Save a checklist item",
        description=(
            "Only the fields given change. result and evidence during the "
            "fieldwork, by an independent member of the team (a finding result "
            "needs the facts found); question and auditor while the checklist is "
            "prepared. Send the version read: a stale copy answers 409 with the "
            "item as stored, and changes nothing."
        ),
        parameters=[AUDIT_ID, ITEM_ID],
        request=inputs.ChecklistItemUpdateSerializer,
        responses={
            200: ChecklistItemSerializer,
            409: OpenApiResponse(
                ConflictSerializer,
                description="Changed by someone else since read (or not possible).",
            ),
            **refusals(400, 403, 404),
        },
    )
    def patch(self, request, id: str, item_id: int, *args, **kwargs):
        item = item_for(audit_for(request, id), item_id)
        params = inputs.ChecklistItemUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        item = services.checklist_item_update(
            user=request.user, item=item, **params.validated_data
        )
        return Response(item_data(request, item_loaded(item.pk)))

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_item_destroy",
        summary="Drop a checklist item",
        description="Only a question not answered, without files or finding.",
        parameters=[AUDIT_ID, ITEM_ID],
        responses={204: None, **refusals(400, 403, 404)},
    )
    def delete(self, request, id: str, item_id: int, *args, **kwargs):
        item = item_for(audit_for(request, id), item_id)
        services.checklist_item_remove(user=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChecklistEvidenceView(AuditErrorsMixin, APIView):
    """Attach evidence files to a checklist item."""

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_evidence",
        summary="Attach evidence files",
        description=(
            "Photos, scans or files, multipart with the field files repeated; "
            "each is checked by its bytes: too large or disguised, all are "
            "refused (400). Answers the item."
        ),
        parameters=[AUDIT_ID, ITEM_ID],
        request={"multipart/form-data": inputs.EvidenceUploadSerializer},
        responses={201: ChecklistItemSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, item_id: int, *args, **kwargs):
        item = item_for(audit_for(request, id), item_id)
        params = inputs.EvidenceUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.checklist_evidence_add(
            user=request.user, item=item, uploads=params.validated_data["files"]
        )
        return Response(
            item_data(request, item_loaded(item.pk)), status=status.HTTP_201_CREATED
        )


class ChecklistFindingView(AuditErrorsMixin, APIView):
    """Write up the finding of a nonconforming or observation item."""

    @extend_schema(
        tags=["audits"],
        operation_id="audits_checklist_finding",
        summary="Raise the item's finding",
        description=(
            "A nonconforming item becomes a nonconformity, an observation an "
            "improvement opportunity, against the item's clause and department "
            "(compliance, source internal_audit: a draft until 管理者代表 "
            "approves it)."
        ),
        parameters=[AUDIT_ID, ITEM_ID],
        request=inputs.FindingRaiseSerializer,
        responses={201: FindingSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, item_id: int, *args, **kwargs):
        item = item_for(audit_for(request, id), item_id)
        params = inputs.FindingRaiseSerializer(
            data=request.data, context={"request": request}
        )
        params.is_valid(raise_exception=True)
        nc = services.finding_raise(
            user=request.user, item=item, **params.validated_data
        )
        answer = FindingSerializer(nc, context={"request": request}).data
        return Response(
            answer,
            status=status.HTTP_201_CREATED,
            headers={"Location": answer["api_url"]},
        )
