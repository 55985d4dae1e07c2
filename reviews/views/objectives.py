"""The service management objectives and performance indicators with their
measured values (ISO/IEC 20000-1:2018 6.2, 9.1): the list with the latest
values against the targets and twelve periods of history, entering one value,
importing a sheet of them (all rows or none) and its template, defining an
objective, and one objective's values with who recorded and corrected them.

Every change calls one service in :mod:`reviews.services`; a refusal is a
message and changes nothing; defining objectives is for 行政部 and 管理者代表
(others get a 403).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import ModelLogEntry

from records.exports import XLSX_CONTENT_TYPE

from .. import permissions, services
from ..lifecycle import Comparison, Frequency
from ..models import Measurement, Objective
from ..objective_forms import ImportForm, MeasurementForm, ObjectiveForm
from .common import error_text, reviews_staff

HISTORY_PERIODS = 12
# How a period is written in the import sheet, by frequency.
PERIOD_EXAMPLES = {
    Frequency.MONTHLY: "2026-03",
    Frequency.QUARTERLY: "2026Q1",
    Frequency.YEARLY: "2026",
}


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def number_text(value) -> str:
    """95.000 → 95, 92.500 → 92.5."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def objective_url(objective: Objective) -> str:
    return reverse("reviews:objective", kwargs={"code": objective.code})


def _measurable(user):
    """The active objectives ``user`` may enter values for."""
    return [
        o
        for o in Objective.objects.filter(is_active=True).select_related("department")
        if permissions.can_measure(user, o)
    ]


