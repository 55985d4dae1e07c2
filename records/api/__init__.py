"""The records API under ``/api/v1/records/``, for service-desk integration.

Fill a form (``POST``), list and read the records one may see, and correct a
field by strike-through (划改). Views stay thin: they validate the request,
call :mod:`records.services` (which checks permission, numbers the record and
writes it atomically) and map what the services raise to HTTP answers, always
with ``{"detail": "..."}`` in the active language:

- ``ValidationError`` → 400, invalid inputs also listed under their names
  (the values of the form under ``data``, a correction's under ``value``);
- ``PermissionDenied`` → 403; ``InvalidTransition`` → 409;
- a record that does not exist, or that the caller may not see → 404 with the
  same body, so its existence is not disclosed (:func:`records.services.
  record_lookup`).

A record is never edited or deleted here: ``PUT``, ``PATCH`` and ``DELETE``
answer 405 pointing to the corrections endpoint. Every read goes through
``Record.objects.visible_to(user)`` (the list, its count, related records).
"""

from .serializers import read_upload
from .views import (
    CorrectionListCreateView,
    RecordDetailView,
    RecordListCreateView,
    RetentionEventCreateView,
)

__all__ = [
    "read_upload",
    "RecordListCreateView",
    "RecordDetailView",
    "CorrectionListCreateView",
    "RetentionEventCreateView",
]
