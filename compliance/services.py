"""Changes to who answers for each clause and which documents meet it
(ISO/IEC 20000-1:2018 5.3: responsibilities; 7.5.1: the documented
information the standard requires).

Nonconformities are changed in :mod:`compliance.nonconformities`; the
catalogue is loaded by :mod:`compliance.catalogue`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from documents.lifecycle import DocumentKind
from documents.models import Department, DocumentPage

from . import permissions
from .lifecycle import ResponsibilityLevel
from .models import (
    Clause,
    ClauseApplicability,
    ClauseDocumentLink,
    ClauseResponsibility,
)

__all__ = [
    "applicability_set",
    "responsibility_rows_fill",
    "clause_for",
    "document_link",
    "document_unlink",
    "responsibility_set",
]


def _clean(text: str | None) -> str:
    text = (text or "").strip()
    if "\x00" in text:
        raise ValidationError(_("The text contains a NUL character."))
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValidationError(_("The text contains a control character."))
    return text


def clause_for(ref_id: str, *, standard: str | None = None) -> Clause:
    """The active clause ``ref_id`` of ``standard`` (the default standard when
    none is named; ``iso27001-2022:5.1`` names both). A clear refusal when it
    does not exist."""
    from django.conf import settings

    ref_id = (ref_id or "").strip()
    if ":" in ref_id and not standard:
        standard, ref_id = ref_id.split(":", 1)
    standard = (standard or settings.SHOUKONG_COMPLIANCE_DEFAULT_STANDARD).strip()
    clause = (
        Clause.objects.active()
        .select_related("standard")
        .filter(standard__ref_id=standard, ref_id=ref_id)
        .first()
    )
    if clause is None:
        raise ValidationError(
            _("No clause %(clause)s in %(standard)s.")
            % {"clause": ref_id or "-", "standard": standard}
        )
    return clause


@transaction.atomic
def responsibility_set(
    *, user, clause: Clause, department: Department, level: str | None
) -> ClauseResponsibility | None:
    """Set one cell of the function allocation matrix: ★ primary, ☆ supporting
    or empty (``None``). Making a department primary makes the previous
    primary department supporting."""
    permissions.ensure(permissions.can_manage_catalogue(user))
    if level is not None and level not in ResponsibilityLevel.values:
        raise ValidationError(_("Unknown responsibility level."))
    current = ClauseResponsibility.objects.select_for_update().filter(
        clause=clause, department=department
    )
    before = current.first()
    if (before.level if before else None) == level:
        return before
    if level is None:
        current.delete()
        cell = None
    else:
        if level == ResponsibilityLevel.PRIMARY:
            ClauseResponsibility.objects.filter(
                clause=clause, level=ResponsibilityLevel.PRIMARY
            ).exclude(department=department).update(
                level=ResponsibilityLevel.SUPPORTING
            )
        cell, _created = ClauseResponsibility.objects.update_or_create(
            clause=clause, department=department, defaults={"level": level}
        )
    log(
        instance=clause,
        action="shoukong.compliance.responsibility_set",
        user=user,
        data={
            "clause": clause.ref_id,
            "standard": clause.standard.ref_id,
            "department": department.name,
            "before": before.level if before else None,
            "level": level,
        },
    )
    return cell


@transaction.atomic
def responsibility_rows_fill(
    *, user, rows: dict[Clause, dict[Department, str]]
) -> list[Clause]:
    """Fill the matrix rows of clauses that have no cell yet, in bulk (a new
    standard, the demo); rows already started are left as they are. Each cell
    leaves the entry :func:`responsibility_set` writes, under one run id."""
    import uuid

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import ModelLogEntry

    permissions.ensure(permissions.can_manage_catalogue(user))
    started = set(
        ClauseResponsibility.objects.filter(clause__in=list(rows)).values_list(
            "clause_id", flat=True
        )
    )
    cells: list[ClauseResponsibility] = []
    entries: list[ModelLogEntry] = []
    filled: list[Clause] = []
    content_type = ContentType.objects.get_for_model(Clause, for_concrete_model=False)
    now, run = timezone.now(), uuid.uuid4()
    for clause, row in rows.items():
        if clause.pk in started:
            continue
        if sum(level == ResponsibilityLevel.PRIMARY for level in row.values()) > 1:
            raise ValidationError(
                _("Clause %(clause)s has more than one primary department.")
                % {"clause": clause.ref_id}
            )
        for department, level in row.items():
            if level not in ResponsibilityLevel.values:
                raise ValidationError(_("Unknown responsibility level."))
            cells.append(
                ClauseResponsibility(clause=clause, department=department, level=level)
            )
            entries.append(
                ModelLogEntry(
                    content_type=content_type,
                    object_id=str(clause.pk),
                    label=str(clause),
                    action="shoukong.compliance.responsibility_set",
                    data={
                        "clause": clause.ref_id,
                        "standard": clause.standard.ref_id,
                        "department": department.name,
                        "before": None,
                        "level": str(level),
                    },
                    user=user,
                    timestamp=now,
                    uuid=run,
                )
            )
        filled.append(clause)
    ClauseResponsibility.objects.bulk_create(cells)
    ModelLogEntry.objects.bulk_create(entries)
    return filled


@transaction.atomic
def document_link(
    *, user, clause: Clause, document: DocumentPage, note: str = ""
) -> ClauseDocumentLink:
    """Trace ``document`` to ``clause``, saying how it meets it; linking again
    updates the note."""
    document = document.specific
    permissions.ensure(permissions.can_link_documents(user, document))
    if not document.number and document.kind != DocumentKind.EXTERNAL:
        raise ValidationError(_("Only numbered documents can be traced to clauses."))
    note = _clean(note)[:500]
    link, created = ClauseDocumentLink.objects.get_or_create(
        clause=clause, document=document, defaults={"note": note, "linked_by": user}
    )
    if not created:
        if link.note == note:
            return link
        link.note = note
        link.save(update_fields=["note"])
    log(
        instance=clause,
        action="shoukong.compliance.document_link",
        user=user,
        data={
            "clause": clause.ref_id,
            "standard": clause.standard.ref_id,
            "document": document.number,
            "note": note[:200],
            "created": created,
        },
    )
    return link


@transaction.atomic
def document_unlink(*, user, clause: Clause, document: DocumentPage) -> None:
    """Remove a trace; the log keeps that it existed."""
    document = document.specific
    permissions.ensure(permissions.can_link_documents(user, document))
    deleted, _rows = ClauseDocumentLink.objects.filter(
        clause=clause, document=document
    ).delete()
    if not deleted:
        raise ValidationError(_("This document is not linked to the clause."))
    log(
        instance=clause,
        action="shoukong.compliance.document_unlink",
        user=user,
        data={
            "clause": clause.ref_id,
            "standard": clause.standard.ref_id,
            "document": document.number,
        },
    )


@transaction.atomic
def applicability_set(
    *, user, clause: Clause, applicable: bool, justification: str = ""
) -> ClauseApplicability:
    """Declare a clause applicable, or excluded with a justification (the
    statement of applicability)."""
    permissions.ensure(permissions.can_manage_catalogue(user))
    justification = _clean(justification)
    if not applicable and not justification:
        raise ValidationError(_("Justify why the clause does not apply."))
    statement, _created = ClauseApplicability.objects.update_or_create(
        clause=clause,
        defaults={
            "applicable": applicable,
            "justification": justification,
            "updated_by": user,
        },
    )
    log(
        instance=clause,
        action="shoukong.compliance.applicability_set",
        user=user,
        data={
            "clause": clause.ref_id,
            "applicable": applicable,
            "justification": justification[:200],
        },
    )
    return statement
