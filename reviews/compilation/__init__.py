"""The review's input pack compiled from the system: one section per input
(:class:`~reviews.lifecycle.InputSection`, in that order), each with the app
its numbers come from and the page where a reader checks them, the
departments' signed inputs and the departments still owing theirs.

The pack is a snapshot: plain JSON (dates as ISO strings, decimals as
strings), labels in the company language. Every number is read through the
querysets and rules of the app that owns it, across the whole company (the
pack is not filtered by who compiles it).

Where a period boundary had to be decided:

- Previous actions: the outputs of every earlier review (meeting date before
  this one's, not cancelled) still open, and every output of the last review
  held before this one, closed or not. Open and overdue as
  :func:`reviews.tracking.output_state` says; ``by_status`` counts by the
  status without the nonconformity's number; a row's due date is the
  nonconformity's when compliance moved it (an extension).
- Objectives and indicators: a measurement counts when the last day of its
  period falls in the review period. A month, quarter or year straddling the
  start counts here (the previous review could not know its value); one
  straddling the end waits for the next review. Each value is reported once
  when review periods follow each other.
- Audits: an audit counts when its dates overlap the period: the day of its
  opening meeting (else its planned start) to the day of its closing meeting
  (else its planned end). An audit straddling a boundary is listed in both
  packs, each with its state then. Requested, rejected and cancelled audits
  are left out. ``findings`` counts the findings of these audits, except
  those cancelled as raised in error; ``open_findings`` in the summary and
  the list are every audit finding still open, whatever the audit's date (as
  the audits dashboard shows them). Coverage is given for each programme year
  the period touches.
- Nonconformities: the open ones are those open on the day of compilation
  (``Nonconformity.objects.open()``), whenever raised; their age is counted
  from the company day they were raised (under 30 days, 30 to 90, over 90).
  ``raised_in_period`` counts those raised on a company day of the period, not
  cancelled (as the improvement report does); ``closed_in_period`` those
  closed in it. ``by_clause`` groups the open ones by the clause's second
  level (8.5.1 and 8.5.2 under 8.5; 8 stays 8); a clause of another standard
  than SHOUKONG_COMPLIANCE_DEFAULT_STANDARD is prefixed by its standard's code.
- Documents: issues whose publish date falls in the period, whatever their
  status now. Reviews and recalls overdue, open change requests and
  controlled documents: as on the day of compilation.
- Records: past retention and not disposed of on the day of compilation.

Keys beyond the schema the report, the API and the pages read (none
renamed, so readers may ignore them): every
attachment's ``url``; previous actions' rows ``nonconformity`` and
``last_review``; objectives' ``summary.no_target`` (measured, no target) and
rows' ``comparison_label``, ``frequency_label``, ``department``, ``url`` and
each measurement's ``end``; audits' rows ``kind``, open findings' ``status``
and ``audit``, coverage's ``audits`` and ``url``; nonconformities' rows
``kind_label``, ``source_label``, ``raised_on`` and the section's
``period_url`` (the improvement report of the period); documents' rows
``status`` (issued) and ``copy``, ``holder`` (recalls), the section's
``register_url``; records' ``summary.disposable``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from ..lifecycle import COMPILED_SECTIONS, InputSection
from ..models import Review
from ._actions import previous_actions
from ._audits import audits
from ._common import Period
from ._documents import by_form_number, documents, pack_document_numbers, records
from ._inputs import inputs_by_section
from ._measures import objectives, performance
from ._nonconformities import clause_group, nonconformities

__all__ = [
    "COMPILERS",
    "PACK_SCHEMA",
    "by_form_number",
    "clause_group",
    "compile_pack",
    "pack_document_numbers",
]

PACK_SCHEMA = 1

# The sections compiled from the system; each returns its source, source_url,
# summary, rows and any extra lists. The other sections are the departments'.
COMPILERS: dict[str, Callable[[Period], dict[str, Any]]] = {
    InputSection.PREVIOUS_ACTIONS: previous_actions,
    InputSection.OBJECTIVES: objectives,
    InputSection.PERFORMANCE: performance,
    InputSection.AUDITS: audits,
    InputSection.NONCONFORMITIES: nonconformities,
    InputSection.DOCUMENTS: documents,
    InputSection.RECORDS: records,
}


def compile_pack(review: Review, *, today: date) -> dict:
    """The pack's data for ``review``'s period as compiled on ``today``:
    JSON-serialisable, labels in the company language."""
    period = Period(
        review=review,
        today=today,
        start=review.period_start,
        end=review.period_end,
        zone=zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE),
    )
    with translation.override(settings.LANGUAGE_CODE):
        inputs, missing = inputs_by_section(period)
        entered_url = reverse("reviews:inputs", kwargs={"number": review.number})
        sections = []
        for section in InputSection:
            code = section.value
            compiler = COMPILERS.get(code)
            if compiler is not None:
                body = compiler(period)
            else:
                body = {
                    "source": "departments",
                    "source_url": entered_url,
                    "summary": {"inputs": len(inputs[code])},
                    "rows": [],
                }
            sections.append(
                {
                    "code": code,
                    "title": str(section.label),
                    "source": body.pop("source"),
                    "source_url": body.pop("source_url"),
                    "compiled": code in COMPILED_SECTIONS,
                    "summary": body.pop("summary"),
                    "rows": body.pop("rows"),
                    **body,
                    "inputs": inputs[code],
                    "missing": missing[code],
                }
            )
    return {
        "schema": PACK_SCHEMA,
        "review": review.number,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "compiled_on": today.isoformat(),
        "sections": sections,
    }
