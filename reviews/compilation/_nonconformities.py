"""Nonconformities and corrective actions, across the company: the open ones
by status, age and clause, and those raised and closed in the period."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from compliance import clauses as clause_rules
from compliance.lifecycle import NonconformityKind, NonconformityStatus
from compliance.models import Nonconformity

from ._common import Period, iso, name, ordered

__all__ = ["clause_group", "nonconformities"]

# Ages of open nonconformities, in days since they were raised.
AGE_BUCKETS = ("lt30", "30to90", "gt90")


def _age_bucket(days: int) -> str:
    if days < 30:
        return "lt30"
    if days <= 90:
        return "30to90"
    return "gt90"


def _clause_ref(nc: Nonconformity) -> str:
    """8.5.1 → 8.5; 8 → 8; A.5.1 → A.5."""
    return ".".join(nc.clause.ref_id.split(".")[:2])


def _is_default_standard(nc: Nonconformity) -> bool:
    return nc.clause.standard.ref_id == settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD


def clause_group(nc: Nonconformity) -> str:
    """The clause a nonconformity is counted under in ``by_clause``: the
    second level of its clause, prefixed by the standard's code unless it is
    the default standard's."""
    if not nc.clause_id:
        return _("No clause")
    if _is_default_standard(nc):
        return _clause_ref(nc)
    return f"{nc.clause.standard.code} {_clause_ref(nc)}"


def _clause_order(nc: Nonconformity) -> tuple:
    """The default standard's clauses first, in their natural order; then the
    other standards'; nonconformities without a clause last."""
    if not nc.clause_id:
        return (2,)
    standard = nc.clause.standard
    return (
        0 if _is_default_standard(nc) else 1,
        standard.sort_order,
        standard.ref_id,
        clause_rules.sort_key(_clause_ref(nc)),
    )


def nonconformities(period: Period) -> dict[str, Any]:
    """Open nonconformities (as the compliance list shows them, whole
    company) with status, age and clause counts; raised and closed in the
    period."""
    today = period.today
    open_ncs = list(
        Nonconformity.objects.open().for_listing().order_by("raised_at", "id")
    )
    rows = []
    by_age = Counter({bucket: 0 for bucket in AGE_BUCKETS})
    by_clause: Counter = Counter()
    clause_keys: dict[str, tuple] = {}
    for nc in open_ncs:
        age = (today - period.local_date(nc.raised_at)).days
        overdue = nc.is_overdue(today)
        by_age[_age_bucket(age)] += 1
        group = clause_group(nc)
        by_clause[group] += 1
        clause_keys.setdefault(group, _clause_order(nc))
        rows.append(
            {
                "number": nc.number,
                "title": nc.title,
                "kind": nc.kind,
                "kind_label": str(NonconformityKind(nc.kind).label),
                "source_label": nc.get_source_display(),
                "grade": nc.grade.name,
                "status": nc.status,
                "status_label": str(NonconformityStatus(nc.status).label),
                "department": nc.department.name,
                "clause": nc.clause.ref_id if nc.clause_id else "",
                "owner": name(nc.owner),
                "due_date": iso(nc.due_date),
                "raised_on": iso(period.local_date(nc.raised_at)),
                "age_days": age,
                "overdue": overdue,
                "url": nc.get_absolute_url(),
            }
        )
    statuses = Counter(nc.status for nc in open_ncs)
    by_status = ordered(statuses, NonconformityStatus.values)
    in_period = Nonconformity.objects.aggregate(
        raised=Count(
            "pk",
            filter=Q(raised_at__gte=period.start_at, raised_at__lt=period.end_before)
            & ~Q(status=NonconformityStatus.CANCELLED),
        ),
        closed=Count(
            "pk",
            filter=Q(
                status=NonconformityStatus.CLOSED,
                closed_at__gte=period.start_at,
                closed_at__lt=period.end_before,
            ),
        ),
    )
    list_url = reverse("compliance:nonconformities")
    return {
        "source": "compliance",
        "source_url": f"{list_url}?{urlencode({'open': 'on'})}",
        "summary": {
            "open": len(open_ncs),
            "by_status": by_status,
            "by_status_label": {
                str(NonconformityStatus(code).label): n for code, n in by_status.items()
            },
            "by_age": {bucket: by_age[bucket] for bucket in AGE_BUCKETS},
            "overdue": sum(1 for row in rows if row["overdue"]),
            "raised_in_period": in_period["raised"],
            "closed_in_period": in_period["closed"],
            "by_clause": {
                key: by_clause[key]
                for key in sorted(by_clause, key=lambda k: (clause_keys[k], k))
            },
        },
        "rows": rows,
        # The improvement report lists those raised in the period.
        "period_url": "{}?{}".format(
            reverse("compliance:improvement_report"),
            urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()}),
        ),
    }
