"""The bodies the writing API reads and answers with.

A form's fields (``form_fields``) are given as Wagtail's form builder knows them
(:class:`documents.models.FormFieldDefinition`): a label, a type among
:data:`FIELD_TYPES`, whether it is required, the choices of a choice field, a
default value and a help text. Each is stored under the pinyin of its label
(报告人 → ``bao_gao_ren``), so two labels may not share a name.
"""

from __future__ import annotations

from typing import Any, Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from wagtail.contrib.forms.models import FORM_FIELD_CHOICES

from .. import api, numbering
from ..lifecycle import DocumentKind, Tier
from ..models import Department, DocumentPage
from ..models.formfields import pinyin_name
from .base import (
    CHILD_KINDS,
    KIND_OF_TIER,
    PAGE_CLASSES,
    body_html,
    department_for,
    is_readable,
    may_see_draft,
    user_for,
)

# The types of Wagtail's form builder (its values, e.g. "singleline", "hidden").
FIELD_TYPES: Final[tuple[str, ...]] = tuple(
    value for value, _label in FORM_FIELD_CHOICES
)
# Types whose values are picked from the field's choices.
CHOICE_FIELD_TYPES: Final = frozenset(
    {"checkboxes", "dropdown", "multiselect", "radio"}
)
# Types whose default may name several of the choices.
MULTIPLE_CHOICE_TYPES: Final = frozenset({"checkboxes", "multiselect"})
# A form is filled on one screen: more fields than this is a mistake.
MAX_FORM_FIELDS: Final = 100


# --- serializers: a form's fields ---------------------------------------------------


class FieldTypeField(serializers.ChoiceField):
    """A field type of Wagtail's form builder; an unknown one is named in the
    refusal with the types there are."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=FORM_FIELD_CHOICES, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if str(data) not in FIELD_TYPES:
            raise serializers.ValidationError(
                _("Unknown field type “%(type)s”; use one of %(types)s.")
                % {"type": data, "types": ", ".join(FIELD_TYPES)},
                code="invalid_choice",
            )
        return str(data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string", "description": "One choice per line."},
        ]
    }
)
class ChoicesField(serializers.Field):
    """The choices of a choice field: a list of texts, or one per line."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Give the choices as a list of texts, or one per line."
        ),
        "line_break": gettext_lazy("A choice cannot contain a line break."),
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            items = api.choice_list(data)
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            if any("\n" in item or "\r" in item for item in data):
                self.fail("line_break")
            items = [item.strip() for item in data]
        else:
            self.fail("invalid")
        return [item for item in items if item]

    def to_representation(self, value: Any) -> Any:
        return value


class FormFieldInputSerializer(serializers.Serializer):
    """One field of a form (tier 4) to fill, as Wagtail's form builder has it."""

    label = serializers.CharField(
        max_length=255,
        error_messages={"blank": gettext_lazy("A field needs a label.")},
        help_text="Shown beside the field; its pinyin is the field's name.",
    )
    field_type = FieldTypeField(help_text="A type of Wagtail's form builder.")
    required = serializers.BooleanField(default=True)
    choices = ChoicesField(
        required=False,
        help_text="Required for checkboxes, dropdown, multiselect and radio.",
    )
    default_value = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    help_text = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict) -> dict:
        field_type = attrs["field_type"]
        choices = attrs.get("choices") or []
        if field_type in CHOICE_FIELD_TYPES:
            if not choices:
                raise serializers.ValidationError(
                    {"choices": [_("A choice field needs its choices.")]}
                )
            self._check_choices(choices)
            self._check_default(field_type, attrs["default_value"], choices)
        elif choices:
            raise serializers.ValidationError(
                {
                    "choices": [
                        _(
                            "Only checkboxes, dropdown, multiselect and radio "
                            "fields have choices."
                        )
                    ]
                }
            )
        attrs["choices"] = "\n".join(choices)
        return attrs

    @staticmethod
    def _check_choices(choices: list[str]) -> None:
        seen: set[str] = set()
        for choice in choices:
            if choice in seen:
                raise serializers.ValidationError(
                    {
                        "choices": [
                            _("“%(choice)s” is listed twice.") % {"choice": choice}
                        ]
                    }
                )
            seen.add(choice)
        # Stored one per line and read back as Wagtail's form builder reads
        # them: what would come back different is refused, not changed.
        if api.choice_list("\n".join(choices)) != choices:
            raise serializers.ValidationError(
                {
                    "choices": [
                        _(
                            "A choice cannot end with a comma, and a single "
                            "choice cannot contain one."
                        )
                    ]
                }
            )

    @staticmethod
    def _check_default(field_type: str, default: str, choices: list[str]) -> None:
        if not default:
            return
        values = (
            api.choice_list(default)
            if field_type in MULTIPLE_CHOICE_TYPES
            else [default.strip()]
        )
        for value in values:
            if value not in choices:
                raise serializers.ValidationError(
                    {
                        "default_value": [
                            _("“%(value)s” is not one of the choices.")
                            % {"value": value}
                        ]
                    }
                )


