"""The request bodies of the reviews API (see :mod:`reviews.api`).

Requests name things as people do (a user by username, a department by its
name, a document by number, a grade by its code, a clause by its number);
these serializers turn them into objects, so their ``validated_data`` are the
keyword arguments of the service they feed, and an unknown name is refused
under its field.

Texts a service requires (a reason, a comment, an output's owner and due
date) are optional here: the service refuses a missing one with its own
message, so the pages and the API say the same. Every text has a length
limit and the REST framework refuses NUL characters, so hostile input is a
400 before any service runs.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from audits.api.inputs import grade_named
from compliance.api.serializers import (
    StrictBooleanField,
    clause_named,
    document_named,
)
from documents.api_lifecycle import department_for, user_for
from records.api import read_upload

from ..lifecycle import (
    Comparison,
    Frequency,
    InputSection,
    MeasureKind,
    OutputCategory,
    OutputKind,
    ReviewKind,
    ReviewStatus,
    ReviewTrigger,
    SignatureDecision,
    Verdict,
)

# Long enough for any real plan, minutes or input; a request past it is junk.
LONG_TEXT = 20_000
SHORT_TEXT = 2_000
MAX_NAMES = 200


def names(help_text: str, **kwargs) -> serializers.ListField:
    """A list of names (usernames, department names …)."""
    return serializers.ListField(
        child=serializers.CharField(max_length=150),
        max_length=MAX_NAMES,
        help_text=help_text,
        **kwargs,
    )


def text(help_text: str = "", *, limit: int = LONG_TEXT, **kwargs):
    """An optional text; omitted, the service keeps or derives its value."""
    kwargs.setdefault("required", False)
    return serializers.CharField(
        allow_blank=True,
        max_length=limit,
        trim_whitespace=False,
        help_text=help_text,
        **kwargs,
    )


def said(help_text: str) -> serializers.CharField:
    """A text the service requires (a reason, a comment): missing, the
    service's own refusal answers."""
    return text(help_text, limit=SHORT_TEXT, default="")


def username(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=150,
        help_text=help_text,
        **kwargs,
    )


class ChoiceTextField(serializers.CharField):
    """One of ``choices``, described as a plain string in the schema. The
    PATCH bodies use it: an enum in both a request and its "Patched" twin is
    named by a hash in the schema (and warned about) once another component
    has a field of the same name with other choices."""

    default_error_messages = {
        "invalid_choice": gettext_lazy('"{input}" is not a valid choice.')
    }

    def __init__(self, choices, **kwargs):
        self.values = [str(value) for value, _label in choices]
        kwargs.setdefault("max_length", 64)
        kwargs["help_text"] = " ".join(
            part
            for part in (
                kwargs.get("help_text", ""),
                "One of: {}.".format(", ".join(self.values)),
            )
            if part
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in self.values and not (value == "" and self.allow_blank):
            self.fail("invalid_choice", input=value[:64])
        return value


def user_or_none(value):
    return user_for(value) if value and value.strip() else None


def department_or_none(value):
    return department_for(value) if value and str(value).strip() else None


class ReviewNoBodySerializer(serializers.Serializer):
    """No fields."""


# --- reviews ------------------------------------------------------------------------


class ReviewFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="The year of the meeting, e.g. 2026.",
    )
    kind = serializers.ChoiceField(choices=ReviewKind.choices, required=False)


class ReviewAssignmentInputSerializer(serializers.Serializer):
    """Which department provides which input, by when (资料提供部门)."""

    section = serializers.ChoiceField(choices=InputSection.choices)
    department = serializers.CharField(max_length=100, help_text="Its name.")
    due_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Not after the meeting.",
    )

    def validate_department(self, value):
        return department_for(value)


class ReviewPlanFieldsSerializer(serializers.Serializer):
    """The plan's fields (管理评审计划); only those given are passed on."""

    planned_date = serializers.DateField(required=False, help_text="The meeting date.")
    kind = ChoiceTextField(ReviewKind.choices, required=False)
    trigger = ChoiceTextField(
        ReviewTrigger.choices,
        required=False,
        allow_blank=True,
        help_text="What calls for an extra review (required for one).",
    )
    trigger_note = text("What happened.", limit=SHORT_TEXT)
    title = text("By default from the kind and the date.", limit=200)
    location = text("The meeting place.", limit=200)
    chair = username("Username of the chair; by default 总经理.")
    period_start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="First day the pack covers; by default the day after the "
        "previous review's period.",
    )
    period_end = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Last day the pack covers; by default the meeting date.",
    )
    purpose = text("By default the procedure's wording.")
    criteria = text("By default ISO/IEC 20000-1 9.3, the manual and the procedure.")
    agenda = text("By default one item per input.")
    materials = text("Material each participant brings.")
    participants = names(
        "Usernames of the people invited (the chair is always invited).",
        required=False,
    )
    assignments = ReviewAssignmentInputSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="The inputs each department provides.",
    )

    def validate_chair(self, value):
        return user_or_none(value)

    def validate_participants(self, value):
        return [user_for(name) for name in value]

    def validate_assignments(self, value):
        return [(a["section"], a["department"], a["due_date"]) for a in value]