def period_starts(
    frequency: str, today: date, count: int = HISTORY_PERIODS
) -> list[date]:
    """The first days of the last ``count`` periods, the current one last."""
    if frequency == Frequency.MONTHLY:
        current, step = date(today.year, today.month, 1), relativedelta(months=1)
    elif frequency == Frequency.QUARTERLY:
        month = 3 * ((today.month - 1) // 3) + 1
        current, step = date(today.year, month, 1), relativedelta(months=3)
    else:
        current, step = date(today.year, 1, 1), relativedelta(years=1)
    return [current - step * i for i in range(count - 1, -1, -1)]


def _cell(objective: Objective, measurement: Measurement | None) -> dict[str, Any]:
    if measurement is None:
        return {"value": "", "met": None}
    return {
        "value": number_text(measurement.value),
        "unit": objective.unit,
        "met": objective.met(measurement.value),
        "note": measurement.note,
    }


def list_context(request, *, form=None, import_form=None, import_errors=None):
    user = request.user
    today = services.company_today()
    objectives = list(Objective.objects.select_related("department"))
    measurable = _measurable(user)
    rows = []
    groups: dict[str, dict[str, Any]] = {}
    for frequency, label in Frequency.choices:
        members = [o for o in objectives if o.frequency == frequency]
        if not members:
            continue
        starts = period_starts(frequency, today)
        values = {
            (m.objective_id, m.period_start): m
            for m in Measurement.objects.filter(
                objective__in=members, period_start__gte=starts[0]
            )
        }
        groups[frequency] = {
            "frequency": frequency,
            "label": label,
            "periods": [services.period_label(frequency, s) for s in starts],
            "rows": [
                {
                    "objective": o,
                    "url": objective_url(o),
                    "cells": [_cell(o, values.get((o.pk, s))) for s in starts],
                }
                for o in members
            ],
        }
    for o in objectives:
        latest = (
            o.measurements.select_related("recorded_by")
            .order_by("-period_start")
            .first()
        )
        rows.append(
            {
                "objective": o,
                "url": objective_url(o),
                "latest": _cell(o, latest),
                "latest_period": services.period_label(o.frequency, latest.period_start)
                if latest
                else "",
                "edit_url": reverse("reviews:objective_edit", kwargs={"code": o.code})
                if permissions.can_manage_objectives(user)
                else "",
            }
        )
    if form is None and measurable:
        form = MeasurementForm(
            objectives=Objective.objects.filter(pk__in=[o.pk for o in measurable]),
            auto_id="id_measure_%s",
        )
    if import_form is None and measurable:
        import_form = ImportForm(auto_id="id_import_%s")
    return {
        "rows": rows,
        "history": list(groups.values()),
        "form": form if measurable else None,
        "import_form": import_form if measurable else None,
        "import_errors": import_errors or [],
        "can_manage": permissions.can_manage_objectives(user),
        "max_upload": filesizeformat(
            settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
        ),
        "examples": PERIOD_EXAMPLES,
    }


def _record(request, form: MeasurementForm):
    """Enter the form's value; a message either way. True when recorded."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    objective = form.chosen_objective
    try:
        measurement = services.measurement_record(
            user=request.user,
            objective=objective,
            period=data["period"],
            value=data["value"],
            note=data.get("note") or "",
            reason=data.get("reason") or "",
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return False
    # PermissionDenied propagates: a 403.
    met = objective.met(measurement.value)
    messages.success(
        request,
        _("%(objective)s %(period)s: %(value)s%(unit)s recorded%(verdict)s.")
        % {
            "objective": objective.name,
            "period": services.period_label(
                objective.frequency, measurement.period_start
            ),
            "value": number_text(measurement.value),
            "unit": objective.unit,
            "verdict": ""
            if met is None
            else (_(", target met") if met else _(", target not met")),
        },
    )
    return True


@require_http_methods(["GET", "HEAD", "POST"])
@reviews_staff
def objective_list(request):
    if request.method == "POST":
        measurable = _measurable(request.user)
        form = MeasurementForm(
            request.POST,
            objectives=Objective.objects.filter(pk__in=[o.pk for o in measurable]),
            auto_id="id_measure_%s",
        )
        if not measurable:
            raise PermissionDenied
        if _record(request, form):
            return redirect(reverse("reviews:objectives"))
        return render(
            request,
            "reviews/objectives.html",
            list_context(request, form=form),
            status=400,
        )
    return render(request, "reviews/objectives.html", list_context(request))


@require_POST
@reviews_staff
def measurements_import(request):
    """All rows or none: the counts on success, every bad row on refusal."""
    form = ImportForm(request.POST, request.FILES, auto_id="id_import_%s")
    errors: list[str] = []
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
    else:
        upload = form.cleaned_data["file"]
        limit = settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            errors = [
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(limit)}
            ]
        else:
            upload.seek(0)
            try:
                result = services.measurements_import(
                    user=request.user, data=upload.read(limit + 1), filename=upload.name
                )
            except ValidationError as exc:
                errors = [str(m) for m in exc.messages]
            # PermissionDenied propagates: a 403.
            else:
                messages.success(
                    request,
                    _(
                        "Imported from %(file)s: %(created)s new, %(updated)s "
                        "corrected, %(unchanged)s unchanged."
                    )
                    % {
                        "file": upload.name,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect(reverse("reviews:objectives"))
    return render(
        request,
        "reviews/objectives.html",
        list_context(request, import_errors=errors),
        status=400,
    )


@require_http_methods(["GET", "HEAD"])
@reviews_staff
def import_template(request):
    """The import sheet: its headings, and a second sheet naming the
    objectives (code, name, frequency, how a period is written, range)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = force_str(pgettext("objective", "Values"))[:31]
    headings = [names[0] for names in services.IMPORT_COLUMNS.values()]
    sheet.append(headings)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCD", (20, 12, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    # The period column as text, so that 2026-03 stays a month, not a date.
    for row in range(2, 502):
        sheet.cell(row=row, column=2).number_format = "@"

    listing = workbook.create_sheet(force_str(_("Objectives"))[:31])
    listing.append(
        [
            force_str(h)
            for h in (
                _("Code"),
                _("Name"),
                _("Measured"),
                _("Period written as"),
                _("Target"),
                _("Lowest possible value"),
                _("Highest possible value"),
                _("Unit"),
            )
        ]
    )
    for cell in listing[1]:
        cell.font, cell.fill = bold, fill
    for o in Objective.objects.filter(is_active=True):
        listing.append(
            [
                o.code,
                o.name,
                force_str(Frequency(o.frequency).label),
                PERIOD_EXAMPLES.get(o.frequency, ""),
                f"{Comparison(o.comparison).label} {number_text(o.target)}"
                if o.target is not None
                else "",
                number_text(o.min_value),
                number_text(o.max_value),
                o.unit,
            ]
        )
    for letter, width in zip("ABCDEFGH", (20, 24, 10, 16, 10, 12, 12, 8), strict=True):
        listing.column_dimensions[letter].width = width
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, "measurements-template.xlsx"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Defining an objective ----------------------------------------------------------


def _objective_of(code: str) -> Objective:
    objective = Objective.objects.select_related("department").filter(code=code).first()
    if objective is None:
        raise Http404(_("No such objective."))
    return objective


def _objective_form(request, objective: Objective | None):
    if not permissions.can_manage_objectives(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ObjectiveForm(request.POST)
        if form.is_valid():
            try:
                saved = services.objective_save(
                    user=request.user, objective=objective, **form.changes()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    (
                        _("%(name)s is saved.")
                        if objective
                        else _("%(name)s is defined.")
                    )
                    % {"name": saved.name},
                )
                return redirect(objective_url(saved))
        status = 400
    elif objective is not None:
        form = ObjectiveForm(initial=ObjectiveForm.initial_of(objective))
    else:
        form = ObjectiveForm()
    return render(
        request,
        "reviews/objective_form.html",
        {
            "objective": objective,
            "form": form,
            "back_url": objective_url(objective)
            if objective
            else reverse("reviews:objectives"),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@reviews_staff
def objective_new(request):
    return _objective_form(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@reviews_staff
def objective_edit(request, code):
    return _objective_form(request, _objective_of(code))


# --- One objective ------------------------------------------------------------------

HISTORY_FIELDS = (
    ("period", gettext_lazy("Period")),
    ("old", gettext_lazy("Old value")),
    ("value", gettext_lazy("Value")),
    ("source", gettext_lazy("Source")),
    ("reason", gettext_lazy("Reason")),
    ("code", gettext_lazy("Code")),
    ("fields", gettext_lazy("Fields")),
)


def _history_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str):
        try:
            return number_text(Decimal(value))
        except ArithmeticError:
            return value
    return str(value)


def objective_history(objective: Objective) -> list[dict[str, Any]]:
    """Every logged change of ``objective`` and its values, newest first."""
    entries = (
        ModelLogEntry.objects.for_instance(objective)
        .select_related("user")
        .order_by("-timestamp", "-id")[:500]
    )
    labels = dict(HISTORY_FIELDS)
    result = []
    for entry in entries:
        data = entry.data or {}
        result.append(
            {
                "action": entry.action.rsplit(".", 1)[-1],
                "label": entry.message,
                "user": entry.user_display_name,
                "timestamp": entry.timestamp,
                "data": data,
                "old_text": _history_value(data.get("old", "")),
                "value_text": _history_value(data.get("value", "")),
                "reason": data.get("reason") or "",
                "details": [
                    {
                        "label": force_str(labels[key]),
                        "value": _history_value(data[key]),
                    }
                    for key in labels
                    if data.get(key) not in (None, "", [])
                ],
            }
        )
    return result


@require_http_methods(["GET", "HEAD", "POST"])
@reviews_staff
def objective_detail(request, code):
    objective = _objective_of(code)
    user = request.user
    can_measure = objective.is_active and permissions.can_measure(user, objective)
    form = None
    status = 200
    if request.method == "POST":
        if not can_measure:
            raise PermissionDenied
        form = MeasurementForm(request.POST, fixed=objective)
        if _record(request, form):
            return redirect(objective_url(objective))
        status = 400
    elif can_measure:
        form = MeasurementForm(fixed=objective)
    history = objective_history(objective)
    corrections: dict[str, list[dict[str, Any]]] = {}
    for entry in history:
        if entry["action"] == "measurement_correct":
            corrections.setdefault(str(entry["data"].get("period", "")), []).append(
                entry
            )
    measurements = []
    for m in objective.measurements.select_related("recorded_by").order_by(
        "-period_start"
    ):
        label = services.period_label(objective.frequency, m.period_start)
        measurements.append(
            {
                "measurement": m,
                "period": label,
                "value": number_text(m.value),
                "met": objective.met(m.value),
                "recorded_by": _name(m.recorded_by),
                "corrections": corrections.get(label, []),
            }
        )
    return render(
        request,
        "reviews/objective_detail.html",
        {
            "objective": objective,
            "target": objective.target_label,
            "range": f"{number_text(objective.min_value) or '—'} – "
            f"{number_text(objective.max_value) or '—'}{objective.unit}",
            "measurements": measurements,
            "history": history,
            "form": form,
            "can_manage": permissions.can_manage_objectives(user),
            "example": PERIOD_EXAMPLES.get(objective.frequency, ""),
        },
        status=status,
    )
