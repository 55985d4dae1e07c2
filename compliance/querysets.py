"""Named reads of clauses and nonconformities."""

from __future__ import annotations

from datetime import date

from django.db import models

from .lifecycle import ACTION_DUE_STATUSES, OPEN_STATUSES


class ClauseQuerySet(models.QuerySet):
    def active(self) -> ClauseQuerySet:
        return self.filter(is_active=True, standard__is_active=True)

    def of_standard(self, standard_ref: str) -> ClauseQuerySet:
        return self.filter(standard__ref_id=standard_ref)


class NonconformityQuerySet(models.QuerySet):
    def open(self) -> NonconformityQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def nonconformities(self) -> NonconformityQuerySet:
        """Findings whose grade counts as a nonconformity (not observations or
        improvement opportunities)."""
        return self.filter(grade__is_nonconformity=True)

    def action_due(self) -> NonconformityQuerySet:
        return self.filter(status__in=ACTION_DUE_STATUSES, due_date__isnull=False)

    def overdue(self, today: date) -> NonconformityQuerySet:
        return self.action_due().filter(due_date__lt=today)

    def for_listing(self) -> NonconformityQuerySet:
        return self.select_related(
            "clause__standard", "department", "grade", "owner", "raised_by"
        )
