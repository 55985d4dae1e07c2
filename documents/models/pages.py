"""The controlled-document library: departments, numbered document pages and issues.

A controlled document is a Wagtail page in the library tree (drafts, revisions,
workflows, locking and view restrictions come with it). An *issue* (A, B, …) is an
approved release: a plain, append-only model created only by the issuing service.
A Wagtail revision is any saved draft and is never shown as a document version.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from .. import dates, numbering
from ..forms import DocumentPageForm, FormPageForm
from ..lifecycle import (
    NUMBERED_KINDS,
    TIER_OF_KIND,
    DocumentKind,
    DocumentStatus,
    ExternalValidity,
    IssueStatus,
    Tier,
)
from ..querysets import DocumentPageManager

if TYPE_CHECKING:
    from .issues import DocumentIssue


def review_period_years(tier: int | None) -> int:
    """The review period of a tier (SHOUKONG_REVIEW_PERIOD_YEARS_BY_TIER), never
    more than three years (document control procedure: 评审周期不能超过3年)."""
    by_tier = getattr(settings, "SHOUKONG_REVIEW_PERIOD_YEARS_BY_TIER", {}) or {}
    years = by_tier.get(tier, settings.SHOUKONG_REVIEW_PERIOD_YEARS)
    return max(1, min(int(years), dates.MAX_REVIEW_PERIOD_YEARS))


# --- Organisation --------------------------------------------------------------


class Department(models.Model):
    """A department of the organisation; documents and people belong to one."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    code = models.CharField(
        _("code"),
        max_length=16,
        blank=True,
        help_text=_("Optional short code, e.g. ADM for 行政部."),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("code"),
        FieldPanel("sort_order"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What Shoukong knows of a user beyond Django's user: their department."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )
    job_title = models.CharField(_("job title"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.department or '-'})"


# --- Numbering -------------------------------------------------------------------


class NumberSequence(models.Model):
    """The last sequence handed out for one counter (``B``, ``C:B05``, ``D:B05`` …).

    Rows are only ever incremented, under ``select_for_update``, so a number is
    never handed out twice, even after its draft is deleted.
    """

    key = models.CharField(_("key"), max_length=80, unique=True)
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}={self.last_value}"


