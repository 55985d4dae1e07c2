"""The compliance API under ``/api/v1/``: the clause catalogue with what answers
each clause, and nonconformities with their corrective or preventive actions.

- ``GET clauses/?standard=`` and ``GET clauses/{ref_id}/``: read through
  :func:`compliance.coverage.clause_rows` (a fixed number of queries for a
  whole standard);
- ``GET``/``POST nonconformities/``, ``GET nonconformities/{number}/``;
- ``POST nonconformities/{number}/{action}/`` and
  ``POST nonconformities/{number}/extensions/{id}/decide/``: each step of the
  action through :mod:`compliance.nonconformities`.

Views stay thin: they validate the request, call the services (which check
permission and the transition table) and map what those raise to HTTP answers,
always with ``{"detail": "..."}`` in the active language:
``ValidationError`` → 400 (invalid fields also under their names),
``PermissionDenied`` → 403, ``InvalidTransition`` → 409, an unknown clause,
nonconformity or action → 404. A customer representative is refused (403), an
anonymous caller asked to sign in (401). A nonconformity is never edited or
deleted: ``PUT``, ``PATCH`` and ``DELETE`` answer 405.
"""

from .views import (
    ClauseDetailView,
    ClauseListView,
    ExtensionDecideView,
    NonconformityActionView,
    NonconformityDetailView,
    NonconformityListCreateView,
)

__all__ = [
    "ClauseListView",
    "ClauseDetailView",
    "NonconformityListCreateView",
    "NonconformityDetailView",
    "NonconformityActionView",
    "ExtensionDecideView",
]
