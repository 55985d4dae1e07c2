"""The departments' inputs to a review and the input pack compiled from the
system (management review procedure: each department's material, signed by
its head, goes to 行政部; 行政部 consolidates, 管理者代表 confirms).

Each step calls one service in :mod:`reviews.services` and redirects back
with a message: a refusal (not allowed now, bad input) is a message and
changes nothing; a step the user may not take is a 403. A file of another
review, an unknown input or pack version is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from documents.models import Department
from documents.permissions import RESTRICTED_DOCUMENT, restricted_numbers
from records.views.common import attachment_response

from .. import permissions, services
from ..compilation import by_form_number, pack_document_numbers
from ..compilation.labels import SUMMARY_LABELS, count_items
from ..input_forms import (
    ATTACHMENT_ACCEPT,
    InputForm,
    ReturnForm,
    attachment_uploads,
    form_errors,
)
from ..lifecycle import (
    COMPILED_SECTIONS,
    InputSection,
    InputStatus,
    InvalidTransition,
    ReviewStatus,
)
from ..models import DepartmentInput, InputAttachment, Review, ReviewPack
from .common import error_text, reviews_staff, visible_review

OPEN_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED)


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def inputs_url(review: Review, anchor: str = "") -> str:
    url = reverse("reviews:inputs", kwargs={"number": review.number})
    return f"{url}#{anchor}" if anchor else url


def pack_url(review: Review, version: int | None = None) -> str:
    url = reverse("reviews:pack", kwargs={"number": review.number})
    return f"{url}?version={version}" if version else url


def file_url(review: Review, attachment: InputAttachment) -> str:
    return reverse(
        "reviews:input_file", kwargs={"number": review.number, "file_id": attachment.pk}
    )


def closed_text(review: Review) -> str:
    """Why the inputs no longer change, or "" while they are open."""
    if review.status in OPEN_STATUSES:
        return ""
    if review.status == ReviewStatus.CANCELLED:
        return _("This review was cancelled: its inputs are closed.")
    return _(
        "The meeting has been held: the inputs are closed and stay as they were "
        "signed off."
    )


# --- The inputs page ----------------------------------------------------------------


def _row(
    user,
    review: Review,
    department: Department,
    section: str,
    due,
    item,
    today,
    visible=None,
) -> dict[str, Any]:
    can_edit = permissions.can_edit_input(user, review, department)
    shown = item is None or visible is None or visible(item)
    status = item.status if item else ""
    signed = status == InputStatus.SIGNED
    row = {
        "department": department,
        "section": section,
        "due_date": due,
        "overdue": bool(due and due < today and not signed),
        "input": item,
        # Another department's draft shows its status, not its content.
        "visible": shown,
        "anchor": f"input-{section}-{department.pk}",
        "files": [
            {"file": f, "url": file_url(review, f), "size": filesizeformat(f.size)}
            for f in (item.files.all() if item and shown else [])
        ],
        "can_write": can_edit and item is None,
        "can_save": can_edit and item is not None and not signed,
        "can_attach": can_edit and item is not None and not signed,
        "can_sign": item is not None
        and status in (InputStatus.DRAFT, InputStatus.RETURNED)
        and permissions.can_sign_input(user, review, department),
        "can_return": signed and permissions.can_return_input(user, review),
    }
    if row["can_save"]:
        row["form"] = InputForm(
            fixed=True,
            initial={"content": item.content},
            auto_id=f"id_{row['anchor']}_%s",
        )
    row["has_actions"] = any(
        row[k]
        for k in ("can_write", "can_save", "can_attach", "can_sign", "can_return")
    )
    return row


def inputs_context(request, review: Review) -> dict[str, Any]:
    user = request.user
    today = services.company_today()
    visible = permissions.InputVisibility(user)
    assignments = list(review.assignments.select_related("department"))
    items = list(
        review.inputs.select_related(
            "department", "prepared_by", "signed_by", "returned_by"
        ).prefetch_related(
            Prefetch("files", queryset=InputAttachment.objects.order_by("id"))
        )
    )
    by_key = {(i.section, i.department_id): i for i in items}
    sections = []
    for code, label in InputSection.choices:
        rows = []
        seen = set()
        assigned = sorted(
            (a for a in assignments if a.section == code),
            key=lambda a: (a.department.sort_order, a.department.name),
        )
        for a in assigned:
            seen.add(a.department_id)
            item = by_key.get((code, a.department_id))
            rows.append(
                _row(user, review, a.department, code, a.due_date, item, today, visible)
            )
        extra = sorted(
            (i for i in items if i.section == code and i.department_id not in seen),
            key=lambda i: (i.department.sort_order, i.department.name),
        )
        for item in extra:
            row = _row(user, review, item.department, code, None, item, today, visible)
            row["unassigned"] = True
            rows.append(row)
        if not rows:
            continue
        sections.append(
            {
                "code": code,
                "label": label,
                "compiled": code in COMPILED_SECTIONS,
                "rows": rows,
                "signed": sum(
                    1
                    for r in rows
                    if r["input"] and r["input"].status == InputStatus.SIGNED
                ),
            }
        )
    closed = closed_text(review)
    new_form = None
    if not closed:
        allowed = [
            d
            for d in Department.objects.filter(is_active=True)
            if permissions.can_edit_input(user, review, d)
        ]
        if allowed:
            new_form = InputForm(
                departments=Department.objects.filter(pk__in=[d.pk for d in allowed]),
                auto_id="id_new_%s",
            )
    return {
        "review": review,
        "sections": sections,
        "closed": closed,
        "new_form": new_form,
        "return_form": ReturnForm(),
        "accept": ATTACHMENT_ACCEPT,
        "max_upload": filesizeformat(
            settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
        ),
        "total": len(items),
        "signed": sum(1 for i in items if i.status == InputStatus.SIGNED),
        "can_prepare": permissions.can_prepare(user),
        "pack_url": pack_url(review),
    }


@require_http_methods(["GET", "HEAD"])
@reviews_staff
def input_list(request, number):
    review = visible_review(number)
    return render(request, "reviews/inputs.html", inputs_context(request, review))


# --- The steps ----------------------------------------------------------------------

INPUT_ACTIONS = ("save", "sign", "return", "attach")


def _input_of(review: Review, input_id: int) -> DepartmentInput:
    item = (
        DepartmentInput.objects.select_related("department", "review")
        .filter(pk=input_id, review=review)
        .first()
    )
    if item is None:
        raise Http404(_("No such review input."))
    return item


def _anchor(item: DepartmentInput) -> str:
    return f"input-{item.section}-{item.department_id}"


@require_POST
@reviews_staff
def input_action(request, number, input_id, action):
    """save (input_id 0: a new input), sign, return, attach."""
    if action not in INPUT_ACTIONS:
        raise Http404(_("No such step."))
    review = visible_review(number)
    user = request.user
    item = _input_of(review, input_id) if input_id else None
    if item is None and action != "save":
        raise Http404(_("No such review input."))
    anchor = _anchor(item) if item else "new-input"
    try:
        if action == "save":
            form = InputForm(request.POST, fixed=item is not None)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return redirect(inputs_url(review, anchor))
            data = form.cleaned_data
            saved = services.input_save(
                user=user,
                review=review,
                department=item.department if item else data["department"],
                section=item.section if item else data["section"],
                content=data["content"],
            )
            anchor = _anchor(saved)
            text = _("The input of %(department)s is saved as a draft.") % {
                "department": saved.department.name
            }
        elif action == "sign":
            services.input_sign(user=user, input=item)
            text = _("The input of %(department)s is signed off.") % {
                "department": item.department.name
            }
        elif action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return redirect(inputs_url(review, anchor))
            services.input_return(
                user=user, input=item, comment=form.cleaned_data["comment"]
            )
            text = _("The input of %(department)s is returned for rework.") % {
                "department": item.department.name
            }
        else:
            stored = services.input_attach(
                user=user, input=item, uploads=attachment_uploads(request)
            )
            text = _("Attached: %(names)s.") % {
                "names": ", ".join(a.name for a in stored)
            }
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
        return redirect(inputs_url(review, anchor))
    # PermissionDenied propagates: a 403.
    messages.success(request, text)
    return redirect(inputs_url(review, anchor))


@require_http_methods(["GET", "HEAD"])
@reviews_staff
def input_file(request, number, file_id):
    """A file attached to an input of this review: an attachment, never
    rendered inline."""
    review = visible_review(number)
    attachment = (
        InputAttachment.objects.select_related("input__department")
        .filter(pk=file_id, input__review=review)
        .first()
    )
    if attachment is None or not permissions.InputVisibility(request.user)(
        attachment.input
    ):
        raise Http404(_("No such file."))
    return attachment_response(
        attachment.file,
        filename=attachment.name,
        content_type=attachment.content_type,
        missing=_("No such file."),
    )


# --- The pack -----------------------------------------------------------------------

# by_status holds codes: its labelled twin is shown instead when present.
SHADOWED = {"by_status": "by_status_label"}
SOURCE_LABELS = {
    "compliance": gettext_lazy("Compliance"),
    "audits": gettext_lazy("Internal audits"),
    "documents": gettext_lazy("Documents"),
    "records": gettext_lazy("Records"),
    "reviews": gettext_lazy("Management reviews"),
    "departments": gettext_lazy("The departments' inputs"),
}


def safe_url(value) -> str:
    """A link taken from the pack: a path on this site only."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value
    return ""