class DocumentNumber(models.Model):
    """Ledger of every document number ever assigned; rows are never deleted."""

    number = models.CharField(_("number"), max_length=80, unique=True)
    scheme = models.CharField(_("numbering scheme"), max_length=16)
    sequence_key = models.CharField(_("sequence"), max_length=80)
    seq = models.PositiveIntegerField(_("sequence number"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document number")
        verbose_name_plural = _("document numbers")
        indexes = [models.Index(fields=["sequence_key", "seq"])]

    def __str__(self) -> str:
        return self.number


# --- The library -----------------------------------------------------------------


class LibraryPage(Page):
    """The root of the controlled-document library (受控文件库)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "documents.ManualPage",
        "documents.ProcedurePage",
        "documents.OtherDocumentPage",
        "documents.ExternalDocumentIndexPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("document library")
        verbose_name_plural = _("document libraries")

    def serve(self, request, *args, **kwargs):
        from django.shortcuts import redirect

        return redirect("documents:library")


class ExternalDocumentIndexPage(Page):
    """The register of external documents (外来文件): laws, standards, customer
    documents."""

    parent_page_types = ["documents.LibraryPage"]
    subpage_types = ["documents.ExternalDocumentPage"]
    max_count = 1

    class Meta:
        verbose_name = _("external document register")
        verbose_name_plural = _("external document registers")

    def serve(self, request, *args, **kwargs):
        from django.shortcuts import redirect

        return redirect(reverse("documents:library") + "?status=external")


_ALIAS_SEPARATORS = re.compile(r"[,，、;；\n]+")


def split_aliases(text: str) -> list[str]:
    """Aliases as written (``"运行服务单、服务工作单"``), one by one, without
    duplicates or blanks."""
    seen: dict[str, None] = {}
    for part in _ALIAS_SEPARATORS.split(text or ""):
        part = " ".join(part.split())
        if part:
            seen.setdefault(part, None)
    return list(seen)


class DocumentPage(Page):
    """Fields shared by every document in the library.

    Concrete (multi-table) so that every document, whatever its tier, is one row
    of one table: numbers are unique across the library by database constraint.
    Only the subclasses can be created; each fixes its kind and where it may live.
    """

    document_kind: str = ""

    kind = models.CharField(
        _("kind"), max_length=16, choices=DocumentKind.choices, editable=False
    )
    tier = models.PositiveSmallIntegerField(
        _("tier"), choices=Tier.choices, null=True, blank=True, editable=False
    )
    number = models.CharField(
        _("document number"),
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Assigned when the draft is created; it never changes."),
    )
    number_sort = models.CharField(
        _("number sort key"),
        max_length=120,
        blank=True,
        default="",
        editable=False,
        db_index=True,
        help_text=_("Orders numbers naturally in SQL (B99 before B100)."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DocumentStatus.choices,
        default=DocumentStatus.DRAFT,
        editable=False,
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("owning department"),
        null=True,
    )
    body = RichTextField(_("body"), blank=True)
    description = models.CharField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("What the document covers, as shown in the register."),
    )
    storage_location = models.CharField(
        _("storage location"), max_length=200, blank=True
    )
    retention_period = models.CharField(
        _("retention period"),
        max_length=100,
        blank=True,
        help_text=_("As written in the register, e.g. 3年, 永久, 离职后1年."),
    )
    source_file = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source file"),
    )
    source_text = models.TextField(_("extracted text"), blank=True, editable=False)
    source_sha256 = models.CharField(
        _("source file SHA-256"), max_length=64, blank=True, editable=False
    )
    # --- who may read it, and the names staff look for (set by document control
    # through documents.access, never by a revision) ---
    other_names = models.CharField(
        _("also known as"),
        max_length=500,
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "Other names staff use for this document, separated by commas or 、; "
            "search finds the document by them."
        ),
    )
    confidential = models.BooleanField(
        _("restricted"),
        default=False,
        editable=False,
        help_text=_(
            "Only the owning department, the departments named as readers and "
            "the roles that read restricted documents may open it or find it."
        ),
    )
    reader_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="+",
        verbose_name=_("reader departments"),
    )
    # --- what the next issue is approved with (part of the reviewed revision) ---
    involved_departments = ParentalManyToManyField(
        Department,
        blank=True,
        related_name="+",
        verbose_name=_("departments involved"),
        help_text=_(
            "Departments that share duties in this document. Two or more require "
            "each department's manager to co-sign (会签) before review."
        ),
    )
    change_summary = models.TextField(
        _("change summary"),
        blank=True,
        help_text=_("What this issue changes (文件更改记录); shown in the history."),
    )
    effective_on = models.DateField(
        _("planned effective date"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to take effect on the day it is issued. A later date "
            "leaves time for training."
        ),
    )
    training_required = models.BooleanField(
        _("hold until read and understood"),
        default=False,
        help_text=_(
            "The new issue takes effect only once every recipient has confirmed "
            "reading it (签收), and not before the planned effective date."
        ),
    )
    attachments_note = models.CharField(
        _("attachments"),
        max_length=500,
        blank=True,
        help_text=_(
            "Forms and annexes that belong to this issue, checked before issue."
        ),
    )

    objects = DocumentPageManager()

    base_form_class = DocumentPageForm
    # No go-live or expiry dates: an issue takes effect on its effective date
    # (documents_daily), and nothing approved expires by itself.
    settings_panels: list = []
    is_creatable = False
    subpage_types: list[str] = []
    template = "documents/document_detail.html"

    content_panels = [
        FieldPanel("title"),
        FieldPanel("number", read_only=True),
        FieldPanel("department"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("description"),
                FieldPanel("storage_location"),
                FieldPanel("retention_period"),
            ],
            heading=_("Register"),
        ),
        FieldPanel("source_file"),
        MultiFieldPanel(
            [
                FieldPanel("involved_departments"),
                FieldPanel("change_summary"),
                FieldPanel("effective_on"),
                FieldPanel("training_required"),
                FieldPanel("attachments_note"),
            ],
            heading=_("Approval and issue"),
        ),
        InlinePanel(
            "distribution_list",
            heading=_("Distribution list (分发列表)"),
            label=_("recipient"),
        ),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("number", boost=5),
        index.AutocompleteField("number"),
        index.SearchField("body"),
        index.SearchField("description"),
        index.SearchField("source_text"),
        index.FilterField("kind"),
        index.FilterField("tier"),
        index.FilterField("status"),
        index.FilterField("department"),
        index.FilterField("number"),
    ]

    class Meta:
        verbose_name = _("controlled document")
        verbose_name_plural = _("controlled documents")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | Q(tier__gte=1, tier__lte=4),
                name="documents_documentpage_tier_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def save(self, *args, **kwargs):
        # The kind and tier follow from the page type, never from user input.
        if self.document_kind:
            self.kind = self.document_kind
            self.tier = TIER_OF_KIND[self.document_kind]
        return super().save(*args, **kwargs)

    # Controlled by services, not by editors: a revision restored or published later
    # must not bring back an old value of these.
    service_fields = (
        "kind",
        "tier",
        "number",
        "number_sort",
        "status",
        "other_names",
        "confidential",
    )
    # A copy is a new document: it gets its own number (after_copy_page hook or
    # its first save in the admin) and starts as a draft.
    exclude_fields_in_copy = ["number", "number_sort", "status", "other_names"]

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        for name in self.service_fields:
            setattr(obj, name, getattr(self, name))
        return obj

    # --- derived ---------------------------------------------------------------

    @property
    def alias_list(self) -> list[str]:
        """The aliases one by one (split on commas, 、 and semicolons)."""
        return split_aliases(self.other_names)

    @property
    def is_numbered(self) -> bool:
        return self.document_kind in NUMBERED_KINDS

    @cached_property
    def issue_list(self) -> list[DocumentIssue]:
        """Issues newest first; uses ``with_issues()`` prefetching when present."""
        prefetched = getattr(self, "prefetched_issues", None)
        if prefetched is not None:
            return prefetched
        return list(self.issues.newest_first())

    @property
    def current_issue(self) -> DocumentIssue | None:
        """The issue in force: the effective one (at most one, by constraint)."""
        for issue in self.issue_list:
            if issue.status == IssueStatus.EFFECTIVE:
                return issue
        return None

    @property
    def released_issue(self) -> DocumentIssue | None:
        """The latest issue that has been in force (skips one approved but not
        yet effective), so readers never see tomorrow's issue as today's."""
        for issue in self.issue_list:
            if issue.status != IssueStatus.PENDING:
                return issue
        return None

    @property
    def pending_issue(self) -> DocumentIssue | None:
        for issue in self.issue_list:
            if issue.status == IssueStatus.PENDING:
                return issue
        return None

    @property
    def latest_issue(self) -> DocumentIssue | None:
        return self.issue_list[0] if self.issue_list else None

    @property
    def publish_date(self) -> date | None:
        issue = self.current_issue
        return issue.publish_date if issue else None

    @property
    def effective_date(self) -> date | None:
        issue = self.current_issue
        return issue.effective_date if issue else None

    @property
    def next_review_due(self) -> date | None:
        """Publish date of the issue in force (or the last "no change" review, if
        later) plus the tier's review period, at most three years."""
        if self.status != DocumentStatus.CONTROLLED or self.publish_date is None:
            return None
        start = self.publish_date
        last_review = self.current_issue.reviewed_on
        if last_review is not None and last_review > start:
            start = last_review
        return dates.review_due(start, period_years=review_period_years(self.tier))

    def get_permalink(self) -> str | None:
        if not self.number:
            return None
        return reverse("documents:detail", kwargs={"number": self.number})

    def get_url_parts(self, request=None):
        # Numbered documents live at their permalink, /documents/B05/, wherever
        # they sit in the tree.
        parts = super().get_url_parts(request)
        permalink = self.get_permalink()
        if parts is None or not permalink:
            return parts
        site_id, root_url, _path = parts
        return site_id, root_url, permalink

    def serve(self, request, *args, **kwargs):
        from django.shortcuts import redirect

        permalink = self.get_permalink()
        if permalink:
            return redirect(permalink)
        from ..views import render_document

        return render_document(request, self, issue=None)

    def serve_preview(self, request, mode_name):
        from ..views import render_document

        return render_document(request, self, issue=None, preview=True)

    @classmethod
    def can_create_at(cls, parent) -> bool:
        if not super().can_create_at(parent):
            return False
        if cls.document_kind not in NUMBERED_KINDS:
            return True
        scheme = numbering.get_scheme()
        allowed = scheme.parent_kinds(numbering.Kind(cls.document_kind))
        parent_kind = getattr(parent.specific, "document_kind", "")
        if not allowed:
            return isinstance(parent.specific, LibraryPage)
        return parent_kind in allowed

    def permissions_for_user(self, user):
        return DocumentPermissionTester(user, self)

    def get_workflow(self):
        """The approval chain of the document's tier (SHOUKONG_APPROVAL_CHAINS),
        unless a workflow is assigned to this very page in the admin."""
        if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
            return None
        own = getattr(self, "workflowpage", None)
        if own is not None and own.workflow.active:
            return own.workflow
        from ..approvals import chain_for

        return chain_for(self) or super().get_workflow()

    def can_move_to(self, parent) -> bool:
        # A numbered document's number names its place (E7): it is superseded by
        # a new document instead of being moved.
        if self.number:
            return False
        return super().can_move_to(parent)


class DocumentPermissionTester(PagePermissionTester):
    """Nothing that has been issued is ever deleted: it is made obsolete instead
    (ISO/IEC 20000-1:2018 7.5.3)."""

    @cached_property
    def has_issues(self) -> bool:
        from .issues import DocumentIssue

        return DocumentIssue.objects.under(self.page).exists()

    def can_delete(self, ignore_bulk=False):
        if self.has_issues:
            return False
        return super().can_delete(ignore_bulk=ignore_bulk)

    def can_unpublish(self):
        # Taking an issued document off line is a withdrawal (作废), a change of
        # status with its own service, never a bare unpublish.
        if self.has_issues:
            return False
        return super().can_unpublish()

    def can_publish(self):
        # Controlled documents are released by their approval chain only: the
        # last signature publishes (documents.approvals). Nobody, superusers
        # included, publishes one directly; external documents are registered.
        from ..permissions import is_releasing

        if (
            getattr(self.page, "kind", "")
            not in (
                "",
                DocumentKind.EXTERNAL,
            )
            and not is_releasing()
        ):
            return False
        return super().can_publish()


class ManualPage(DocumentPage):
    """Tier 1: the service management manual."""

    document_kind = DocumentKind.MANUAL
    parent_page_types = ["documents.LibraryPage"]
    subpage_types = ["documents.FormPage"]
    is_creatable = True

    class Meta:
        verbose_name = _("manual (tier 1)")
        verbose_name_plural = _("manuals (tier 1)")


class ProcedurePage(DocumentPage):
    """Tier 2: a documented procedure (程序文件)."""

    document_kind = DocumentKind.PROCEDURE
    parent_page_types = ["documents.LibraryPage"]
    subpage_types = ["documents.WorkInstructionPage", "documents.FormPage"]
    is_creatable = True

    class Meta:
        verbose_name = _("procedure (tier 2)")
        verbose_name_plural = _("procedures (tier 2)")


class WorkInstructionPage(DocumentPage):
    """Tier 3: a work instruction, specification or plan under a procedure."""

    document_kind = DocumentKind.INSTRUCTION
    parent_page_types = ["documents.ProcedurePage"]
    subpage_types = ["documents.FormPage"]
    is_creatable = True

    class Meta:
        verbose_name = _("work instruction (tier 3)")
        verbose_name_plural = _("work instructions (tier 3)")


class FormPage(DocumentPage):
    """Tier 4: a form or record template, controlled with its parent document."""

    document_kind = DocumentKind.FORM
    parent_page_types = [
        "documents.ProcedurePage",
        "documents.WorkInstructionPage",
        "documents.ManualPage",
    ]
    subpage_types: list[str] = []
    is_creatable = True
    base_form_class = FormPageForm
    content_panels = DocumentPage.content_panels + [
        InlinePanel(
            "form_fields",
            heading=_("Fields to fill (记录字段)"),
            label=_("field"),
            help_text=_(
                "Records are filled with these fields. Leave empty for a form "
                "that is filled on paper and uploaded as a scan or file."
            ),
        ),
    ]

    class Meta:
        verbose_name = _("form (tier 4)")
        verbose_name_plural = _("forms (tier 4)")


class OtherDocumentPage(DocumentPage):
    """Contracts, agreements and SLAs: kept in the library, outside the numbering."""

    document_kind = DocumentKind.OTHER
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("The contract or agreement's own reference, if any."),
    )
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)

    parent_page_types = ["documents.LibraryPage"]
    subpage_types: list[str] = []
    is_creatable = True
    content_panels = (
        DocumentPage.content_panels[:1]
        + [
            FieldPanel("reference"),
            FieldPanel("counterparty"),
        ]
        + [p for p in DocumentPage.content_panels[2:]]
    )

    class Meta:
        verbose_name = _("other document")
        verbose_name_plural = _("other documents")


