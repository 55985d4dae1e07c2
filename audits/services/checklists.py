"""Checklists (内审检查表): built from the audit's clauses with the departments
that answer them, the current issues of their documents and the question bank;
answered item by item, saved as the auditor goes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.coverage import clause_rows
from compliance.lifecycle import NonconformityStatus
from compliance.models import Clause
from documents.models import Department
from records import evidence as evidence_files

from .. import independence, permissions
from ..lifecycle import FINDING_RESULTS, AuditStatus, ItemResult, TeamRole
from ..models import Audit, ChecklistEvidence, ChecklistItem, ClauseQuestion
from ._common import company_today, log_action, required, text

A = AuditStatus

# The checklist can be prepared before the audit and completed during it.
PREPARE_STATUSES = frozenset({A.REQUESTED, A.PLANNED, A.NOTIFIED, A.IN_PROGRESS})
_UNSET = object()


class ChecklistConflict(Exception):
    """The item changed since the copy being saved was read (another tablet or
    a colleague saved first); ``item`` is the stored one."""

    def __init__(self, item: ChecklistItem):
        super().__init__(_("This item was changed by someone else; reload it."))
        self.item = item


def default_question(clause: Clause, department: Department) -> str:
    """In the company's language: the checklist is a record."""
    with translation.override(settings.LANGUAGE_CODE):
        return _question(clause, department)


def _question(clause: Clause, department: Department) -> str:
    return _(
        "How does %(department)s meet %(clause)s %(title)s? Check the documents "
        "in force and the records they call for, and ask the people who do the work."
    ) % {
        "department": department.name,
        "clause": clause.ref_id,
        "title": clause.title_zh,
    }


def _ensure_prepare(user, audit: Audit) -> None:
    permissions.ensure(permissions.can_prepare_checklist(user, audit))
    if audit.status not in PREPARE_STATUSES:
        raise ValidationError(
            _("The audit is %(status)s: its checklist can no longer change.")
            % {"status": audit.get_status_display()}
        )


def _ensure_in_progress(audit: Audit) -> None:
    if audit.status != A.IN_PROGRESS:
        if audit.status in (A.PLANNED, A.NOTIFIED, A.REQUESTED):
            raise ValidationError(
                _("Hold the opening meeting before recording answers.")
            )
        raise ValidationError(
            _("The audit is %(status)s: its answers can no longer change.")
            % {"status": audit.get_status_display()}
        )


def _documents(row) -> list[dict]:
    found = []
    for ref in row.documents if row else []:
        page = ref.document
        issue = page.current_issue
        if issue is None:
            continue
        found.append(
            {
                "id": page.pk,
                "number": page.number,
                "title": page.title,
                "issue": issue.label,
                "tier": page.tier,
                "inherited_from": ref.inherited_from,
            }
        )
    return found


def _responsible(row) -> list[dict]:
    return [
        {"department": department.name, "level": level}
        for department, level in (row.departments if row else [])
    ]


def _team(audit: Audit) -> list:
    members = list(audit.team.select_related("user"))
    # Auditors first, the leader last: the leader coordinates.
    members.sort(key=lambda m: (m.role == TeamRole.LEADER, m.pk))
    return [m.user for m in members]


def _pick_auditor(team: list, counts: dict, department, clause, processes):
    candidates = [
        user
        for user in team
        if not independence.pair_conflicts(
            user, department=department, clause=clause, processes=processes[user.pk]
        )
    ]
    if not candidates:
        return None
    chosen = min(candidates, key=lambda u: counts.get(u.pk, 0))
    counts[chosen.pk] = counts.get(chosen.pk, 0) + 1
    return chosen


