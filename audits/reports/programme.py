"""年度内部审核实施计划 as .docx."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from ..lifecycle import ProgrammeStatus, TeamRole
from ..models import Audit, AuditProgramme, ProgrammeSignature
from ..services._common import display_name
from .writer import DASH, Docx, clause_text, day, names, team_queryset, when


def programme_docx(programme: AuditProgramme) -> bytes:
    """年度内部审核实施计划: the year's audits with their dates, scope and team,
    the signatures of the current revision and what is left uncovered."""
    with translation.override(settings.LANGUAGE_CODE):
        return _programme_docx(programme)


def _signature_rows(programme: AuditProgramme) -> list[list[str]]:
    signatures = ProgrammeSignature.objects.filter(
        programme=programme, revision=programme.revision
    ).order_by("signed_at", "id")
    return [
        [
            s.step,
            s.role,
            s.signer_name,
            force_str(s.get_decision_display()),
            when(s.signed_at),
            s.comment,
        ]
        for s in signatures
    ]


def _programme_docx(programme: AuditProgramme) -> bytes:
    from ..coverage import MONTHS, programme_coverage
    from ..coverage import _months as audit_months
    from ..services.programmes import chain_steps

    programme = AuditProgramme.objects.select_related("standard", "prepared_by").get(
        pk=programme.pk
    )
    coverage = programme_coverage(programme)
    title = _("Annual internal audit programme")
    doc = Docx(f"{title} {programme.year}", landscape=True)
    doc.title(f"{programme.year} {title}")
    approved = (
        programme.approved_at is not None
        and programme.status == ProgrammeStatus.APPROVED
    )
    if approved:
        doc.status_line(
            _("Approved on %(date)s (revision %(revision)s)")
            % {"date": day(programme.approved_at), "revision": programme.revision},
            warning=False,
        )
    else:
        doc.status_line(
            _("%(status)s — not valid until approved (revision %(revision)s)")
            % {
                "status": programme.get_status_display(),
                "revision": programme.revision,
            },
            warning=True,
        )
    doc.fields(
        [
            (_("Year"), str(programme.year)),
            (_("Title"), programme.title),
            (
                _("Standard"),
                f"{programme.standard.code} {programme.standard.title_zh}",
            ),
            (_("Prepared by"), display_name(programme.prepared_by)),
            (_("Submitted on"), day(programme.submitted_at) or DASH),
        ]
    )
    doc.heading(_("Basis"))
    doc.text_block(programme.basis)

    doc.heading(_("Signatures"))
    doc.paragraph(
        _("Chain: %(steps)s")
        % {"steps": " → ".join(f"{s.code} ({s.role})" for s in chain_steps())}
    )
    signatures = _signature_rows(programme)
    if signatures:
        doc.table(
            [
                _("Step"),
                _("Role"),
                _("Name"),
                _("Decision"),
                _("Signed at"),
                _("Comment"),
            ],
            signatures,
            widths=(1, 1.5, 1.5, 1, 1.5, 4),
        )
    else:
        doc.paragraph(_("Not signed yet."))

    doc.heading(_("Audits"))
    audits = sorted(coverage.audits, key=lambda a: (a.planned_start, a.number))
    team = _teams(audits)
    if audits:
        doc.table(
            [
                _("Number"),
                _("Dates"),
                _("Title"),
                _("Clauses"),
                _("Departments"),
                _("Audit team leader"),
                _("Internal auditors"),
                _("Kind"),
                _("Status"),
            ],
            [
                [
                    a.number,
                    f"{a.planned_start.isoformat()}\n{a.planned_end.isoformat()}",
                    a.title,
                    _scope_refs(a),
                    "、".join(d.name for d in a.departments.all()),
                    names(team[a.pk][0]),
                    names(team[a.pk][1]),
                    force_str(a.get_kind_display()),
                    force_str(a.get_status_display()),
                ]
                for a in audits
            ],
            widths=(1.6, 1.6, 3, 3, 2, 1.4, 1.8, 1.4, 1.4),
            size=8,
        )
    else:
        doc.paragraph(_("No audit is planned yet."))

    doc.heading(_("Coverage"))
    if coverage.complete:
        doc.paragraph(
            _("Every clause and every department is audited in %(year)s.")
            % {"year": programme.year}
        )
    else:
        doc.paragraph(_("Warning: the programme does not cover everything."), bold=True)
        doc.bullets(coverage.warnings)

    doc.heading(_("Departments by month"), level=2)
    month_headings = [str(m) for m in MONTHS]
    rows = []
    for row in coverage.departments:
        cells = {m: [] for m in MONTHS}
        for audit in row.audits:
            for month in audit_months(audit, programme.year):
                cells[month].append(audit.number.rsplit("-", 1)[-1])
        rows.append([row.department.name, *("\n".join(cells[m]) for m in MONTHS)])
    doc.table([_("Department"), *month_headings], rows, widths=(3, *[1] * 12), size=8)

    doc.heading(_("Clauses by month"), level=2)
    clause_rows = []
    for row in coverage.clauses:
        if row.clause.depth > 2 or not row.applicable:
            continue
        clause_rows.append(
            [
                clause_text(row.clause),
                *("●" if audits_in else "" for _m, audits_in in row.cells),
            ]
        )
    doc.table(
        [_("Clause"), *month_headings], clause_rows, widths=(5, *[1] * 12), size=8
    )
    doc.paragraph(
        _("● audited that month; a clause also counts when a clause above it is.")
    )
    return doc.bytes()


def _teams(audits: Sequence[Audit]) -> dict[int, tuple[list, list]]:
    found: dict[int, tuple[list, list]] = {a.pk: ([], []) for a in audits}
    for member in team_queryset().filter(audit__in=[a.pk for a in audits]):
        leaders, auditors = found[member.audit_id]
        (leaders if member.role == TeamRole.LEADER else auditors).append(member.user)
    return found


def _scope_refs(audit: Audit) -> str:
    refs = {c.ref_id: c.sort_key for c in audit.clauses.all()}
    for process in audit.processes.all():
        refs.update({c.ref_id: c.sort_key for c in process.clauses.all()})
    return " ".join(sorted(refs, key=refs.get))
