"""Audit results: the audits of the period with their findings, every open
finding, and each programme year's coverage."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse

from audits.coverage import programme_coverage
from audits.lifecycle import (
    ACTIVE_AUDIT_STATUSES,
    FIELDWORK_DONE_STATUSES,
    AuditStatus,
    MeetingKind,
)
from audits.models import Audit, AuditMeeting, AuditProgramme
from compliance.lifecycle import NonconformityStatus
from compliance.models import Nonconformity

from ._common import Period

__all__ = ["audits"]


def _audit_dates(audit: Audit, period: Period) -> tuple[date, date]:
    """The days the audit ran: from its opening meeting to its closing
    meeting, the planned dates standing in for a meeting not held."""
    held = {m.kind: period.local_date(m.held_at) for m in audit.meetings.all()}
    start = held.get(MeetingKind.OPENING) or audit.planned_start
    end = held.get(MeetingKind.CLOSING) or audit.planned_end
    return start, max(start, end)


def _finding_row(nc: Nonconformity, audit_number: str = "") -> dict[str, Any]:
    return {
        "number": nc.number,
        "title": nc.title,
        "grade": nc.grade.name,
        "status": nc.status,
        "status_label": str(NonconformityStatus(nc.status).label),
        "department": nc.department.name,
        "clause": nc.clause.ref_id if nc.clause_id else "",
        "audit": audit_number,
        "url": nc.get_absolute_url(),
    }


def _coverage(period: Period) -> list[dict[str, Any]]:
    # Counted as the audits dashboard counts them.
    from audits.coverage import coverage_summary

    years = range(period.start.year, period.end.year + 1)
    found = []
    for programme in (
        AuditProgramme.objects.filter(year__in=years)
        .select_related("standard")
        .order_by("year")
    ):
        summary = coverage_summary(programme_coverage(programme))
        found.append(
            {
                "year": programme.year,
                "clauses_total": summary["clauses"],
                "clauses_covered": summary["clauses_covered"],
                "departments_total": summary["departments"],
                "departments_covered": summary["departments_covered"],
                "audits": summary["audits"],
                "url": programme.get_absolute_url(),
            }
        )
    return found


def audits(period: Period) -> dict[str, Any]:
    """The audits that ran in the period (opening to closing meeting, else
    the planned dates) with their findings; every open audit finding."""
    meetings = AuditMeeting.objects.filter(
        held_at__gte=period.start_at, held_at__lt=period.end_before
    ).values("audit")
    candidates = (
        Audit.objects.filter(status__in=ACTIVE_AUDIT_STATUSES)
        .filter(
            Q(planned_start__lte=period.end, planned_end__gte=period.start)
            | Q(pk__in=meetings)
        )
        .prefetch_related("meetings")
        .order_by("planned_start", "id")
    )
    ran = []
    for audit in candidates:
        start, end = _audit_dates(audit, period)
        if start <= period.end and end >= period.start:
            ran.append((audit, start, end))
    audit_type = ContentType.objects.get_for_model(Audit)
    findings = list(
        Nonconformity.objects.filter(
            source_type=audit_type, source_id__in=[a.pk for a, _s, _e in ran]
        )
        .exclude(status=NonconformityStatus.CANCELLED)
        .select_related("grade")
        .only("source_id", "status", "grade", "grade__name", "grade__sort_order")
    )
    found: Counter = Counter(nc.source_id for nc in findings)
    found_open: Counter = Counter(nc.source_id for nc in findings if nc.is_open)
    grades = sorted({(nc.grade.sort_order, nc.grade.name) for nc in findings})
    by_grade = Counter(nc.grade.name for nc in findings)
    rows = [
        {
            "number": audit.number,
            "title": audit.title,
            "kind": audit.kind,
            "status": audit.status,
            "status_label": str(AuditStatus(audit.status).label),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "findings": found[audit.pk],
            "open_findings": found_open[audit.pk],
            "url": audit.get_absolute_url(),
        }
        for audit, start, end in ran
    ]
    open_findings = list(
        Nonconformity.objects.open()
        .filter(source_type=audit_type)
        .select_related("grade", "clause", "department")
        .order_by("number")
    )
    numbers = dict(
        Audit.objects.filter(pk__in={nc.source_id for nc in open_findings}).values_list(
            "pk", "number"
        )
    )
    return {
        "source": "audits",
        "source_url": reverse("audits:home"),
        "summary": {
            "audits": len(rows),
            "completed": sum(
                1 for a, _s, _e in ran if a.status in FIELDWORK_DONE_STATUSES
            ),
            "findings": len(findings),
            "open_findings": len(open_findings),
            "by_grade": {name: by_grade[name] for _order, name in grades},
            "coverage": _coverage(period),
        },
        "rows": rows,
        "open_findings": [
            _finding_row(nc, numbers.get(nc.source_id, "")) for nc in open_findings
        ],
    }
