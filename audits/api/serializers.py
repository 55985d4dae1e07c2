"""The bodies the audits API answers with (see :mod:`audits.api`; the request
bodies are in :mod:`audits.api.inputs`).

Answers serialize what the views load (audits with their scope, team,
schedule, meetings and report prefetched; checklist items with their files and
finding; programmes with their coverage). Statuses and kinds are answered as
their values (``in_progress``) with a ``*_display`` text in the active
language.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from compliance.api.serializers import (
    AnswerSerializer,
    UserRefField,
    UserRefSerializer,
    user_ref,
)
from documents.permissions import restricted_ids

from .. import permissions
from ..lifecycle import AuditStatus
from ..models import AuditReport

# --- permission ---------------------------------------------------------------------


class CanViewAudits(BasePermission):
    """Staff of the company; a customer representative is refused."""

    message = gettext_lazy("You may not read the internal audits.")

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_audits(request.user)


# --- answers: shared parts ----------------------------------------------------------


class ClauseRefSerializer(serializers.Serializer):
    ref_id = serializers.CharField(help_text="e.g. 8.5.1")
    title = serializers.CharField(source="title_zh", help_text="Chinese short title.")


class TeamMemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    role = serializers.CharField(help_text="leader or auditor.")
    role_display = serializers.CharField(source="get_role_display")

    def get_name(self, member) -> str:
        return member.user.get_full_name() or member.user.get_username()


class ScheduleSlotSerializer(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField(allow_null=True)
    end_time = serializers.TimeField(allow_null=True)
    department = serializers.CharField(
        source="department.name", allow_null=True, default=None
    )
    activity = serializers.CharField()
    auditor = UserRefField()


class AttendeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    username = serializers.CharField(
        source="user.username",
        allow_null=True,
        default=None,
        help_text="null for a guest.",
    )
    department = serializers.CharField()


class MeetingSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="opening or closing.")
    kind_display = serializers.CharField(source="get_kind_display")
    held_at = serializers.DateTimeField()
    location = serializers.CharField()
    chaired_by = UserRefField()
    notes = serializers.CharField()
    recorded_by = UserRefField()
    attendees = AttendeeSerializer(many=True)


class FindingSerializer(AnswerSerializer):
    """A nonconformity or improvement opportunity raised from the checklist."""

    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="draft until 管理者代表 approves it.")
    status_display = serializers.CharField(source="get_status_display")
    grade = serializers.CharField(source="grade.code", help_text="major, minor, …")
    clause = serializers.CharField(
        source="clause.ref_id", allow_null=True, default=None
    )
    department = serializers.CharField(source="department.name")
    url = serializers.SerializerMethodField(help_text="The nonconformity's page.")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_url(self, nc) -> str | None:
        return self._url(nc.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, nc) -> str | None:
        return self._url(
            reverse("compliance_api:nonconformity", kwargs={"number": nc.number})
        )


class ReportSerializer(serializers.Serializer):
    """The audit report (公司管理体系内审报告) as written so far."""

    status = serializers.SerializerMethodField(
        help_text="draft, returned, submitted or approved."
    )
    overview = serializers.CharField()
    evaluation = serializers.CharField()
    distribution = serializers.ListField(child=serializers.CharField())
    written_by = UserRefField()
    submitted_by = UserRefField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    return_comment = serializers.CharField()
    approved_by = UserRefField()
    approved_at = serializers.DateTimeField(allow_null=True)
    file_sha256 = serializers.CharField(
        help_text="SHA-256 of the .docx frozen on approval (empty before)."
    )

    def get_status(self, report) -> str:
        if report.approved_at:
            return "approved"
        if report.submitted_at and report.audit.status == AuditStatus.REPORTED:
            return "submitted"
        if report.return_comment:
            return "returned"
        return "draft"


class RecordFiledSerializer(AnswerSerializer):
    """An audit record filed in the records register (number and link only for
    those who may read the record)."""

    kind = serializers.CharField(help_text="programme, checklist, opening, …")
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
        return (
            self._url(link.record.get_absolute_url()) if self._visible(link) else None
        )


class ChecklistSummarySerializer(serializers.Serializer):
    items = serializers.IntegerField()
    answered = serializers.IntegerField()
    url = serializers.URLField()


# --- answers: audits ----------------------------------------------------------------


class AuditSerializer(AnswerSerializer):
    """An audit as listed."""

    number = serializers.CharField(help_text="e.g. IA-2026-01.")
    title = serializers.CharField()
    kind = serializers.CharField(help_text="planned or ad_hoc.")
    kind_display = serializers.CharField(source="get_kind_display")
    trigger = serializers.CharField(help_text="Why an ad hoc audit is held.")
    trigger_display = serializers.CharField(source="get_trigger_display")
    status = serializers.CharField(
        help_text=(
            "requested, planned, notified, in_progress, completed, reported, "
            "closed, rejected or cancelled."
        )
    )
    status_display = serializers.CharField(source="get_status_display")
    programme = serializers.IntegerField(
        source="programme.year", allow_null=True, default=None, help_text="Its year."
    )
    standard = serializers.CharField(source="standard.ref_id")
    clauses = ClauseRefSerializer(many=True, source="clauses.all")
    departments = serializers.SerializerMethodField()
    planned_start = serializers.DateField()
    planned_end = serializers.DateField()
    leader = UserRefField()
    url = serializers.SerializerMethodField(help_text="The audit's page.")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_departments(self, audit) -> list[str]:
        return [d.name for d in audit.departments.all()]

    @extend_schema_field(serializers.URLField())
    def get_url(self, audit) -> str | None:
        return self._url(audit.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, audit) -> str | None:
        return self._url(audit_api_url(audit.number))


def audit_api_url(number: str, name: str = "audit") -> str:
    return reverse(f"audits_api:{name}", kwargs={"id": number})


class AuditDetailSerializer(AuditSerializer):
    """An audit with its scope, team, schedule, meetings, findings, report,
    filed records and what you may do now."""

    # The context gives "findings", "visible_records", "allowed_actions" and
    # the "warnings" of the action just taken.

    purpose = serializers.CharField()
    criteria = serializers.CharField()
    trigger_note = serializers.CharField()
    requested_by = UserRefField()
    decided_by = UserRefField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    cancel_reason = serializers.CharField()
    processes = serializers.SerializerMethodField()
    auditees = serializers.SerializerMethodField()
    notice_sent_at = serializers.DateTimeField(allow_null=True)
    notice_sent_by = UserRefField()
    team = TeamMemberSerializer(many=True, source="team.all")
    schedule = ScheduleSlotSerializer(many=True, source="schedule.all")
    meetings = MeetingSerializer(many=True, source="meetings.all")
    checklist = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    report_docx_url = serializers.SerializerMethodField()
    records = serializers.SerializerMethodField(help_text="Records filed.")
    allowed_actions = serializers.SerializerMethodField(
        help_text=(
            "What you may do now: accept, reject, edit (the update action), team, "
            "schedule, notify, checklist (generate, add or change items), "
            "opening, finding, closing, report, submit, approve, return, cancel."
        )
    )
    warnings = serializers.SerializerMethodField(
        help_text="Warnings of the action just taken (notify, approve)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_processes(self, audit) -> list[str]:
        return [p.name for p in audit.processes.all()]

    @extend_schema_field(UserRefSerializer(many=True))
    def get_auditees(self, audit) -> list[dict]:
        return [user_ref(user) for user in audit.auditees.all()]

    @extend_schema_field(ChecklistSummarySerializer)
    def get_checklist(self, audit) -> dict:
        items = list(audit.items.all())
        return {
            "items": len(items),
            "answered": sum(1 for item in items if item.answered),
            "url": self._url(audit_api_url(audit.number, "checklist")),
        }

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, audit) -> list[dict]:
        return FindingSerializer(
            self.context["findings"], many=True, context=self.context
        ).data

    @extend_schema_field(ReportSerializer(allow_null=True))
    def get_report(self, audit) -> dict | None:
        report = report_of(audit)
        return ReportSerializer(report).data if report else None

    @extend_schema_field(serializers.URLField())
    def get_report_docx_url(self, audit) -> str | None:
        return self._url(audit_api_url(audit.number, "report-docx"))

    @extend_schema_field(RecordFiledSerializer(many=True))
    def get_records(self, audit) -> list[dict]:
        return RecordFiledSerializer(
            audit.record_links.all(), many=True, context=self.context
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, audit) -> list[str]:
        return list(self.context["allowed_actions"])

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, audit) -> list[str]:
        return [str(w) for w in self.context.get("warnings", ())]


def report_of(audit) -> AuditReport | None:
    try:
        return audit.report
    except AuditReport.DoesNotExist:
        return None


# --- answers: checklists ------------------------------------------------------------


class ResponsibleSerializer(serializers.Serializer):
    department = serializers.CharField()
    level = serializers.CharField(help_text="primary (★) or supporting (☆).")


class ItemDocumentSerializer(serializers.Serializer):
    """A document answering the clause, as it stood when the item was made."""

    number = serializers.CharField()
    title = serializers.CharField()
    restricted = serializers.BooleanField(
        default=False,
        help_text=(
            "A restricted document you may not open: its number, title and "
            "issue are left empty."
        ),
    )
    issue = serializers.CharField(help_text="The label of the issue then in force.")
    tier = serializers.IntegerField(allow_null=True, required=False)
    inherited_from = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="The parent clause the document is linked to, if not this one.",
    )


class EvidenceFileSerializer(AnswerSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = UserRefField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The checked download.")

    @extend_schema_field(serializers.URLField())
    def get_url(self, evidence) -> str | None:
        kwargs = {"number": self.context["number"], "evidence_id": evidence.pk}
        return self._url(reverse("audits:evidence", kwargs=kwargs))


class ItemFindingSerializer(AnswerSerializer):
    number = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, nc) -> str | None:
        return self._url(
            reverse("compliance_api:nonconformity", kwargs={"number": nc.number})
        )


class ChecklistItemSerializer(AnswerSerializer):
    """One question of the checklist (内审检查表) with its answer."""

    # The context gives the audit's "number".

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    clause = ClauseRefSerializer()
    department = serializers.CharField(source="department.name")
    question = serializers.CharField()
    responsible = ResponsibleSerializer(many=True)
    documents = serializers.SerializerMethodField()
    auditor = UserRefField()
    result = serializers.CharField(
        help_text=(
            "Empty until answered; conforming, nonconforming, observation or "
            "not_applicable."
        )
    )
    result_display = serializers.CharField(source="get_result_display")
    evidence = serializers.CharField(help_text="The objective facts found.")
    answered_by = UserRefField()
    answered_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(
        help_text="Send it back when saving: a stale copy is refused with 409."
    )
    updated_at = serializers.DateTimeField()
    files = EvidenceFileSerializer(many=True, source="files.all")
    finding = ItemFindingSerializer(
        source="nonconformity", allow_null=True, help_text="The finding raised."
    )
    url = serializers.SerializerMethodField(help_text="This item in the API.")

    @extend_schema_field(ItemDocumentSerializer(many=True))
    def get_documents(self, item) -> list[dict]:
        """The snapshot, less the number and title of the restricted documents
        the user may not open (the context's ``restricted`` ids, when the view
        read them for a whole checklist)."""
        snapshot = [d for d in item.documents if isinstance(d, dict)]
        hidden = self.context.get("restricted")
        if hidden is None:
            request = self.context.get("request")
            hidden = restricted_ids(
                getattr(request, "user", None), [d.get("id") for d in snapshot]
            )
        shown = [
            {"number": "", "title": "", "issue": "", "restricted": True}
            if d.get("id") in hidden
            else d
            for d in snapshot
        ]
        return ItemDocumentSerializer(shown, many=True).data

    @extend_schema_field(serializers.URLField())
    def get_url(self, item) -> str | None:
        kwargs = {"id": self.context["number"], "item_id": item.pk}
        return self._url(reverse("audits_api:checklist-item", kwargs=kwargs))


class ChecklistSerializer(serializers.Serializer):
    audit = serializers.CharField(help_text="The audit's number.")
    status = serializers.CharField(help_text="The audit's status.")
    items_total = serializers.IntegerField()
    answered = serializers.IntegerField()
    items = ChecklistItemSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    item = ChecklistItemSerializer(help_text="The item as stored now.")


# --- answers: programmes ------------------------------------------------------------


class SignatureSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    step = serializers.CharField()
    role = serializers.CharField()
    user = UserRefField()
    signer_name = serializers.CharField()
    decision = serializers.CharField(help_text="signed or returned.")
    comment = serializers.CharField()
    signed_at = serializers.DateTimeField()


class ChainStepSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. review, approve.")
    role = serializers.CharField(help_text="The role that signs it.")


class ProgrammeSerializer(AnswerSerializer):
    """An annual programme as listed."""

    year = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="draft, in_review or approved.")
    status_display = serializers.CharField(source="get_status_display")
    revision = serializers.IntegerField()
    standard = serializers.CharField(source="standard.ref_id")
    prepared_by = UserRefField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="The programme's page.")
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_url(self, programme) -> str | None:
        return self._url(programme.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_api_url(self, programme) -> str | None:
        url = reverse("audits_api:programme", kwargs={"year": programme.year})
        return self._url(url)


class HeatMapRowSerializer(serializers.Serializer):
    ref_id = serializers.CharField(source="clause.ref_id")
    title = serializers.CharField(source="clause.title_zh")
    depth = serializers.IntegerField(source="clause.depth")
    applicable = serializers.BooleanField()
    covered = serializers.BooleanField()
    months = serializers.SerializerMethodField(
        help_text="Month (1–12) → numbers of the audits covering the clause then."
    )

    @extend_schema_field(
        serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        )
    )
    def get_months(self, row) -> dict[str, list[str]]:
        return {str(month): [a.number for a in audits] for month, audits in row.cells}


class DepartmentCoverageSerializer(serializers.Serializer):
    name = serializers.CharField(source="department.name")
    covered = serializers.BooleanField()
    audits = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audits(self, row) -> list[str]:
        return [a.number for a in row.audits]


class CoverageSerializer(serializers.Serializer):
    """What the year's audits cover (audits.coverage.programme_coverage)."""

    complete = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())
    uncovered_clauses = serializers.SerializerMethodField()
    uncovered_departments = serializers.SerializerMethodField()
    clauses = HeatMapRowSerializer(many=True, help_text="The clause × month heat map.")
    departments = DepartmentCoverageSerializer(many=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_uncovered_clauses(self, coverage) -> list[str]:
        return [c.ref_id for c in coverage.uncovered_clauses]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_uncovered_departments(self, coverage) -> list[str]:
        return [d.name for d in coverage.uncovered_departments]


class ProgrammeDetailSerializer(ProgrammeSerializer):
    """A programme with its audits, signatures, current step and coverage."""

    # The context gives "coverage", "current_step" and "allowed_actions".

    basis = serializers.CharField()
    audits = AuditSerializer(many=True, source="audits.all")
    signatures = SignatureSerializer(many=True, source="signatures.all")
    current_step = serializers.SerializerMethodField(
        help_text="The step awaiting a signature (null unless in review)."
    )
    coverage = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do now: update, submit, sign, return, revise."
    )

    @extend_schema_field(ChainStepSerializer(allow_null=True))
    def get_current_step(self, programme) -> dict | None:
        step = self.context["current_step"]
        return {"code": step.code, "role": step.role} if step else None

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, programme) -> dict:
        return CoverageSerializer(self.context["coverage"]).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, programme) -> list[str]:
        return list(self.context["allowed_actions"])
