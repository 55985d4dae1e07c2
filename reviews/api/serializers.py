"""The bodies the reviews API answers with (see :mod:`reviews.api`; the
request bodies are in :mod:`reviews.api.inputs`).

Answers serialize what the views load (reviews with their participants,
assignments, signatures, discussions, outputs and packs prefetched).
Statuses and kinds are answered as their values (``in_review``) with a
``*_display`` text in the active language; decimals as strings without
trailing zeros (``"95"``, ``"96.5"``).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from compliance.api.serializers import AnswerSerializer, UserRefField

from .. import permissions
from ..services import period_label
from ..tracking import output_state

# --- permission ---------------------------------------------------------------------


class CanViewReviews(BasePermission):
    """Staff of the company; a customer representative is refused."""

    message = gettext_lazy("You may not read the management reviews.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_reviews(request.user)


# --- fields -------------------------------------------------------------------------


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


@extend_schema_field(OpenApiTypes.STR)
class NumberField(serializers.Field):
    """A decimal as a string without trailing zeros ("95", "96.5")."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return decimal_text(value)


def review_api_url(id: str, name: str = "review") -> str:
    return reverse(f"reviews_api:{name}", kwargs={"id": id})


def objective_api_url(code: str, name: str = "objective") -> str:
    return reverse(f"reviews_api:{name}", kwargs={"code": code})


# --- reviews: shared parts ----------------------------------------------------------


class ReviewChainStepSerializer(serializers.Serializer):
    paper = serializers.CharField(help_text="plan or report.")
    code = serializers.CharField(help_text="e.g. review, approve.")
    role = serializers.CharField(help_text="The role that signs it.")


class ReviewSignatureSerializer(serializers.Serializer):
    paper = serializers.CharField(help_text="plan or report.")
    revision = serializers.IntegerField()
    step = serializers.CharField()
    role = serializers.CharField()
    user = UserRefField()
    signer_name = serializers.CharField()
    decision = serializers.CharField(help_text="signed or returned.")
    comment = serializers.CharField()
    signed_at = serializers.DateTimeField()


class ReviewParticipantSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField()
    department = serializers.CharField(
        source="department.name", allow_null=True, default=None
    )
    duty = serializers.CharField()
    invited = serializers.BooleanField(help_text="false for a guest at the meeting.")
    attended = serializers.BooleanField(help_text="Signed in (签到) at the meeting.")
    signed_in_at = serializers.DateTimeField(allow_null=True)


class ReviewAssignmentSerializer(serializers.Serializer):
    section = serializers.CharField()
    section_display = serializers.CharField(source="get_section_display")
    department = serializers.CharField(source="department.name")
    due_date = serializers.DateField(allow_null=True)
    input_status = serializers.SerializerMethodField(
        help_text="The department's input for it: missing, draft, signed or returned."
    )

    def get_input_status(self, assignment) -> str:
        statuses = self.context.get("input_statuses", {})
        return statuses.get((assignment.section, assignment.department_id), "missing")


class ReviewDiscussionSerializer(serializers.Serializer):
    section = serializers.CharField()
    section_display = serializers.CharField(source="get_section_display")
    notes = serializers.CharField()


class ReviewOutputStateSerializer(serializers.Serializer):
    """Where the action stands: its nonconformity's status, its change
    request's, or its own (reviews.tracking.output_state)."""

    code = serializers.CharField(
        help_text="nc:<status>, change:<status> or open, done, verified, cancelled."
    )
    label = serializers.CharField()
    is_open = serializers.BooleanField()
    overdue = serializers.BooleanField()
    url = serializers.CharField(help_text="Where to follow it (a page), or empty.")


class ReviewOutputSerializer(AnswerSerializer):
    """A decided action (管理评审改进计划), tracked to closure."""

    # The context gives "today" and the review's "number".

    reference = serializers.CharField(help_text="e.g. MR-2026-01-03.")
    seq = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="improvement, corrective, resource, document or other."
    )
    kind_display = serializers.CharField(source="get_kind_display")
    category = serializers.CharField()
    section = serializers.CharField(help_text="The input it answers (or empty).")
    description = serializers.CharField()
    owner = UserRefField()
    department = serializers.CharField(source="department.name")
    coordinator = UserRefField()
    due_date = serializers.DateField()
    document = serializers.CharField(
        source="document.number", allow_null=True, default=None
    )
    nonconformity = serializers.CharField(
        source="nonconformity.number",
        allow_null=True,
        default=None,
        help_text="The nonconformity raised in compliance.",
    )
    nonconformity_api_url = serializers.SerializerMethodField()
    change_request = serializers.IntegerField(
        source="change_request_id", allow_null=True
    )
    status = serializers.CharField(help_text="The action's own status.")
    status_display = serializers.CharField(source="get_status_display")
    state = serializers.SerializerMethodField()
    completed_on = serializers.DateField(allow_null=True)
    completion_note = serializers.CharField()
    verified_by = UserRefField()
    verified_at = serializers.DateTimeField(allow_null=True)
    verification_note = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_nonconformity_api_url(self, output) -> str | None:
        if not output.nonconformity_id:
            return None
        number = output.nonconformity.number
        url = reverse("compliance_api:nonconformity", kwargs={"number": number})
        return self._url(url)

    @extend_schema_field(ReviewOutputStateSerializer)
    def get_state(self, output) -> dict:
        state = output_state(output, today=self.context["today"])
        return {
            "code": state.code,
            "label": str(state.label),
            "is_open": state.is_open,
            "overdue": state.overdue,
            "url": self._url(state.url) or "",
        }