def check_form_fields(fields: list[dict]) -> list[dict]:
    """Refuse two fields with the same label, or with labels stored under the
    same name (records keep their values by field name)."""
    errors: list[str] = []
    labels: set[str] = set()
    names: dict[str, str] = {}
    for field in fields:
        label = field["label"]
        if label in labels:
            errors.append(_("Two fields are labelled “%(label)s”.") % {"label": label})
            continue
        labels.add(label)
        name = pinyin_name(label)
        if name in names:
            errors.append(
                _(
                    "“%(label)s” and “%(other)s” would both be stored as "
                    "“%(name)s”; change one of the labels."
                )
                % {"label": label, "other": names[name], "name": name}
            )
            continue
        names[name] = label
    if errors:
        raise serializers.ValidationError(errors)
    return fields


def form_fields_input() -> serializers.ListSerializer:
    return FormFieldInputSerializer(
        many=True,
        required=False,
        max_length=MAX_FORM_FIELDS,
        error_messages={
            "max_length": gettext_lazy("A form has at most {max_length} fields.")
        },
        help_text=(
            "Forms (tier 4) only: the fields to fill, in order. On a change of "
            "the draft, the whole list is replaced."
        ),
    )


def refuse_form_fields_unless_form(attrs: dict, kind: str | None) -> None:
    if "form_fields" in attrs and kind != DocumentKind.FORM:
        raise serializers.ValidationError(
            {"form_fields": [_("Only forms (tier 4) have fields to fill.")]}
        )


# --- serializers: requests ---------------------------------------------------------


class DistributionEntryInputSerializer(serializers.Serializer):
    """One recipient of the distribution list: a department or a person."""

    department = serializers.CharField(
        required=False, allow_blank=True, help_text="A department's name or id."
    )
    holder = serializers.CharField(
        required=False, allow_blank=True, help_text="A username."
    )
    copies = serializers.IntegerField(min_value=1, max_value=99, default=1)
    location = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    password_protected = serializers.BooleanField(required=False, default=False)

    def validate_department(self, value: str) -> Department | None:
        return department_for(value) if value.strip() else None

    def validate_holder(self, value: str):
        return user_for(value) if value.strip() else None

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("department") and not attrs.get("holder"):
            raise serializers.ValidationError(_("Name a department or a holder."))
        return attrs