@transaction.atomic
def checklist_generate(
    *, user, audit: Audit, today: date | None = None
) -> list[ChecklistItem]:
    """Make the items the checklist lacks: for each clause in scope, each
    audited department that answers it (★/☆; all audited departments when
    none does), each question of the bank (or one default question). Items
    already there are kept; each new one goes to an independent auditor of the
    team, evenly."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _ensure_prepare(user, audit)
    today = today or company_today()
    scope = list(audit.scope_clauses())
    rows = {
        row.clause.pk: row
        for row in clause_rows(audit.standard, today=today, clauses=scope)
    }
    departments = list(audit.departments.order_by("sort_order", "name"))
    bank: dict[int, list[ClauseQuestion]] = {}
    for question in ClauseQuestion.objects.filter(clause__in=scope, is_active=True):
        bank.setdefault(question.clause_id, []).append(question)
    existing = {
        (item.clause_id, item.department_id, item.bank_question_id)
        for item in audit.items.all()
    }
    team = _team(audit)
    processes = {u.pk: independence.owned_processes(u) for u in team}
    counts: dict[int, int] = {}
    for item in audit.items.exclude(auditor__isnull=True):
        counts[item.auditor_id] = counts.get(item.auditor_id, 0) + 1
    position = audit.items.aggregate(n=Max("position"))["n"] or 0
    created: list[ChecklistItem] = []
    for clause in scope:
        row = rows.get(clause.pk)
        answering = {d.pk for d, _level in (row.departments if row else [])}
        targets = [d for d in departments if d.pk in answering] or departments
        questions = bank.get(clause.pk) or [None]
        for department in targets:
            for question in questions:
                key = (clause.pk, department.pk, question.pk if question else None)
                if key in existing:
                    continue
                position += 1
                created.append(
                    ChecklistItem(
                        audit=audit,
                        clause=clause,
                        department=department,
                        position=position,
                        question=question.text
                        if question
                        else default_question(clause, department),
                        bank_question=question,
                        responsible=_responsible(row),
                        documents=_documents(row),
                        auditor=_pick_auditor(
                            team, counts, department, clause, processes
                        ),
                        created_by=user,
                    )
                )
    ChecklistItem.objects.bulk_create(created)
    if created:
        log_action(
            audit,
            "checklist_generate",
            user,
            number=audit.number,
            items=len(created),
        )
    return created


@transaction.atomic
def checklist_item_add(
    *, user, audit: Audit, clause: Clause, department: Department, question: str
) -> ChecklistItem:
    """Add a question of the auditor's own for a clause and a department."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _ensure_prepare(user, audit)
    question = required(question, _("Write the question."), limit=1000)
    if (
        clause.standard_id != audit.standard_id
        or not clause.is_active
        or not audit.scope_clauses().filter(pk=clause.pk).exists()
    ):
        raise ValidationError(
            _("Clause %(clause)s is not in this audit's scope.")
            % {"clause": clause.ref_id}
        )
    if not audit.departments.filter(pk=department.pk).exists():
        raise ValidationError(
            _("%(department)s is not audited in this audit.")
            % {"department": department.name}
        )
    row = next(
        iter(clause_rows(audit.standard, today=company_today(), clauses=[clause])),
        None,
    )
    team = _team(audit)
    processes = {u.pk: independence.owned_processes(u) for u in team}
    auditor = None
    if permissions.is_team_member(user, audit) and not independence.pair_conflicts(
        user, department=department, clause=clause
    ):
        auditor = user
    else:
        auditor = _pick_auditor(team, {}, department, clause, processes)
    position = (audit.items.aggregate(n=Max("position"))["n"] or 0) + 1
    item = ChecklistItem.objects.create(
        audit=audit,
        clause=clause,
        department=department,
        position=position,
        question=question,
        responsible=_responsible(row),
        documents=_documents(row),
        auditor=auditor,
        created_by=user,
    )
    log_action(
        audit,
        "checklist_item_add",
        user,
        number=audit.number,
        item=item.pk,
        clause=clause.ref_id,
    )
    return item


def locked_item(item: ChecklistItem, *related: str) -> ChecklistItem:
    """The item, locked with its audit: the audit first (as every service
    that locks both does), so that a save never slips past the closing meeting
    that checks the answers."""
    audit = Audit.objects.select_for_update().get(pk=item.audit_id)
    item = (
        ChecklistItem.objects.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=item.pk)
    )
    item.audit = audit
    return item


def finding_open(item: ChecklistItem) -> bool:
    """Whether the item's finding stands (raised and not cancelled)."""
    return (
        item.nonconformity_id is not None
        and item.nonconformity.status != NonconformityStatus.CANCELLED
    )


