"""Auditors never audit their own work (ISO/IEC 20000-1:2018 9.2; manual 9.2):
not their own department, not a process they own (the process owners of the
compliance matrix). Enforced when a team is formed and when a checklist item
is assigned or answered; the pages show the same reasons.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from compliance.models import Clause, Process
from documents.models import Department
from documents.permissions import department_of


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def overlaps(a: Clause, b: Clause) -> bool:
    """Whether two clauses share ground: the same clause, or one under the
    other (a process answering 8.5 answers 8.5.1, and the reverse)."""
    if a.standard_id != b.standard_id:
        return False
    return (
        a.ref_id == b.ref_id
        or a.ref_id.startswith(b.ref_id + ".")
        or b.ref_id.startswith(a.ref_id + ".")
    )


def owned_processes(user) -> list[Process]:
    return list(
        Process.objects.filter(owner=user, is_active=True).prefetch_related("clauses")
    )


def pair_conflicts(
    user,
    *,
    department: Department | None = None,
    clause: Clause | None = None,
    processes: list[Process] | None = None,
) -> list[str]:
    """Why ``user`` may not audit ``clause`` in ``department`` (empty: they may)."""
    reasons: list[str] = []
    own = department_of(user)
    if department is not None and own is not None and own.pk == department.pk:
        reasons.append(
            _("%(user)s belongs to %(department)s, the audited department.")
            % {"user": _name(user), "department": department.name}
        )
    if clause is not None:
        for process in owned_processes(user) if processes is None else processes:
            if any(overlaps(clause, c) for c in process.clauses.all()):
                reasons.append(
                    _(
                        "%(user)s owns the process “%(process)s”, which answers "
                        "clause %(clause)s."
                    )
                    % {
                        "user": _name(user),
                        "process": process.name,
                        "clause": clause.ref_id,
                    }
                )
    return reasons


def team_conflicts(
    user,
    *,
    departments: Iterable[Department],
    clauses: Iterable[Clause],
) -> list[str]:
    """Why ``user`` could audit nothing in this scope (empty: there is at least
    one department and clause they may audit). An auditor from an audited
    department may join a team auditing other departments too; the checklist
    then gives them only the others."""
    departments = list(departments)
    clauses = list(clauses) or [None]
    processes = owned_processes(user)
    reasons: list[str] = []
    for department in departments or [None]:
        for clause in clauses:
            found = pair_conflicts(
                user, department=department, clause=clause, processes=processes
            )
            if not found:
                return []
            reasons.extend(r for r in found if r not in reasons)
    return reasons


def ensure_independent(user, **scope) -> None:
    """Refuse with the reasons when ``user`` may not audit the pair."""
    reasons = pair_conflicts(user, **scope)
    if reasons:
        raise ValidationError([_("An auditor may not audit their own work.")] + reasons)


def ensure_team_independent(user, *, departments, clauses) -> None:
    reasons = team_conflicts(user, departments=departments, clauses=clauses)
    if reasons:
        raise ValidationError([_("An auditor may not audit their own work.")] + reasons)