class DocumentCreateSerializer(serializers.Serializer):
    """A new draft document. Give its ``tier`` or its ``kind``."""

    title = serializers.CharField(max_length=255)
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, help_text="Tier 1 to 4."
    )
    kind = serializers.ChoiceField(
        choices=[(kind, DocumentKind(kind).label) for kind in PAGE_CLASSES],
        required=False,
    )
    parent = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The parent document's number; required for tiers 3 and 4.",
    )
    department = serializers.CharField(help_text="Owning department: name or id.")
    involved_departments = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Departments sharing duties (names or ids); two or more co-sign.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="HTML, or plain text (one paragraph per line).",
    )
    change_summary = serializers.CharField(required=False, allow_blank=True)
    effective_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Planned effective date; empty: the day it is issued.",
    )
    training_required = serializers.BooleanField(
        required=False,
        help_text="Take effect only once every recipient has confirmed reading it.",
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True
    )
    storage_location = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    retention_period = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )
    distribution = DistributionEntryInputSerializer(many=True, required=False)
    form_fields = form_fields_input()
    source_file = serializers.FileField(
        required=False,
        allow_empty_file=False,
        help_text="The original .docx or .pdf (multipart requests only).",
    )

    def validate_department(self, value: str) -> Department:
        return department_for(value)

    def validate_involved_departments(self, values: list[str]) -> list[Department]:
        departments: list[Department] = []
        for value in values:
            department = department_for(value)
            if department not in departments:
                departments.append(department)
        return departments

    def validate_body(self, value: str) -> str:
        return body_html(value)

    def validate_form_fields(self, fields: list[dict]) -> list[dict]:
        return check_form_fields(fields)

    def validate_parent(self, value: str) -> DocumentPage | None:
        if not value.strip():
            return None
        number = numbering.get_scheme().normalise(value)
        page = DocumentPage.objects.filter(number=number).first()
        user = self.context["request"].user
        if page is None or not (is_readable(user, page) or may_see_draft(user, page)):
            raise serializers.ValidationError(
                _("Unknown document: %(number)s") % {"number": number}
            )
        return page.specific

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("kind")
        tier = attrs.get("tier")
        if tier is not None:
            if kind is not None and kind != KIND_OF_TIER[tier]:
                raise serializers.ValidationError(
                    {"kind": [_("This kind is not of the tier given.")]}
                )
            kind = KIND_OF_TIER[tier]
        if kind is None:
            raise serializers.ValidationError(
                {"tier": [_("Give the tier or the kind of the document.")]}
            )
        if kind in CHILD_KINDS and attrs.get("parent") is None:
            raise serializers.ValidationError(
                {"parent": [_("A document of tier 3 or 4 needs its parent's number.")]}
            )
        refuse_form_fields_unless_form(attrs, kind)
        attrs["kind"] = kind
        return attrs


class DocumentReviseSerializer(DocumentCreateSerializer):
    """Changes to a draft (or the next issue's draft); every field optional.
    The document changed is the context's ``page``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tier", "kind", "parent"):
            self.fields.pop(name)
        for field in self.fields.values():
            field.required = False

    def validate(self, attrs: dict) -> dict:
        page = self.context.get("page")
        refuse_form_fields_unless_form(attrs, page.kind if page is not None else None)
        return attrs


class ApproveSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The signer's password: a signature re-authenticates.",
    )
    comment = serializers.CharField(required=False, allow_blank=True)
    attachments_complete = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Pre-issue check only: the forms and annexes are complete.",
    )


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="Why it is returned (required)."
    )


class CopyQuerySerializer(serializers.Serializer):
    copy = serializers.IntegerField(
        min_value=1, help_text="The copy number: 2 for 受控02."
    )


# --- serializers: answers ----------------------------------------------------------


class DocumentCreatedSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    status = serializers.CharField(help_text="draft")
    url = serializers.URLField(allow_null=True)
    workflow = api.WorkflowSummarySerializer(allow_null=True)
    distribution = api.DistributionSerializer()
    form_fields = api.FormFieldSerializer(
        many=True,
        required=False,
        help_text="Forms (tier 4) only: the draft's fields, with their names.",
    )


class SubmittedSerializer(serializers.Serializer):
    number = serializers.CharField()
    workflow = api.WorkflowSummarySerializer(allow_null=True)


class ActResultSerializer(serializers.Serializer):
    number = serializers.CharField()
    signed = serializers.BooleanField(help_text="A signature was recorded.")
    returned = serializers.BooleanField(
        help_text="Returned to its author (by the signer, or by a failed check)."
    )
    finished = serializers.BooleanField(help_text="The chain is complete: issued.")
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="What the pre-issue check found."
    )
    workflow = api.WorkflowSummarySerializer(allow_null=True)
    current_issue = serializers.CharField(
        allow_null=True, help_text="The label of the issue in force."
    )


class AcknowledgedSerializer(serializers.Serializer):
    number = serializers.CharField()
    issue = serializers.CharField()
    confirmed_at = serializers.DateTimeField()
    issue_status = serializers.CharField(
        help_text="pending until it takes effect, then effective."
    )
