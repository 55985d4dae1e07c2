"""What the programme covers: clause × month (the heat map) and departments,
with the warnings the procedure asks for (every element of the management
system and every department audited at least once a year); and the dates the
compliance coverage view asks for (``shoukong_clause_audit_dates``).

An audit of a clause covers its sub-clauses; a heading is covered when every
applicable sub-clause is. Cancelled, rejected and still-requested audits cover
nothing.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from compliance.models import Clause, ClauseApplicability, Process
from documents.models import Department

from .lifecycle import ACTIVE_AUDIT_STATUSES, FIELDWORK_DONE_STATUSES, MeetingKind
from .models import Audit, AuditProgramme

MONTHS = tuple(range(1, 13))


@dataclass
class ClauseCoverage:
    clause: Clause
    applicable: bool = True
    # month → the audits covering the clause in that month (own or inherited)
    months: dict[int, list[Audit]] = field(default_factory=lambda: defaultdict(list))
    covered: bool = False
    children: list[ClauseCoverage] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[int, list[Audit]]]:
        return [(m, self.months.get(m, [])) for m in MONTHS]


@dataclass
class DepartmentCoverage:
    department: Department
    audits: list[Audit]

    @property
    def covered(self) -> bool:
        return bool(self.audits)


@dataclass
class ProgrammeCoverage:
    programme: AuditProgramme
    audits: list[Audit]
    clauses: list[ClauseCoverage]
    departments: list[DepartmentCoverage]
    uncovered_clauses: list[Clause]
    uncovered_departments: list[Department]

    @property
    def complete(self) -> bool:
        return not self.uncovered_clauses and not self.uncovered_departments

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.uncovered_clauses:
            refs = [c.ref_id for c in self.uncovered_clauses]
            shown = ", ".join(refs[:20]) + (" …" if len(refs) > 20 else "")
            found.append(
                _("%(n)s clauses are not audited in %(year)s: %(clauses)s")
                % {"n": len(refs), "year": self.programme.year, "clauses": shown}
            )
        if self.uncovered_departments:
            found.append(
                _("Departments not audited in %(year)s: %(departments)s")
                % {
                    "year": self.programme.year,
                    "departments": ", ".join(
                        d.name for d in self.uncovered_departments
                    ),
                }
            )
        return found


def _months(audit: Audit, year: int) -> list[int]:
    start = (
        audit.planned_start if audit.planned_start.year == year else date(year, 1, 1)
    )
    end = audit.planned_end if audit.planned_end.year == year else date(year, 12, 31)
    return list(range(start.month, end.month + 1))


def year_audits(year: int):
    """The audits that count for ``year``: those of its programme and ad hoc
    ones held in the year."""
    return (
        Audit.objects.filter(status__in=ACTIVE_AUDIT_STATUSES)
        .filter(Q(programme__year=year) | Q(planned_start__year=year))
        .prefetch_related("clauses", "departments", "processes__clauses")
        .order_by("planned_start", "id")
    )


def _scope_ids(audit: Audit) -> set[int]:
    ids = {c.pk for c in audit.clauses.all()}
    for process in audit.processes.all():
        ids.update(c.pk for c in process.clauses.all())
    return ids


def programme_coverage(programme: AuditProgramme) -> ProgrammeCoverage:
    year = programme.year
    audits = list(year_audits(year))
    clauses = list(
        Clause.objects.active().filter(standard=programme.standard).order_by("sort_key")
    )
    excluded = set(
        ClauseApplicability.objects.filter(
            clause__in=clauses, applicable=False
        ).values_list("clause", flat=True)
    )
    rows = {
        c.pk: ClauseCoverage(clause=c, applicable=c.pk not in excluded) for c in clauses
    }
    for row in rows.values():
        parent = rows.get(row.clause.parent_id)
        if parent is not None:
            parent.children.append(row)
    direct: dict[int, list[tuple[Audit, list[int]]]] = defaultdict(list)
    for audit in audits:
        months = _months(audit, year)
        for clause_id in _scope_ids(audit):
            direct[clause_id].append((audit, months))

    def walk(row: ClauseCoverage, inherited: list[tuple[Audit, list[int]]]):
        mine = inherited + direct.get(row.clause.pk, [])
        for audit, months in mine:
            for month in months:
                if audit not in row.months[month]:
                    row.months[month].append(audit)
        for child in row.children:
            walk(child, mine)
        applicable = [c for c in row.children if c.applicable]
        row.covered = bool(mine) or (
            bool(applicable) and all(c.covered for c in applicable)
        )

    roots = [r for r in rows.values() if r.clause.parent_id not in rows]
    for root in roots:
        walk(root, [])

    uncovered: list[Clause] = []

    def report(row: ClauseCoverage):
        if not row.applicable or row.covered:
            return
        applicable = [c for c in row.children if c.applicable]
        if not applicable or not any(_any_covered(c) for c in applicable):
            uncovered.append(row.clause)
            return
        for child in applicable:
            report(child)

    for root in roots:
        report(root)

    exempt = set(settings.SHOUKONG_AUDIT_EXEMPT_DEPARTMENTS)
    department_rows = []
    for department in Department.objects.filter(is_active=True).order_by(
        "sort_order", "name"
    ):
        if department.name in exempt:
            continue
        department_rows.append(
            DepartmentCoverage(
                department=department,
                audits=[
                    a
                    for a in audits
                    if any(d.pk == department.pk for d in a.departments.all())
                ],
            )
        )
    return ProgrammeCoverage(
        programme=programme,
        audits=audits,
        clauses=[rows[c.pk] for c in clauses],
        departments=department_rows,
        uncovered_clauses=uncovered,
        uncovered_departments=[r.department for r in department_rows if not r.covered],
    )


def _any_covered(row: ClauseCoverage) -> bool:
    return row.covered or any(_any_covered(c) for c in row.children)


# --- For the compliance app (hooks registered in wagtail_hooks) -----------------------


def _audited_on(audit: Audit) -> date:
    closing = next(
        (m for m in audit.meetings.all() if m.kind == MeetingKind.CLOSING), None
    )
    if closing is None:
        return audit.planned_end
    zone = zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    return closing.held_at.astimezone(zone).date()


def _done_audits(clause_ids):
    process_ids = Process.clauses.through.objects.filter(clause__in=clause_ids).values(
        "process"
    )
    return (
        Audit.objects.filter(status__in=FIELDWORK_DONE_STATUSES)
        .filter(Q(clauses__in=clause_ids) | Q(processes__in=process_ids))
        .distinct()
        .prefetch_related("clauses", "processes__clauses", "meetings")
    )


def clause_audit_dates(clause_ids) -> dict[int, date]:
    """The last date each clause was audited (fieldwork done)."""
    wanted = set(clause_ids)
    dates: dict[int, date] = {}
    for audit in _done_audits(list(wanted)):
        when = _audited_on(audit)
        for clause_id in _scope_ids(audit) & wanted:
            if clause_id not in dates or when > dates[clause_id]:
                dates[clause_id] = when
    return dates


def clause_audit_history(clause: Clause) -> list[dict]:
    """The audits that covered ``clause`` or a clause above it."""
    refs = [clause.ref_id]
    parts = clause.ref_id.split(".")
    refs += [".".join(parts[:i]) for i in range(1, len(parts))]
    ids = list(
        Clause.objects.filter(
            standard_id=clause.standard_id, ref_id__in=refs
        ).values_list("pk", flat=True)
    )
    return [
        {
            "date": _audited_on(audit),
            "title": f"{audit.number} {audit.title}",
            "url": audit.get_absolute_url(),
        }
        for audit in _done_audits(ids)
    ]


def coverage_summary(coverage: ProgrammeCoverage | None) -> dict[str, int] | None:
    """Counts for the audits home page and the management review pack:
    applicable clauses covered, departments covered, audits counted."""
    if coverage is None:
        return None
    applicable = [row for row in coverage.clauses if row.applicable]
    return {
        "clauses": len(applicable),
        "clauses_covered": sum(1 for row in applicable if row.covered),
        "departments": len(coverage.departments),
        "departments_covered": sum(1 for d in coverage.departments if d.covered),
        "audits": len(coverage.audits),
    }