class ReviewPackSummarySerializer(AnswerSerializer):
    version = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    compiled_by = UserRefField()
    compiled_at = serializers.DateTimeField()
    confirmed_by = UserRefField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class ReviewInputFileSerializer(AnswerSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = UserRefField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The checked download.")

    @extend_schema_field(serializers.URLField())
    def get_url(self, attachment) -> str | None:
        kwargs = {"number": attachment.input.review.number, "file_id": attachment.pk}
        return self._url(reverse("reviews:input_file", kwargs=kwargs))


class ReviewDepartmentInputSerializer(AnswerSerializer):
    """A department's material for one input, signed off by its head."""

    id = serializers.IntegerField()
    section = serializers.CharField()
    section_display = serializers.CharField(source="get_section_display")
    department = serializers.CharField(source="department.name")
    content = serializers.CharField()
    status = serializers.CharField(help_text="draft, signed or returned.")
    status_display = serializers.CharField(source="get_status_display")
    prepared_by = UserRefField()
    prepared_at = serializers.DateTimeField()
    signed_by = UserRefField()
    signed_at = serializers.DateTimeField(allow_null=True)
    returned_by = UserRefField()
    returned_at = serializers.DateTimeField(allow_null=True)
    return_comment = serializers.CharField()
    files = ReviewInputFileSerializer(many=True, source="files.all")


class ReviewRecordFiledSerializer(AnswerSerializer):
    """A review record filed in the records register (number and link only
    for those who may read the record)."""

    kind = serializers.CharField(help_text="plan, inputs, minutes, report, actions.")
    kind_display = serializers.CharField(source="get_kind_display")
    revision = serializers.IntegerField()
    number = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def _visible(self, link) -> bool:
        return link.record_id in self.context.get("visible_records", set())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_number(self, link) -> str | None:
        return link.record.number if self._visible(link) else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, link) -> str | None:
        if not self._visible(link):
            return None
        return self._url(link.record.get_absolute_url())


# --- reviews ------------------------------------------------------------------------


class ReviewSerializer(AnswerSerializer):
    """A management review as listed."""

    id = serializers.IntegerField()
    number = serializers.CharField(help_text="e.g. MR-2026-01.")
    title = serializers.CharField()
    kind = serializers.CharField(help_text="annual or extra.")
    kind_display = serializers.CharField(source="get_kind_display")
    trigger = serializers.CharField(help_text="What calls for an extra review.")
    trigger_display = serializers.CharField(source="get_trigger_display")
    status = serializers.CharField(
        help_text="draft, in_review, approved, held, reporting, completed or cancelled."
    )
    status_display = serializers.CharField(source="get_status_display")
    planned_date = serializers.DateField()
    held_on = serializers.DateField(allow_null=True)
    location = serializers.CharField()
    chair = UserRefField()
    period_start = serializers.DateField(help_text="First day the pack covers.")
    period_end = serializers.DateField(help_text="Last day the pack covers.")
    url = serializers.SerializerMethodField(help_text="The review's page.")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_url(self, review) -> str | None:
        return self._url(review.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, review) -> str | None:
        return self._url(review_api_url(review.number))


class ReviewMeetingSerializer(serializers.Serializer):
    held_on = serializers.DateField(allow_null=True)
    mr_report = serializers.CharField()
    evaluation = serializers.CharField()
    suitability = serializers.CharField(help_text="yes, partly, no or empty.")
    adequacy = serializers.CharField()
    effectiveness = serializers.CharField()
    conclusion_system = serializers.CharField()
    conclusion_service = serializers.CharField()
    conclusion_resources = serializers.CharField()
    minutes_recorded_by = UserRefField()
    discussions = ReviewDiscussionSerializer(many=True, source="discussions.all")