@transaction.atomic
def checklist_item_update(
    *,
    user,
    item: ChecklistItem,
    version: int | None = None,
    question: str | None = None,
    result: str | None = None,
    evidence: str | None = None,
    auditor=_UNSET,
) -> ChecklistItem:
    """Save what changed on one item. ``version`` is the one the tablet read:
    a stale copy raises :class:`ChecklistConflict` rather than overwrite. The
    question may change while the checklist is prepared; the result and the
    evidence only during the fieldwork, by an independent member of the team."""
    item = locked_item(item, "clause", "department", "nonconformity")
    audit = item.audit
    # Only those who may touch the checklist learn what is stored now.
    permissions.ensure(permissions.can_prepare_checklist(user, audit))
    if version is not None:
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ValidationError(_("Unknown version of the item.")) from None
        if version != item.version:
            raise ChecklistConflict(item)
    changed: dict[str, object] = {}
    if question is not None:
        _ensure_prepare(user, audit)
        question = required(question, _("Write the question."), limit=1000)
        if question != item.question:
            if item.answered:
                raise ValidationError(
                    _(
                        "The item is answered: add a new question "
                        "instead of rewording this one."
                    )
                )
            item.question = question
            changed["question"] = True
    if auditor is not _UNSET:
        _ensure_prepare(user, audit)
        permissions.ensure(
            permissions.is_leader(user, audit) or permissions.can_prepare(user)
        )
        if auditor is not None:
            if not permissions.is_team_member(auditor, audit):
                raise ValidationError(_("The auditor is not on the audit team."))
            independence.ensure_independent(
                auditor, department=item.department, clause=item.clause
            )
        if (auditor.pk if auditor else None) != item.auditor_id:
            if item.answered:
                raise ValidationError(_("The item is answered; its auditor stays."))
            item.auditor = auditor
            changed["auditor"] = auditor.get_username() if auditor else None
    if result is not None or evidence is not None:
        _ensure_in_progress(audit)
        permissions.ensure(permissions.can_conduct(user, audit))
        independence.ensure_independent(
            user, department=item.department, clause=item.clause
        )
        new_evidence = (
            item.evidence if evidence is None else text(evidence, limit=20000)
        )
        new_result = item.result if result is None else result
        if new_result not in ItemResult.values:
            raise ValidationError(_("Unknown result."))
        if new_result != item.result and finding_open(item):
            raise ValidationError(
                _(
                    "Finding %(number)s was raised from this item; its result stays "
                    "unless the finding is cancelled."
                )
                % {"number": item.nonconformity.number}
            )
        if new_result in FINDING_RESULTS and not new_evidence:
            raise ValidationError(
                _(
                    "Record the objective facts found before marking the item "
                    "%(result)s."
                )
                % {"result": ItemResult(new_result).label}
            )
        if new_evidence != item.evidence:
            item.evidence = new_evidence
            changed["evidence"] = len(new_evidence)
        if new_result != item.result:
            item.result = new_result
            changed["result"] = new_result
            if new_result and item.nonconformity_id and not finding_open(item):
                item.nonconformity = None
        if changed.keys() & {"evidence", "result"}:
            item.answered_by = user if item.result else None
            item.answered_at = timezone.now() if item.result else None
            if item.auditor_id is None:
                item.auditor = user
    if not changed:
        return item
    item.version += 1
    item.save()
    log_action(
        audit,
        "checklist_item_update",
        user,
        number=audit.number,
        item=item.pk,
        clause=item.clause.ref_id,
        **{k: v for k, v in changed.items() if k != "question"},
        question_changed="question" in changed,
    )
    return item


@transaction.atomic
def checklist_item_remove(*, user, item: ChecklistItem) -> None:
    """Drop a question not asked: unanswered, no files, no finding."""
    item = locked_item(item, "clause")
    _ensure_prepare(user, item.audit)
    if item.answered or item.nonconformity_id or item.files.exists():
        raise ValidationError(_("The item has an answer or evidence; it stays."))
    log_action(
        item.audit,
        "checklist_item_remove",
        user,
        number=item.audit.number,
        clause=item.clause.ref_id,
        question=item.question[:200],
    )
    item.delete()


@transaction.atomic
def checklist_evidence_add(
    *, user, item: ChecklistItem, uploads: Sequence[tuple[str, bytes]]
) -> list[ChecklistEvidence]:
    """Attach photos, scans or files to an item; each is checked by its bytes
    (a disguised or oversized file is refused) before anything is written."""
    item = locked_item(item, "clause", "department")
    audit = item.audit
    _ensure_in_progress(audit)
    permissions.ensure(permissions.can_conduct(user, audit))
    independence.ensure_independent(
        user, department=item.department, clause=item.clause
    )
    if not uploads:
        raise ValidationError(_("Choose a file."))
    checked = evidence_files.check_uploads(
        uploads, max_bytes=settings.SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES
    )
    stored = evidence_files.store_evidence(
        ChecklistEvidence, checked, user=user, item=item
    )
    try:
        item.version += 1
        item.save(update_fields=["version", "updated_at"])
        log_action(
            audit,
            "checklist_evidence_add",
            user,
            number=audit.number,
            item=item.pk,
            files=[e.name for e in stored],
        )
    except Exception:
        # The rows roll back with this transaction; the files must go too.
        for evidence in stored:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return stored


@transaction.atomic
def question_bank_save(*, user, item: ChecklistItem) -> ClauseQuestion:
    """Keep an item's question in the bank for the clause's next checklists."""
    audit = item.audit
    permissions.ensure(
        permissions.can_prepare_checklist(user, audit) or permissions.can_prepare(user)
    )
    found = ClauseQuestion.objects.filter(
        clause=item.clause, text=item.question, is_active=True
    ).first()
    if found is None:
        order = (
            ClauseQuestion.objects.filter(clause=item.clause).aggregate(
                n=Max("sort_order")
            )["n"]
            or 0
        ) + 1
        found = ClauseQuestion.objects.create(
            clause=item.clause, text=item.question, sort_order=order, created_by=user
        )
        log_action(
            found,
            "question_save",
            user,
            clause=item.clause.ref_id,
            audit=audit.number,
        )
    if item.bank_question_id != found.pk:
        # The checklist asks it already: generating again adds no copy.
        ChecklistItem.objects.filter(pk=item.pk).update(bank_question=found)
        item.bank_question = found
    return found
