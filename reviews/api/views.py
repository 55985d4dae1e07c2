"""Views of the reviews API: reviews, their plan's actions, the pack as JSON,
the report as .docx and the schedule (see :mod:`reviews.api`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
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

from compliance.api.serializers import absolute
from compliance.api.views import query_params
from documents.api_lifecycle import Conflict, LifecycleErrorsMixin
from records.models import Record
from records.permissions import visible_records_filter

from .. import permissions, reports, schedule, services
from ..lifecycle import ReviewStatus, SignatureDecision, SignedPaper
from ..models import (
    DepartmentInput,
    Review,
    ReviewAssignment,
    ReviewOutput,
    ReviewPack,
    ReviewParticipant,
    ReviewRecordLink,
    ReviewSignature,
)
from . import inputs
from .serializers import (
    CanViewReviews,
    ReviewDetailSerializer,
    ReviewScheduleSerializer,
    ReviewSerializer,
    review_api_url,
)

S = ReviewStatus
DOCX = reports.DOCX_CONTENT_TYPE

# --- errors -------------------------------------------------------------------------


class ReviewNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such management review.")


class ReviewErrorsMixin(LifecycleErrorsMixin):
    """Errors as ``{"detail": "..."}``: ValidationError 400, PermissionDenied
    403, InvalidTransition 409, an unknown review or action 404."""

    permission_classes = [CanViewReviews]


def unknown_action(action: str, known) -> exceptions.NotFound:
    return exceptions.NotFound(
        _("Unknown action: %(action)s (there are: %(actions)s).")
        % {"action": action[:40], "actions": ", ".join(known)}
    )


def refusals(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(description="Invalid request; see detail and fields."),
        403: OpenApiResponse(description="Not allowed for you."),
        404: OpenApiResponse(
            description="No such review, input, output, objective or action."
        ),
        405: OpenApiResponse(description="Not possible on this resource."),
        409: OpenApiResponse(description="Not possible in the current state."),
    }
    return {code: described[code] for code in codes}


def proxy(name: str, actions) -> PolymorphicProxySerializer:
    """One request body per action (in the schema)."""
    bodies = list(dict.fromkeys(action.serializer for action in actions.values()))
    return PolymorphicProxySerializer(
        component_name=name, serializers=bodies, resource_type_field_name=None
    )


class ReviewPagination(LimitOffsetPagination):
    max_limit = 500


# --- lookups ------------------------------------------------------------------------

REVIEW_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The review's number, e.g. MR-2026-01 (any case), or its numeric id.",
)


def path_value(value: str, limit: int = 64) -> str | None:
    """A number or code from the URL, or None for one that cannot name
    anything (too long, or with a NUL character, which PostgreSQL refuses
    in a query)."""
    value = value.strip()
    if not value or len(value) > limit or "\x00" in value:
        return None
    return value


def review_for(request, id: str) -> Review:
    """The review numbered (or with the id) ``id``, if the requester may see it."""
    if not permissions.can_view_reviews(request.user):
        raise ReviewNotFound
    value = path_value(id)
    if value is None:
        raise ReviewNotFound
    match = Q(number=value.upper())
    if value.isascii() and value.isdigit() and len(value) < 10:
        match |= Q(pk=int(value))
    found = Review.objects.filter(match).first()
    if found is None:
        raise ReviewNotFound
    return found


# --- reviews: data ------------------------------------------------------------------


def reviews_listed():
    return Review.objects.select_related("chair")


def review_loaded(pk: int) -> Review:
    """A review with everything its detail shows, in a fixed number of queries."""
    outputs = ReviewOutput.objects.select_related(
        "owner",
        "department",
        "coordinator",
        "document",
        "nonconformity",
        "change_request",
        "verified_by",
    ).order_by("seq")
    return (
        reviews_listed()
        .select_related("prepared_by", "notified_by", "minutes_recorded_by")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=ReviewParticipant.objects.select_related(
                    "user", "department"
                ).order_by("id"),
            ),
            Prefetch(
                "assignments",
                queryset=ReviewAssignment.objects.select_related("department").order_by(
                    "id"
                ),
            ),
            Prefetch(
                "signatures",
                queryset=ReviewSignature.objects.select_related("user").order_by(
                    "signed_at", "id"
                ),
            ),
            "discussions",
            "distribution",
            Prefetch("outputs", queryset=outputs),
            Prefetch(
                "record_links",
                queryset=ReviewRecordLink.objects.select_related("record"),
            ),
        )
        .get(pk=pk)
    )


def latest_pack(review: Review) -> ReviewPack | None:
    return (
        ReviewPack.objects.select_related("compiled_by", "confirmed_by")
        .filter(review=review)
        .order_by("-version")
        .first()
    )


def step_data(review: Review) -> tuple[Any, dict | None]:
    """The chain step awaiting a signature, and how the detail answers it."""
    step = services.current_step(review)
    if step is None:
        return None, None
    paper = SignedPaper.PLAN if review.status == S.IN_REVIEW else SignedPaper.REPORT
    return step, {"paper": paper, "code": step.code, "role": step.role}


def review_actions(user, review: Review, step, pack: ReviewPack | None) -> list[str]:
    """What the review's detail offers ``user`` now (the services check
    again)."""
    actions = []
    if permissions.can_edit_plan(user, review):
        actions += ["update", "submit"]
    if step is not None and permissions.can_sign_step(user, step.role):
        actions += ["sign", "return"]
    if review.status == S.APPROVED and permissions.can_prepare(user):
        actions += ["revise", "notify"]
    if permissions.can_compile(user, review):
        actions.append("pack")
    if (
        review.status == S.APPROVED
        and pack is not None
        and pack.confirmed_at is None
        and permissions.can_confirm_pack(user)
    ):
        actions.append("pack_confirm")
    if permissions.can_record_meeting(user, review):
        actions.append("meeting")
    if permissions.can_add_outputs(user, review):
        actions.append("outputs")
    if permissions.can_submit_report(user, review):
        actions.append("report_submit")
    if permissions.can_cancel(user, review):
        actions.append("cancel")
    return actions


def report_due(review: Review):
    if review.held_on is None:
        return None
    return review.held_on + timedelta(days=settings.SHOUKONG_MGMT_REVIEW_REPORT_DAYS)


def review_detail(request, pk: int, warnings=()) -> dict[str, Any]:
    """The review ``pk`` as its detail answers it (with the warnings of the
    action just taken)."""
    review = review_loaded(pk)
    pack = latest_pack(review)
    step, step_answer = step_data(review)
    records = [link.record_id for link in review.record_links.all()]
    visible = set()
    if records:
        visible = set(
            Record.objects.filter(visible_records_filter(request.user))
            .filter(pk__in=records)
            .values_list("pk", flat=True)
        )
    statuses = {
        (section, department): state
        for section, department, state in DepartmentInput.objects.filter(
            review=review
        ).values_list("section", "department_id", "status")
    }
    context = {
        "request": request,
        "today": services.company_today(),
        "current_step": step_answer,
        "allowed_actions": review_actions(request.user, review, step, pack),
        "warnings": warnings,
        "interval_exceeded": schedule.interval_exceeded(review),
        "report_due": report_due(review),
        "input_statuses": statuses,
        "visible_records": visible,
        "latest_pack": pack,
    }
    return ReviewDetailSerializer(review, context=context).data


def reviews_filtered(data: dict[str, Any]):
    queryset = reviews_listed()
    if "status" in data:
        queryset = queryset.filter(status=data["status"])
    if "year" in data:
        queryset = queryset.filter(planned_date__year=data["year"])
    if "kind" in data:
        queryset = queryset.filter(kind=data["kind"])
    return queryset.order_by("-planned_date", "-id")


# --- reviews: list, create, read, change --------------------------------------------


class ReviewListCreateView(ReviewErrorsMixin, generics.GenericAPIView):
    """Management reviews, the latest meeting first."""

    serializer_class = ReviewSerializer
    pagination_class = ReviewPagination

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_list",
        summary="List management reviews",
        description="The latest meeting first, paginated with limit and offset.",
        parameters=[inputs.ReviewFilterSerializer],
        responses={200: ReviewSerializer(many=True), **refusals(400, 403)},
    )
    def get(self, request, *args, **kwargs):
        params = inputs.ReviewFilterSerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(reviews_filtered(params.validated_data))
        answer = ReviewSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(answer)

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_create",
        summary="Plan a management review",
        description=(
            "The plan (管理评审计划), a draft prepared by 行政部 or 管理者代表: "
            "the meeting date, place, chair, participants, the period the "
            "input pack covers and which department provides which input by "
            "when. An extra review names its trigger. Unknown users or "
            "departments are refused under their field and nothing is created."
        ),
        request=inputs.ReviewCreateSerializer,
        responses={201: ReviewDetailSerializer, **refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = inputs.ReviewCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        review = services.review_create(user=request.user, **params.validated_data)
        return Response(
            review_detail(request, review.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": absolute(request, review_api_url(review.number))},
        )


class ReviewDetailView(ReviewErrorsMixin, APIView):
    """One review; its draft plan is changed with PATCH."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method in ("PUT", "DELETE"):
            url = absolute(request, review_api_url(kwargs["id"]))
            raise exceptions.MethodNotAllowed(
                request.method,
                detail=_(
                    "A review is not replaced or deleted: PATCH its draft plan, "
                    "or post one of its actions to %(url)s{action}/ (cancel …)."
                )
                % {"url": url},
            )
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_retrieve",
        summary="Retrieve a management review",
        description=(
            "With its plan, the step awaiting a signature and the signatures, "
            "participants and attendance, the inputs assigned and their "
            "status, the latest pack, the meeting's record, the outputs with "
            "where each stands (a nonconformity's or change request's status), "
            "the report, when it is due, whether the review comes more than "
            "12 months after the one before, and the actions you may take now."
        ),
        parameters=[REVIEW_ID],
        responses={200: ReviewDetailSerializer, **refusals(403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        return Response(review_detail(request, review_for(request, id).pk))

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_update",
        summary="Change the draft plan",
        description=(
            "Only the fields given change; a plan in review or approved is "
            "revised first (POST …/revise/). participants and assignments "
            "replace the lists."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewUpdateSerializer,
        responses={200: ReviewDetailSerializer, **refusals(400, 403, 404)},
    )
    def patch(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.review_update(
            user=request.user, review=review, **params.validated_data
        )
        return Response(review_detail(request, review.pk))


# --- reviews: actions ---------------------------------------------------------------


def review_sign(*, user, review: Review, decision: str, comment: str = "") -> Review:
    """Sign the plan while it is in review, else the report (which refuses
    before the meeting)."""
    if review.status == S.IN_REVIEW:
        return services.plan_sign(
            user=user, review=review, decision=decision, comment=comment
        )
    return services.report_sign(
        user=user, review=review, decision=decision, comment=comment
    )


@dataclass(frozen=True)
class Action:
    """A step: its request body (whose validated data are the service's
    arguments besides ``user`` and the object) and its service."""

    serializer: type[serializers.Serializer]
    service: Callable[..., Any]


REVIEW_ACTIONS: dict[str, Action] = {
    "submit": Action(inputs.ReviewNoBodySerializer, services.review_submit),
    "sign": Action(inputs.ReviewSignSerializer, review_sign),
    "return": Action(
        inputs.ReviewCommentSerializer,
        partial(review_sign, decision=SignatureDecision.RETURNED),
    ),
    "revise": Action(inputs.ReviewReasonSerializer, services.review_revise),
    "cancel": Action(inputs.ReviewReasonSerializer, services.review_cancel),
    "notify": Action(inputs.ReviewNoBodySerializer, services.review_notify),
}


def warnings_of(result) -> list[str]:
    return list(getattr(result, "filing_warnings", None) or ())


class ReviewActionView(ReviewErrorsMixin, APIView):
    """Move a review along its plan's and its report's chains."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_action",
        summary="Take an action on a review",
        description=(
            "submit (the draft plan into its chain); sign (decision signed or "
            "returned, comment): the plan's step while it is in review, else "
            "the report's, by a holder of the step's role (the last signature "
            "approves: the plan is filed; the report and minutes are frozen, "
            "filed and distributed; warnings when a record is not filed); "
            "return (comment) the same step; revise (reason: an approved plan "
            "back to draft); cancel (reason; before the meeting); notify (the "
            "meeting notice, once approved). Answers the review as retrieved. "
            "Refused: 403 for the wrong person, 400 or 409 when the status "
            "does not allow it (nothing is changed), 404 for an unknown action."
        ),
        parameters=[
            REVIEW_ID,
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(REVIEW_ACTIONS),
                description="The action to take.",
            ),
        ],
        request=proxy("ReviewActionRequest", REVIEW_ACTIONS),
        responses={200: ReviewDetailSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, id: str, action: str, *args, **kwargs):
        step = REVIEW_ACTIONS.get(action)
        if step is None:
            raise unknown_action(action, REVIEW_ACTIONS)
        review = review_for(request, id)
        params = step.serializer(data=request.data)
        params.is_valid(raise_exception=True)
        result = step.service(user=request.user, review=review, **params.validated_data)
        return Response(review_detail(request, review.pk, warnings=warnings_of(result)))


# --- the report and minutes as .docx ------------------------------------------------


def frozen_bytes(field, sha256: str) -> bytes:
    """The approved file, or a 409 saying why it cannot be served."""
    try:
        return reports.frozen_bytes(field, sha256)
    except (reports.FrozenFileMissing, reports.FrozenFileAltered) as exc:
        raise Conflict(exc.messages[0]) from None


class ReviewDocxView(ReviewErrorsMixin, APIView):
    """The report (or the minutes) as .docx: the frozen file once approved, a
    draft made now before."""

    paper = "report"

    def perform_content_negotiation(self, request, force=False):
        # Any Accept header gets the file, and errors as JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        field, sha = f"{self.paper}_file", f"{self.paper}_sha256"
        if review.report_approved_at is not None:
            data = frozen_bytes(getattr(review, field), getattr(review, sha))
            state, name = "approved", f"{review.number}-{self.paper}.docx"
        else:
            make = (
                reports.report_docx if self.paper == "report" else reports.minutes_docx
            )
            data = make(review)
            state, name = "draft", f"{review.number}-{self.paper}-draft.docx"
        response = HttpResponse(data, content_type=DOCX)
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Cache-Control"] = "private, no-store"
        response["X-Review-Document-Status"] = state
        return response


DOCX_HEADERS = (
    "Once the report is approved, the file frozen then (checked against its "
    "SHA-256; a file missing or altered in the store answers 409); before, a "
    "draft made now, named …-draft.docx and with the header "
    "X-Review-Document-Status: draft (approved otherwise)."
)


class ReportDocxView(ReviewDocxView):
    paper = "report"

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_report_docx",
        summary="Download the review report (.docx)",
        description="管理评审报告 with its charts. " + DOCX_HEADERS,
        parameters=[REVIEW_ID],
        responses={(200, DOCX): OpenApiTypes.BINARY, **refusals(403, 404, 409)},
    )
    def get(self, request, id: str, *args, **kwargs):
        return super().get(request, id, *args, **kwargs)


class MinutesDocxView(ReviewDocxView):
    paper = "minutes"

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_minutes_docx",
        summary="Download the meeting minutes (.docx)",
        description="管理评审会议记录 with the attendance. " + DOCX_HEADERS,
        parameters=[REVIEW_ID],
        responses={(200, DOCX): OpenApiTypes.BINARY, **refusals(403, 404, 409)},
    )
    def get(self, request, id: str, *args, **kwargs):
        return super().get(request, id, *args, **kwargs)


# --- the schedule -------------------------------------------------------------------


class ScheduleView(ReviewErrorsMixin, APIView):
    """When the next review is due."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_schedule",
        summary="When the next management review is due",
        description=(
            "At least one review every SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS months "
            "after the last one held: the due date, the days left, the level "
            "(warning from SHOUKONG_MGMT_REVIEW_WARNING_DAYS before, overdue past "
            "it), the next review planned and whether it falls too late."
        ),
        responses={200: ReviewScheduleSerializer, **refusals(403)},
    )
    def get(self, request, *args, **kwargs):
        state = schedule.schedule_status(today=services.company_today())
        answer = {
            "level": state.level,
            "last": state.last,
            "due": state.due,
            "days_left": state.days_left,
            "next_planned": state.next_planned,
            "planned_late": state.planned_late,
            "interval_months": settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS,
            "warning_days": settings.SHOUKONG_MGMT_REVIEW_WARNING_DAYS,
        }
        return Response(
            ReviewScheduleSerializer(answer, context={"request": request}).data
        )
