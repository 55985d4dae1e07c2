"""Named reads of records."""

from __future__ import annotations

from datetime import date

from django.db import models

from .lifecycle import RecordStatus


class RecordQuerySet(models.QuerySet):
    def kept(self) -> RecordQuerySet:
        """Records that still exist (not destroyed)."""
        return self.exclude(status=RecordStatus.DESTROYED)

    def destroyed(self) -> RecordQuerySet:
        return self.filter(status=RecordStatus.DESTROYED)

    def past_retention(self, today: date) -> RecordQuerySet:
        """Kept records whose retention has run out (the end date has come),
        whether or not a hold or a disposal request keeps them."""
        return self.filter(
            status__in=(RecordStatus.ACTIVE, RecordStatus.DISPOSAL_PENDING),
            retention_until__isnull=False,
            retention_until__lte=today,
        )

    def disposable(self, today: date) -> RecordQuerySet:
        """Past retention, not held, not already in a disposal request."""
        return self.past_retention(today).filter(
            status=RecordStatus.ACTIVE, legal_hold=False
        )

    def visible_to(self, user) -> RecordQuerySet:
        from .permissions import visible_records_filter

        return self.filter(visible_records_filter(user))

    def for_listing(self) -> RecordQuerySet:
        return self.select_related(
            "form", "form_issue", "department", "retention_class"
        )
