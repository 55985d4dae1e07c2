"""Views of the records API (see :mod:`records.api`)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db.models import F, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import numbering, services
from ..forms import field_spec
from ..models import Correction, Record, RetentionTrigger
from .serializers import (
    CanUseRecordsAPI,
    CorrectionCreateSerializer,
    RecordCorrectionSerializer,
    RecordCreatedSerializer,
    RecordCreateSerializer,
    RecordDetailSerializer,
    RecordErrorsMixin,
    RecordFilterSerializer,
    RecordNotFound,
    RecordRetentionEventSerializer,
    RecordSerializer,
    RecordStubSerializer,
    RetentionEventCreateSerializer,
    correction_data,
    read_upload,
    record_url,
    retention_data,
)

NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Record number, e.g. D0201-2026112201 (any case).",
)


def _refusals(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(description="Invalid request; see detail and fields."),
        403: OpenApiResponse(description="Not allowed for you."),
        404: OpenApiResponse(
            description="No such record, or one you may not see (same answer)."
        ),
        405: OpenApiResponse(description="Records are never edited or deleted."),
        409: OpenApiResponse(description="Not possible in the current state."),
    }
    return {code: described[code] for code in codes}


def listed(queryset):
    """Records as a list shows them: related objects joined, values not read."""
    return (
        queryset.for_listing()
        .select_related("disposal")
        .annotate(related_number=F("related_to__number"))
        .defer("data", "schema", "legal_hold_reason")
    )


class RecordPagination(LimitOffsetPagination):
    """At most 500 records an answer: larger reads go through the export."""

    max_limit = 500


class RecordListCreateView(RecordErrorsMixin, generics.GenericAPIView):
    """Records you may see, newest first; ``POST`` fills a form."""

    pagination_class = RecordPagination

    permission_classes = [CanUseRecordsAPI]
    serializer_class = RecordSerializer
    request_fields = frozenset(RecordCreateSerializer._declared_fields)

    def filter_queryset(self, queryset):
        # An empty parameter (?status=) means "any", as in an HTML form.
        params = RecordFilterSerializer(
            data={
                key: value
                for key, value in self.request.query_params.items()
                if value.strip()
            }
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "form" in data:
            queryset = queryset.filter(form__number=numbering.normalise(data["form"]))
        department = data.get("department", "").strip()
        if department:
            match = Q(department__name=department) | Q(
                department__code__iexact=department
            )
            if re.fullmatch(r"[0-9]{1,18}", department):
                match |= Q(department_id=int(department))
            queryset = queryset.filter(match)
        if "date_from" in data:
            queryset = queryset.filter(record_date__gte=data["date_from"])
        if "date_to" in data:
            queryset = queryset.filter(record_date__lte=data["date_to"])
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        text = numbering.normalise(data.get("q", ""))
        if text:
            queryset = queryset.filter(number__startswith=text)
        return queryset

    @extend_schema(
        tags=["records"],
        summary="List records",
        description=(
            "The records you may see (your department's; all non-confidential "
            "ones for document control and auditors; those named to you), newest "
            "first. Destroyed records are listed as stubs."
        ),
        parameters=[RecordFilterSerializer],
        responses=RecordSerializer(many=True),
    )
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(Record.objects.visible_to(request.user))
        queryset = listed(queryset).order_by("-record_date", "-id")
        records = self.paginate_queryset(queryset)
        if records is None:
            records = list(queryset)
        serializer = self.get_serializer(records, many=True)
        if self.paginator is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    @extend_schema(
        tags=["records"],
        summary="Fill a form (create a record)",
        description=(
            "Creates a record bound to the form's issue in force and numbers it: "
            "D0201-2026112201 (form, date, sequence of the day), or "
            "D0302-D0201-2026112201 for a record related to another (the 2nd of "
            "the same form and source: D0302-02-D0201-2026112201). Send JSON, or "
            "multipart to attach the file (then data is a JSON string). Nothing "
            "is written when the request is refused."
        ),
        request={
            "application/json": RecordCreateSerializer,
            "multipart/form-data": RecordCreateSerializer,
        },
        responses={201: RecordCreatedSerializer, **_refusals(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        params = RecordCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        upload = None
        if data.get("file") is not None:
            upload = read_upload(
                data["file"], settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES
            )
        record = services.record_create(
            user=request.user,
            form=data["form"],
            data=data.get("data") or {},
            record_date=data.get("date"),
            related_to=(data.get("related_to") or "").strip() or None,
            upload=upload,
            department=data.get("department"),
            retention_subject=data.get("retention_subject", ""),
        )
        answer = {
            "number": record.number,
            "form": record.form.number,
            "form_issue": record.form_issue.label,
            "date": record.record_date,
            "department": record.department.name,
            "retention_until": record.retention_until,
            "retention": retention_data(record),
            "related_to": record.related_to.number if record.related_to_id else None,
            "file": RecordDetailSerializer(context={"request": request}).get_file(
                record
            ),
            "url": record_url(request, record.number),
        }
        return Response(
            RecordCreatedSerializer(answer).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": record_url(request, record.number)},
        )


def record_for(request, number: str) -> Record:
    """The record ``number`` if the requester may see it; 404 otherwise."""
    try:
        record = services.record_lookup(number, user=request.user)
    except Record.DoesNotExist:
        raise RecordNotFound from None
    return record


RECORD_OR_STUB = PolymorphicProxySerializer(
    component_name="RecordOrStub",
    serializers=[RecordDetailSerializer, RecordStubSerializer],
    resource_type_field_name=None,
)


class RecordDetailView(RecordErrorsMixin, APIView):
    """One record by number; a destroyed one as its stub, without values."""

    permission_classes = [CanUseRecordsAPI]

    @extend_schema(
        tags=["records"],
        summary="Retrieve a record",
        description=(
            "With its fields, current values (corrections applied), values as "
            "submitted, corrections and file. A destroyed record answers its stub: "
            "number, form, dates, status and the disposal reference. Records are "
            "never edited or deleted: PUT, PATCH and DELETE answer 405."
        ),
        parameters=[NUMBER],
        responses={200: RECORD_OR_STUB, **_refusals(404)},
    )
    def get(self, request, number: str):
        record = record_for(request, number)
        record = (
            Record.objects.for_listing()
            .select_related("related_to", "disposal")
            .prefetch_related(
                Prefetch(
                    "corrections",
                    queryset=Correction.objects.order_by("corrected_at", "id"),
                    to_attr="correction_list",
                )
            )
            .get(pk=record.pk)
        )
        context = {"request": request}
        if record.is_destroyed:
            return Response(RecordStubSerializer(record, context=context).data)
        return Response(RecordDetailSerializer(record, context=context).data)


class CorrectionListCreateView(RecordErrorsMixin, APIView):
    """The corrections of a record (划改); ``POST`` corrects one field."""

    permission_classes = [CanUseRecordsAPI]
    request_fields = frozenset({"field", "reason", "value"})
    values_key = "value"
    nest_values = False

    @extend_schema(
        tags=["records"],
        summary="List a record's corrections",
        parameters=[NUMBER],
        responses={200: RecordCorrectionSerializer(many=True), **_refusals(404)},
    )
    def get(self, request, number: str):
        record = record_for(request, number)
        corrections = record.corrections.order_by("corrected_at", "id")
        return Response([correction_data(c) for c in corrections])

    @extend_schema(
        tags=["records"],
        summary="Correct a field (划改)",
        description=(
            "The old value stays visible beside the new one, with the corrector, "
            "the time and the reason. Refused for a destroyed record or one under "
            "legal hold."
        ),
        parameters=[NUMBER],
        request=CorrectionCreateSerializer,
        responses={
            201: RecordCorrectionSerializer,
            **_refusals(400, 403, 404, 409),
        },
    )
    def post(self, request, number: str):
        record = record_for(request, number)
        params = CorrectionCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        field = data["field"].strip()
        if field_spec(record.schema, field) is None:
            # Named by its label (报告人 for bao_gao_ren).
            field = next(
                (s["name"] for s in record.schema if s["label"] == field), field
            )
        correction = services.record_correct(
            user=request.user,
            record=record,
            field=field,
            value=data["value"],
            reason=data["reason"],
        )
        return Response(
            RecordCorrectionSerializer(correction_data(correction)).data,
            status=status.HTTP_201_CREATED,
        )


class RetentionEventCreateView(RecordErrorsMixin, APIView):
    """Enter the event that starts event-based retention."""

    permission_classes = [CanUseRecordsAPI]
    request_fields = frozenset(RetentionEventCreateSerializer._declared_fields)

    @extend_schema(
        tags=["records"],
        summary="Enter a retention event",
        description=(
            "An employee left, equipment was scrapped, a product was discontinued: "
            "every record waiting on it gets its retention end date. Entering the "
            "same event again with the same date answers 200; with another date, "
            "400."
        ),
        request=RetentionEventCreateSerializer,
        responses={
            201: RecordRetentionEventSerializer,
            200: RecordRetentionEventSerializer,
            **_refusals(400, 403),
        },
    )
    def post(self, request):
        params = RetentionEventCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        subject = services.normalise_subject(data["subject"])
        existed = RetentionTrigger.objects.filter(
            event=data["event"], subject=subject
        ).exists()
        trigger = services.retention_event_record(
            user=request.user,
            event=data["event"],
            subject=data["subject"],
            occurred_on=data["occurred_on"],
            note=data["note"],
        )
        records = (
            Record.objects.visible_to(request.user)
            .kept()
            .filter(
                retention_class__event=trigger.event,
                retention_subject=trigger.subject,
                retention_event_on=trigger.occurred_on,
            )
            .count()
        )
        answer = {
            "event": trigger.event,
            "subject": trigger.subject,
            "occurred_on": trigger.occurred_on,
            "note": trigger.note,
            "records": records,
        }
        return Response(
            RecordRetentionEventSerializer(answer).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