class ReviewCreateSerializer(ReviewPlanFieldsSerializer):
    planned_date = serializers.DateField(help_text="The meeting date.")
    kind = serializers.ChoiceField(choices=ReviewKind.choices, required=False)
    trigger = serializers.ChoiceField(
        choices=ReviewTrigger.choices,
        required=False,
        allow_blank=True,
        help_text="What calls for an extra review (required for one).",
    )


class ReviewUpdateSerializer(ReviewPlanFieldsSerializer):
    """Only the fields given change (a draft plan only)."""

    def validate(self, attrs):
        if not attrs:
            known = ", ".join(self.fields)
            raise serializers.ValidationError(
                _("Give at least one field to change (%(fields)s).") % {"fields": known}
            )
        return attrs


class ReviewSignSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=SignatureDecision.choices,
        default=SignatureDecision.SIGNED,
        help_text="signed (the default) or returned (with a comment).",
    )
    comment = said("Required to return it.")


class ReviewCommentSerializer(serializers.Serializer):
    comment = said("Why it is returned.")


class ReviewReasonSerializer(serializers.Serializer):
    reason = said("Why.")


# --- pack and meeting ---------------------------------------------------------------


class ReviewPackQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=32767,
        help_text="A version compiled; by default the latest.",
    )
    preview = serializers.BooleanField(
        required=False,
        default=False,
        help_text="1: compile the pack now for a look, without saving it (for "
        "those who prepare the review).",
    )


class ReviewPackConfirmSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=32767,
        help_text="The version read; by default the latest (only the latest "
        "may be confirmed).",
    )


class ReviewMeetingRecordSerializer(serializers.Serializer):
    """The meeting's record; the conclusions given replace the stored ones."""

    held_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Not in the future."
    )
    attendees = names("Usernames of who attended (签到).", required=False, default=list)
    discussions = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=LONG_TEXT),
        required=False,
        default=dict,
        help_text="Notes per input: {section: notes}; empty notes remove them.",
    )
    mr_report = text("管理者代表's report.")
    evaluation = text("总经理's overall evaluation.")
    # Plain strings in the schema: one choice set under three names is warned
    # about.
    suitability = ChoiceTextField(Verdict.choices, required=False, allow_blank=True)
    adequacy = ChoiceTextField(Verdict.choices, required=False, allow_blank=True)
    effectiveness = ChoiceTextField(Verdict.choices, required=False, allow_blank=True)
    conclusion_system = text("On the system, the policy and the objectives.")
    conclusion_service = text("On suppliers, security and service quality.")
    conclusion_resources = text("On resources.")

    def validate_attendees(self, value):
        return [user_for(name) for name in value]

    def validate_discussions(self, value):
        for section in value:
            if section not in InputSection.values:
                raise serializers.ValidationError(
                    _("Unknown review input: %(section)s") % {"section": section[:40]}
                )
        return value


# --- outputs ------------------------------------------------------------------------


class ReviewOutputAddSerializer(serializers.Serializer):
    """A decision of the meeting as an action (管理评审改进计划)."""

    kind = serializers.ChoiceField(
        choices=OutputKind.choices,
        help_text="improvement and corrective open a nonconformity in "
        "compliance; document a change request.",
    )
    description = text("The decision.", default="")
    owner = username("Username of who carries it out (required).", default=None)
    due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Required."
    )
    department = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100,
        default=None,
        help_text="The responsible department's name; by default the owner's.",
    )
    category = serializers.ChoiceField(
        choices=OutputCategory.choices, required=False, allow_blank=True, default=""
    )
    section = serializers.ChoiceField(
        choices=InputSection.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The input it answers.",
    )
    coordinator = username(
        "Username of who coordinates an action across departments.", default=None
    )
    document = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        default=None,
        help_text="The document's number (required for a document re-issue).",
    )
    grade = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=32,
        default=None,
        help_text="The nonconformity grade's code; by default per kind.",
    )
    clause = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=32,
        default=None,
        help_text="The clause concerned, e.g. 9.3.",
    )

    def validate_owner(self, value):
        return user_or_none(value)

    def validate_coordinator(self, value):
        return user_or_none(value)

    def validate_department(self, value):
        return department_or_none(value)

    def validate_document(self, value):
        if not value or not value.strip():
            return None
        return document_named(self.context["request"], value.strip())

    def validate_grade(self, value):
        return grade_named(value) if value and value.strip() else None

    def validate_clause(self, value):
        return clause_named(value, None) if value and value.strip() else None


