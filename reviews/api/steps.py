"""Views of a review's steps in the reviews API: the departments' inputs, the
input pack, the meeting, the outputs and the report's submission (see
:mod:`reviews.api`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api.serializers import absolute
from compliance.api.views import query_params

from .. import compilation, permissions, services
from ..models import DepartmentInput, InputAttachment, Review, ReviewOutput, ReviewPack
from . import inputs
from .serializers import (
    ReviewDepartmentInputSerializer,
    ReviewDetailSerializer,
    ReviewOutputSerializer,
    ReviewPackSerializer,
)
from .views import (
    REVIEW_ID,
    Action,
    ReviewErrorsMixin,
    proxy,
    refusals,
    review_detail,
    review_for,
    unknown_action,
    warnings_of,
)

# --- the input pack -----------------------------------------------------------------


class PackNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such version of the input pack.")


def pack_answer(request, review: Review, pack: ReviewPack, warnings=()) -> dict:
    versions = list(review.packs.order_by("version").values_list("version", flat=True))
    answer = {
        "review": review.number,
        "preview": False,
        "version": pack.version,
        "versions": versions,
        "period": {"start": pack.period_start, "end": pack.period_end},
        "compiled_at": pack.compiled_at,
        "compiled_by": pack.compiled_by,
        "confirmed_at": pack.confirmed_at,
        "confirmed_by": pack.confirmed_by,
        "data": pack.data,
        "warnings": [str(w) for w in warnings],
    }
    return ReviewPackSerializer(answer, context={"request": request}).data


def preview_answer(request, review: Review) -> dict:
    if not permissions.can_prepare(request.user):
        raise exceptions.PermissionDenied(
            _("Only those who prepare the review may preview its pack.")
        )
    answer = {
        "review": review.number,
        "preview": True,
        "version": None,
        "versions": list(
            review.packs.order_by("version").values_list("version", flat=True)
        ),
        "period": {"start": review.period_start, "end": review.period_end},
        "compiled_at": timezone.now(),
        "compiled_by": request.user,
        "confirmed_at": None,
        "confirmed_by": None,
        "data": compilation.compile_pack(review, today=services.company_today()),
        "warnings": [],
    }
    return ReviewPackSerializer(answer, context={"request": request}).data


def packs_of(review: Review):
    return ReviewPack.objects.select_related("compiled_by", "confirmed_by").filter(
        review=review
    )


class PackView(ReviewErrorsMixin, APIView):
    """The review's input pack as JSON."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_inputs",
        summary="The compiled input pack (JSON)",
        description=(
            "The latest pack compiled (or ?version=N): its version, when and "
            "by whom it was compiled and confirmed, the period it covers and "
            "its sections as compiled, each with its source. Before any is "
            "compiled: 404 saying so. ?preview=1 compiles it now without "
            "saving (version null), for those who prepare the review."
        ),
        parameters=[REVIEW_ID, inputs.ReviewPackQuerySerializer],
        responses={200: ReviewPackSerializer, **refusals(400, 403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewPackQuerySerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        if params.validated_data["preview"]:
            return Response(preview_answer(request, review))
        packs = packs_of(review)
        if "version" in params.validated_data:
            pack = packs.filter(version=params.validated_data["version"]).first()
            if pack is None:
                raise PackNotFound
        else:
            pack = packs.order_by("-version").first()
            if pack is None:
                raise exceptions.NotFound(
                    _(
                        "No input pack has been compiled for %(number)s yet: "
                        "compile one (POST %(url)s) or look at a preview "
                        "(?preview=1)."
                    )
                    % {
                        "number": review.number,
                        "url": reverse(
                            "reviews_api:pack", kwargs={"id": review.number}
                        ),
                    }
                )
        return Response(pack_answer(request, review, pack))


def inputs_url(request, review: Review) -> str | None:
    url = reverse("reviews_api:review-inputs", kwargs={"id": review.number})
    return absolute(request, url)


class PackCompileView(ReviewErrorsMixin, APIView):
    """Compile the pack: a new version, written once."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_pack_compile",
        summary="Compile the input pack",
        description=(
            "A snapshot of the review's period from the system (actions of "
            "previous reviews, objectives, audits, nonconformities, documents, "
            "records) and the departments' signed inputs; once the plan is "
            "approved, again as a new version until the meeting."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewNoBodySerializer,
        responses={201: ReviewPackSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        pack = services.pack_compile(user=request.user, review=review)
        pack = packs_of(review).get(pk=pack.pk)
        return Response(
            pack_answer(request, review, pack),
            status=status.HTTP_201_CREATED,
            headers={"Location": inputs_url(request, review)},
        )


class PackConfirmView(ReviewErrorsMixin, APIView):
    """管理者代表 confirms the latest pack."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_pack_confirm",
        summary="Confirm the input pack",
        description=(
            "管理者代表 confirms the latest version (send the version read: an "
            "older one is refused); it is filed as the review's input "
            "material, with warnings when it cannot be."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewPackConfirmSerializer,
        responses={200: ReviewPackSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewPackConfirmSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        packs = packs_of(review)
        if "version" in params.validated_data:
            pack = packs.filter(version=params.validated_data["version"]).first()
            if pack is None:
                raise PackNotFound
        else:
            pack = packs.order_by("-version").first()
            if pack is None:
                raise exceptions.ValidationError(
                    _("No input pack has been compiled yet: compile it first.")
                )
        confirmed = services.pack_confirm(user=request.user, pack=pack)
        answer = pack_answer(
            request, review, packs.get(pk=pack.pk), warnings=warnings_of(confirmed)
        )
        return Response(answer)


# --- the meeting --------------------------------------------------------------------


class MeetingView(ReviewErrorsMixin, APIView):
    """The meeting's record (会议记录)."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_meeting",
        summary="Record the meeting",
        description=(
            "held_on, attendees (签到; people not invited are added as "
            "guests), discussions per input, 管理者代表's report (mr_report), "
            "the overall evaluation, the verdicts on suitability, adequacy and "
            "effectiveness (yes, partly, no) and the conclusions. The first "
            "record (the plan approved, a pack compiled) marks the meeting "
            "held; later ones correct the minutes until the report is "
            "submitted. Conclusions not given stay as they are."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewMeetingRecordSerializer,
        responses={200: ReviewDetailSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewMeetingRecordSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.meeting_record(
            user=request.user, review=review, **params.validated_data
        )
        return Response(review_detail(request, review.pk))


class ReportSubmitView(ReviewErrorsMixin, APIView):
    """Send the report for signature."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_report_submit",
        summary="Submit the report",
        description=(
            "After the meeting, with the conclusions recorded: the report goes "
            "along its chain (管理者代表 reviews, 总经理 approves; sign with "
            "POST …/sign/). distribution names the departments receiving it."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewReportSubmitSerializer,
        responses={200: ReviewDetailSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewReportSubmitSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.report_submit(
            user=request.user, review=review, **params.validated_data
        )
        return Response(review_detail(request, review.pk))


# --- outputs ------------------------------------------------------------------------


class OutputNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such output of the review.")


SEQ = OpenApiParameter(
    "seq",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The output's item number (outputs[].seq).",
)


def outputs_loaded(review: Review):
    return (
        ReviewOutput.objects.filter(review=review)
        .select_related(
            "review",
            "owner",
            "department",
            "coordinator",
            "document",
            "nonconformity",
            "change_request",
            "verified_by",
        )
        .order_by("seq")
    )


def output_for(review: Review, seq: int) -> ReviewOutput:
    output = outputs_loaded(review).filter(seq=seq).first()
    if output is None:
        raise OutputNotFound
    return output


def output_data(request, output: ReviewOutput) -> dict[str, Any]:
    context = {"request": request, "today": services.company_today()}
    return ReviewOutputSerializer(output, context=context).data


class OutputListView(ReviewErrorsMixin, APIView):
    """The review's outputs (管理评审改进计划)."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_outputs_list",
        summary="The review's outputs",
        description="Each decided action with where it stands now.",
        parameters=[REVIEW_ID],
        responses={200: ReviewOutputSerializer(many=True), **refusals(403, 404)},
    )
    def get(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        context = {"request": request, "today": services.company_today()}
        outputs = outputs_loaded(review)
        return Response(
            ReviewOutputSerializer(outputs, many=True, context=context).data
        )

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_outputs_add",
        summary="Record a decision as an action",
        description=(
            "After the meeting: kind, description, owner and due date "
            "(required: the service refuses an action without them), the "
            "responsible department (by default the owner's), area, input "
            "answered, coordinator. improvement and corrective raise a "
            "nonconformity in compliance (grade and clause optional); "
            "document (with the document's number) a change request."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewOutputAddSerializer,
        responses={201: ReviewOutputSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewOutputAddSerializer(
            data=request.data, context={"request": request}
        )
        params.is_valid(raise_exception=True)
        output = services.output_add(
            user=request.user, review=review, **params.validated_data
        )
        url = reverse(
            "reviews_api:output", kwargs={"id": review.number, "seq": output.seq}
        )
        return Response(
            output_data(request, output_for(review, output.seq)),
            status=status.HTTP_201_CREATED,
            headers={"Location": absolute(request, url)},
        )


class OutputDetailView(ReviewErrorsMixin, APIView):
    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_output_retrieve",
        summary="Retrieve an output",
        parameters=[REVIEW_ID, SEQ],
        responses={200: ReviewOutputSerializer, **refusals(403, 404)},
    )
    def get(self, request, id: str, seq: int, *args, **kwargs):
        output = output_for(review_for(request, id), seq)
        return Response(output_data(request, output))


OUTPUT_ACTIONS: dict[str, Action] = {
    "complete": Action(inputs.ReviewOutputCompleteSerializer, services.output_complete),
    "verify": Action(inputs.ReviewOutputVerifySerializer, services.output_verify),
    "cancel": Action(inputs.ReviewOutputCancelSerializer, services.output_cancel),
}


class OutputActionView(ReviewErrorsMixin, APIView):
    """Follow an output up to its closure."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_output_action",
        summary="Take an action on an output",
        description=(
            "complete (note, completed_on; by the owner or 行政部), verify "
            "(effective, note; 行政部: not effective reopens it) or cancel "
            "(reason). Actions raised in compliance or as change requests are "
            "followed there and refused here (400). Answers the output."
        ),
        parameters=[
            REVIEW_ID,
            SEQ,
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(OUTPUT_ACTIONS),
                description="The action to take.",
            ),
        ],
        request=proxy("ReviewOutputActionRequest", OUTPUT_ACTIONS),
        responses={200: ReviewOutputSerializer, **refusals(400, 403, 404, 409)},
    )
    def post(self, request, id: str, seq: int, action: str, *args, **kwargs):
        step = OUTPUT_ACTIONS.get(action)
        if step is None:
            raise unknown_action(action, OUTPUT_ACTIONS)
        review = review_for(request, id)
        output = output_for(review, seq)
        params = step.serializer(data=request.data)
        params.is_valid(raise_exception=True)
        step.service(user=request.user, output=output, **params.validated_data)
        return Response(output_data(request, output_for(review, seq)))


# --- department inputs --------------------------------------------------------------


class InputNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such input of the review.")


INPUT_ID = OpenApiParameter(
    "input_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The department input's id (department-inputs[].id).",
)


InputVisibility = permissions.InputVisibility


def inputs_loaded(review: Review):
    files = InputAttachment.objects.select_related("uploaded_by", "input__review")
    return (
        DepartmentInput.objects.filter(review=review)
        .select_related(
            "department", "prepared_by", "signed_by", "returned_by", "review"
        )
        .prefetch_related(Prefetch("files", queryset=files.order_by("id")))
        .order_by("section", "department__sort_order", "id")
    )


def input_for(request, review: Review, input_id: int) -> DepartmentInput:
    item = inputs_loaded(review).filter(pk=input_id).first()
    if item is None or not InputVisibility(request.user)(item):
        raise InputNotFound
    return item


def input_data(request, item: DepartmentInput) -> dict[str, Any]:
    return ReviewDepartmentInputSerializer(item, context={"request": request}).data


class DepartmentInputListView(ReviewErrorsMixin, APIView):
    """The departments' inputs to the review."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_department_inputs_list",
        summary="The departments' inputs",
        description=(
            "Signed-off inputs for everyone; drafts and returned ones for "
            "their department, its head, 行政部 and 管理者代表."
        ),
        parameters=[REVIEW_ID],
        responses={
            200: ReviewDepartmentInputSerializer(many=True),
            **refusals(403, 404),
        },
    )
    def get(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        visible = InputVisibility(request.user)
        items = [item for item in inputs_loaded(review) if visible(item)]
        context = {"request": request}
        return Response(
            ReviewDepartmentInputSerializer(items, many=True, context=context).data
        )

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_department_inputs_save",
        summary="Write a department's input",
        description=(
            "The department's staff, its head or 行政部 write (or rewrite) the "
            "draft of one input until the meeting; a signed-off input is "
            "returned before it changes. 201 when written the first time."
        ),
        parameters=[REVIEW_ID],
        request=inputs.ReviewDepartmentInputSaveSerializer,
        responses={
            200: ReviewDepartmentInputSerializer,
            201: ReviewDepartmentInputSerializer,
            **refusals(400, 403, 404),
        },
    )
    def post(self, request, id: str, *args, **kwargs):
        review = review_for(request, id)
        params = inputs.ReviewDepartmentInputSaveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        existed = DepartmentInput.objects.filter(
            review=review, department=data["department"], section=data["section"]
        ).exists()
        item = services.input_save(user=request.user, review=review, **data)
        answer = input_data(request, inputs_loaded(review).get(pk=item.pk))
        if existed:
            return Response(answer)
        return Response(answer, status=status.HTTP_201_CREATED)


INPUT_ACTIONS: dict[str, Action] = {
    "sign": Action(inputs.ReviewNoBodySerializer, services.input_sign),
    "return": Action(inputs.ReviewCommentSerializer, services.input_return),
}


class DepartmentInputActionView(ReviewErrorsMixin, APIView):
    """Sign a department's input off, or return it."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_department_input_action",
        summary="Sign off or return a department's input",
        description=(
            "sign: the department's head signs it off (it then counts in the "
            "pack); return (comment): 行政部 or 管理者代表 send it back. Until "
            "the meeting. Answers the input."
        ),
        parameters=[
            REVIEW_ID,
            INPUT_ID,
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(INPUT_ACTIONS),
                description="The action to take.",
            ),
        ],
        request=proxy("ReviewInputActionRequest", INPUT_ACTIONS),
        responses={
            200: ReviewDepartmentInputSerializer,
            **refusals(400, 403, 404, 409),
        },
    )
    def post(self, request, id: str, input_id: int, action: str, *args, **kwargs):
        step = INPUT_ACTIONS.get(action)
        if step is None:
            raise unknown_action(action, INPUT_ACTIONS)
        review = review_for(request, id)
        item = input_for(request, review, input_id)
        params = step.serializer(data=request.data)
        params.is_valid(raise_exception=True)
        step.service(user=request.user, input=item, **params.validated_data)
        return Response(input_data(request, inputs_loaded(review).get(pk=item.pk)))


class DepartmentInputFilesView(ReviewErrorsMixin, APIView):
    """Attach files to a department's input."""

    @extend_schema(
        tags=["reviews"],
        operation_id="reviews_department_input_files",
        summary="Attach files to a department's input",
        description=(
            "Multipart with the field files repeated; each is checked by its "
            "bytes: too large or disguised, all are refused (400). Not once "
            "the input is signed off. Answers the input."
        ),
        parameters=[REVIEW_ID, INPUT_ID],
        request={"multipart/form-data": inputs.ReviewInputFilesSerializer},
        responses={201: ReviewDepartmentInputSerializer, **refusals(400, 403, 404)},
    )
    def post(self, request, id: str, input_id: int, *args, **kwargs):
        review = review_for(request, id)
        item = input_for(request, review, input_id)
        params = inputs.ReviewInputFilesSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.input_attach(
            user=request.user, input=item, uploads=params.validated_data["files"]
        )
        return Response(
            input_data(request, inputs_loaded(review).get(pk=item.pk)),
            status=status.HTTP_201_CREATED,
        )


__all__ = [
    "DepartmentInputActionView",
    "DepartmentInputFilesView",
    "DepartmentInputListView",
    "MeetingView",
    "OutputActionView",
    "OutputDetailView",
    "OutputListView",
    "PackCompileView",
    "PackConfirmView",
    "PackView",
    "ReportSubmitView",
]
