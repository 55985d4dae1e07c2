"""Management reviews (ISO/IEC 20000-1:2018 9.3; management review procedure):
the plan (管理评审计划) and its signatures, the departments' inputs signed off by
their heads, the input pack compiled from the system as a snapshot, the
meeting with its attendance (签到), discussion and conclusions, the output
actions (管理评审改进计划) and the report (管理评审报告).

The service management objectives and performance indicators with their
measured values per period live here too: the review is where they are judged.

Everything moves through :mod:`reviews.services`. Improvement and corrective
actions are compliance nonconformities (source "management review"); document
re-issues are change requests. Signatures, compiled packs and the approved
report are written once.
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

from documents.models import Department

from .lifecycle import (
    Comparison,
    Frequency,
    InputSection,
    InputStatus,
    MeasureKind,
    OutputCategory,
    OutputKind,
    OutputStatus,
    ReviewKind,
    ReviewRecordKind,
    ReviewStatus,
    ReviewTrigger,
    SignatureDecision,
    SignedPaper,
    Verdict,
)

USER = settings.AUTH_USER_MODEL


def review_storage() -> FileSystemStorage:
    """Attachments and approved reports are served only through
    permission-checked views."""
    return FileSystemStorage(location=settings.SHOUKONG_RECORDS_ROOT, base_url=None)


def attachment_upload_to(attachment: InputAttachment, filename: str) -> str:
    return f"reviews/{attachment.input.review.number}/inputs/{filename}"


def report_upload_to(review: Review, filename: str) -> str:
    return f"reviews/{review.number}/{filename}"


# --- Objectives and their measurements ------------------------------------------------


class Objective(models.Model):
    """A service management objective (服务响应及时率 ≥ 95%) or a performance
    indicator, measured once per period of its frequency."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MeasureKind.choices, default="objective"
    )
    description = models.TextField(_("how it is measured"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="%", blank=True)
    comparison = models.CharField(
        _("target is"), max_length=3, choices=Comparison.choices, default="gte"
    )
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    # Values outside [min_value, max_value] are refused (a satisfaction of 120%).
    min_value = models.DecimalField(
        _("lowest possible value"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        default=0,
    )
    max_value = models.DecimalField(
        _("highest possible value"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        default=100,
    )
    frequency = models.CharField(
        _("measured"), max_length=16, choices=Frequency.choices, default="monthly"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("measured by"),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "sort_order", "code"]
        verbose_name = _("objective or indicator")
        verbose_name_plural = _("objectives and indicators")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="reviews_objective_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind=MeasureKind.INDICATOR) | Q(target__isnull=False),
                name="reviews_objective_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def target_label(self) -> str:
        if self.target is None:
            return ""
        value = f"{self.target.normalize():f}"
        return f"{Comparison(self.comparison).label} {value}{self.unit}"

    def met(self, value) -> bool | None:
        """Whether ``value`` reaches the target (None without a target)."""
        if self.target is None or value is None:
            return None
        if self.comparison == Comparison.AT_MOST:
            return value <= self.target
        return value >= self.target


class Measurement(models.Model):
    """The value an objective reached in one period; a correction is logged
    with the old value and its reason."""

    objective = models.ForeignKey(
        Objective, on_delete=models.PROTECT, related_name="measurements"
    )
    # The period's first and last day (a month, a quarter or a year).
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(
        _("source"), max_length=16, default="entered", editable=False
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["objective", "period_start"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "period_start"],
                name="reviews_measurement_once_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="reviews_measurement_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective} {self.period_start:%Y-%m} {self.value}"


# --- The review and its plan ----------------------------------------------------------


class Review(models.Model):
    """One management review: its plan, meeting, conclusions and report."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ReviewKind.choices, default="annual"
    )
    trigger = models.CharField(
        _("trigger"), max_length=32, choices=ReviewTrigger.choices, blank=True
    )
    trigger_note = models.TextField(_("what happened"), blank=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default="draft"
    )
    # --- The plan (管理评审计划)
    plan_revision = models.PositiveSmallIntegerField(_("plan revision"), default=1)
    planned_date = models.DateField(_("meeting date"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    chair = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    # The period the input pack covers.
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    purpose = models.TextField(
        pgettext_lazy("management review", "purpose"), blank=True
    )
    criteria = models.TextField(_("criteria"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    materials = models.TextField(_("material to provide"), blank=True)
    prepared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    plan_approved_at = models.DateTimeField(
        _("plan approved at"), null=True, blank=True
    )
    notified_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    notified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # --- The meeting
    held_on = models.DateField(_("held on"), null=True, blank=True)
    mr_report = models.TextField(_("management representative's report"), blank=True)
    evaluation = models.TextField(_("general manager's overall evaluation"), blank=True)
    suitability = models.CharField(
        _("suitable"), max_length=8, choices=Verdict.choices, blank=True
    )
    adequacy = models.CharField(
        _("adequate"), max_length=8, choices=Verdict.choices, blank=True
    )
    effectiveness = models.CharField(
        _("effective"), max_length=8, choices=Verdict.choices, blank=True
    )
    # The procedure's conclusions a) to c).
    conclusion_system = models.TextField(
        _("conclusion on the system, policy and objectives"), blank=True
    )
    conclusion_service = models.TextField(
        _("conclusion on supplier, security and service quality"), blank=True
    )
    conclusion_resources = models.TextField(_("conclusion on resources"), blank=True)
    minutes_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # --- The report (管理评审报告)
    report_revision = models.PositiveSmallIntegerField(_("report revision"), default=1)
    distribution = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("distribution")
    )
    report_submitted_at = models.DateTimeField(
        _("report submitted at"), null=True, blank=True
    )
    report_approved_at = models.DateTimeField(
        _("report approved at"), null=True, blank=True
    )
    # The approved report, frozen.
    report_file = models.FileField(
        _("report file"),
        storage=review_storage,
        upload_to=report_upload_to,
        max_length=400,
        blank=True,
    )
    report_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    minutes_file = models.FileField(
        _("minutes file"),
        storage=review_storage,
        upload_to=report_upload_to,
        max_length=400,
        blank=True,
    )
    minutes_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["-planned_date", "-id"]
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values),
                name="reviews_review_status_known",
            ),
            models.CheckConstraint(
                condition=Q(kind=ReviewKind.ANNUAL) | ~Q(trigger=""),
                name="reviews_extra_review_has_trigger",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="reviews_review_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["held", "reporting", "completed"])
                | Q(held_on__isnull=False),
                name="reviews_held_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:review", kwargs={"number": self.number})

    @property
    def meeting_date(self) -> date:
        """When it was held, or else when it is planned."""
        return self.held_on or self.planned_date

    def latest_pack(self) -> ReviewPack | None:
        return self.packs.order_by("-version").first()


class ReviewParticipant(models.Model):
    """A person invited by the plan; attendance (签到) is recorded at the meeting."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=150)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    duty = models.CharField(_("duty at the meeting"), max_length=100, blank=True)
    invited = models.BooleanField(_("invited by the plan"), default=True)
    attended = models.BooleanField(_("attended"), default=False)
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)

    class Meta:
        ordering = ["review", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user"], name="reviews_participant_once"
            ),
            models.CheckConstraint(
                condition=Q(attended=False) | Q(signed_in_at__isnull=False),
                name="reviews_attendance_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewAssignment(models.Model):
    """An agenda item of the plan: which department provides which input, by
    when (资料提供部门)."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="assignments"
    )
    section = models.CharField(_("input"), max_length=32, choices=InputSection.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)

    class Meta:
        ordering = ["review", "id"]
        verbose_name = _("input assignment")
        verbose_name_plural = _("input assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "section", "department"],
                name="reviews_assignment_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_section_display()} {self.department}"


class ReviewSignature(models.Model):
    """One step of the plan's or the report's chain, signed or returned;
    append-only."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="signatures"
    )
    paper = models.CharField(_("paper"), max_length=8, choices=SignedPaper.choices)
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
        ordering = ["review", "signed_at", "id"]
        verbose_name = _("review signature")
        verbose_name_plural = _("review signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "paper", "revision", "step"],
                condition=Q(decision="signed"),
                name="reviews_step_signed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review.number} {self.paper} {self.step} {self.signer_name}"


# --- Inputs ---------------------------------------------------------------------------


class DepartmentInput(models.Model):
    """A department's material for one input of the review, signed off by its
    head before it counts (procedure: signed by the department head)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="inputs")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+"
    )
    section = models.CharField(_("input"), max_length=32, choices=InputSection.choices)
    content = models.TextField(_("content"))
    status = models.CharField(
        _("status"), max_length=16, choices=InputStatus.choices, default="draft"
    )
    prepared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    signed_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_comment = models.TextField(_("why it was returned"), blank=True)

    class Meta:
        ordering = ["review", "section", "department__sort_order", "id"]
        verbose_name = _("department input")
        verbose_name_plural = _("department inputs")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "department", "section"],
                name="reviews_input_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(signed_by__isnull=False) & Q(signed_at__isnull=False)),
                name="reviews_signed_input_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review.number} {self.get_section_display()} {self.department}"


class InputAttachment(models.Model):
    """A file attached to a department's input; written once."""

    input = models.ForeignKey(
        DepartmentInput, on_delete=models.PROTECT, related_name="files"
    )
    file = models.FileField(
        _("file"),
        storage=review_storage,
        upload_to=attachment_upload_to,
        max_length=400,
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["input", "id"]
        verbose_name = _("input attachment")
        verbose_name_plural = _("input attachments")

    def __str__(self) -> str:
        return self.name


class ReviewPack(models.Model):
    """The input pack compiled from the system: a snapshot, written once. It
    may be compiled again until the meeting; each compilation is a version."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="packs")
    version = models.PositiveSmallIntegerField(_("version"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    data = models.JSONField(_("sections"))
    compiled_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("compiled by")
    )
    compiled_at = models.DateTimeField(_("compiled at"))
    confirmed_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["review", "version"]
        verbose_name = _("input pack")
        verbose_name_plural = _("input packs")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "version"], name="reviews_pack_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.review.number} v{self.version}"


# --- The meeting ----------------------------------------------------------------------


class Discussion(models.Model):
    """The minutes' notes on one input, item by item."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="discussions"
    )
    section = models.CharField(_("input"), max_length=32, choices=InputSection.choices)
    notes = models.TextField(_("discussion"))

    class Meta:
        ordering = ["review", "id"]
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "section"], name="reviews_discussion_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.review.number} {self.get_section_display()}"


class ReviewOutput(models.Model):
    """A decided action (管理评审改进计划), tracked to closure. Improvement and
    corrective actions are nonconformities in compliance; a document re-issue
    is a change request; the others carry their own status."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="outputs")
    seq = models.PositiveSmallIntegerField(_("item"))
    kind = models.CharField(_("kind"), max_length=16, choices=OutputKind.choices)
    category = models.CharField(
        _("area"), max_length=16, choices=OutputCategory.choices, blank=True
    )
    section = models.CharField(
        _("in answer to"), max_length=32, choices=InputSection.choices, blank=True
    )
    description = models.TextField(pgettext_lazy("review output", "decision"))
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible department"),
    )
    # 管理者代表 coordinates an action spanning two or more departments.
    coordinator = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    due_date = models.DateField(_("due date"))
    document = models.ForeignKey(
        "documents.DocumentPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    nonconformity = models.OneToOneField(
        "compliance.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_output",
    )
    change_request = models.OneToOneField(
        "documents.ChangeRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_output",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OutputStatus.choices, default="open"
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completion_note = models.TextField(_("what was done"), blank=True)
    verified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_note = models.TextField(_("verification"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["review", "seq"]
        verbose_name = _("review output")
        verbose_name_plural = _("review outputs")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "seq"], name="reviews_output_seq_once"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["improvement", "corrective"])
                | Q(nonconformity__isnull=False),
                name="reviews_compliance_output_has_nonconformity",
            ),
            models.CheckConstraint(
                condition=~Q(kind="document") | Q(document__isnull=False),
                name="reviews_document_output_names_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.description[:40]}"

    @property
    def reference(self) -> str:
        return f"{self.review.number}-{self.seq:02d}"


class ReviewRecordLink(models.Model):
    """A review record filed in the records register."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="record_links"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReviewRecordKind.choices)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    record = models.OneToOneField(
        "records.Record", on_delete=models.PROTECT, related_name="review_link"
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("filed review record")
        verbose_name_plural = _("filed review records")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind", "revision"],
                name="reviews_record_filed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review.number} {self.get_kind_display()}"
