"""Named reads of documents and issues."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Prefetch
from wagtail.models import PageManager
from wagtail.query import PageQuerySet

from .lifecycle import (
    OPEN_RECALL_STATUSES,
    ChangeRequestStatus,
    CopyStatus,
    DocumentStatus,
    IssueStatus,
)


class DocumentIssueQuerySet(models.QuerySet):
    def newest_first(self) -> DocumentIssueQuerySet:
        # Labels grow in length (Z → AA), so order by issue time, then id.
        return self.order_by("-issued_at", "-id")

    def effective(self) -> DocumentIssueQuerySet:
        return self.filter(status=IssueStatus.EFFECTIVE)

    def pending(self) -> DocumentIssueQuerySet:
        return self.filter(status=IssueStatus.PENDING)

    def due(self, today: date) -> DocumentIssueQuerySet:
        """Approved issues whose effective date has come."""
        return self.pending().filter(effective_date__lte=today)

    def under(self, page) -> DocumentIssueQuerySet:
        """Issues of ``page`` and of every document below it in the tree."""
        return self.filter(document__path__startswith=page.path)


class DocumentPageQuerySet(PageQuerySet):
    def numbered(self) -> DocumentPageQuerySet:
        return self.filter(number__isnull=False)

    def controlled(self) -> DocumentPageQuerySet:
        return self.filter(status=DocumentStatus.CONTROLLED)

    def visible_to_staff(self) -> DocumentPageQuerySet:
        """Everything staff may read: released documents, never unissued drafts
        nor external documents that have not been published yet."""
        from .lifecycle import DocumentKind

        return self.exclude(status=DocumentStatus.DRAFT).exclude(
            kind=DocumentKind.EXTERNAL, live=False
        )

    def visible_to(self, user) -> DocumentPageQuerySet:
        """What ``user`` may open: :meth:`visible_to_staff`, less the restricted
        documents (``confidential``) they are not a reader of.

        See :func:`documents.permissions.can_read_document` for the same rule
        on one document."""
        from .permissions import can_view_library, department_of, reads_restricted

        if not can_view_library(user):
            return self.none()
        queryset = self.visible_to_staff()
        if reads_restricted(user):
            return queryset
        readable = models.Q(confidential=False)
        department = department_of(user)
        if department is not None:
            readable |= self._readers(department)
        return queryset.filter(readable)

    def restricted_from(self, user) -> DocumentPageQuerySet:
        """The restricted documents (``confidential``) ``user`` may not open,
        drafts included: a page that names documents shows these to ``user``
        without their number and title (see
        :func:`documents.permissions.restricted_ids`).

        The rule of :meth:`visible_to` and
        :func:`documents.permissions.can_read_document`."""
        from .permissions import can_view_library, department_of, reads_restricted

        restricted = self.filter(confidential=True)
        if not can_view_library(user):
            return restricted
        if reads_restricted(user):
            return self.none()
        department = department_of(user)
        if department is None:
            return restricted
        return restricted.exclude(self._readers(department))

    def _readers(self, department) -> models.Q:
        """Documents of ``department`` or naming it as a reader department."""
        through = self.model.reader_departments.through
        return models.Q(department=department) | models.Q(
            pk__in=through.objects.filter(department=department).values(
                "documentpage_id"
            )
        )

    def with_issues(self) -> DocumentPageQuerySet:
        """Prefetch issues newest first into ``prefetched_issues`` (one query)."""
        from .models import DocumentIssue

        return self.prefetch_related(
            Prefetch(
                "issues",
                queryset=DocumentIssue.objects.newest_first(),
                to_attr="prefetched_issues",
            )
        )

    def for_listing(self) -> DocumentPageQuerySet:
        """What the library, the register and the API read: a fixed number of
        queries whatever the number of documents."""
        return self.select_related("department").with_issues()


DocumentPageManager = PageManager.from_queryset(DocumentPageQuerySet)


class ControlledCopyQuerySet(models.QuerySet):
    def in_hands(self) -> ControlledCopyQuerySet:
        """Copies still out at a point of use."""
        return self.filter(status=CopyStatus.ISSUED)

    def held_by(self, user) -> ControlledCopyQuerySet:
        return self.filter(holder=user)


class RecallTaskQuerySet(models.QuerySet):
    def open(self) -> RecallTaskQuerySet:
        return self.filter(status__in=OPEN_RECALL_STATUSES)

    def overdue(self, today: date) -> RecallTaskQuerySet:
        return self.open().filter(due_date__lt=today)


class AcknowledgementQuerySet(models.QuerySet):
    def pending(self) -> AcknowledgementQuerySet:
        return self.filter(confirmed_at__isnull=True)

    def confirmed(self) -> AcknowledgementQuerySet:
        return self.filter(confirmed_at__isnull=False)


class ChangeRequestQuerySet(models.QuerySet):
    def open(self) -> ChangeRequestQuerySet:
        return self.filter(
            status__in=[ChangeRequestStatus.OPEN, ChangeRequestStatus.ACCEPTED]
        )
