"""Records (记录): evidence filled from the forms, kept unaltered, corrected only
by strike-through entries, retained for their class's period and then destroyed
(ISO/IEC 20000-1:2018 7.5.3; records control procedure).

What a record says never changes after it is submitted: ``data`` and the file
are written once by ``record_create``. Corrections (划改) are new rows; process
metadata (retention end date, legal hold, status) moves only through the
services. Disposal wipes the content and the file and keeps the row as a stub
(number, form, dates, disposal reference), so the numbering stays explainable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from documents.models import Department, DocumentIssue, DocumentPage

from . import retention
from .lifecycle import DisposalMethod, DisposalStatus, RecordStatus
from .querysets import RecordQuerySet


def records_storage() -> FileSystemStorage:
    """Record files live outside MEDIA_ROOT: they are served only through the
    permission-checked download view, never as static media."""
    return FileSystemStorage(location=settings.SHOUKONG_RECORDS_ROOT, base_url=None)


def record_upload_to(record: Record, filename: str) -> str:
    return f"{record.record_date:%Y}/{record.number}/{filename}"


# --- Reference data ------------------------------------------------------------


class RetentionClass(models.Model):
    """A retention period (保存期限): fixed, permanent or counted from an event."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=retention.RetentionKind.choices
    )
    months = models.PositiveIntegerField(
        _("period in months"),
        default=0,
        help_text=_("36 for three years; counted from the record's date or event."),
    )
    event = models.CharField(
        _("event"),
        max_length=32,
        choices=retention.RetentionEvent.choices,
        blank=True,
        help_text=_("For periods counted from an event, e.g. an employee leaving."),
    )
    description = models.CharField(
        _("what is kept"),
        max_length=200,
        blank=True,
        help_text=_("The record classes it covers, as the procedure lists them."),
    )

    class Meta:
        verbose_name = _("retention class")
        verbose_name_plural = _("retention classes")
        ordering = ["kind", "event", "months"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "months", "event"], name="records_retention_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=retention.RetentionKind.FIXED,
                        months__gt=0,
                        months__lte=retention.MAX_MONTHS,
                        event="",
                    )
                    | Q(kind=retention.RetentionKind.PERMANENT, months=0, event="")
                    | (
                        Q(
                            kind=retention.RetentionKind.EVENT,
                            months__lte=retention.MAX_MONTHS,
                        )
                        & ~Q(event="")
                    )
                ),
                name="records_retention_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.wording})"

    @property
    def rule(self) -> retention.RetentionRule:
        return retention.RetentionRule(
            kind=self.kind, months=self.months, event=self.event
        )

    @property
    def wording(self) -> str:
        """The register's wording: 3年, 永久, 离职后1年."""
        return retention.describe(self.rule)


class RecordType(models.Model):
    """One line of the records list (记录清单): a form whose filled copies are
    records, who keeps them and for how long. Kept by 行政部."""

    form = models.OneToOneField(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="record_type",
        verbose_name=_("form"),
    )
    retention_class = models.ForeignKey(
        RetentionClass,
        on_delete=models.PROTECT,
        related_name="record_types",
        verbose_name=_("retention"),
    )
    custodian = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("custodian department"),
        help_text=_(
            "Who keeps the originals; empty means the department that fills them."
        ),
    )
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "Only the record's department and people named on it may read it; it "
            "must be shredded or securely erased."
        ),
    )
    storage_location = models.CharField(
        _("storage location"), max_length=200, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("record type")
        verbose_name_plural = _("records list (记录清单)")

    def __str__(self) -> str:
        return f"{self.form.number} {self.form.title}"


class RetentionTrigger(models.Model):
    """An event that starts event-based retention: an employee's departure, a
    piece of equipment scrapped, a product discontinued."""

    event = models.CharField(
        _("event"), max_length=32, choices=retention.RetentionEvent.choices
    )
    subject = models.CharField(
        _("subject"),
        max_length=200,
        help_text=_("The employee, equipment or product, as written on the records."),
    )
    occurred_on = models.DateField(_("occurred on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("retention event")
        verbose_name_plural = _("retention events")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subject"], name="records_trigger_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()}: {self.subject} ({self.occurred_on})"


# --- Records -------------------------------------------------------------------


class Record(models.Model):
    """A filled form: numbered, unaltered, retained, finally destroyed."""

    number = models.CharField(_("record number"), max_length=200, unique=True)
    form = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("form"),
    )
    form_issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("form issue"),
    )
    record_date = models.DateField(_("record date"))
    day_seq = models.PositiveIntegerField(_("sequence of the day"), null=True)
    related_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="related_records",
        verbose_name=_("related to"),
    )
    related_ordinal = models.PositiveIntegerField(_("related ordinal"), null=True)
    chain_depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("department"),
    )
    confidential = models.BooleanField(_("confidential"), default=False)
    schema = models.JSONField(_("fields"), default=list, blank=True)
    data = models.JSONField(_("values"), default=dict, blank=True)
    file = models.FileField(
        _("file"),
        upload_to=record_upload_to,
        storage=records_storage,
        max_length=400,
        blank=True,
    )
    file_name = models.CharField(_("file name"), max_length=120, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    file_content_type = models.CharField(_("file type"), max_length=100, blank=True)
    retention_class = models.ForeignKey(
        RetentionClass,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("retention"),
    )
    retention_subject = models.CharField(
        _("retention subject"),
        max_length=200,
        blank=True,
        help_text=_("The employee, equipment or product whose event starts retention."),
    )
    retention_event_on = models.DateField(_("event date"), null=True, blank=True)
    retention_until = models.DateField(_("retained until"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RecordStatus.choices,
        default=RecordStatus.ACTIVE,
    )
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(
        _("reason for the hold"), max_length=500, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("filled by"),
    )
    created_by_name = models.CharField(_("filled by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    disposal = models.ForeignKey(
        "DisposalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="destroyed_records",
        verbose_name=_("disposal"),
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("record")
        verbose_name_plural = _("records")
        ordering = ["-record_date", "-id"]
        permissions = [("hold_record", _("Can place and lift a legal hold"))]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "record_date", "day_seq"],
                condition=Q(related_to__isnull=True),
                name="records_day_sequence_unique",
            ),
            models.UniqueConstraint(
                fields=["form", "related_to", "related_ordinal"],
                condition=Q(related_to__isnull=False),
                name="records_related_ordinal_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        related_to__isnull=True,
                        day_seq__isnull=False,
                        day_seq__gte=1,
                        related_ordinal__isnull=True,
                    )
                    | Q(
                        related_to__isnull=False,
                        day_seq__isnull=True,
                        related_ordinal__isnull=False,
                        related_ordinal__gte=1,
                    )
                ),
                name="records_number_parts",
            ),
            models.CheckConstraint(
                condition=~Q(status=RecordStatus.DESTROYED)
                | Q(destroyed_at__isnull=False, disposal__isnull=False),
                name="records_destroyed_has_disposal",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "record_date"]),
            models.Index(fields=["form", "record_date"]),
            models.Index(fields=["status", "retention_until"]),
            models.Index(fields=["record_date", "id"]),
            # The list filtered by status, newest first (bench/records.py).
            models.Index(fields=["status", "record_date", "id"]),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("records:detail", kwargs={"number": self.number})

    @property
    def is_destroyed(self) -> bool:
        return self.status == RecordStatus.DESTROYED

    @property
    def retention_state(self) -> str:
        """Permanent, pending its event, retained, or past retention (today)."""
        from .services import company_today

        return retention.state(
            self.retention_class.rule,
            start=self.record_date,
            event_on=self.retention_event_on,
            today=company_today(),
        )

    def current_values(self, corrections: list[Correction] | None = None) -> dict:
        """The values as corrected: the last correction of each field wins."""
        values: dict[str, Any] = dict(self.data)
        if corrections is None:
            corrections = list(self.corrections.order_by("corrected_at", "id"))
        for correction in corrections:
            values[correction.field_name] = correction.new_value
        return values