class ReviewReportSerializer(AnswerSerializer):
    revision = serializers.IntegerField(source="report_revision")
    distribution = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(
        source="report_submitted_at", allow_null=True
    )
    approved_at = serializers.DateTimeField(
        source="report_approved_at", allow_null=True
    )
    sha256 = serializers.CharField(
        source="report_sha256",
        help_text="SHA-256 of the .docx frozen on approval (empty before).",
    )
    minutes_sha256 = serializers.CharField()
    docx_url = serializers.SerializerMethodField()
    minutes_docx_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_distribution(self, review) -> list[str]:
        return [d.name for d in review.distribution.all()]

    @extend_schema_field(serializers.URLField())
    def get_docx_url(self, review) -> str | None:
        return self._url(review_api_url(review.number, "report-docx"))

    @extend_schema_field(serializers.URLField())
    def get_minutes_docx_url(self, review) -> str | None:
        return self._url(review_api_url(review.number, "minutes-docx"))


class ReviewDetailSerializer(ReviewSerializer):
    """A review with its plan, signatures, participants, inputs, pack,
    meeting, outputs, report and what you may do now."""

    # The context gives "today", "current_step", "allowed_actions",
    # "warnings", "interval_exceeded", "report_due", "input_statuses",
    # "visible_records" and "latest_pack".

    trigger_note = serializers.CharField()
    purpose = serializers.CharField()
    criteria = serializers.CharField()
    agenda = serializers.CharField()
    materials = serializers.CharField()
    prepared_by = UserRefField()
    created_at = serializers.DateTimeField()
    plan_revision = serializers.IntegerField()
    plan_approved_at = serializers.DateTimeField(allow_null=True)
    notified_at = serializers.DateTimeField(allow_null=True)
    notified_by = UserRefField()
    cancel_reason = serializers.CharField()
    current_step = serializers.SerializerMethodField(
        help_text="The step of the plan or the report awaiting a signature."
    )
    signatures = ReviewSignatureSerializer(many=True, source="signatures.all")
    participants = ReviewParticipantSerializer(many=True, source="participants.all")
    assignments = serializers.SerializerMethodField()
    pack = serializers.SerializerMethodField(help_text="The latest compiled pack.")
    inputs_url = serializers.SerializerMethodField(help_text="The latest pack as JSON.")
    meeting = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    report_due = serializers.SerializerMethodField(
        help_text="When the report is due (SHOUKONG_MGMT_REVIEW_REPORT_DAYS after "
        "the meeting); null before the meeting."
    )
    report_overdue = serializers.SerializerMethodField(
        help_text="The report is past its due date and not approved (a warning)."
    )
    interval_exceeded = serializers.SerializerMethodField(
        help_text="Held (or planned) more than SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS "
        "after the review held before it."
    )
    records = serializers.SerializerMethodField(help_text="Records filed.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do now: update, submit, sign, return, revise, "
        "cancel, notify, pack, pack_confirm, meeting, outputs, report_submit."
    )
    warnings = serializers.SerializerMethodField(
        help_text="Warnings of the action just taken (e.g. a record not filed)."
    )

    @extend_schema_field(ReviewChainStepSerializer(allow_null=True))
    def get_current_step(self, review) -> dict | None:
        return self.context["current_step"]

    @extend_schema_field(ReviewAssignmentSerializer(many=True))
    def get_assignments(self, review) -> list[dict]:
        return ReviewAssignmentSerializer(
            review.assignments.all(), many=True, context=self.context
        ).data

    @extend_schema_field(ReviewPackSummarySerializer(allow_null=True))
    def get_pack(self, review) -> dict | None:
        pack = self.context.get("latest_pack")
        return ReviewPackSummarySerializer(pack).data if pack is not None else None

    @extend_schema_field(serializers.URLField())
    def get_inputs_url(self, review) -> str | None:
        return self._url(review_api_url(review.number, "review-inputs"))

    @extend_schema_field(ReviewMeetingSerializer)
    def get_meeting(self, review) -> dict:
        return ReviewMeetingSerializer(review).data

    @extend_schema_field(ReviewOutputSerializer(many=True))
    def get_outputs(self, review) -> list[dict]:
        return ReviewOutputSerializer(
            review.outputs.all(), many=True, context=self.context
        ).data

    @extend_schema_field(ReviewReportSerializer)
    def get_report(self, review) -> dict:
        return ReviewReportSerializer(review, context=self.context).data

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_report_due(self, review) -> str | None:
        due = self.context.get("report_due")
        return due.isoformat() if due else None

    @extend_schema_field(serializers.BooleanField())
    def get_report_overdue(self, review) -> bool:
        due = self.context.get("report_due")
        return bool(
            due and review.report_approved_at is None and due < self.context["today"]
        )

    @extend_schema_field(serializers.BooleanField())
    def get_interval_exceeded(self, review) -> bool:
        return bool(self.context["interval_exceeded"])

    @extend_schema_field(ReviewRecordFiledSerializer(many=True))
    def get_records(self, review) -> list[dict]:
        return ReviewRecordFiledSerializer(
            review.record_links.all(), many=True, context=self.context
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, review) -> list[str]:
        return list(self.context["allowed_actions"])

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, review) -> list[str]:
        return [str(w) for w in self.context.get("warnings", ())]


