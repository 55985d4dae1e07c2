"""Internal audits (ISO/IEC 20000-1:2018 9.2; internal audit procedure): the
annual programme (年度内部审核实施计划) and its signatures, audits with their
scope, team and schedule, checklists (内审检查表) built from the clauses, the
opening and closing meetings, and the audit report (公司管理体系内审报告).

Everything moves through :mod:`audits.services`; findings are compliance
nonconformities (source "internal audit"), linked from their checklist item.
Signatures, meetings, evidence files and the approved report are written once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel

from compliance.models import Clause, Nonconformity, Process, Standard
from documents.models import Department

from .lifecycle import (
    FINDING_RESULTS,
    AuditKind,
    AuditStatus,
    AuditTrigger,
    ItemResult,
    MeetingKind,
    ProgrammeStatus,
    SignatureDecision,
    TeamRole,
)

USER = settings.AUTH_USER_MODEL


def audit_storage() -> FileSystemStorage:
    """Evidence and approved reports are served only through permission-checked
    views."""
    return FileSystemStorage(location=settings.SHOUKONG_RECORDS_ROOT, base_url=None)


def evidence_upload_to(evidence: ChecklistEvidence, filename: str) -> str:
    return f"audits/{evidence.item.audit.number}/evidence/{filename}"


def report_upload_to(report: AuditReport, filename: str) -> str:
    return f"audits/{report.audit.number}/{filename}"


# --- The annual programme -------------------------------------------------------------


class AuditProgramme(models.Model):
    """One year's internal audit programme; its planned audits are the
    ``Audit`` rows of kind "planned" pointing at it."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    standard = models.ForeignKey(
        Standard,
        on_delete=models.PROTECT,
        related_name="audit_programmes",
        verbose_name=_("standard"),
    )
    title = models.CharField(_("title"), max_length=200)
    basis = models.TextField(
        _("basis"),
        blank=True,
        help_text=_(
            "Previous internal and external audit results, changes and the "
            "importance of the processes that shaped this programme."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProgrammeStatus.choices,
        default=ProgrammeStatus.DRAFT,
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    prepared_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("audits:programme", kwargs={"year": self.year})


class ProgrammeSignature(models.Model):
    """One step of the programme's chain, signed or returned; append-only."""

    programme = models.ForeignKey(
        AuditProgramme, on_delete=models.PROTECT, related_name="signatures"
    )
    revision = models.PositiveSmallIntegerField(_("revision"))
    step = models.CharField(_("step"), max_length=32)
    role = models.CharField(_("role"), max_length=64)
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signer_name = models.CharField(pgettext_lazy("person", "name"), max_length=150)
    decision = models.CharField(
        _("decision"), max_length=16, choices=SignatureDecision.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["programme", "signed_at", "id"]
        verbose_name = _("programme signature")
        verbose_name_plural = _("programme signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "revision", "step"],
                condition=Q(decision="signed"),
                name="audits_programme_step_signed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.step} {self.signer_name}"


# --- Audits ---------------------------------------------------------------------------


class Audit(models.Model):
    """One internal audit: planned in the programme or ad hoc."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    programme = models.ForeignKey(
        AuditProgramme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audits",
        verbose_name=_("programme"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=AuditKind.choices, default=AuditKind.PLANNED
    )
    trigger = models.CharField(
        _("trigger"), max_length=32, choices=AuditTrigger.choices, blank=True
    )
    trigger_note = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(pgettext_lazy("audit", "purpose"))
    criteria = models.TextField(_("criteria"))
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="audits", verbose_name=_("clauses")
    )
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="audits",
        verbose_name=_("audited departments"),
    )
    processes = models.ManyToManyField(
        Process, blank=True, related_name="audits", verbose_name=_("processes")
    )
    auditees = models.ManyToManyField(
        USER, blank=True, related_name="audits_as_auditee", verbose_name=_("auditees")
    )
    planned_start = models.DateField(_("start date"))
    planned_end = models.DateField(_("end date"))
    notice_sent_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    notice_sent_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AuditStatus.choices,
        default=AuditStatus.PLANNED,
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("internal audit")
        verbose_name_plural = _("internal audits")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="audits_audit_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind="planned") | ~Q(trigger=""),
                name="audits_ad_hoc_has_trigger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit", kwargs={"number": self.number})

    @property
    def leader(self):
        member = next(
            (m for m in self.team.all() if m.role == TeamRole.LEADER),
            None,
        )
        return member.user if member else None

    def findings(self):
        """The nonconformities and improvement opportunities raised from this
        audit's checklist."""
        from django.contrib.contenttypes.models import ContentType

        return Nonconformity.objects.filter(
            source_type=ContentType.objects.get_for_model(Audit), source_id=self.pk
        )

    def scope_clauses(self):
        """The clauses in scope: those named, and those of the processes named,
        in the catalogue's order."""
        return (
            Clause.objects.filter(
                Q(pk__in=self.clauses.values("pk"))
                | Q(
                    pk__in=Process.clauses.through.objects.filter(
                        process__in=self.processes.all()
                    ).values("clause")
                )
            )
            .distinct()
            .order_by("sort_key")
        )


class AuditTeamMember(models.Model):
    """The audit team 管理者代表 forms: one leader, auditors."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="audit_assignments",
        verbose_name=_("auditor"),
    )
    role = models.CharField(_("role"), max_length=16, choices=TeamRole.choices)
    assigned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"))

    class Meta:
        ordering = ["audit", "role", "id"]
        verbose_name = _("audit team member")
        verbose_name_plural = _("audit team")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "user"], name="audits_team_member_once"
            ),
            models.UniqueConstraint(
                fields=["audit"],
                condition=Q(role="leader"),
                name="audits_team_one_leader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit.number} {self.user} ({self.get_role_display()})"


class ScheduleSlot(models.Model):
    """A line of the audit schedule (日程安排)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="schedule")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("to"), null=True, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    activity = models.CharField(_("activity"), max_length=300)
    auditor = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auditor"),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["audit", "date", "start_time", "sort_order", "id"]
        verbose_name = _("schedule line")
        verbose_name_plural = _("schedule")

    def __str__(self) -> str:
        return f"{self.date} {self.activity}"


# --- Checklists -----------------------------------------------------------------------


class ClauseQuestion(models.Model):
    """The question bank: questions an auditor asks for a clause, reused by the
    next checklist."""

    clause = models.ForeignKey(
        Clause,
        on_delete=models.PROTECT,
        related_name="audit_questions",
        verbose_name=_("clause"),
    )
    text = models.TextField(_("question"), max_length=1000)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    panels = [
        FieldPanel("clause"),
        FieldPanel("text"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["clause__sort_key", "sort_order", "id"]
        verbose_name = _("audit question")
        verbose_name_plural = _("question bank")

    def __str__(self) -> str:
        return f"{self.clause.ref_id} {self.text[:40]}"


class ChecklistItem(models.Model):
    """One question of the checklist (内审检查表) for a clause and an audited
    department, with what answers the clause when the checklist was built."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="items")
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, related_name="+", verbose_name=_("clause")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    position = models.PositiveIntegerField(_("position"))
    question = models.TextField(_("question"))
    bank_question = models.ForeignKey(
        ClauseQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Snapshots taken when the item was made: [{"department", "level"}] and
    # [{"id", "number", "title", "issue", "tier", "inherited_from"}].
    responsible = models.JSONField(_("responsible departments"), default=list)
    documents = models.JSONField(_("documents"), default=list)
    auditor = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auditor"),
    )
    result = models.CharField(
        _("result"),
        max_length=20,
        choices=ItemResult.choices,
        default=ItemResult.PENDING,
        blank=True,
    )
    evidence = models.TextField(_("evidence"), blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Raised by one for every save: a tablet that saved from a stale copy is
    # told so instead of overwriting a colleague's answer.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    nonconformity = models.ForeignKey(
        Nonconformity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finding"),
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["audit", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "position"], name="audits_item_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit.number} {self.clause.ref_id} #{self.position}"

    @property
    def answered(self) -> bool:
        return bool(self.result)

    @property
    def needs_finding(self) -> bool:
        return self.result in FINDING_RESULTS


class ChecklistEvidence(models.Model):
    """A photo, scan or file gathered for a checklist item; written once."""

    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="files"
    )
    file = models.FileField(
        _("file"), storage=audit_storage, upload_to=evidence_upload_to, max_length=400
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["item", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


# --- Meetings -------------------------------------------------------------------------


class AuditMeeting(models.Model):
    """首次会议 / 末次会议: held once each, with attendance; written once."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("meeting"), max_length=16, choices=MeetingKind.choices)
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(
        pgettext_lazy("meeting", "location"), max_length=200, blank=True
    )
    chaired_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chaired by"),
    )
    notes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["audit", "held_at"]
        verbose_name = _("audit meeting")
        verbose_name_plural = _("audit meetings")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "kind"], name="audits_meeting_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.audit.number} {self.get_kind_display()}"


class MeetingAttendee(models.Model):
    """签到: a user of the system, or a guest by name."""

    meeting = models.ForeignKey(
        AuditMeeting, on_delete=models.PROTECT, related_name="attendees"
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=150)
    department = models.CharField(_("department"), max_length=64, blank=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendance")

    def __str__(self) -> str:
        return self.name


# --- The report -----------------------------------------------------------------------


class AuditReport(models.Model):
    """公司管理体系内审报告, written by the leader and approved by 管理者代表;
    the approved .docx is frozen in ``file``."""

    audit = models.OneToOneField(Audit, on_delete=models.PROTECT, related_name="report")
    overview = models.TextField(_("audit overview"), blank=True)
    evaluation = models.TextField(_("system evaluation"), blank=True)
    distribution = models.JSONField(_("distribution"), default=list, blank=True)
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_comment = models.TextField(_("returned with"), blank=True)
    file = models.FileField(
        _("file"),
        storage=audit_storage,
        upload_to=report_upload_to,
        max_length=400,
        blank=True,
    )
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit report")
        verbose_name_plural = _("audit reports")

    def __str__(self) -> str:
        return f"{self.audit.number} {self._meta.verbose_name}"


# --- Records filed --------------------------------------------------------------------


class AuditRecordKind(models.TextChoices):
    PROGRAMME = "programme", _("Annual internal audit programme")
    CHECKLIST = "checklist", _("Internal audit checklist")
    OPENING = "opening", _("Opening meeting record")
    CLOSING = "closing", _("Closing meeting record")
    REPORT = "report", _("Internal audit report")


class AuditRecordLink(models.Model):
    """An audit record filed in the records register (kept 3 years)."""

    programme = models.ForeignKey(
        AuditProgramme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_links",
    )
    audit = models.ForeignKey(
        Audit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_links",
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=AuditRecordKind.choices)
    record = models.OneToOneField(
        "records.Record", on_delete=models.PROTECT, related_name="audit_link"
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("filed audit record")
        verbose_name_plural = _("filed audit records")
        constraints = [
            models.CheckConstraint(
                condition=Q(programme__isnull=False) | Q(audit__isnull=False),
                name="audits_record_link_has_owner",
            ),
            models.UniqueConstraint(
                fields=["audit", "kind"],
                condition=Q(audit__isnull=False),
                name="audits_record_once_per_audit",
            ),
            models.UniqueConstraint(
                fields=["programme", "revision", "kind"],
                condition=Q(programme__isnull=False),
                name="audits_record_once_per_programme_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.record_id}"


__all__ = [
    "Audit",
    "AuditMeeting",
    "AuditProgramme",
    "AuditRecordKind",
    "AuditRecordLink",
    "AuditReport",
    "AuditTeamMember",
    "ChecklistEvidence",
    "ChecklistItem",
    "ClauseQuestion",
    "MeetingAttendee",
    "ProgrammeSignature",
    "ScheduleSlot",
    "AuditKind",
    "AuditTrigger",
]
