"""Serializers and helpers of the records API (see :mod:`records.api`)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission

from documents.api_lifecycle import error_messages
from documents.models import Department
from documents.permissions import restricted_ids

from .. import numbering, retention
from ..forms import ValuesInvalid
from ..lifecycle import InvalidTransition, RecordStatus
from ..models import Correction, Record

# --- errors ------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Not possible in the record's current state.")
    default_code = "conflict"


class RecordNotFound(exceptions.NotFound):
    default_detail = gettext_lazy("No such record.")


def field_errors(
    exc: DjangoValidationError,
    *,
    inputs: frozenset[str],
    values_key: str,
    nest_values: bool,
) -> exceptions.ValidationError:
    """A service's ``ValidationError`` as the REST framework's, keyed by the
    request's fields.

    The services key errors by their argument names (``form``, ``date``,
    ``related_to`` …) and, for values that break the form's field rules, by the
    form field's name (``"__all__"`` for unknown fields). Those go under
    ``values_key``: nested by field name (``data``) or as one list (``value``).
    """
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.messages)
    top: dict[str, Any] = {}
    values: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        if key in inputs:
            top.setdefault(key, []).extend(messages)
        elif key == NON_FIELD_ERRORS and not nest_values:
            top.setdefault(values_key, []).extend(messages)
        else:
            name = "non_field_errors" if key == NON_FIELD_ERRORS else key
            values.setdefault(name, []).extend(messages)
    if values:
        if nest_values:
            top[values_key] = values
        else:
            top.setdefault(values_key, []).extend(
                message for messages in values.values() for message in messages
            )
    return exceptions.ValidationError(top)


class RecordErrorsMixin:
    """Answer every error as ``{"detail": "..."}`` (field errors also under their
    names); refuse edits and deletions with a pointer to the corrections."""

    # Request fields a service's errors may be keyed by; the rest are the form's
    # own fields, reported under ``values_key``.
    request_fields: frozenset[str] = frozenset()
    values_key = "data"
    nest_values = True

    def convert_exception(self, exc: Exception) -> Exception:
        if isinstance(exc, ValuesInvalid):
            exc = DjangoValidationError(exc.errors)
        if isinstance(exc, DjangoValidationError):
            return field_errors(
                exc,
                inputs=self.request_fields,
                values_key=self.values_key,
                nest_values=self.nest_values,
            )
        if isinstance(exc, DjangoPermissionDenied):
            return exceptions.PermissionDenied(str(exc) or None)
        if isinstance(exc, InvalidTransition):
            return Conflict(str(exc))
        if isinstance(exc, Record.DoesNotExist):
            return RecordNotFound()
        return exc

    def handle_exception(self, exc):
        exc = self.convert_exception(exc)
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.ValidationError):
            data = response.data
            fields = data if isinstance(data, dict) else {}
            response.data = {"detail": " ".join(error_messages(data)), **fields}
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH", "DELETE") and "number" in kwargs:
            raise exceptions.MethodNotAllowed(
                request.method,
                detail=_(
                    "Records are never edited or deleted; post a correction to %(url)s."
                )
                % {"url": corrections_url(request, kwargs["number"])},
            )
        return super().http_method_not_allowed(request, *args, **kwargs)


# --- helpers -----------------------------------------------------------------------


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _page_url(name: str, number: str, fallback: str) -> str:
    """The URL of a records page; while the pages are not wired, their path."""
    try:
        return reverse(name, kwargs={"number": number})
    except NoReverseMatch:
        return fallback


def record_url(request, number: str) -> str:
    """The record's page (``records:detail``), absolute."""
    return _absolute(
        request, _page_url("records:detail", number, f"/records/{number}/")
    )


def file_url(request, number: str) -> str:
    """The permission-checked download of the record's file, absolute."""
    return _absolute(
        request, _page_url("records:file", number, f"/records/{number}/file/")
    )


def corrections_url(request, number: str) -> str:
    number = numbering.normalise(number)
    return _absolute(
        request, reverse("records_api:corrections", kwargs={"number": number})
    )


def department_for(value: str) -> Department:
    """An active department by its name, code (any case) or id."""
    value = str(value).strip()
    match = Q(name=value) | Q(code__iexact=value) if value else Q(pk__in=[])
    if re.fullmatch(r"[0-9]{1,18}", value):
        match |= Q(pk=int(value))
    department = Department.objects.filter(match, is_active=True).first()
    if department is None:
        raise serializers.ValidationError(
            _("Unknown department: %(name)s") % {"name": value}
        )
    return department


