"""Objectives, indicators and their measured values: entered per period or
imported from an .xlsx sheet, all rows or none."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Department

from .. import permissions
from ..lifecycle import Comparison, Frequency, MeasureKind
from ..models import Measurement, Objective
from ._common import company_today, log_action, required, text

__all__ = [
    "IMPORT_COLUMNS",
    "ImportResult",
    "measurement_record",
    "measurements_import",
    "objective_save",
    "period_bounds",
    "period_label",
    "value_parse",
]

_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:[-/]|年)?\s*(?:Q|q|第)\s*([1-4])\s*(?:季度|季)?$")
_YEAR = re.compile(r"^(\d{4})年?$")


def period_bounds(frequency: str, value) -> tuple[date, date]:
    """The first and last day of the period ``value`` names for an objective
    measured ``frequency``: a date (its month, quarter or year), "2026-03",
    "2026年3月", "2026Q1", "2026年第1季度", "2026"."""
    year = month = quarter = None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        year, month = value.year, value.month
    elif isinstance(value, int) and not isinstance(value, bool):
        year = value
    elif isinstance(value, str):
        raw = value.strip()
        if m := _MONTH.match(raw):
            year, month = int(m[1]), int(m[2])
        elif m := _QUARTER.match(raw):
            year, quarter = int(m[1]), int(m[2])
        elif m := _YEAR.match(raw):
            year = int(m[1])
        else:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                day = None
            if day is not None:
                year, month = day.year, day.month
    if (
        year is None
        or not 2000 <= year <= 2100
        or (month is not None and not 1 <= month <= 12)
    ):
        raise ValidationError(
            _("Cannot read the period %(value)s: write 2026-03, 2026Q1 or 2026.")
            % {"value": value}
        )
    if frequency == Frequency.MONTHLY:
        if month is None:
            raise ValidationError(
                _("This objective is measured monthly: give a month, e.g. 2026-03.")
            )
        start = date(year, month, 1)
        return start, start + relativedelta(months=1, days=-1)
    if frequency == Frequency.QUARTERLY:
        if quarter is None:
            if month is None:
                raise ValidationError(
                    _(
                        "This objective is measured quarterly: give a quarter, "
                        "e.g. 2026Q1."
                    )
                )
            quarter = (month - 1) // 3 + 1
        start = date(year, 3 * quarter - 2, 1)
        return start, start + relativedelta(months=3, days=-1)
    return date(year, 1, 1), date(year, 12, 31)


def period_label(frequency: str, start: date) -> str:
    if frequency == Frequency.MONTHLY:
        return f"{start:%Y-%m}"
    if frequency == Frequency.QUARTERLY:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


_LARGEST = Decimal(10) ** 9


def value_parse(objective: Objective, value) -> Decimal:
    """The measured value as a Decimal within the objective's range."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError(_("Give the measured value."))
    raw = value
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        if value.endswith("%") or value.endswith("％"):
            value = value[:-1].strip()
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("The value %(value)s is not a number.") % {"value": raw}
        ) from None
    if not number.is_finite():
        raise ValidationError(
            _("The value %(value)s is not a number.") % {"value": raw}
        )
    # The column holds 12 digits, 3 after the point.
    if abs(number) >= _LARGEST:
        raise ValidationError(_("The value %(value)s is too large.") % {"value": raw})
    low, high = objective.min_value, objective.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _(
                "%(value)s%(unit)s is out of range for %(objective)s "
                "(%(low)s to %(high)s)."
            )
            % {
                "value": f"{number.normalize():f}",
                "unit": objective.unit,
                "objective": objective.name,
                "low": "" if low is None else f"{low.normalize():f}",
                "high": "" if high is None else f"{high.normalize():f}",
            }
        )
    return number.quantize(Decimal("0.001"))


