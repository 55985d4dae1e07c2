"""Issues (approved releases A, B, …) and the distribution list each is
released to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from ..lifecycle import VOID_ISSUE_STATUSES, IssueStatus
from ..querysets import DocumentIssueQuerySet
from .pages import Department, DocumentPage

# --- Issues ----------------------------------------------------------------------


class DocumentIssue(models.Model):
    """An approved release of a document, lettered A, B, … Z, AA.

    Append-only: created by ``issue_create`` and afterwards only moved along the
    transition table (effective → superseded / obsolete). What was approved is
    kept as a snapshot so an old issue reads exactly as it was released.
    """

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="issues",
        verbose_name=_("document"),
    )
    label = models.CharField(_("issue"), max_length=8)
    status = models.CharField(_("status"), max_length=16, choices=IssueStatus.choices)
    publish_date = models.DateField(_("publish date"))
    effective_date = models.DateField(_("effective date"))
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    source_file = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source file"),
    )
    source_text = models.TextField(_("extracted text"), blank=True)
    source_sha256 = models.CharField(
        _("source file SHA-256"), max_length=64, blank=True
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved revision"),
    )
    change_summary = models.TextField(_("change summary"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    training_required = models.BooleanField(
        _("held until read and understood"), default=False
    )
    form_schema = models.JSONField(
        _("form fields"),
        default=list,
        blank=True,
        help_text=_("The fields a form was released with; records are filled to it."),
    )
    activated_at = models.DateTimeField(_("took effect at"), null=True, blank=True)
    reviewed_on = models.DateField(
        _("last reviewed on"),
        null=True,
        blank=True,
        help_text=_("The last periodic review that kept this issue unchanged."),
    )

    objects = DocumentIssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("document issue")
        verbose_name_plural = _("document issues")
        ordering = ["document", "-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "label"], name="documents_issue_label_unique"
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status=IssueStatus.EFFECTIVE),
                name="documents_issue_one_effective",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status=IssueStatus.PENDING),
                name="documents_issue_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(effective_date__gte=models.F("publish_date")),
                name="documents_issue_effective_after_publish",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.number or self.document.title} / {self.label}"

    def get_absolute_url(self) -> str | None:
        if not self.document.number:
            return None
        return reverse(
            "documents:issue",
            kwargs={"number": self.document.number, "label": self.label},
        )

    def releases_same_content(self, draft: DocumentPage) -> bool:
        """Whether ``draft`` (a page or a revision's object) holds exactly what
        this issue released: title, body, source file and a form's fields."""
        from .formfields import form_schema

        fields = getattr(draft, "form_fields", None)
        schema = form_schema(fields.all()) if fields is not None else []
        return (
            self.title == draft.title
            and self.body == str(draft.body or "")
            and self.source_sha256 == draft.source_sha256
            and self.form_schema == schema
        )

    @property
    def is_void(self) -> bool:
        """True for issues no longer in force (shown with the 作废 banner)."""
        return self.status in VOID_ISSUE_STATUSES


class DistributionListEntry(Orderable):
    """One line of a document's distribution list (分发列表): who receives copies
    of each issue. Part of the draft, so it is approved with the issue."""

    page = ParentalKey(
        DocumentPage, on_delete=models.CASCADE, related_name="distribution_list"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holder"),
    )
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    location = models.CharField(_("location"), max_length=100, blank=True)
    password_protected = models.BooleanField(
        _("opening password"),
        default=False,
        help_text=_("The PDF opens only with a password shown to its holder."),
    )

    panels = [
        FieldPanel("department"),
        FieldPanel("holder"),
        FieldPanel("copies"),
        FieldPanel("location"),
        FieldPanel("password_protected"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("distribution list entry")
        verbose_name_plural = _("distribution list")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(holder__isnull=False),
                name="documents_distribution_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(copies__gte=1, copies__lte=99),
                name="documents_distribution_copies_range",
            ),
        ]

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.department_id is None and self.holder_id is None:
            raise ValidationError(_("Name a department or a holder."))

    def __str__(self) -> str:
        who = self.holder or self.department
        return f"{who} × {self.copies}"
