"""Objectives and performance indicators with the values measured in the
period."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ..lifecycle import Comparison, Frequency, MeasureKind
from ..services.measurements import period_label
from ._common import Period, decimal

__all__ = ["objectives", "performance"]


def _measure_section(kind: str, period: Period) -> dict[str, Any]:
    rows = []
    for objective in period.measures:
        if objective.kind != kind:
            continue
        points = [
            {
                "period": period_label(objective.frequency, m.period_start),
                "start": m.period_start.isoformat(),
                "end": m.period_end.isoformat(),
                "value": decimal(m.value),
                "met": objective.met(m.value),
            }
            for m in objective.in_period
        ]
        latest = objective.in_period[-1] if objective.in_period else None
        rows.append(
            {
                "code": objective.code,
                "name": objective.name,
                "target": decimal(objective.target),
                "target_label": objective.target_label,
                "unit": objective.unit,
                "comparison": objective.comparison,
                "comparison_label": str(Comparison(objective.comparison).label),
                "frequency": objective.frequency,
                "frequency_label": str(Frequency(objective.frequency).label),
                "department": objective.department.name if objective.department else "",
                "measurements": points,
                "latest": decimal(latest.value) if latest else None,
                "latest_period": points[-1]["period"] if points else None,
                "met": objective.met(latest.value) if latest else None,
                "url": reverse("reviews:objective", kwargs={"code": objective.code}),
            }
        )
    measured = [row for row in rows if row["latest"] is not None]
    return {
        "source": "reviews",
        "source_url": reverse("reviews:objectives"),
        "summary": {
            "total": len(rows),
            "met": sum(1 for row in measured if row["met"] is True),
            "not_met": sum(1 for row in measured if row["met"] is False),
            "unmeasured": len(rows) - len(measured),
            # Measured indicators without a target: neither met nor not met.
            "no_target": sum(1 for row in measured if row["met"] is None),
        },
        "rows": rows,
    }


def objectives(period: Period) -> dict[str, Any]:
    return _measure_section(MeasureKind.OBJECTIVE, period)


def performance(period: Period) -> dict[str, Any]:
    return _measure_section(MeasureKind.INDICATOR, period)