def _store(
    *,
    user,
    objective: Objective,
    start: date,
    end: date,
    value: Decimal,
    note: str,
    source: str,
    reason: str,
) -> tuple[Measurement, str]:
    """Create or correct; ("created" | "updated" | "unchanged")."""
    # Two writers of the same period at once: the objective's lock makes the
    # second see the first's value (unchanged, or a correction needing a
    # reason) instead of failing on the unique period.
    Objective.objects.select_for_update().filter(pk=objective.pk).first()
    existing = (
        Measurement.objects.select_for_update()
        .filter(objective=objective, period_start=start)
        .first()
    )
    label = period_label(objective.frequency, start)
    if existing is None:
        measurement = Measurement.objects.create(
            objective=objective,
            period_start=start,
            period_end=end,
            value=value,
            note=note,
            source=source,
            recorded_by=user,
            recorded_at=timezone.now(),
        )
        log_action(
            objective,
            "measurement_record",
            user,
            period=label,
            value=str(value),
            source=source,
        )
        return measurement, "created"
    if existing.value == value and existing.note == note:
        return existing, "unchanged"
    if not reason:
        raise ValidationError(
            _(
                "%(objective)s already has a value for %(period)s: give the reason "
                "for correcting it."
            )
            % {"objective": objective.name, "period": label}
        )
    old = existing.value
    existing.value = value
    existing.note = note
    existing.source = source
    existing.recorded_by = user
    existing.recorded_at = timezone.now()
    existing.save(
        update_fields=["value", "note", "source", "recorded_by", "recorded_at"]
    )
    log_action(
        objective,
        "measurement_correct",
        user,
        period=label,
        old=str(old),
        value=str(value),
        reason=reason[:200],
    )
    return existing, "updated"


def _check_measurable(user, objective: Objective) -> None:
    permissions.ensure(permissions.can_measure(user, objective))
    if not objective.is_active:
        raise ValidationError(
            _("%(objective)s is no longer measured.") % {"objective": objective.name}
        )


@transaction.atomic
def measurement_record(
    *, user, objective: Objective, period, value, note: str = "", reason: str = ""
) -> Measurement:
    """Enter the value an objective reached in one period; changing a value
    already entered needs a reason, and both values stay in the log."""
    _check_measurable(user, objective)
    start, end = period_bounds(objective.frequency, period)
    if start > company_today():
        raise ValidationError(_("The period has not started yet."))
    number = value_parse(objective, value)
    measurement, _state = _store(
        user=user,
        objective=objective,
        start=start,
        end=end,
        value=number,
        note=text(note, limit=500),
        source="entered",
        reason=text(reason),
    )
    return measurement


# --- Import from .xlsx ----------------------------------------------------------------

