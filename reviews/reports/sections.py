"""The input pack's sections in a document (the report and the input
material): per section its summary numbers, the key rows, a chart where one
helps, the departments' signed inputs and the discussion.

The pack is a JSON snapshot whose shape may change between versions: every
key is read with ``.get`` and a pack of an older schema never breaks a
document."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import charts
from ..compilation.labels import SUMMARY_LABELS, count_items
from ..lifecycle import InputSection
from .common import (
    DASH,
    Docx,
    moment_text,
    number_text,
    picture,
    section_label,
)

__all__ = ["pack_sections", "section_title", "write_section"]


def pack_sections(data: Any) -> list[dict]:
    """The pack's sections that can be written (dicts with a code)."""
    if not isinstance(data, Mapping):
        return []
    sections = data.get("sections")
    if not isinstance(sections, list):
        return []
    return [s for s in sections if isinstance(s, Mapping)]


def _dict(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    return (
        [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


# --- Summary --------------------------------------------------------------------------


def _summary_labels() -> dict[str, str]:
    return {key: str(label) for key, label in SUMMARY_LABELS.items()}


# Written as tables of their own, not in the summary.
_NOT_IN_SUMMARY = {"coverage", "by_form"}


def _counts_text(key: str, counts: Mapping) -> str:
    return (
        "、".join(f"{name}: {_text(v)}" for name, v in count_items(key, counts)) or DASH
    )


def _summary(doc: Docx, summary: Mapping) -> None:
    labels = _summary_labels()
    rows = []
    for key, value in summary.items():
        if key in _NOT_IN_SUMMARY or isinstance(value, list):
            continue
        # Nonconformities give their statuses both as codes and as labels.
        if key == "by_status" and "by_status_label" in summary:
            continue
        if isinstance(value, Mapping):
            rows.append((labels.get(key, key), _counts_text(key, value)))
        else:
            rows.append((labels.get(key, key), _text(value) or DASH))
    if rows:
        doc.fields(rows)


# --- Rows per section -----------------------------------------------------------------


def _table(
    doc: Docx,
    headings: Sequence[str],
    rows: Iterable[Sequence],
    *,
    widths: Sequence[float],
    empty: str,
) -> None:
    rows = list(rows)
    if rows:
        doc.table(headings, rows, widths=widths, size=8)
    else:
        doc.paragraph(empty)


def _overdue(text: str, row: Mapping) -> str:
    if row.get("overdue"):
        return _("%(status)s (overdue)") % {"status": text}
    return text


def _previous_actions(doc: Docx, section: Mapping, chart: bool) -> None:
    rows = _list(section.get("rows"))
    _table(
        doc,
        [
            pgettext("review output", "Reference"),
            pgettext("review output", "Decision"),
            _("Kind"),
            _("Owner"),
            _("Due date"),
            _("Status"),
        ],
        (
            [
                _text(r.get("reference")),
                _text(r.get("description")),
                _text(r.get("kind_label") or r.get("kind")),
                _text(r.get("owner")),
                moment_text(r.get("due_date")) or DASH,
                _overdue(_text(r.get("status_label") or r.get("status")), r),
            ]
            for r in rows
        ),
        widths=(1.8, 4.2, 1.4, 1.2, 1.3, 2),
        empty=_("No actions from previous reviews."),
    )
    if chart and rows:
        picture(
            doc,
            charts.open_actions_png(rows),
            _("Actions from previous reviews by status"),
        )


def _met_text(value: Any) -> str:
    if value is True:
        return _("Met")
    if value is False:
        return _("Not met")
    return _("Not measured")


def _objectives(doc: Docx, section: Mapping, chart: bool) -> None:
    rows = _list(section.get("rows"))
    _table(
        doc,
        [
            _("Objective"),
            _("Target"),
            pgettext("objective", "Values"),
            _("Latest period"),
            _("Latest value"),
            _("Result"),
        ],
        (
            [
                _text(r.get("name") or r.get("code")),
                _text(r.get("target_label")) or DASH,
                str(len(_list(r.get("measurements")))),
                _text(r.get("latest_period")) or DASH,
                number_text(r.get("latest"), _text(r.get("unit"))),
                _met_text(r.get("met")),
            ]
            for r in rows
        ),
        widths=(3, 1.5, 1, 1.5, 1.5, 1.5),
        empty=_("No objectives."),
    )
    if chart and any(_list(r.get("measurements")) for r in rows):
        title = _dict(section).get("title") or section_label(section.get("code", ""))
        picture(doc, charts.objective_trends_png(rows, title=""), _text(title))


def _audits(doc: Docx, section: Mapping, chart: bool) -> None:
    rows = _list(section.get("rows"))
    _table(
        doc,
        [
            _("Audit number"),
            _("Title"),
            _("Status"),
            _("Dates"),
            _("Findings"),
            _("Open findings"),
        ],
        (
            [
                _text(r.get("number")),
                _text(r.get("title")),
                _text(r.get("status_label") or r.get("status")),
                f"{moment_text(r.get('start'))}\n{moment_text(r.get('end'))}".strip()
                or DASH,
                _text(r.get("findings")),
                _text(r.get("open_findings")),
            ]
            for r in rows
        ),
        widths=(1.8, 3.5, 1.4, 1.6, 1, 1),
        empty=_("No audits in the period."),
    )
    findings = _list(section.get("open_findings"))
    if findings:
        doc.paragraph(_("Open findings"), bold=True)
        doc.table(
            [
                _("Number"),
                _("Title"),
                _("Grade"),
                _("Status"),
                _("Department"),
                _("Clause"),
            ],
            [
                [
                    _text(f.get("number")),
                    _text(f.get("title")),
                    _text(f.get("grade")),
                    _text(f.get("status_label")),
                    _text(f.get("department")),
                    _text(f.get("clause")),
                ]
                for f in findings
            ],
            widths=(2, 3.5, 1, 1.4, 1.2, 1.4),
            size=8,
        )
    coverage = _list(_dict(section.get("summary")).get("coverage"))
    if coverage:
        doc.paragraph(_("Audit coverage"), bold=True)
        doc.table(
            [_("Year"), _("Clauses audited"), _("Departments audited")],
            [
                [
                    _text(c.get("year")),
                    f"{_text(c.get('clauses_covered'))} / "
                    f"{_text(c.get('clauses_total'))}",
                    f"{_text(c.get('departments_covered'))} / "
                    f"{_text(c.get('departments_total'))}",
                ]
                for c in coverage
            ],
            widths=(1, 2, 2),
            size=8,
        )
        if chart:
            picture(doc, charts.audit_coverage_png(coverage), _("Audit coverage"))


def _nonconformities(doc: Docx, section: Mapping, chart: bool) -> None:
    rows = _list(section.get("rows"))
    _table(
        doc,
        [
            _("Number"),
            _("Title"),
            _("Grade"),
            _("Status"),
            _("Department"),
            _("Clause"),
            _("Owner"),
            _("Due date"),
            _("Age (days)"),
        ],
        (
            [
                _text(r.get("number")),
                _text(r.get("title")),
                _text(r.get("grade")),
                _overdue(_text(r.get("status_label") or r.get("status")), r),
                _text(r.get("department")),
                _text(r.get("clause")),
                _text(r.get("owner")),
                moment_text(r.get("due_date")) or DASH,
                _text(r.get("age_days")),
            ]
            for r in rows
        ),
        widths=(1.8, 3, 0.9, 1.4, 1.1, 0.8, 1, 1.3, 0.8),
        empty=_("No open nonconformities."),
    )
    summary = _dict(section.get("summary"))
    if chart and (rows or any(_dict(summary.get("by_clause")).values())):
        picture(
            doc,
            charts.nonconformities_png(section),
            _("Open nonconformities by clause and status"),
        )


def _documents(doc: Docx, section: Mapping, chart: bool) -> None:
    for key, title, empty in (
        ("rows_issued", _("Issued in the period"), _("None issued.")),
        ("rows_reviews_overdue", _("Reviews overdue"), _("No review is overdue.")),
        ("rows_recalls_overdue", _("Recalls overdue"), _("No recall is overdue.")),
    ):
        rows = _list(section.get(key))
        doc.paragraph(title, bold=True)
        _table(
            doc,
            [_("Number"), _("Title"), _("Revision"), _("Date")],
            (
                [
                    _text(r.get("number")),
                    _text(r.get("title")),
                    _text(r.get("revision")),
                    moment_text(r.get("date")) or DASH,
                ]
                for r in rows
            ),
            widths=(1.5, 4, 1, 1.5),
            empty=empty,
        )


def _records(doc: Docx, section: Mapping, chart: bool) -> None:
    by_form = _dict(_dict(section.get("summary")).get("by_form"))
    if by_form:
        doc.table(
            [_("Form"), _("Records past retention")],
            [[_text(k), _text(v)] for k, v in by_form.items()],
            widths=(4, 1.5),
            size=8,
        )


_WRITERS: dict[str, Callable[[Docx, Mapping, bool], None]] = {
    InputSection.PREVIOUS_ACTIONS: _previous_actions,
    InputSection.OBJECTIVES: _objectives,
    InputSection.PERFORMANCE: _objectives,
    InputSection.AUDITS: _audits,
    InputSection.NONCONFORMITIES: _nonconformities,
    InputSection.DOCUMENTS: _documents,
    InputSection.RECORDS: _records,
}


# --- Inputs ---------------------------------------------------------------------------


def _sources() -> dict[str, str]:
    return {
        "compliance": _("Nonconformities and corrective actions"),
        "audits": _("Internal audits"),
        "documents": _("Document library"),
        "records": _("Records register"),
        "reviews": _("Management reviews"),
        "departments": _("Department inputs"),
    }


def _inputs(doc: Docx, section: Mapping) -> None:
    inputs = _list(section.get("inputs"))
    for item in inputs:
        signed = _text(item.get("signed_by"))
        if signed and item.get("signed_at"):
            signed = f"{signed} {moment_text(item.get('signed_at'))}"
        attachments = "\n".join(
            _text(a.get("name")) for a in _list(item.get("attachments"))
        )
        doc.fields(
            [
                (_("Department"), _text(item.get("department")) or DASH),
                (_("Content"), _text(item.get("content")) or DASH),
                (_("Prepared by"), _text(item.get("prepared_by")) or DASH),
                (_("Signed off by"), signed or DASH),
                *([(_("Attachments"), attachments)] if attachments else []),
            ]
        )
    missing = section.get("missing")
    missing = [str(m) for m in missing if m] if isinstance(missing, list) else []
    if missing:
        doc.paragraph(
            _("No signed input from: %(departments)s")
            % {"departments": "、".join(missing)}
        )
    if not inputs and not missing and not section.get("compiled", True):
        doc.paragraph(_("No department input."))


def write_section(
    doc: Docx,
    section: Mapping,
    *,
    heading: str,
    discussion: str | None = None,
    decisions: Sequence[str] = (),
    chart: bool = True,
) -> None:
    """One section of the pack under ``heading`` (level 2)."""
    doc.heading(heading, level=2)
    code = _text(section.get("code"))
    source = _text(section.get("source"))
    if source:
        doc.paragraph(
            _("Source: %(source)s") % {"source": _sources().get(source, source)}
        )
    _summary(doc, _dict(section.get("summary")))
    writer = _WRITERS.get(code)
    if writer is not None:
        writer(doc, section, chart)
    if _list(section.get("inputs")) or section.get("missing"):
        doc.paragraph(_("Department inputs"), bold=True)
    _inputs(doc, section)
    if discussion is not None:
        doc.paragraph(_("Discussion"), bold=True)
        doc.text_block(discussion)
    if decisions:
        doc.paragraph(_("Decisions"), bold=True)
        doc.bullets(list(decisions))


def section_title(section: Mapping) -> str:
    code = _text(section.get("code"))
    return _text(section.get("title")) or section_label(code) or code or DASH