def read_upload(upload, limit: int) -> tuple[bytes, str]:
    """The uploaded bytes, at most ``limit`` + 1 of them, and the file's name.

    The declared size is not trusted: a file is read up to one byte past the
    limit, enough for :func:`records.files.check_upload` to refuse it."""
    content = bytearray()
    upload.seek(0)
    for chunk in upload.chunks():
        content += chunk[: limit + 1 - len(content)]
        if len(content) > limit:
            break
    return bytes(content), upload.name or ""


def retention_data(record: Record) -> dict[str, Any]:
    """Where the record stands in its retention, in the register's words."""
    rule = record.retention_class.rule
    state = None if record.is_destroyed else record.retention_state
    return {
        "state": state,
        "state_display": (
            str(retention.RetentionState(state).label) if state else None
        ),
        "wording": retention.describe(rule),
        "summary": retention.summary(rule),
        "until": record.retention_until,
        "subject": record.retention_subject,
        "event_on": record.retention_event_on,
    }


def correction_data(correction: Correction) -> dict[str, Any]:
    return {
        "field": correction.field_name,
        "label": correction.field_label,
        "old_value": correction.old_value,
        "new_value": correction.new_value,
        "reason": correction.reason,
        "corrected_by": correction.corrected_by_name,
        "corrected_at": correction.corrected_at,
    }


def schema_fields(schema: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": spec["name"],
            "label": spec["label"],
            "type": spec["type"],
            "required": bool(spec.get("required")),
            "choices": [
                line.strip()
                for line in str(spec.get("choices") or "").splitlines()
                if line.strip()
            ],
            "help_text": spec.get("help_text") or "",
        }
        for spec in schema
    ]


# --- permissions -------------------------------------------------------------------


