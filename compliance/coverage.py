"""What answers each clause: its documents, its departments, its audits and its
open nonconformities, and where the coverage has gaps.

One read of a whole standard in a fixed number of queries; the clause pages,
the coverage view, its exports and the API all use :func:`clause_rows`.

The rules:

* A document linked to a clause also answers its sub-clauses (B05 linked to
  7.5 answers 7.5.3); it is listed there as inherited.
* A clause has an effective procedure when one of its own or inherited
  documents in SHOUKONG_COVERAGE_PROCEDURE_TIERS is under control; a clause
  with sub-clauses also has one when every sub-clause has.
* "Only overdue": every controlled document of the clause is past its review
  date.
* Audits are reported by the audits app through the
  ``shoukong_clause_audit_dates`` hook (``fn(clause_ids) -> {id: date}``); an
  audit of a clause covers its sub-clauses, and a clause with sub-clauses is
  audited when every sub-clause is (as of the oldest).
* A clause excluded in the statement of applicability has no gaps.
* Read for a ``reader``, a restricted document they may not open still
  answers its clauses, but is listed without its number, title, note or link
  (:func:`documents.permissions.restricted_ids`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count
from wagtail import hooks

from documents.lifecycle import DocumentStatus
from documents.models import Department, DocumentPage
from documents.permissions import RESTRICTED_DOCUMENT, restricted_ids

from .lifecycle import ResponsibilityLevel
from .models import (
    Clause,
    ClauseApplicability,
    ClauseDocumentLink,
    ClauseResponsibility,
    Nonconformity,
    Standard,
)

AUDIT_DATES_HOOK = "shoukong_clause_audit_dates"
AUDIT_HISTORY_HOOK = "shoukong_clause_audit_history"

__all__ = [
    "AUDIT_DATES_HOOK",
    "AUDIT_HISTORY_HOOK",
    "ClauseRow",
    "DocumentRef",
    "audit_history",
    "clause_rows",
    "summary",
]


@dataclass
class DocumentRef:
    """A document answering a clause. A ``restricted`` one (the reader may not
    open it) counts for the coverage but says only :data:`RESTRICTED_DOCUMENT`:
    read ``number``, ``title``, ``note`` and ``url``, never ``document``'s own."""

    document: DocumentPage
    note: str
    inherited_from: str | None
    next_review_due: date | None
    overdue: bool
    restricted: bool = False

    @property
    def number(self) -> str:
        return "" if self.restricted else self.document.number or ""

    @property
    def title(self) -> str:
        return str(RESTRICTED_DOCUMENT) if self.restricted else self.document.title

    @property
    def url(self) -> str | None:
        return None if self.restricted else self.document.get_permalink()

    @property
    def issue(self):
        return self.document.current_issue

    @property
    def is_controlled(self) -> bool:
        return self.document.status == DocumentStatus.CONTROLLED


@dataclass
class ClauseRow:
    clause: Clause
    documents: list[DocumentRef] = field(default_factory=list)
    primary: Department | None = None
    supporting: list[Department] = field(default_factory=list)
    open_nonconformities: int = 0
    last_audited: date | None = None
    applicable: bool = True
    justification: str = ""
    has_procedure: bool = False
    only_overdue: bool = False
    not_audited: bool = False
    children: list[ClauseRow] = field(default_factory=list)

    @property
    def own_documents(self) -> list[DocumentRef]:
        return [d for d in self.documents if d.inherited_from is None]

    @property
    def departments(self) -> list[tuple[Department, str]]:
        cells = [(self.primary, ResponsibilityLevel.PRIMARY)] if self.primary else []
        return cells + [(d, ResponsibilityLevel.SUPPORTING) for d in self.supporting]

    @property
    def no_procedure(self) -> bool:
        return self.applicable and not self.has_procedure

    @property
    def has_gap(self) -> bool:
        return self.applicable and (
            not self.has_procedure
            or self.only_overdue
            or self.not_audited
            or self.open_nonconformities > 0
        )


def _audit_dates(clause_ids: list[int]) -> dict[int, date]:
    dates: dict[int, date] = {}
    for fn in hooks.get_hooks(AUDIT_DATES_HOOK):
        for clause_id, when in (fn(clause_ids) or {}).items():
            if when is not None and (clause_id not in dates or when > dates[clause_id]):
                dates[clause_id] = when
    return dates


def audit_history(clause: Clause) -> list[dict]:
    """The audits that covered ``clause``, newest first, as the audits app
    reports them (``{"date", "title", "url"}``)."""
    history: list[dict] = []
    for fn in hooks.get_hooks(AUDIT_HISTORY_HOOK):
        history.extend(fn(clause) or [])
    return sorted(history, key=lambda item: item["date"], reverse=True)


