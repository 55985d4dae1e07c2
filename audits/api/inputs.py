"""The request bodies of the audits API (see :mod:`audits.api`).

Requests name things as people do (a clause by its number, a department or a
process by its name, a user by username, a document by number, a grade by its
code); these serializers turn them into objects, so their ``validated_data``
are the keyword arguments of the service they feed, and an unknown name is
refused under its field.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from compliance.api.serializers import clause_named, document_named
from compliance.api.views import standard_for
from compliance.models import NonconformityGrade, Process
from documents.api_lifecycle import department_for, user_for
from records.api import read_upload

from ..lifecycle import AuditKind, AuditStatus, AuditTrigger, ItemResult

# --- lookups by name ----------------------------------------------------------------


def process_named(name: str) -> Process:
    process = Process.objects.filter(name=name.strip(), is_active=True).first()
    if process is None:
        raise serializers.ValidationError(
            _("Unknown process: %(name)s") % {"name": name}
        )
    return process


def grade_named(code: str) -> NonconformityGrade:
    grade = NonconformityGrade.objects.filter(code=code.strip(), is_active=True).first()
    if grade is None:
        raise serializers.ValidationError(_("Unknown grade: %(code)s") % {"code": code})
    return grade


def names(help_text: str, **kwargs) -> serializers.ListField:
    """A list of names (clause numbers, usernames, department names …)."""
    return serializers.ListField(
        child=serializers.CharField(), help_text=help_text, **kwargs
    )


# --- requests: audits ---------------------------------------------------------------


class AuditFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="e.g. 2026."
    )
    status = serializers.ChoiceField(choices=AuditStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=AuditKind.choices, required=False)
    department = serializers.CharField(
        required=False, help_text="An audited department's name."
    )
    clause = serializers.CharField(
        required=False,
        help_text="A clause in scope (named, or through a process), e.g. 8.5.1.",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only audits you are on the team of."
    )


class ScopeSerializer(serializers.Serializer):
    """Clauses, departments, processes and auditees by name; clauses of the
    standard in the context ("standard", a ref_id; the default one without)."""

    clauses = names("Clause numbers, e.g. 7.5, 8.5.1.", required=False)
    departments = names("Names of the audited departments.")
    processes = names("Names of processes audited.", required=False)
    auditees = names("Usernames of the auditees.", required=False)

    def _standard(self) -> str | None:
        return self.context.get("standard")

    def validate_clauses(self, value):
        return [clause_named(ref_id, self._standard()) for ref_id in value]

    def validate_departments(self, value):
        return [department_for(name) for name in value]

    def validate_processes(self, value):
        return [process_named(name) for name in value]

    def validate_auditees(self, value):
        return [user_for(username) for username in value]


class AuditCreateSerializer(ScopeSerializer):
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField()
    criteria = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="By default the standard, the manual and procedures.",
    )
    kind = serializers.ChoiceField(
        choices=AuditKind.choices, required=False, default=AuditKind.PLANNED
    )
    trigger = serializers.ChoiceField(
        choices=AuditTrigger.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for an ad hoc audit.",
    )
    trigger_note = serializers.CharField(required=False, allow_blank=True, default="")
    standard = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The standard's reference; by default the programme's.",
    )
    planned_start = serializers.DateField()
    planned_end = serializers.DateField()
    leader = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Username of the audit team leader; the team is formed at once.",
    )
    auditors = names("Usernames of the other auditors.", required=False, default=list)

    def validate_clauses(self, value):
        return value  # named in the request's standard: see validate()

    def validate_standard(self, value):
        if not value.strip():
            return None
        try:
            return standard_for(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(exc.detail["standard"]) from None

    def validate_leader(self, value):
        return user_for(value) if value.strip() else None

    def validate_auditors(self, value):
        return [user_for(username) for username in value]

    def validate(self, attrs):
        standard = attrs.get("standard")
        if "clauses" in attrs:
            try:
                attrs["clauses"] = [
                    clause_named(ref_id, standard.ref_id if standard else None)
                    for ref_id in attrs["clauses"]
                ]
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"clauses": exc.detail}) from None
        if attrs.get("auditors") and not attrs.get("leader"):
            raise serializers.ValidationError(
                {"leader": [_("Name the audit team leader.")]}
            )
        return attrs


class AuditUpdateSerializer(ScopeSerializer):
    """Only the fields given change."""

    title = serializers.CharField(max_length=200, required=False)
    purpose = serializers.CharField(required=False)
    criteria = serializers.CharField(required=False, allow_blank=True)
    trigger_note = serializers.CharField(required=False)
    planned_start = serializers.DateField(required=False)
    planned_end = serializers.DateField(required=False)
    departments = names("Names of the audited departments.", required=False)


class TeamSerializer(serializers.Serializer):
    leader = serializers.CharField(help_text="Username of the audit team leader.")
    auditors = names("Usernames of the other auditors.", required=False, default=list)

    def validate_leader(self, value):
        return user_for(value)

    def validate_auditors(self, value):
        return [user_for(username) for username in value]


class SlotSerializer(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField(required=False, allow_null=True, default=None)
    end_time = serializers.TimeField(required=False, allow_null=True, default=None)
    department = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Its name."
    )
    activity = serializers.CharField(max_length=300)
    auditor = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Username."
    )

    def validate_department(self, value):
        return department_for(value) if value else None

    def validate_auditor(self, value):
        return user_for(value) if value else None


class ScheduleSerializer(serializers.Serializer):
    slots = SlotSerializer(many=True, help_text="The whole schedule; replaces it.")


class NoBodySerializer(serializers.Serializer):
    """No fields."""


class AcceptSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="Why.")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class MeetingRecordSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField(help_text="When it was held (not later).")
    attendees = names("Usernames of who attended.", required=False, default=list)
    guests = names(
        "Names of attendees without an account.", required=False, default=list
    )
    location = serializers.CharField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_attendees(self, value):
        return [user_for(username) for username in value]


class ReportSaveSerializer(serializers.Serializer):
    """Only the fields given change."""

    overview = serializers.CharField(
        required=False, allow_blank=True, help_text="审核综述."
    )
    evaluation = serializers.CharField(
        required=False, allow_blank=True, help_text="体系评价."
    )
    distribution = names("Who receives the report (发放范围).", required=False)


# --- requests: checklists -----------------------------------------------------------


class ChecklistItemAddSerializer(serializers.Serializer):
    """A question of the auditor's own; the clause is one of the audit's
    standard (the context's "standard")."""

    clause = serializers.CharField(help_text="Clause number, e.g. 8.5.1.")
    department = serializers.CharField(help_text="An audited department's name.")
    question = serializers.CharField(max_length=1000)

    def validate_clause(self, value):
        return clause_named(value, self.context.get("standard"))

    def validate_department(self, value):
        return department_for(value)


class ChecklistItemUpdateSerializer(serializers.Serializer):
    """Only the fields given change."""

    version = serializers.IntegerField(
        required=False, help_text="The version read; a stale one answers 409."
    )
    result = serializers.ChoiceField(
        choices=ItemResult.choices, required=False, allow_blank=True
    )
    evidence = serializers.CharField(required=False, allow_blank=True)
    question = serializers.CharField(required=False, max_length=1000)
    auditor = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Username of the team member who asks it; null to unassign.",
    )

    def validate_auditor(self, value):
        return user_for(value) if value else None


class EvidenceUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        allow_empty=False,
        help_text="Photos, scans or files (multipart, the field repeated).",
    )

    def validate_files(self, value) -> list[tuple[str, bytes]]:
        """The files' names and bytes; the service checks type and size."""
        limit = settings.SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES
        uploads = []
        for upload in value:
            content, name = read_upload(upload, limit)
            uploads.append((name, content))
        return uploads


class FindingRaiseSerializer(serializers.Serializer):
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="By default the clause and the first line of the evidence.",
    )
    facts = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="By default the item's evidence.",
    )
    grade = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Grade code (major, minor, improvement, …); minor by default.",
    )
    documents = names(
        "Numbers of the documents concerned; by default those the item names.",
        required=False,
        allow_null=True,
        default=None,
    )

    def validate_grade(self, value):
        return grade_named(value) if value else None

    def validate_documents(self, value):
        if value is None:
            return None
        request = self.context["request"]
        return [document_named(request, number) for number in value]


# --- requests: programmes -----------------------------------------------------------


class ProgrammeCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    basis = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Previous audit results, changes and the processes' importance.",
    )


class ProgrammeUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    basis = serializers.CharField(required=False, allow_blank=True)


class ProgrammeSignSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ProgrammeReviseSerializer(serializers.Serializer):
    reason = serializers.CharField()
