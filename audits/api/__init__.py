"""The audits API under ``/api/v1/``: the annual programmes with their
coverage and signatures, audits with their team, schedule, meetings and
report, and the checklist the auditors fill in on a tablet.

- ``GET``/``POST audits/``, ``GET audits/{id}/`` (an audit number such as
  IA-2026-01, or its numeric id), ``POST audits/{id}/{action}/`` (update, team,
  schedule, notify, accept, reject, cancel, generate, opening, closing,
  report, submit, approve, return) and ``GET audits/{id}/report.docx``;
- ``GET``/``POST audits/{id}/checklist/``, ``GET``/``PATCH``/``DELETE
  audits/{id}/checklist/{item_id}/`` (saved as the auditor goes: a stale
  ``version`` answers 409 with the stored item), ``POST …/evidence/``
  (multipart) and ``POST …/finding/`` (a nonconformity in compliance);
- ``GET``/``POST audit-programmes/``, ``GET audit-programmes/{year}/`` (with
  the clause × month heat map and the coverage warnings) and ``POST
  audit-programmes/{year}/{action}/`` (update, submit, sign, return, revise).

The package's modules: :mod:`.inputs` (request bodies), :mod:`.serializers`
(answers), :mod:`.views` (audits and checklists), :mod:`.programmes`.

Views stay thin: they validate the request, call one service
of :mod:`audits.services` (which checks permission, independence and the
transition table) and map what it raises to HTTP answers, always with
``{"detail": "..."}`` in the active language: ``ValidationError`` → 400
(invalid fields also under their names), ``PermissionDenied`` → 403,
``InvalidTransition`` → 409, an unknown audit, item, programme or action →
404. A customer representative is refused (403), an anonymous caller asked to
sign in (401). An audit changes only through its actions: ``PUT``, ``PATCH``
and ``DELETE`` of an audit answer 405.
"""

from .programmes import (
    ProgrammeActionView,
    ProgrammeDetailView,
    ProgrammeListCreateView,
)
from .views import (
    AuditActionView,
    AuditDetailView,
    AuditListCreateView,
    AuditReportDocxView,
    ChecklistEvidenceView,
    ChecklistFindingView,
    ChecklistItemView,
    ChecklistView,
)

__all__ = [
    "AuditListCreateView",
    "AuditDetailView",
    "AuditActionView",
    "AuditReportDocxView",
    "ChecklistView",
    "ChecklistItemView",
    "ChecklistEvidenceView",
    "ChecklistFindingView",
    "ProgrammeListCreateView",
    "ProgrammeDetailView",
    "ProgrammeActionView",
]