def clause_rows(
    standard: Standard,
    *,
    today: date,
    all_documents: bool = False,
    clauses=None,
    reader=None,
) -> list[ClauseRow]:
    """Every active clause of ``standard`` in order, with what answers it.

    Only documents under control are listed unless ``all_documents`` (drafts,
    obsolete documents too). ``clauses`` narrows the rows returned, not what
    they inherit. Rows shown to a user are read with ``reader=user``: the
    restricted documents they may not open are marked ``restricted``."""
    everything = list(
        Clause.objects.active().filter(standard=standard).select_related("standard")
    )
    rows = {c.pk: ClauseRow(clause=c) for c in everything}
    for row in rows.values():
        parent = rows.get(row.clause.parent_id)
        if parent is not None:
            parent.children.append(row)

    for cell in ClauseResponsibility.objects.filter(
        clause__in=everything
    ).select_related("department"):
        row = rows[cell.clause_id]
        if cell.level == ResponsibilityLevel.PRIMARY:
            row.primary = cell.department
        else:
            row.supporting.append(cell.department)
    for row in rows.values():
        row.supporting.sort(key=lambda d: (d.sort_order, d.name))

    for statement in ClauseApplicability.objects.filter(clause__in=everything):
        rows[statement.clause_id].applicable = statement.applicable
        rows[statement.clause_id].justification = statement.justification

    links = ClauseDocumentLink.objects.filter(clause__in=everything)
    if not all_documents:
        links = links.filter(document__status=DocumentStatus.CONTROLLED)
    links = list(links.order_by("document__number_sort", "document__title"))
    documents = {
        page.pk: page
        for page in DocumentPage.objects.filter(
            pk__in={link.document_id for link in links}
        ).for_listing()
    }
    hidden = (
        restricted_ids(reader, documents.values())
        if reader is not None
        else frozenset()
    )
    own: dict[int, list[ClauseDocumentLink]] = defaultdict(list)
    for link in links:
        own[link.clause_id].append(link)

    tiers = set(settings.SHOUKONG_COVERAGE_PROCEDURE_TIERS)

    def ref(link: ClauseDocumentLink, inherited_from: str | None) -> DocumentRef:
        page = documents[link.document_id]
        due = page.next_review_due
        restricted = page.pk in hidden
        return DocumentRef(
            document=page,
            # The note says how the document meets the clause: its content.
            note="" if restricted else link.note,
            inherited_from=inherited_from,
            next_review_due=due,
            overdue=due is not None and due < today,
            restricted=restricted,
        )

    counts = dict(
        Nonconformity.objects.open()
        .nonconformities()
        .filter(clause__in=everything)
        .values_list("clause")
        .annotate(n=Count("id"))
        .values_list("clause", "n")
    )
    audited = _audit_dates([c.pk for c in everything])
    since = today - relativedelta(months=settings.SHOUKONG_COVERAGE_AUDIT_MONTHS)

    def walk(row: ClauseRow, inherited: list[DocumentRef], ancestor_audit):
        mine = [ref(link, None) for link in own.get(row.clause.pk, [])]
        seen = {d.document.pk for d in mine}
        # Restricted documents last: their place among the numbers would hint
        # at their number.
        row.documents = sorted(
            mine + [d for d in inherited if d.document.pk not in seen],
            key=lambda d: d.restricted,
        )
        row.open_nonconformities = counts.get(row.clause.pk, 0)
        own_audit = audited.get(row.clause.pk)
        reached = max(filter(None, [own_audit, ancestor_audit]), default=None)
        passed_down = [
            DocumentRef(
                document=d.document,
                note=d.note,
                inherited_from=d.inherited_from or row.clause.ref_id,
                next_review_due=d.next_review_due,
                overdue=d.overdue,
                restricted=d.restricted,
            )
            for d in row.documents
        ]
        for child in row.children:
            walk(child, passed_down, reached)
        controlled = [d for d in row.documents if d.is_controlled]
        # Sub-clauses excluded from the statement of applicability neither
        # cover nor hold back their heading.
        applicable = [c for c in row.children if c.applicable]
        row.has_procedure = any(d.document.tier in tiers for d in controlled) or (
            bool(applicable) and all(c.has_procedure for c in applicable)
        )
        row.only_overdue = bool(controlled) and all(d.overdue for d in controlled)
        child_dates = [c.last_audited for c in applicable]
        if child_dates and all(child_dates):
            # Every sub-clause audited: the heading is, as of the oldest.
            reached = max(filter(None, [reached, min(child_dates)]))
        row.last_audited = reached
        row.not_audited = reached is None or reached < since

    for row in rows.values():
        if row.clause.parent_id is None or row.clause.parent_id not in rows:
            walk(row, [], None)

    ordered = [rows[c.pk] for c in everything]
    if clauses is not None:
        wanted = {c.pk for c in clauses}
        ordered = [row for row in ordered if row.clause.pk in wanted]
    return ordered


def summary(rows: list[ClauseRow]) -> dict[str, int]:
    """The counts of the coverage view's four lists."""
    applicable = [row for row in rows if row.applicable]
    return {
        "clauses": len(rows),
        "no_procedure": sum(1 for row in applicable if not row.has_procedure),
        "only_overdue": sum(1 for row in applicable if row.only_overdue),
        "not_audited": sum(1 for row in applicable if row.not_audited),
        "open_nonconformities": sum(row.open_nonconformities for row in rows),
        "clauses_with_open_nonconformities": sum(
            1 for row in rows if row.open_nonconformities
        ),
    }