class CanUseRecordsAPI(BasePermission):
    """Signed-in, active users; what each may see is decided per record."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


# --- serializers: answers ----------------------------------------------------------


class RecordRetentionSerializer(serializers.Serializer):
    state = serializers.CharField(
        allow_null=True,
        help_text="permanent, pending_event, running or due (null once destroyed).",
    )
    state_display = serializers.CharField(allow_null=True)
    wording = serializers.CharField(
        help_text="The register's wording: 5年, 永久, 离职后1年."
    )
    summary = serializers.CharField(help_text="The same in the active language.")
    until = serializers.DateField(
        allow_null=True,
        help_text="The first day past retention; null while permanent or pending.",
    )
    subject = serializers.CharField(
        allow_blank=True,
        help_text="The employee, equipment or product an event-based period waits on.",
    )
    event_on = serializers.DateField(allow_null=True)


FORM_RESTRICTED_HELP = (
    "The form is a restricted document you may not open: its number and title "
    "are left empty."
)


class FormNamedMixin:
    """The form a record was filled on (fields ``form``, ``form_title`` and
    ``form_restricted``), named unless it is a restricted document the user
    may not open."""

    @extend_schema_field(serializers.BooleanField())
    def get_form_restricted(self, record: Record) -> bool:
        # Read once per form and response.
        known = self.context.setdefault("restricted_forms", {})
        if record.form_id not in known:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            known[record.form_id] = bool(restricted_ids(user, [record.form]))
        return known[record.form_id]

    @extend_schema_field(serializers.CharField())
    def get_form(self, record: Record) -> str:
        return "" if self.get_form_restricted(record) else record.form.number or ""

    @extend_schema_field(serializers.CharField())
    def get_form_title(self, record: Record) -> str:
        return "" if self.get_form_restricted(record) else record.form_issue.title


class RecordSerializer(FormNamedMixin, serializers.Serializer):
    """A record as listed: no values."""

    number = serializers.CharField()
    form = serializers.SerializerMethodField(help_text="The form's number.")
    form_title = serializers.SerializerMethodField(
        help_text="The form's title as issued."
    )
    form_restricted = serializers.SerializerMethodField(help_text=FORM_RESTRICTED_HELP)
    form_issue = serializers.CharField(
        source="form_issue.label", help_text="The issue the record was filled on."
    )
    date = serializers.DateField(source="record_date")
    department = serializers.CharField(source="department.name")
    confidential = serializers.BooleanField()
    status = serializers.CharField(help_text="active, disposal_pending or destroyed.")
    status_display = serializers.CharField(source="get_status_display")
    retention_until = serializers.DateField(allow_null=True)
    retention_state = serializers.SerializerMethodField(
        help_text="permanent, pending_event, running or due (null once destroyed)."
    )
    legal_hold = serializers.BooleanField()
    related_to = serializers.SerializerMethodField(
        help_text="The number of the record this one follows from."
    )
    created_by = serializers.CharField(source="created_by_name")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The record's page.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_retention_state(self, record: Record) -> str | None:
        return None if record.is_destroyed else record.retention_state

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_related_to(self, record: Record) -> str | None:
        number = getattr(record, "related_number", None)
        if number is None and record.related_to_id:
            number = record.related_to.number
        return number

    @extend_schema_field(serializers.URLField())
    def get_url(self, record: Record) -> str:
        return record_url(self.context.get("request"), record.number)


class RecordFieldSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The key in values, e.g. bao_gao_ren.")
    label = serializers.CharField(help_text="The label on the form, e.g. 报告人.")
    type = serializers.CharField(help_text="Wagtail form field type, e.g. dropdown.")
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField())
    help_text = serializers.CharField(allow_blank=True)


class RecordCorrectionSerializer(serializers.Serializer):
    """A strike-through correction (划改)."""

    field = serializers.CharField(help_text="The field's name.")
    label = serializers.CharField()
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)
    reason = serializers.CharField()
    corrected_by = serializers.CharField(help_text="The corrector's name.")
    corrected_at = serializers.DateTimeField()


class RecordFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    content_type = serializers.CharField()
    url = serializers.URLField(help_text="The permission-checked download.")


class RecordDetailSerializer(RecordSerializer):
    """A record with its fields, values as corrected, values as submitted,
    corrections and file."""

    retention = serializers.SerializerMethodField()
    legal_hold_reason = serializers.CharField(allow_blank=True)
    # Not get_fields: that is the serializer's own method.
    fields = serializers.SerializerMethodField(
        method_name="form_fields",
        help_text="The form's fields as released with the issue filled.",
    )
    values = serializers.SerializerMethodField(
        help_text="The current values, corrections applied, by field name."
    )
    original_values = serializers.SerializerMethodField(
        help_text="The values as submitted, never changed."
    )
    corrections = serializers.SerializerMethodField(help_text="Oldest first.")
    file = serializers.SerializerMethodField()
    related_records = serializers.SerializerMethodField(
        help_text="Numbers of the records that follow from this one, visible to you."
    )

    def _corrections(self, record: Record) -> list[Correction]:
        corrections = getattr(record, "correction_list", None)
        if corrections is None:
            corrections = list(record.corrections.order_by("corrected_at", "id"))
        return corrections

    @extend_schema_field(RecordRetentionSerializer)
    def get_retention(self, record: Record) -> dict:
        return retention_data(record)

    @extend_schema_field(RecordFieldSerializer(many=True))
    def form_fields(self, record: Record) -> list[dict]:
        return schema_fields(record.schema)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_values(self, record: Record) -> dict:
        return record.current_values(self._corrections(record))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_original_values(self, record: Record) -> dict:
        return dict(record.data)

    @extend_schema_field(RecordCorrectionSerializer(many=True))
    def get_corrections(self, record: Record) -> list[dict]:
        return [correction_data(c) for c in self._corrections(record)]

    @extend_schema_field(RecordFileSerializer(allow_null=True))
    def get_file(self, record: Record) -> dict | None:
        if not record.file:
            return None
        return {
            "name": record.file_name,
            "size": record.file_size,
            "sha256": record.file_sha256,
            "content_type": record.file_content_type,
            "url": file_url(self.context.get("request"), record.number),
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_related_records(self, record: Record) -> list[str]:
        request = self.context.get("request")
        return list(
            Record.objects.visible_to(request.user)
            .filter(related_to=record)
            .order_by("related_ordinal", "id")
            .values_list("number", flat=True)
        )


class RecordStubSerializer(FormNamedMixin, serializers.Serializer):
    """What is kept of a destroyed record: enough to explain its number."""

    number = serializers.CharField()
    form = serializers.SerializerMethodField(help_text="The form's number.")
    form_title = serializers.SerializerMethodField()
    form_restricted = serializers.SerializerMethodField(help_text=FORM_RESTRICTED_HELP)
    form_issue = serializers.CharField(source="form_issue.label")
    date = serializers.DateField(source="record_date")
    department = serializers.CharField(source="department.name")
    status = serializers.CharField(help_text="destroyed")
    status_display = serializers.CharField(source="get_status_display")
    retention_until = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    destroyed_at = serializers.DateTimeField()
    disposal = serializers.CharField(
        source="disposal.reference", help_text="The disposal record, e.g. XH-2026-001."
    )
    url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_url(self, record: Record) -> str:
        return record_url(self.context.get("request"), record.number)


class RecordCreatedSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="e.g. D0201-2026112201.")
    form = serializers.CharField()
    form_issue = serializers.CharField()
    date = serializers.DateField()
    department = serializers.CharField()
    retention_until = serializers.DateField(allow_null=True)
    retention = RecordRetentionSerializer()
    related_to = serializers.CharField(allow_null=True)
    file = RecordFileSerializer(allow_null=True)
    url = serializers.URLField(help_text="The record's page.")


class RecordRetentionEventSerializer(serializers.Serializer):
    event = serializers.CharField()
    subject = serializers.CharField()
    occurred_on = serializers.DateField()
    note = serializers.CharField(allow_blank=True)
    records = serializers.IntegerField(
        help_text="Records visible to you whose retention now runs from this date."
    )


# --- serializers: requests ---------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": (
            "Field values by name (bao_gao_ren) or label (报告人); in a multipart "
            "request, the same object as a JSON string."
        ),
    }
)
class ValuesField(serializers.JSONField):
    """The record's values: an object, or (multipart) that object as JSON text."""

    default_error_messages = {
        "invalid": gettext_lazy("The values (data) are not valid JSON."),
        "not_object": gettext_lazy(
            "The values (data) must be an object of field names and values."
        ),
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("not_object")
        return data


class RecordCreateSerializer(serializers.Serializer):
    """Fill a form: JSON, or multipart with a file (``data`` as a JSON string)."""

    form = serializers.CharField(
        max_length=200, help_text="The form's number, e.g. D0201 (any case)."
    )
    related_to = serializers.CharField(
        max_length=numbering.MAX_NUMBER_LENGTH,
        required=False,
        allow_blank=True,
        help_text="The number of the record this one follows from.",
    )
    date = serializers.DateField(
        required=False,
        allow_null=True,
        input_formats=["%Y-%m-%d"],
        help_text="The record's date, YYYY-MM-DD; today (company time) if empty.",
    )
    data = ValuesField(required=False)
    file = serializers.FileField(
        required=False,
        help_text="The filled form's scan or file: .pdf, .docx, .xlsx or an image "
        "(multipart only).",
    )
    department = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The department's code or name; yours if empty.",
    )
    retention_subject = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="For event-based retention: the employee, equipment or product.",
    )

    def validate_department(self, value: str) -> Department | None:
        return department_for(value) if value.strip() else None


