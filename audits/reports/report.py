"""公司管理体系内审报告 as .docx."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import Count
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from compliance.lifecycle import NonconformityStatus

from ..lifecycle import AuditStatus, ItemResult, MeetingKind
from ..models import Audit, AuditReport, ChecklistItem
from ..services._common import display_name
from .writer import (
    DASH,
    Docx,
    audit_fields,
    audit_with_scope,
    clause_text,
    clean,
    day,
    departments_text,
    localized_title,
    names,
    planned_dates,
    team,
    when,
)


def _report_of(audit: Audit) -> AuditReport | None:
    try:
        return audit.report
    except AuditReport.DoesNotExist:
        return None


def _status_text(audit: Audit, report: AuditReport | None) -> tuple[str, bool]:
    if report is not None and report.approved_at is not None:
        return (
            _("Approved by %(name)s (management representative) on %(date)s")
            % {
                "name": display_name(report.approved_by),
                "date": day(report.approved_at),
            },
            False,
        )
    if audit.status == AuditStatus.REPORTED:
        return _("AWAITING APPROVAL — not valid until approved"), True
    return _("DRAFT — not valid until approved"), True


def _checklist_summary(audit: Audit) -> list[list]:
    """Per clause and department: how many items have each result."""
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels: dict[tuple, tuple[str, str]] = {}
    rows = (
        ChecklistItem.objects.filter(audit=audit)
        .values(
            "clause__sort_key",
            "clause__ref_id",
            "clause__title_zh",
            "clause__title_en",
            "department__name",
            "result",
        )
        .annotate(n=Count("id"))
    )
    for row in rows:
        key = (row["clause__sort_key"], row["department__name"])
        counts[key][row["result"]] += row["n"]
        title = localized_title(row["clause__title_zh"], row["clause__title_en"])
        labels[key] = (f"{row['clause__ref_id']} {title}", row["department__name"])
    order = [r.value for r in ItemResult if r.value] + [ItemResult.PENDING.value]
    table = []
    for key in sorted(counts):
        by_result = counts[key]
        table.append(
            [
                *labels[key],
                *(str(by_result.get(result, 0) or "") for result in order),
                str(sum(by_result.values())),
            ]
        )
    return table


def _summary_headings() -> list[str]:
    results = [r for r in ItemResult if r.value] + [ItemResult.PENDING]
    return [
        _("Clause"),
        _("Department"),
        *(force_str(r.label) for r in results),
        _("Items"),
    ]


def _findings(audit: Audit) -> tuple[list, list]:
    """(nonconformities, improvement opportunities), by clause and department."""
    findings = sorted(
        audit.findings()
        .exclude(status=NonconformityStatus.CANCELLED)
        .select_related("grade", "clause", "department"),
        key=lambda nc: (
            nc.clause.sort_key if nc.clause else "~",
            nc.department.name,
            nc.number,
        ),
    )
    return (
        [nc for nc in findings if nc.grade.is_nonconformity],
        [nc for nc in findings if not nc.grade.is_nonconformity],
    )


def _finding_rows(findings) -> list[list[str]]:
    return [
        [
            nc.number,
            nc.grade.name,
            clause_text(nc.clause) if nc.clause else DASH,
            nc.department.name,
            f"{nc.title}\n{nc.facts}"
            if nc.facts and nc.facts != nc.title
            else nc.title,
            force_str(nc.get_status_display()),
        ]
        for nc in findings
    ]


def _finding_headings() -> list[str]:
    return [
        _("Number"),
        _("Grade"),
        _("Clause"),
        _("Department"),
        _("Facts"),
        _("Status"),
    ]


def report_docx(audit: Audit) -> bytes:
    """公司管理体系内审报告: purpose, criteria, scope, dates, team, overview,
    system evaluation, the checklist's results, the findings by clause and
    department, and who receives it. Marked a draft until 管理者代表 approves
    it; without a report yet, the overview and evaluation are empty."""
    with translation.override(settings.LANGUAGE_CODE):
        return _report_docx(audit)


def _report_docx(audit: Audit) -> bytes:
    # The report being approved is the caller's instance (not yet saved):
    # keep it rather than read it again.
    report = _report_of(audit)
    full = audit_with_scope(audit)
    title = _("Internal audit report")
    doc = Docx(f"{title} {full.number}")
    doc.title(title)
    status, warning = _status_text(full, report)
    doc.status_line(status, warning=warning)
    # The dates have their own section.
    doc.fields(audit_fields(full, dates=False))

    doc.heading(_("1 Purpose"))
    doc.text_block(full.purpose)
    doc.heading(_("2 Criteria"))
    doc.text_block(full.criteria)

    doc.heading(_("3 Scope"))
    clauses = list(full.scope_clauses())
    doc.paragraph(_("Clauses:"), bold=True)
    doc.bullets([clause_text(c) for c in clauses] or [DASH])
    doc.paragraph(
        _("Audited departments: %(departments)s")
        % {"departments": departments_text(full)}
    )
    processes = [p.name for p in full.processes.all()]
    if processes:
        doc.paragraph(
            _("Processes: %(processes)s") % {"processes": "、".join(processes)}
        )

    doc.heading(_("4 Dates"))
    meetings = {m.kind: m for m in full.meetings.all()}
    opening, closing = (
        meetings.get(MeetingKind.OPENING),
        meetings.get(MeetingKind.CLOSING),
    )
    doc.fields(
        [
            planned_dates(full),
            (_("Opening meeting"), when(opening.held_at) if opening else DASH),
            (_("Closing meeting"), when(closing.held_at) if closing else DASH),
        ]
    )

    doc.heading(_("5 Audit team"))
    leaders, auditors = team(full)
    doc.fields(
        [
            (_("Audit team leader"), names(leaders)),
            (_("Internal auditors"), names(auditors)),
            (_("Auditees"), names(full.auditees.all())),
        ]
    )

    doc.heading(_("6 Audit overview"))
    doc.text_block(report.overview if report else "")
    doc.heading(_("7 System evaluation"))
    doc.text_block(report.evaluation if report else "")

    doc.heading(_("8 Checklist results"))
    summary = _checklist_summary(full)
    if summary:
        doc.table(_summary_headings(), summary, widths=(4, 2, 1, 1, 1, 1, 1, 1), size=8)
    else:
        doc.paragraph(_("The checklist has no items."))

    nonconformities, opportunities = _findings(full)
    doc.heading(_("9 Nonconformities by clause and department"))
    if nonconformities:
        doc.table(
            _finding_headings(),
            _finding_rows(nonconformities),
            widths=(2, 1.2, 2.5, 1.3, 5, 1.5),
        )
    else:
        doc.paragraph(_("No nonconformity was found."))
    doc.heading(_("10 Improvement opportunities"))
    if opportunities:
        doc.table(
            _finding_headings(),
            _finding_rows(opportunities),
            widths=(2, 1.2, 2.5, 1.3, 5, 1.5),
        )
    else:
        doc.paragraph(_("No improvement opportunity was recorded."))

    doc.heading(_("11 Distribution"))
    distribution = list(report.distribution) if report else []
    doc.paragraph("、".join(clean(n) for n in distribution) or DASH)

    doc.heading(_("Sign-off"))
    written_by = report.written_by if report else full.leader
    doc.fields(
        [
            (_("Written by (audit team leader)"), display_name(written_by) or DASH),
            (
                _("Submitted on"),
                day(report.submitted_at) if report and report.submitted_at else DASH,
            ),
            (
                _("Approved by (management representative)"),
                display_name(report.approved_by)
                if report and report.approved_by
                else DASH,
            ),
            (
                _("Approved on"),
                day(report.approved_at) if report and report.approved_at else DASH,
            ),
        ]
    )
    return doc.bytes()
