"""Named reads of documents and issues."""

from __future__ import annotations

from django.db import models
from django.db.models import Prefetch
from wagtail.models import PageManager
from wagtail.query import PageQuerySet

from .lifecycle import DocumentStatus, IssueStatus


class DocumentIssueQuerySet(models.QuerySet):
    def newest_first(self) -> DocumentIssueQuerySet:
        # Labels grow in length (Z → AA), so order by issue time, then id.
        return self.order_by("-issued_at", "-id")

    def effective(self) -> DocumentIssueQuerySet:
        return self.filter(status=IssueStatus.EFFECTIVE)

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