class LooseValueField(serializers.JSONField):
    """Any JSON value; in a form or multipart request, the text as typed."""

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False):
            return str(data)
        return super().to_internal_value(data)


class CorrectionCreateSerializer(serializers.Serializer):
    field = serializers.CharField(
        max_length=255, help_text="The field's name (bao_gao_ren) or label (报告人)."
    )
    value = LooseValueField(
        allow_null=True, help_text="The new value, validated as the form's field."
    )
    reason = serializers.CharField(
        max_length=500,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Why the value is corrected (required).",
    )


class RecordFilterSerializer(serializers.Serializer):
    """Query parameters of the record list; validated, errors are translated."""

    form = serializers.CharField(required=False, help_text="Form number, e.g. D0201.")
    department = serializers.CharField(
        required=False, help_text="Department: its name, code or id."
    )
    date_from = serializers.DateField(
        required=False, input_formats=["%Y-%m-%d"], help_text="Record date, from."
    )
    date_to = serializers.DateField(
        required=False, input_formats=["%Y-%m-%d"], help_text="Record date, to."
    )
    status = serializers.CharField(
        required=False, help_text="active, disposal_pending or destroyed."
    )
    q = serializers.CharField(
        required=False, help_text="The start of a record number (any case)."
    )

    def validate_status(self, value: str) -> str:
        if value not in RecordStatus.values:
            raise serializers.ValidationError(
                _("Unknown status: %(status)s. Use %(choices)s.")
                % {"status": value, "choices": ", ".join(RecordStatus.values)}
            )
        return value


class RetentionEventCreateSerializer(serializers.Serializer):
    event = serializers.ChoiceField(
        choices=retention.RetentionEvent.choices,
        help_text="employee_exit, equipment_scrapped or product_discontinued.",
    )
    subject = serializers.CharField(
        max_length=200, help_text="The employee, equipment or product."
    )
    occurred_on = serializers.DateField(input_formats=["%Y-%m-%d"])
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


# --- views -------------------------------------------------------------------------