# --- the pack -----------------------------------------------------------------------


class ReviewPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class ReviewPackSerializer(serializers.Serializer):
    """A compiled input pack (or a live preview of one)."""

    review = serializers.CharField(help_text="The review's number.")
    preview = serializers.BooleanField(
        help_text="true: compiled now for a look, not saved (no version)."
    )
    version = serializers.IntegerField(allow_null=True)
    versions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every version compiled."
    )
    period = ReviewPeriodSerializer()
    compiled_at = serializers.DateTimeField()
    compiled_by = UserRefField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    confirmed_by = UserRefField()
    data = serializers.JSONField(
        help_text="The sections (schema 1): for each input its code, title, "
        "source, source_url, compiled, summary, rows, the signed inputs and "
        "the departments missing."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Warnings of the action just taken (a record not filed).",
    )


# --- the schedule -------------------------------------------------------------------


class ReviewScheduleSerializer(serializers.Serializer):
    level = serializers.CharField(
        help_text="ok, warning (within SHOUKONG_MGMT_REVIEW_WARNING_DAYS of the due "
        "date), overdue, or none (no review held yet)."
    )
    last = ReviewSerializer(allow_null=True, help_text="The last review held.")
    due = serializers.DateField(
        allow_null=True, help_text="The last day the next review may be held."
    )
    days_left = serializers.IntegerField(allow_null=True)
    next_planned = ReviewSerializer(
        allow_null=True, help_text="The next review planned (not yet held)."
    )
    planned_late = serializers.BooleanField(
        help_text="The next review is planned after the due date."
    )
    interval_months = serializers.IntegerField()
    warning_days = serializers.IntegerField()


# --- objectives ---------------------------------------------------------------------


class ObjectiveMeasurementSerializer(serializers.Serializer):
    period = serializers.SerializerMethodField(help_text="e.g. 2026-03, 2026Q1.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = NumberField()
    met = serializers.SerializerMethodField(
        help_text="Whether the value reaches the target (null without one)."
    )
    note = serializers.CharField()
    source = serializers.CharField(help_text="entered or imported.")
    recorded_by = UserRefField()
    recorded_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField())
    def get_period(self, measurement) -> str:
        return period_label(measurement.objective.frequency, measurement.period_start)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_met(self, measurement) -> bool | None:
        return measurement.objective.met(measurement.value)


class ObjectiveSerializer(AnswerSerializer):
    """An objective (服务响应及时率 ≥ 95%) or a performance indicator."""

    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="objective or indicator.")
    kind_display = serializers.CharField(source="get_kind_display")
    description = serializers.CharField()
    unit = serializers.CharField()
    comparison = serializers.CharField(help_text="gte (≥) or lte (≤).")
    target = NumberField(allow_null=True)
    target_label = serializers.CharField(help_text="e.g. ≥ 95%.")
    min_value = NumberField(allow_null=True)
    max_value = NumberField(allow_null=True)
    frequency = serializers.CharField(help_text="monthly, quarterly or yearly.")
    frequency_display = serializers.CharField(source="get_frequency_display")
    department = serializers.CharField(
        source="department.name", allow_null=True, default=None
    )
    sort_order = serializers.IntegerField()
    is_active = serializers.BooleanField()
    latest = serializers.SerializerMethodField(help_text="The latest value.")
    url = serializers.SerializerMethodField(help_text="The objective's page.")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(ObjectiveMeasurementSerializer(allow_null=True))
    def get_latest(self, objective) -> dict | None:
        measurements = list(objective.measurements.all())
        if not measurements:
            return None
        latest = max(measurements, key=lambda m: m.period_start)
        return ObjectiveMeasurementSerializer(latest).data

    @extend_schema_field(serializers.URLField())
    def get_url(self, objective) -> str | None:
        return self._url(reverse("reviews:objective", kwargs={"code": objective.code}))

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, objective) -> str | None:
        return self._url(objective_api_url(objective.code))


class ObjectiveDetailSerializer(ObjectiveSerializer):
    measurements = ObjectiveMeasurementSerializer(many=True, source="measurements.all")


class MeasurementImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The sheet's row number.")
    objective = serializers.CharField(help_text="The objective's code.")
    period = serializers.CharField()
    value = serializers.CharField()
    state = serializers.CharField(help_text="created, updated or unchanged.")


class MeasurementImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rows = MeasurementImportRowSerializer(many=True)


class MeasurementImportRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="Every bad row, one per line."
    )
