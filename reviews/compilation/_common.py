"""What every section of the pack shares: the period and small conversions."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import Prefetch

from ..models import Measurement, Objective, Review


@dataclass
class Period:
    """The review period, in company days and as aware datetimes; what two
    sections share is read once."""

    review: Review
    today: date
    start: date
    end: date
    zone: zoneinfo.ZoneInfo

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def end_before(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(
            self.end + timedelta(days=1), time.min, tzinfo=self.zone
        )

    def local_date(self, moment: datetime | None) -> date | None:
        return moment.astimezone(self.zone).date() if moment is not None else None

    @cached_property
    def measures(self) -> list[Objective]:
        """Every objective and indicator with its measurements of the period
        (``in_period``, oldest first): the active ones, and retired ones
        measured in the period."""
        in_period = Measurement.objects.filter(
            period_end__gte=self.start, period_end__lte=self.end
        ).order_by("period_start")
        objectives = Objective.objects.select_related("department").prefetch_related(
            Prefetch("measurements", queryset=in_period, to_attr="in_period")
        )
        return [o for o in objectives if o.is_active or o.in_period]


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def decimal(value: Decimal | None) -> str | None:
    """95.500 → "95.5", 100.000 → "100"."""
    return f"{value.normalize():f}" if value is not None else None


def name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def ordered(counts: Counter, order: list[str]) -> dict[str, int]:
    """Non-zero counts in the lifecycle's order."""
    rank = {value: i for i, value in enumerate(order)}
    return {
        key: counts[key]
        for key in sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))
        if counts[key]
    }
