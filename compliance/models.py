"""The clauses of the standards the company answers to, who answers for each,
which documents meet them, and the nonconformities raised against them with
their corrective or preventive actions (ISO/IEC 20000-1:2018 5.3, 7.5, 10.1).

Clauses are data: catalogue files loaded by stable ``ref_id`` (numbers and
short titles only, never the standard's text); a company adds its own
requirements as a standard of origin "company". Nonconformities move only
through :mod:`compliance.nonconformities`; plans, extensions, implementations
and verifications are append-only rows, so the history of an action is never
rewritten.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel

from documents.models import Department, DocumentPage

from . import clauses as clause_rules
from .lifecycle import (
    ACTION_DUE_STATUSES,
    OPEN_STATUSES,
    Decision,
    NonconformityKind,
    NonconformitySource,
    NonconformityStatus,
    ResponsibilityLevel,
    StandardOrigin,
)
from .querysets import ClauseQuerySet, NonconformityQuerySet

USER = settings.AUTH_USER_MODEL


def evidence_storage() -> FileSystemStorage:
    """Evidence files are served only through the permission-checked view."""
    return FileSystemStorage(location=settings.SHOUKONG_RECORDS_ROOT, base_url=None)


def evidence_upload_to(evidence: EvidenceFile, filename: str) -> str:
    return f"nonconformities/{evidence.nonconformity.number}/{filename}"


# --- The catalogue ----------------------------------------------------------------


class Standard(models.Model):
    """A standard (or the company's own requirements) whose clauses are traced."""

    ref_id = models.SlugField(
        _("reference"),
        max_length=64,
        unique=True,
        help_text=_("Stable identifier, e.g. iso20000-1-2018."),
    )
    code = models.CharField(
        _("code"), max_length=64, help_text=_("e.g. ISO/IEC 20000-1:2018")
    )
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    origin = models.CharField(
        _("origin"),
        max_length=16,
        choices=StandardOrigin.choices,
        default=StandardOrigin.COMPANY,
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("ref_id"),
        FieldPanel("code"),
        FieldPanel("title_zh"),
        FieldPanel("title_en"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["sort_order", "ref_id"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self) -> str:
        return self.code

    @property
    def is_catalogue(self) -> bool:
        return self.origin == StandardOrigin.CATALOGUE


class Clause(models.Model):
    """A clause or sub-clause of a standard: its number and short titles."""

    standard = models.ForeignKey(
        Standard,
        on_delete=models.PROTECT,
        related_name="clauses",
        verbose_name=_("standard"),
    )
    ref_id = models.CharField(
        _("clause"),
        max_length=32,
        help_text=_("The clause number, e.g. 8.5.1; stable across loads."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent clause"),
    )
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    sort_key = models.CharField(_("sort key"), max_length=96, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1, editable=False)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("A clause dropped from its catalogue file is kept, inactive."),
    )

    objects = ClauseQuerySet.as_manager()

    panels = [
        FieldPanel("standard"),
        FieldPanel("ref_id"),
        FieldPanel("title_zh"),
        FieldPanel("title_en"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["standard__sort_order", "standard_id", "sort_key"]
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "ref_id"], name="compliance_clause_unique_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref_id} {self.title_zh}"

    def save(self, *args, **kwargs):
        self.sort_key = clause_rules.sort_key(self.ref_id)
        self.depth = clause_rules.depth(self.ref_id)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "compliance:clause",
            kwargs={"standard": self.standard.ref_id, "ref_id": self.ref_id},
        )

    @property
    def title(self) -> str:
        return self.title_zh


class ClauseApplicability(models.Model):
    """The company's statement of applicability for a clause: applicable unless
    excluded with a justification."""

    clause = models.OneToOneField(
        Clause,
        on_delete=models.CASCADE,
        related_name="applicability",
        verbose_name=_("clause"),
    )
    applicable = models.BooleanField(_("applicable"), default=True)
    justification = models.TextField(_("justification"), blank=True)
    updated_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("clause applicability")
        verbose_name_plural = _("clause applicability")
        constraints = [
            models.CheckConstraint(
                condition=Q(applicable=True) | ~Q(justification=""),
                name="compliance_exclusion_justified",
            )
        ]

    def __str__(self) -> str:
        return str(self.clause)


# --- Who answers for each clause -------------------------------------------------


class ClauseResponsibility(models.Model):
    """One cell of the function allocation matrix (职能分配表)."""

    clause = models.ForeignKey(
        Clause,
        on_delete=models.CASCADE,
        related_name="responsibilities",
        verbose_name=_("clause"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="clause_responsibilities",
        verbose_name=_("department"),
    )
    level = models.CharField(
        _("responsibility"), max_length=16, choices=ResponsibilityLevel.choices
    )

    class Meta:
        ordering = ["clause__sort_key", "department__sort_order"]
        verbose_name = _("clause responsibility")
        verbose_name_plural = _("function allocation matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["clause", "department"],
                name="compliance_responsibility_unique",
            ),
            # One department answers for a clause (★); others support it (☆).
            models.UniqueConstraint(
                fields=["clause"],
                condition=Q(level=ResponsibilityLevel.PRIMARY),
                name="compliance_one_primary_per_clause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clause.ref_id} {self.department} {self.get_level_display()}"


class Process(models.Model):
    """A service management process and its owner (流程负责人); auditors may
    not audit a process they own."""

    name = models.CharField(_("process"), max_length=100, unique=True)
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_processes",
        verbose_name=_("process owner"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="processes",
        verbose_name=_("department"),
    )
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="processes", verbose_name=_("clauses")
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("owner"),
        FieldPanel("department"),
        FieldPanel("clauses"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("process")
        verbose_name_plural = _("processes and owners")

    def __str__(self) -> str:
        return self.name


# --- Traceability -------------------------------------------------------------------


class ClauseDocumentLink(models.Model):
    """A document (any tier) that meets a clause, and how."""

    clause = models.ForeignKey(
        Clause,
        on_delete=models.CASCADE,
        related_name="document_links",
        verbose_name=_("clause"),
    )
    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.CASCADE,
        related_name="clause_links",
        verbose_name=_("document"),
    )
    note = models.CharField(_("how it meets the clause"), max_length=500, blank=True)
    linked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        ordering = ["clause__sort_key", "document__number_sort"]
        verbose_name = _("clause-document link")
        verbose_name_plural = _("clause-document links")
        constraints = [
            models.UniqueConstraint(
                fields=["clause", "document"], name="compliance_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clause.ref_id} → {self.document.number or self.document.title}"


# --- Nonconformities ----------------------------------------------------------------


class NonconformityGrade(models.Model):
    """How serious a finding is (major, minor, observation, improvement
    opportunity); the list is the company's to change."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    is_nonconformity = models.BooleanField(
        _("is a nonconformity"),
        default=True,
        help_text=_("Counted as an open nonconformity against its clause."),
    )
    requires_action = models.BooleanField(
        _("requires an action"),
        default=True,
        help_text=_(
            "Without it, a finding may be closed with a note and no action plan."
        ),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("code"),
        FieldPanel("name"),
        FieldPanel("is_nonconformity"),
        FieldPanel("requires_action"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("nonconformity grade")
        verbose_name_plural = _("nonconformity grades")

    def __str__(self) -> str:
        return self.name


class Nonconformity(models.Model):
    """A nonconformity or potential nonconformity, and the state of its action."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=NonconformityKind.choices,
        default=NonconformityKind.CORRECTIVE,
    )
    source = models.CharField(
        _("source"), max_length=24, choices=NonconformitySource.choices
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=100,
        blank=True,
        help_text=_("e.g. the audit, complaint or incident number."),
    )
    source_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    grade = models.ForeignKey(
        NonconformityGrade,
        on_delete=models.PROTECT,
        related_name="nonconformities",
        verbose_name=_("grade"),
    )
    clause = models.ForeignKey(
        Clause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("clause"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="nonconformities",
        verbose_name=_("responsible department"),
    )
    documents = models.ManyToManyField(
        DocumentPage,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("documents concerned"),
    )
    title = models.CharField(_("summary"), max_length=200)
    facts = models.TextField(_("facts"))
    raised_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(_("raised at"))
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NonconformityStatus.choices,
        default=NonconformityStatus.RAISED,
    )
    # The accepted plan's owner and due date (moved by an approved extension).
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("action owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    implemented_on = models.DateField(_("completed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    objects = NonconformityQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["clause", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NonconformityStatus.values),
                name="compliance_nonconformity_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=NonconformityStatus.CLOSED)
                | Q(closed_at__isnull=False),
                name="compliance_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("compliance:nonconformity", kwargs={"number": self.number})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return (
            self.status in ACTION_DUE_STATUSES
            and self.due_date is not None
            and self.due_date < today
        )


class ActionPlan(models.Model):
    """A plan for the action (纠正和预防措施计划表): the correction made, the
    cause, the target, the measures, who implements them and by when. A
    returned or reopened plan is replaced by a new version, never edited."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="plans"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    correction = models.TextField(
        pgettext_lazy("corrective action", "correction"), blank=True
    )
    root_cause = models.TextField(_("root cause"))
    target = models.TextField(_("target to reach"))
    actions = models.TextField(_("action plan"))
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("implemented by"),
    )
    due_date = models.DateField(_("due date"))
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["nonconformity", "version"]
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        constraints = [
            models.UniqueConstraint(
                fields=["nonconformity", "version"], name="compliance_plan_version"
            ),
            models.UniqueConstraint(
                fields=["nonconformity"],
                condition=Q(decision=Decision.PENDING),
                name="compliance_one_pending_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nonconformity.number} v{self.version}"


class Extension(models.Model):
    """The owner's written request for more time; 管理者代表 decides."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="extensions"
    )
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
    current_due = models.DateField(_("current due date"))
    new_due = models.DateField(_("requested due date"))
    reason = models.TextField(_("reason"))
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["nonconformity", "requested_at", "id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["nonconformity"],
                condition=Q(decision=Decision.PENDING),
                name="compliance_one_pending_extension",
            ),
            models.CheckConstraint(
                condition=Q(new_due__gt=models.F("current_due")),
                name="compliance_extension_later",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nonconformity.number} → {self.new_due}"


class Implementation(models.Model):
    """What the owner did, and when; each round after a failed verification is a
    new row."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="implementations"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    description = models.TextField(_("what was done"))
    completed_on = models.DateField(_("completed on"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["nonconformity", "round"]
        verbose_name = _("implementation")
        verbose_name_plural = _("implementations")
        constraints = [
            models.UniqueConstraint(
                fields=["nonconformity", "round"],
                name="compliance_implementation_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.nonconformity.number} #{self.round}"


class EvidenceFile(models.Model):
    """A file proving the action was taken; written once."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="evidence"
    )
    implementation = models.ForeignKey(
        Implementation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="files",
    )
    file = models.FileField(
        _("file"), storage=evidence_storage, upload_to=evidence_upload_to
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["nonconformity", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class Verification(models.Model):
    """行政部's verification of an implementation: effective or not."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="verifications"
    )
    implementation = models.OneToOneField(
        Implementation, on_delete=models.PROTECT, related_name="verification"
    )
    effective = models.BooleanField(_("effective"))
    comment = models.TextField(_("verification opinion"))
    verified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("verified by")
    )
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        ordering = ["nonconformity", "verified_at", "id"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"{self.nonconformity.number} {self.effective}"