def _scalar(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (list, tuple)):
        return "、".join(_scalar(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) or "—"
    return str(value)


def _facts(summary, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The summary's numbers as (label, value); a dict as a list of its
    entries; the coverage list is shown as a table elsewhere. A form among
    ``by_form`` whose number is in ``hidden`` is not named."""
    if not isinstance(summary, dict):
        return []
    facts = []
    for key, value in summary.items():
        if key == "coverage":
            continue
        if key in SHADOWED and summary.get(SHADOWED[key]):
            continue
        label = SUMMARY_LABELS.get(key, key)
        if isinstance(value, dict):
            facts.append(
                {
                    "key": key,
                    "label": label,
                    "items": [
                        {
                            "label": RESTRICTED_DOCUMENT
                            if key == "by_form" and by_form_number(name) in hidden
                            else name,
                            "value": _scalar(v),
                        }
                        for name, v in count_items(key, value)
                    ],
                }
            )
        else:
            facts.append({"key": key, "label": label, "value": _scalar(value)})
    return facts


class Col:
    """A column of a pack table: the row key, its heading, how it shows."""

    def __init__(self, key: str, heading, *, link: str = "", kind: str = ""):
        self.key, self.heading, self.link, self.kind = key, heading, link, kind


def _table(
    title,
    columns: list[Col],
    rows,
    *,
    flag: str = "overdue",
    testid: str = "",
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """A pack table. A row whose document ``number`` is in ``hidden`` (a
    restricted document the reader may not open) shows the placeholder: no
    number, title or link; the snapshot itself is left as it was."""
    if not isinstance(rows, list) or not rows:
        return None
    body = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        restricted = bool(hidden) and row.get("number") in hidden
        cells = []
        for col in columns:
            value = row.get(col.key)
            if restricted and col.key in ("number", "title"):
                cells.append(
                    {
                        "value": "—",
                        "url": "",
                        "kind": "restricted" if col.key == "number" else "",
                        "heading": col.heading,
                    }
                )
                continue
            cell = {
                "value": _scalar(value),
                "url": "",
                "kind": col.kind,
                "heading": col.heading,
            }
            if col.link:
                cell["url"] = safe_url(row.get(col.link))
            if col.kind == "met":
                cell["met"] = value
                cell["value"] = {True: "✓", False: "✗"}.get(value, "—")
            if col.kind == "measurements":
                cell["value"] = _measurements(value)
            cells.append(cell)
        body.append({"cells": cells, "flagged": bool(row.get(flag))})
    return {
        "title": title,
        "headings": [c.heading for c in columns],
        "rows": body,
        "testid": testid,
    }


def _measurements(values) -> str:
    if not isinstance(values, list):
        return "—"
    parts = []
    for m in values:
        if isinstance(m, dict):
            mark = {True: "✓", False: "✗"}.get(m.get("met"), "")
            parts.append(f"{m.get('period', '')} {_scalar(m.get('value'))}{mark}")
    return "; ".join(parts) or "—"


def _doc_columns() -> list[Col]:
    return [
        Col("number", _("Number"), link="url"),
        Col("title", _("Title")),
        Col("revision", _("Revision")),
        Col("date", _("Date")),
    ]


def _section_tables(
    code: str, section: dict, hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    rows = section.get("rows")
    summary = section.get("summary") if isinstance(section.get("summary"), dict) else {}
    tables: list[dict[str, Any] | None] = []
    if code == "previous_actions":
        tables.append(
            _table(
                _("Actions"),
                [
                    Col(
                        "reference", pgettext("review output", "Reference"), link="url"
                    ),
                    Col("kind_label", _("Kind")),
                    Col("description", pgettext("review output", "Decision")),
                    Col("owner", _("Owner")),
                    Col("department", _("Department")),
                    Col("due_date", _("Due date")),
                    Col("status_label", _("Status")),
                ],
                rows,
                testid="pack-actions",
            )
        )
    elif code in ("objectives", "performance"):
        tables.append(
            _table(
                _("Objectives and indicators"),
                [
                    Col("name", _("Name")),
                    Col("target_label", _("Target")),
                    Col("frequency_label", _("Measured")),
                    Col("latest_period", _("Latest period")),
                    Col("latest", _("Latest value")),
                    Col("met", _("Met"), kind="met"),
                    Col("measurements", _("Values in the period"), kind="measurements"),
                ],
                rows,
                flag="_none",
                testid="pack-objectives",
            )
        )
    elif code == "audits":
        tables.append(
            _table(
                _("Audits"),
                [
                    Col("number", _("Number"), link="url"),
                    Col("title", _("Title")),
                    Col("status_label", _("Status")),
                    Col("start", _("From")),
                    Col("end", _("To")),
                    Col("findings", _("Findings")),
                    Col("open_findings", _("Open findings")),
                ],
                rows,
                flag="_none",
                testid="pack-audits",
            )
        )
        tables.append(
            _table(
                _("Open findings"),
                [
                    Col("number", _("Number"), link="url"),
                    Col("title", _("Summary")),
                    Col("grade", _("Grade")),
                    Col("status_label", _("Status")),
                    Col("department", _("Department")),
                    Col("clause", _("Clause")),
                ],
                section.get("open_findings"),
                flag="_none",
                testid="pack-open-findings",
            )
        )
        tables.append(
            _table(
                _("Audit coverage"),
                [
                    Col("year", _("Year")),
                    Col("clauses_covered", _("Clauses covered")),
                    Col("clauses_total", _("Clauses in scope")),
                    Col("departments_covered", _("Departments covered")),
                    Col("departments_total", _("Departments")),
                ],
                summary.get("coverage"),
                flag="_none",
                testid="pack-coverage",
            )
        )
    elif code == "nonconformities":
        tables.append(
            _table(
                _("Open nonconformities"),
                [
                    Col("number", _("Number"), link="url"),
                    Col("title", _("Summary")),
                    Col("grade", _("Grade")),
                    Col("status_label", _("Status")),
                    Col("department", _("Department")),
                    Col("clause", _("Clause")),
                    Col("owner", _("Owner")),
                    Col("due_date", _("Due date")),
                    Col("age_days", _("Age (days)")),
                ],
                rows,
                testid="pack-nonconformities",
            )
        )
    elif code == "documents":
        for key, title in (  # compilation._documents.DOCUMENT_TABLES
            ("rows_issued", _("Issued in the period")),
            ("rows_reviews_overdue", _("Reviews overdue")),
            ("rows_recalls_overdue", _("Recalls overdue")),
        ):
            tables.append(
                _table(
                    title,
                    _doc_columns(),
                    section.get(key),
                    flag="_none",
                    testid=f"pack-{key}",
                    hidden=hidden,
                )
            )
    elif isinstance(rows, list) and rows:
        # A section this page does not know yet: its rows as they are.
        keys = (
            [k for k in rows[0] if k not in ("url",)]
            if isinstance(rows[0], dict)
            else []
        )
        tables.append(
            _table(
                "",
                [Col(k, k, link="url" if i == 0 else "") for i, k in enumerate(keys)],
                rows,
            )
        )
    return [t for t in tables if t]


def _pack_inputs(review: Review, inputs) -> list[dict[str, Any]]:
    result = []
    if not isinstance(inputs, list):
        return result
    for item in inputs:
        if not isinstance(item, dict):
            continue
        files = []
        for f in item.get("attachments") or []:
            if not isinstance(f, dict) or not isinstance(f.get("id"), int):
                continue
            files.append(
                {
                    "name": f.get("name") or "",
                    "size": filesizeformat(f.get("size") or 0),
                    "url": reverse(
                        "reviews:input_file",
                        kwargs={"number": review.number, "file_id": f["id"]},
                    ),
                }
            )
        result.append(
            {
                "department": item.get("department") or "",
                "content": item.get("content") or "",
                "prepared_by": item.get("prepared_by") or "",
                "signed_by": item.get("signed_by") or "",
                "signed_at": (item.get("signed_at") or "")[:16].replace("T", " ")
                if isinstance(item.get("signed_at"), str)
                else "",
                "files": files,
            }
        )
    return result


def pack_sections(
    review: Review, data, hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The pack's sections ready for the page; an older or partial pack
    shows what it has. The documents whose numbers are in ``hidden`` are
    shown as restricted (see :func:`pack_document_numbers`)."""
    sections = data.get("sections") if isinstance(data, dict) else None
    if not isinstance(sections, list):
        return []
    labels = dict(InputSection.choices)
    result = []
    for section in sections:
        if not isinstance(section, dict):
            continue
        code = str(section.get("code") or "")
        missing = section.get("missing")
        result.append(
            {
                "code": code,
                "title": section.get("title") or labels.get(code, code),
                "source": section.get("source") or "",
                "source_label": SOURCE_LABELS.get(
                    section.get("source") or "", section.get("source") or ""
                ),
                "source_url": safe_url(section.get("source_url")),
                "compiled": bool(section.get("compiled")),
                "facts": _facts(section.get("summary"), hidden),
                "tables": _section_tables(code, section, hidden),
                "inputs": _pack_inputs(review, section.get("inputs")),
                "missing": [str(m) for m in missing]
                if isinstance(missing, list)
                else [],
            }
        )
    return result


@require_http_methods(["GET", "HEAD"])
@reviews_staff
def pack_detail(request, number):
    review = visible_review(number)
    user = request.user
    packs = list(
        review.packs.select_related("compiled_by", "confirmed_by").order_by("-version")
    )
    latest = packs[0] if packs else None
    pack: ReviewPack | None = latest
    wanted = request.GET.get("version")
    if wanted:
        try:
            version = int(wanted)
        except ValueError:
            raise Http404(_("No such version of the pack.")) from None
        pack = next((p for p in packs if p.version == version), None)
        if pack is None:
            raise Http404(_("No such version of the pack."))
    data = pack.data if pack is not None else {}
    period = data.get("period") if isinstance(data, dict) else None
    can_compile = permissions.can_compile(user, review)
    can_confirm = (
        pack is not None
        and pack is latest
        and pack.confirmed_at is None
        and review.status == ReviewStatus.APPROVED
        and permissions.can_confirm_pack(user)
    )
    return render(
        request,
        "reviews/pack.html",
        {
            "review": review,
            "pack": pack,
            "latest": latest,
            "is_latest": pack is not None and pack is latest,
            "versions": [
                {
                    "pack": p,
                    "url": pack_url(review, p.version),
                    "current": pack is not None and p.pk == pack.pk,
                    "compiled_by": _name(p.compiled_by),
                    "confirmed_by": _name(p.confirmed_by),
                }
                for p in packs
            ],
            # The snapshot is a record and stays as it is: a restricted
            # document the reader may not open is not named on the page.
            "sections": pack_sections(
                review, data, restricted_numbers(user, pack_document_numbers(data))
            ),
            "period": period if isinstance(period, dict) else {},
            "compiled_on": data.get("compiled_on") if isinstance(data, dict) else "",
            "can_compile": can_compile,
            "can_confirm": can_confirm,
            "not_yet": review.status in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW),
            "inputs_url": inputs_url(review),
        },
    )


PACK_ACTIONS = ("compile", "confirm")


@require_POST
@reviews_staff
def pack_action(request, number, action):
    """compile (a new version) or confirm (the latest, by 管理者代表)."""
    if action not in PACK_ACTIONS:
        raise Http404(_("No such step."))
    review = visible_review(number)
    user = request.user
    try:
        if action == "compile":
            pack = services.pack_compile(user=user, review=review)
            messages.success(
                request,
                _("Version %(version)s of the pack is compiled.")
                % {"version": pack.version},
            )
        else:
            pack = _pack_to_confirm(review, request.POST.get("version"))
            pack = services.pack_confirm(user=user, pack=pack)
            messages.success(
                request,
                _("Version %(version)s of the pack is confirmed.")
                % {"version": pack.version},
            )
            for warning in getattr(pack, "filing_warnings", None) or []:
                messages.warning(request, str(warning))
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
    # PermissionDenied propagates: a 403.
    return redirect(pack_url(review))


def _pack_to_confirm(review: Review, version) -> ReviewPack:
    packs = review.packs.all()
    if version:
        try:
            pack = packs.filter(version=int(version)).first()
        except ValueError:
            pack = None
    else:
        pack = packs.order_by("-version").first()
    if pack is None:
        raise ValidationError(_("No pack has been compiled yet."))
    return pack


__all__ = [
    "input_action",
    "input_file",
    "input_list",
    "pack_action",
    "pack_detail",
    "pack_sections",
]