class ReviewOutputCompleteSerializer(serializers.Serializer):
    note = said("What was done.")
    completed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="By default today."
    )


class ReviewOutputVerifySerializer(serializers.Serializer):
    effective = StrictBooleanField(help_text="false sends it back to its owner.")
    note = said("The verification opinion.")


class ReviewOutputCancelSerializer(serializers.Serializer):
    reason = said("Why the action is no longer needed.")


# --- report -------------------------------------------------------------------------


class ReviewReportSubmitSerializer(serializers.Serializer):
    distribution = names(
        "Names of the departments receiving the report; by default the list "
        "given before.",
        required=False,
        default=None,
        allow_null=True,
    )

    def validate_distribution(self, value):
        if value is None:
            return None
        return [department_for(name) for name in value]


# --- department inputs --------------------------------------------------------------


class ReviewDepartmentInputSaveSerializer(serializers.Serializer):
    department = serializers.CharField(max_length=100, help_text="Its name.")
    section = serializers.ChoiceField(choices=InputSection.choices)
    content = text("The department's material.", default="")

    def validate_department(self, value):
        return department_for(value)


class ReviewInputFilesSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        allow_empty=False,
        max_length=20,
        help_text="Files (multipart, the field repeated).",
    )

    def validate_files(self, value) -> list[tuple[str, bytes]]:
        """The files' names and bytes; the service checks type and size."""
        limit = settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
        uploads = []
        for upload in value:
            content, name = read_upload(upload, limit)
            uploads.append((name, content))
        return uploads


# --- objectives ---------------------------------------------------------------------


def number(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


class ObjectiveFieldsSerializer(serializers.Serializer):
    """Only the fields given are passed on."""

    code = serializers.SlugField(
        max_length=32, required=False, help_text="e.g. response-rate (lowercase)."
    )
    name = serializers.CharField(
        max_length=100, required=False, help_text="e.g. 服务响应及时率."
    )
    kind = ChoiceTextField(MeasureKind.choices, required=False)
    description = text("How it is measured.", limit=SHORT_TEXT)
    unit = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="e.g. %."
    )
    comparison = serializers.ChoiceField(
        choices=Comparison.choices, required=False, help_text="gte (≥) or lte (≤)."
    )
    target = number("Required for an objective.")
    min_value = number("Values below are refused.")
    max_value = number("Values above are refused (e.g. 100 for a percentage).")
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    department = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100,
        help_text="The measuring department's name (its head enters values).",
    )
    sort_order = serializers.IntegerField(required=False, min_value=0, max_value=32767)
    is_active = serializers.BooleanField(required=False)

    def validate_department(self, value):
        return department_or_none(value)


class ObjectiveCreateSerializer(ObjectiveFieldsSerializer):
    code = serializers.SlugField(max_length=32, help_text="e.g. response-rate.")
    name = serializers.CharField(max_length=100, help_text="e.g. 服务响应及时率.")
    kind = serializers.ChoiceField(choices=MeasureKind.choices, required=False)


class ObjectiveUpdateSerializer(ObjectiveFieldsSerializer):
    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Give at least one field to change."))
        return attrs


class MeasurementRecordSerializer(serializers.Serializer):
    period = serializers.CharField(
        max_length=32,
        help_text="A month (2026-03), a quarter (2026Q1) or a year (2026), per "
        "the objective's frequency.",
    )
    value = serializers.CharField(
        max_length=32, help_text="The value reached, e.g. 96.5 (or 96.5%)."
    )
    note = text("", limit=500, default="")
    reason = said("Required to correct a value already entered.")


class MeasurementImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx sheet with the columns 指标, 期间, 实际值 (and 备注)."
    )

    def validate_file(self, upload) -> tuple[bytes, str]:
        return read_upload(upload, settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES)