class Correction(models.Model):
    """A strike-through correction (划改): the old value stays visible beside
    the new one, with who corrected it, when and why. Never edited."""

    record = models.ForeignKey(
        Record,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("record"),
    )
    field_name = models.CharField(_("field"), max_length=255)
    field_label = models.CharField(_("field label"), max_length=255)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_by_name = models.CharField(_("corrected by"), max_length=150)
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"{self.record.number} · {self.field_label}"


# --- Disposal ------------------------------------------------------------------


class DisposalRequest(models.Model):
    """记录销毁: what is destroyed, how, when, by whom, before which witness."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DisposalStatus.choices,
        default=DisposalStatus.REQUESTED,
    )
    method = models.CharField(
        _("method"), max_length=20, choices=DisposalMethod.choices
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    head_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by the department head"),
    )
    head_approved_at = models.DateTimeField(null=True, blank=True)
    controller_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by document control"),
    )
    controller_approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    rejection_reason = models.CharField(
        _("reason for rejection"), max_length=500, blank=True
    )
    executed_on = models.DateField(_("destroyed on"), null=True, blank=True)
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("executed by"),
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("witness"),
    )
    witness_name = models.CharField(_("witness"), max_length=150, blank=True)
    execution_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("disposal request")
        verbose_name_plural = _("disposal requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=DisposalStatus.EXECUTED)
                | Q(executed_on__isnull=False, executor__isnull=False),
                name="records_disposal_executed_complete",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("records:disposal", kwargs={"reference": self.reference})

    @cached_property
    def item_list(self) -> list[DisposalItem]:
        return list(self.items.select_related("record").order_by("number"))


class DisposalItem(models.Model):
    """One record in a disposal request; its number, form and date are copied so
    the request still says what it covered after the record is wiped."""

    request = models.ForeignKey(
        DisposalRequest,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("disposal request"),
    )
    record = models.ForeignKey(
        Record,
        on_delete=models.PROTECT,
        related_name="disposal_items",
        verbose_name=_("record"),
    )
    number = models.CharField(_("record number"), max_length=200)
    form_number = models.CharField(_("form"), max_length=80)
    record_date = models.DateField(_("record date"))
    retention_until = models.DateField(_("retained until"), null=True)
    confidential = models.BooleanField(_("confidential"), default=False)

    class Meta:
        verbose_name = _("disposal item")
        verbose_name_plural = _("disposal items")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "record"], name="records_disposal_item_unique"
            )
        ]

    def __str__(self) -> str:
        return self.number


# --- Object permissions (django-guardian, direct foreign keys) -------------------


class RecordUserObjectPermission(UserObjectPermissionBase):
    """A person named on a record: a confidential record's reader, or a customer
    representative given read access under a contract."""

    content_object = models.ForeignKey(Record, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("record access")
        verbose_name_plural = _("record access")


class RecordGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Record, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("record group access")
        verbose_name_plural = _("record group access")
