"""Views of the objectives and indicators in the reviews API, with their
measured values and the .xlsx import (see :mod:`reviews.api`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api.serializers import absolute
from compliance.api.views import query_params

from .. import services
from ..lifecycle import MeasureKind
from ..models import Measurement, Objective
from . import inputs
from .serializers import (
    MeasurementImportRefusedSerializer,
    MeasurementImportResultSerializer,
    ObjectiveDetailSerializer,
    ObjectiveMeasurementSerializer,
    ObjectiveSerializer,
    objective_api_url,
)
from .views import ReviewErrorsMixin, ReviewPagination, path_value, refusals


class ObjectiveNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such objective or indicator.")


class ImportRefused(exceptions.APIException):
    """The sheet refused as a whole: every bad row under ``errors``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, messages: list[str]):
        super().__init__({"detail": " ".join(messages), "errors": messages})


CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The objective's code, e.g. satisfaction.",
)


def measurements_prefetch() -> Prefetch:
    queryset = Measurement.objects.select_related("recorded_by").order_by(
        "period_start"
    )
    return Prefetch("measurements", queryset=queryset)


def objectives_listed():
    return Objective.objects.select_related("department").prefetch_related(
        measurements_prefetch()
    )


def objective_for(code: str) -> Objective:
    value = path_value(code)
    if value is None:
        raise ObjectiveNotFound
    found = Objective.objects.filter(code=value.lower()).first()
    if found is None:
        raise ObjectiveNotFound
    return found


def objective_data(request, pk: int) -> dict:
    objective = objectives_listed().get(pk=pk)
    return ObjectiveDetailSerializer(objective, context={"request": request}).data


class ObjectiveFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeasureKind.choices, required=False)
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="1 or 0."
    )


class ObjectiveListCreateView(ReviewErrorsMixin, generics.GenericAPIView):
    """The service management objectives and performance indicators."""

    serializer_class = ObjectiveSerializer
    pagination_class = ReviewPagination

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_list",
        summary="List objectives and indicators",
        description="With their target and latest value.",
        parameters=[ObjectiveFilterSerializer],
        responses={200: ObjectiveSerializer(many=True), **refusals(400, 403)},
    )
    def get(self, request, *args, **kwargs):
        params = ObjectiveFilterSerializer(data=query_params(request))
        params.is_valid(raise_exception=True)
        queryset = objectives_listed()
        if "kind" in params.validated_data:
            queryset = queryset.filter(kind=params.validated_data["kind"])
        if params.validated_data["active"] is not None:
            queryset = queryset.filter(is_active=params.validated_data["active"])
        page = self.paginate_queryset(queryset.order_by("kind", "sort_order", "code"))
        answer = ObjectiveSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(answer.data)

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_create",
        summary="Define an objective or indicator",
        description=(
            "行政部 and 管理者代表. An objective needs a target within its "
            "range (min_value to max_value: values outside are refused)."
        ),
        request=inputs.ObjectiveCreateSerializer,
        responses={201: ObjectiveDetailSerializer, **refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = inputs.ObjectiveCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        objective = services.objective_save(user=request.user, **params.validated_data)
        return Response(
            objective_data(request, objective.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": absolute(request, objective_api_url(objective.code))},
        )


class ObjectiveDetailView(ReviewErrorsMixin, APIView):
    """One objective with every value measured."""

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_retrieve",
        summary="Retrieve an objective",
        parameters=[CODE],
        responses={200: ObjectiveDetailSerializer, **refusals(403, 404)},
    )
    def get(self, request, code: str, *args, **kwargs):
        return Response(objective_data(request, objective_for(code).pk))

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_update",
        summary="Change an objective",
        description=(
            "Only the fields given change; measured values stay (the frequency "
            "no longer changes once there are some)."
        ),
        parameters=[CODE],
        request=inputs.ObjectiveUpdateSerializer,
        responses={200: ObjectiveDetailSerializer, **refusals(400, 403, 404)},
    )
    def patch(self, request, code: str, *args, **kwargs):
        objective = objective_for(code)
        params = inputs.ObjectiveUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.objective_save(
            user=request.user, objective=objective, **params.validated_data
        )
        return Response(objective_data(request, objective.pk))


class MeasurementListView(ReviewErrorsMixin, APIView):
    """An objective's measured values, one per period."""

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_measurements_list",
        summary="An objective's measured values",
        parameters=[CODE],
        responses={
            200: ObjectiveMeasurementSerializer(many=True),
            **refusals(403, 404),
        },
    )
    def get(self, request, code: str, *args, **kwargs):
        objective = objective_for(code)
        measurements = objective.measurements.select_related(
            "objective", "recorded_by"
        ).order_by("period_start")
        return Response(ObjectiveMeasurementSerializer(measurements, many=True).data)

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_measurements_record",
        summary="Enter a measured value",
        description=(
            "The value reached in a period (2026-03, 2026Q1 or 2026 per the "
            "objective's frequency); a value outside the objective's range is "
            "refused. Changing a value already entered needs a reason (200; "
            "201 for a new period)."
        ),
        parameters=[CODE],
        request=inputs.MeasurementRecordSerializer,
        responses={
            200: ObjectiveMeasurementSerializer,
            201: ObjectiveMeasurementSerializer,
            **refusals(400, 403, 404),
        },
    )
    def post(self, request, code: str, *args, **kwargs):
        objective = objective_for(code)
        params = inputs.MeasurementRecordSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            start, _end = services.period_bounds(objective.frequency, data["period"])
        except DjangoValidationError:
            existed = False  # the service refuses the period with its message
        else:
            existed = objective.measurements.filter(period_start=start).exists()
        measurement = services.measurement_record(
            user=request.user, objective=objective, **data
        )
        measurement = Measurement.objects.select_related(
            "objective", "recorded_by"
        ).get(pk=measurement.pk)
        answer = ObjectiveMeasurementSerializer(measurement).data
        if existed:
            return Response(answer)
        return Response(answer, status=status.HTTP_201_CREATED)


class MeasurementImportView(ReviewErrorsMixin, APIView):
    """Measured values from an .xlsx sheet, all rows or none."""

    @extend_schema(
        tags=["objectives"],
        operation_id="objectives_import",
        summary="Import measured values from .xlsx",
        description=(
            "Multipart with the field file: the first sheet, its first row "
            "naming the columns 指标 (code or name), 期间, 实际值 and 备注. Every "
            "row is checked first: one bad row (an unknown objective, a value "
            "out of range, a period not readable) refuses the whole sheet with "
            "each bad row under errors, and nothing is imported. Answers how "
            "many values were created, updated (a correction whose reason is "
            "the import) and unchanged."
        ),
        request={"multipart/form-data": inputs.MeasurementImportSerializer},
        responses={
            200: MeasurementImportResultSerializer,
            400: OpenApiResponse(
                MeasurementImportRefusedSerializer, description="Nothing was imported."
            ),
            **refusals(403),
        },
    )
    def post(self, request, *args, **kwargs):
        params = inputs.MeasurementImportSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data, filename = params.validated_data["file"]
        try:
            result = services.measurements_import(
                user=request.user, data=data, filename=filename
            )
        except DjangoValidationError as exc:
            raise ImportRefused([str(message) for message in exc.messages]) from None
        answer = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rows": result.rows,
        }
        return Response(MeasurementImportResultSerializer(answer).data)