class ExternalDocumentPage(DocumentPage):
    """An external document (外来文件): a law, standard or customer document."""

    document_kind = DocumentKind.EXTERNAL

    class Source(models.TextChoices):
        LAW = "law", _("Law or regulation")
        STANDARD = "standard", _("Standard")
        CUSTOMER = "customer", _("Customer technical document")
        OTHER = "other", _("Other")

    issuer = models.CharField(
        _("issuer or source"),
        max_length=200,
        help_text=_("Every external document must state where it comes from."),
    )
    external_type = models.CharField(
        _("type"), max_length=16, choices=Source.choices, default=Source.STANDARD
    )
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    edition = models.CharField(_("edition or date"), max_length=100, blank=True)
    dated_reference = models.BooleanField(
        _("dated reference"),
        default=True,
        help_text=_(
            "A dated reference stays on this edition; an undated one follows the "
            "latest edition."
        ),
    )

    class Acquisition(models.TextChoices):
        PASSIVE = "passive", _("Received (sent to us)")
        ACTIVE = "active", _("Tracked (we looked it up)")

    received_on = models.DateField(_("received on"), null=True, blank=True)
    receiving_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receiving department"),
    )
    acquisition = models.CharField(
        _("acquired"),
        max_length=16,
        choices=Acquisition.choices,
        default=Acquisition.PASSIVE,
    )
    validity = models.CharField(
        _("validity"),
        max_length=16,
        choices=ExternalValidity.choices,
        default=ExternalValidity.CURRENT,
    )
    validity_checked_on = models.DateField(
        _("validity last checked on"), null=True, blank=True
    )

    parent_page_types = ["documents.ExternalDocumentIndexPage"]
    subpage_types: list[str] = []
    is_creatable = True
    content_panels = (
        DocumentPage.content_panels[:1]
        + [
            FieldPanel("issuer"),
            FieldPanel("external_type"),
            FieldPanel("reference"),
            FieldPanel("edition"),
            FieldPanel("dated_reference"),
            FieldPanel("received_on"),
            FieldPanel("receiving_department"),
            FieldPanel("acquisition"),
        ]
        + [p for p in DocumentPage.content_panels[2:6]]
    )

    class Meta:
        verbose_name = _("external document")
        verbose_name_plural = _("external documents")
