"""The reviews API under ``/api/v1/``: management reviews from the plan to the
approved report, the departments' inputs, the compiled input pack, the
outputs tracked to closure, the schedule, and the objectives with their
measured values.

- ``GET``/``POST reviews/`` (filters status, year, kind), ``GET reviews/schedule/``,
  ``GET``/``PATCH reviews/{id}/`` ({id} a number such as MR-2026-01, or the
  numeric id; PATCH changes the draft plan), ``POST reviews/{id}/{action}/``
  (submit, sign, return, revise, cancel, notify; sign dispatches to the
  plan's or the report's chain by the status);
- ``GET reviews/{id}/inputs/`` (the latest compiled pack as JSON, or
  ``?version=N``; 404 saying so before any is compiled; ``?preview=1``
  compiles one now without saving, for those who prepare the review),
  ``POST reviews/{id}/pack/`` (compile) and ``POST reviews/{id}/pack/confirm/``;
- ``GET``/``POST reviews/{id}/department-inputs/``, ``POST
  …/department-inputs/{input_id}/{sign|return}/`` and ``…/files/`` (multipart);
- ``POST reviews/{id}/meeting/``, ``GET``/``POST reviews/{id}/outputs/``,
  ``GET …/outputs/{seq}/``, ``POST …/outputs/{seq}/{complete|verify|cancel}/``,
  ``POST reviews/{id}/report/submit/``;
- ``GET reviews/{id}/report.docx`` and ``minutes.docx``: the files frozen on
  approval (409 when missing from the store or altered), before it a draft
  made now (``…-draft.docx``, header ``X-Review-Document-Status: draft``);
- ``GET``/``POST objectives/``, ``GET``/``PATCH objectives/{code}/``,
  ``GET``/``POST objectives/{code}/measurements/``, ``POST objectives/import/``
  (multipart .xlsx, all rows or none: every bad row under ``errors``).

The package's modules: :mod:`.inputs` (request bodies), :mod:`.serializers`
(answers), :mod:`.views` (reviews, their actions, the .docx, the schedule),
:mod:`.steps` (inputs, pack, meeting, outputs, report), :mod:`.objectives`.

Views stay thin: they validate the request, call one service of
:mod:`reviews.services` (which checks permission and the transition table)
and map what it raises to HTTP answers, always with ``{"detail": "..."}`` in
the active language: ``ValidationError`` → 400 (invalid fields also under
their names), ``PermissionDenied`` → 403, ``InvalidTransition`` → 409 (a
step already taken, e.g. a plan submitted twice), an unknown review, input,
output, objective or action → 404. A customer representative is refused
(403), an anonymous caller asked to sign in (401). Drafts of a department's
input are 404 to staff of other departments.
"""

from .objectives import (
    MeasurementImportView,
    MeasurementListView,
    ObjectiveDetailView,
    ObjectiveListCreateView,
)
from .steps import (
    DepartmentInputActionView,
    DepartmentInputFilesView,
    DepartmentInputListView,
    MeetingView,
    OutputActionView,
    OutputDetailView,
    OutputListView,
    PackCompileView,
    PackConfirmView,
    PackView,
    ReportSubmitView,
)
from .views import (
    MinutesDocxView,
    ReportDocxView,
    ReviewActionView,
    ReviewDetailView,
    ReviewListCreateView,
    ScheduleView,
)

__all__ = [
    "ReviewListCreateView",
    "ReviewDetailView",
    "ReviewActionView",
    "ReportDocxView",
    "MinutesDocxView",
    "ScheduleView",
    "PackView",
    "PackCompileView",
    "PackConfirmView",
    "MeetingView",
    "ReportSubmitView",
    "OutputListView",
    "OutputDetailView",
    "OutputActionView",
    "DepartmentInputListView",
    "DepartmentInputActionView",
    "DepartmentInputFilesView",
    "ObjectiveListCreateView",
    "ObjectiveDetailView",
    "MeasurementListView",
    "MeasurementImportView",
]