# Heading → field; the Chinese headings are the template's.
IMPORT_COLUMNS = {
    "objective": ("指标", "目标", "objective", "indicator", "code"),
    "period": ("期间", "周期", "period"),
    "value": ("实际值", "数值", "value"),
    "note": ("备注", "说明", "note"),
}
_REQUIRED_COLUMNS = ("objective", "period", "value")
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_rows(data: bytes, filename: str) -> list[tuple]:
    from django.conf import settings
    from openpyxl import load_workbook

    from records.files import UploadRefused, check_upload

    # The zip is checked first (damaged, hostile, oversized, another kind).
    try:
        checked = check_upload(
            data=data,
            filename=filename or "measurements.xlsx",
            max_bytes=settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES,
        )
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None
    if checked.kind != "xlsx":
        raise ValidationError(_("Import an .xlsx workbook."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is refused the same way
        raise ValidationError(_("The file is not a readable .xlsx workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows():
            rows.append(tuple(_sheet_value(cell) for cell in row))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                raise ValidationError(
                    _("The sheet has more than %(limit)s rows.")
                    % {"limit": MAX_IMPORT_ROWS}
                )
        return rows
    finally:
        workbook.close()


def _sheet_value(cell):
    """The cell's value as the sheet shows it: 96.2% typed in a percentage
    cell is stored as 0.962 and read as 96.2."""
    value = cell.value
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and "%" in (getattr(cell, "number_format", None) or "")
    ):
        return Decimal(str(value)) * 100
    return value


def _columns(heading: tuple) -> dict[str, int]:
    names = [_cell(h).lower() for h in heading]
    found: dict[str, int] = {}
    for key, aliases in IMPORT_COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[key] = index
                break
    missing = [k for k in _REQUIRED_COLUMNS if k not in found]
    if missing:
        raise ValidationError(
            _(
                "The first row must name the columns %(columns)s; missing: "
                "%(missing)s. Nothing was imported."
            )
            % {
                "columns": "、".join(IMPORT_COLUMNS[k][0] for k in _REQUIRED_COLUMNS),
                "missing": "、".join(IMPORT_COLUMNS[k][0] for k in missing),
            }
        )
    return found


def _objective_lookup() -> dict[str, Objective]:
    lookup: dict[str, Objective] = {}
    for objective in Objective.objects.all():
        lookup[objective.code.lower()] = objective
        lookup[objective.name.strip().lower()] = objective
    return lookup


@transaction.atomic
def measurements_import(*, user, data: bytes, filename: str = "") -> ImportResult:
    """Import the values of an .xlsx sheet (columns 指标, 期间, 实际值, 备注): every
    row is checked first; one bad row refuses the whole sheet, naming each bad
    row. A value that changes one already entered is a correction whose
    reason is the import."""
    permissions.ensure(permissions.can_view_reviews(user))
    rows = _sheet_rows(data, filename)
    rows = [r for r in rows if any(_cell(c) for c in r)]
    if not rows:
        raise ValidationError(_("The sheet is empty. Nothing was imported."))
    columns = _columns(rows[0])
    lookup = _objective_lookup()
    today = company_today()
    errors: list[str] = []
    planned = []
    seen: dict[tuple[int, date], int] = {}
    for number, row in enumerate(rows[1:], start=2):

        def get(key, row=row):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        name = _cell(get("objective"))
        objective = lookup.get(name.lower())
        try:
            if objective is None:
                raise ValidationError(
                    _("unknown objective %(name)s") % {"name": name or "—"}
                )
            if not objective.is_active:
                raise ValidationError(
                    _("%(objective)s is no longer measured.")
                    % {"objective": objective.name}
                )
            if not permissions.can_measure(user, objective):
                raise ValidationError(
                    _("you may not enter values for %(objective)s")
                    % {"objective": objective.name}
                )
            period = get("period")
            if isinstance(period, float):
                if not period.is_integer():
                    # 2026.10 typed as a number is stored as 2026.1: January
                    # or October? Refused rather than guessed.
                    raise ValidationError(
                        _(
                            "the period %(value)s is a number: write it as text, "
                            "e.g. 2026-10"
                        )
                        % {"value": _cell(period)}
                    )
                period = int(period)
            start, end = period_bounds(objective.frequency, period)
            if start > today:
                raise ValidationError(_("The period has not started yet."))
            value = value_parse(objective, get("value"))
            note = text(_cell(get("note")), limit=500)
            if (objective.pk, start) in seen:
                raise ValidationError(
                    _("the same period is on row %(row)s too")
                    % {"row": seen[(objective.pk, start)]}
                )
            seen[(objective.pk, start)] = number
            planned.append((number, objective, start, end, value, note))
        except ValidationError as exc:
            errors.append(
                _("Row %(row)s: %(error)s")
                % {"row": number, "error": "; ".join(exc.messages)}
            )
    if errors:
        raise ValidationError(
            [_("Nothing was imported.")]
            + errors[:50]
            + (
                [_("… and %(n)s more rows with errors.") % {"n": len(errors) - 50}]
                if len(errors) > 50
                else []
            )
        )
    if not planned:
        raise ValidationError(_("The sheet has no values. Nothing was imported."))
    # Lock the objectives in one order: two imports never deadlock.
    list(
        Objective.objects.select_for_update()
        .filter(pk__in={item[1].pk for item in planned})
        .order_by("pk")
    )
    result = ImportResult()
    reason = _("Imported from %(file)s") % {"file": filename or ".xlsx"}
    for number, objective, start, end, value, note in planned:
        _measurement, state = _store(
            user=user,
            objective=objective,
            start=start,
            end=end,
            value=value,
            note=note,
            source="imported",
            reason=reason,
        )
        setattr(result, state, getattr(result, state) + 1)
        result.rows.append(
            {
                "row": number,
                "objective": objective.code,
                "period": period_label(objective.frequency, start),
                "value": str(value),
                "state": state,
            }
        )
    return result


# --- Objectives -----------------------------------------------------------------------

_SLUG = re.compile(r"^[a-z0-9_-]+$")
RESERVED_CODES = frozenset({"new", "import", "template", "edit"})

_OBJECTIVE_FIELDS = (
    "code",
    "name",
    "kind",
    "description",
    "unit",
    "comparison",
    "target",
    "min_value",
    "max_value",
    "frequency",
    "department",
    "sort_order",
    "is_active",
)


def _decimal(value, message: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(message) from None
    if not number.is_finite():
        raise ValidationError(message)
    return number


@transaction.atomic
def objective_save(*, user, objective: Objective | None = None, **fields) -> Objective:
    """Define or change an objective or indicator (行政部, 管理者代表). An
    objective needs a target; measured values stay when it changes."""
    permissions.ensure(permissions.can_manage_objectives(user))
    unknown = set(fields) - set(_OBJECTIVE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    creating = objective is None
    if creating:
        objective = Objective()
    else:
        objective = Objective.objects.select_for_update().get(pk=objective.pk)
    for name, value in fields.items():
        if name in ("target", "min_value", "max_value"):
            value = _decimal(value, _("Give numbers for the target and the range."))
        elif name in ("code", "name", "description", "unit"):
            value = text(value, limit={"code": 32, "name": 100, "unit": 16}.get(name))
        elif name == "kind" and value not in MeasureKind.values:
            raise ValidationError(_("Unknown kind of objective."))
        elif name == "comparison" and value not in Comparison.values:
            raise ValidationError(_("Unknown comparison."))
        elif name == "frequency":
            if value not in Frequency.values:
                raise ValidationError(_("Unknown frequency."))
            if (
                not creating
                and value != objective.frequency
                and objective.measurements.exists()
            ):
                raise ValidationError(
                    _("Values have been measured: the frequency can no longer change.")
                )
        elif (
            name == "department"
            and value is not None
            and not isinstance(value, Department)
        ):
            raise ValidationError(_("Unknown department."))
        elif name == "sort_order":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationError(_("Give the sort order as a number.")) from None
            if not 0 <= value <= 32767:
                raise ValidationError(_("Give the sort order as a number."))
        elif name == "is_active" and not isinstance(value, bool):
            raise ValidationError(_("Say whether the objective is measured."))
        setattr(objective, name, value)
    objective.code = required(
        objective.code, _("Give the objective a code."), limit=32
    ).lower()
    if not _SLUG.match(objective.code):
        raise ValidationError(
            _("The code may hold only letters, digits, hyphens and underscores.")
        )
    if objective.code in RESERVED_CODES:
        # The pages and the API use these words in the objectives' addresses.
        raise ValidationError(
            _("%(code)s is a reserved word: choose another code.")
            % {"code": objective.code}
        )
    if (
        not creating
        and objective.measurements.exists()
        and Objective.objects.filter(pk=objective.pk)
        .exclude(code=objective.code)
        .exists()
    ):
        # Frozen packs and import sheets name the objective by its code.
        raise ValidationError(
            _("Values have been measured: the code can no longer change.")
        )
    objective.name = required(
        objective.name, _("Give the objective a name."), limit=100
    )
    if objective.kind == MeasureKind.OBJECTIVE and objective.target is None:
        raise ValidationError(_("An objective needs a target."))
    low, high = objective.min_value, objective.max_value
    if low is not None and high is not None and low > high:
        raise ValidationError(_("The lowest value must not exceed the highest."))
    if objective.target is not None and (
        (low is not None and objective.target < low)
        or (high is not None and objective.target > high)
    ):
        raise ValidationError(_("The target must lie within the range."))
    clash = Objective.objects.exclude(pk=objective.pk).filter(code=objective.code)
    if clash.exists():
        raise ValidationError(_("Another objective has this code."))
    if Objective.objects.exclude(pk=objective.pk).filter(name=objective.name).exists():
        raise ValidationError(_("Another objective has this name."))
    objective.save()
    log_action(
        objective,
        "objective_create" if creating else "objective_update",
        user,
        code=objective.code,
        fields=sorted(fields),
    )
    return objective
