"""The review's charts as PNG images, drawn from the input pack's data (never
from the database): the objectives' trends against their targets,
nonconformities by clause and status, audit coverage per year and the previous
reviews' actions by status.

Each chart is its own ``matplotlib.figure.Figure`` drawn by the Agg canvas: no
pyplot, no change to matplotlib's rcParams. Chinese labels are drawn in
the CJK font :mod:`documents.stamping.fonts` finds (the setting
``SHOUKONG_PDF_FONT``, else a system font such as WenQuanYi Zen Hei); without
one the charts are still drawn, with boxes for the characters it cannot show.
Drawing is serialised by a lock: matplotlib's font cache is shared by threads.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any


def _writable_config_dir() -> None:
    """matplotlib writes its font cache to MPLCONFIGDIR (~/.config/matplotlib);
    a server account may have no writable home, so use a temporary folder."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    folder = os.path.join(base, "matplotlib")
    probe = folder
    while probe and not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not (os.path.isdir(probe) and os.access(probe, os.W_OK | os.X_OK)):
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="shoukong-mpl-")


_writable_config_dir()

from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import pgettext  # noqa: E402
from matplotlib import font_manager  # noqa: E402 - after MPLCONFIGDIR is settled
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

__all__ = [
    "PNG_SIGNATURE",
    "audit_coverage_png",
    "chart_font",
    "nonconformities_png",
    "objective_trends_png",
    "open_actions_png",
]

logger = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZE = (6.5, 3.2)  # inches
DPI = 150
_FALLBACK_FAMILY = "DejaVu Sans"  # shipped with matplotlib
_COLOURS = (
    "#1f6fb2",
    "#d9822b",
    "#2e9e5b",
    "#c23b3b",
    "#7b5ea7",
    "#8c6d31",
    "#d15fa6",
    "#5f6b7a",
)

_lock = threading.RLock()
_families: tuple[str, ...] | None = None


def _cjk_family() -> str | None:
    """Register the CJK font with matplotlib once: its family name, or None."""
    from documents.stamping.fonts import _configured_font, discover_system_fonts

    candidates: list[tuple[str, int]] = []
    configured = _configured_font()
    if configured is not None:
        candidates.append(configured)
    candidates.extend(discover_system_fonts())
    for path, _index in candidates:
        # matplotlib draws the first font of a collection (.ttc).
        if not os.path.isfile(path):
            continue
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except Exception as exc:  # a broken or unreadable font file
            logger.info("Chart font skipped: %s (%s)", path, exc)
    logger.warning("No CJK font found: Chinese chart labels are drawn as boxes.")
    return None


def chart_font() -> tuple[str, ...]:
    """The font families the charts use, the CJK font first when there is one."""
    global _families
    with _lock:
        if _families is None:
            family = _cjk_family()
            _families = (family, _FALLBACK_FAMILY) if family else (_FALLBACK_FAMILY,)
        return _families


def _font(size: float = 8) -> FontProperties:
    return FontProperties(family=list(chart_font()), size=size)


def _number(value: Any) -> float | None:
    """A pack value (Decimals are strings in the JSON) as a float, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN


def _count(value: Any) -> int:
    number = _number(value)
    return int(number) if number is not None and number > 0 else 0


def _figure(*, ncols: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, ncols, squeeze=False)[0]
    return figure, list(axes)


def _style(ax, *, title: str = "", ylabel: str = "") -> None:
    if title:
        ax.set_title(title, fontproperties=_font(9))
    if ylabel:
        ax.set_ylabel(ylabel, fontproperties=_font(8))
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontproperties(_font(7))
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", linewidth=0.4, alpha=0.5)
    ax.set_axisbelow(True)


def _legend(ax, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(prop=_font(7), frameon=False, **kwargs)


def _no_data(ax, text: str) -> None:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontproperties=_font(10),
        color="#666666",
    )


def _png(figure: Figure) -> bytes:
    from io import BytesIO

    figure.tight_layout()
    output = BytesIO()
    figure.savefig(output, format="png", dpi=DPI)
    return output.getvalue()


def _draw(build) -> bytes:
    with _lock:
        chart_font()
        return build()


def _text(value: Any) -> str:
    """A label from the pack, without control characters."""
    from audits.reports.writer import clean

    return clean(value).replace("\n", " ").replace("\t", " ")


# --- Objectives -----------------------------------------------------------------------


def _period_start(measurement: Mapping) -> date | None:
    for key in ("start", "period"):
        value = measurement.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def objective_trends_png(
    objectives: Iterable[Mapping], *, title: str | None = None
) -> bytes:
    """One line per objective over its measured periods, its target as a
    dashed line of the same colour (rows of the pack's objectives or
    performance section)."""

    def build() -> bytes:
        figure, (ax,) = _figure()
        series = []
        for row in objectives or ():
            if not isinstance(row, Mapping):
                continue
            points = []
            for m in row.get("measurements") or ():
                if not isinstance(m, Mapping):
                    continue
                start, value = _period_start(m), _number(m.get("value"))
                if start is not None and value is not None:
                    points.append((start, value, _text(m.get("period"))))
            if points:
                points.sort()
                series.append((row, points))
        if not series:
            _no_data(ax, _("No measurements in the period"))
            return _png(figure)
        periods: dict[date, str] = {}
        for index, (row, points) in enumerate(series):
            colour = _COLOURS[index % len(_COLOURS)]
            name = _text(row.get("name") or row.get("code"))
            unit = _text(row.get("unit"))
            xs = [p[0] for p in points]
            ax.plot(
                xs,
                [p[1] for p in points],
                marker="o",
                markersize=3,
                linewidth=1.4,
                color=colour,
                label=f"{name} ({unit})" if unit else name,
            )
            target = _number(row.get("target"))
            if target is not None:
                ax.axhline(target, color=colour, linestyle="--", linewidth=0.9)
                label = _text(row.get("target_label"))
                if label:
                    ax.annotate(
                        label,
                        xy=(1, target),
                        xycoords=("axes fraction", "data"),
                        xytext=(2, 0),
                        textcoords="offset points",
                        va="center",
                        fontproperties=_font(6),
                        color=colour,
                    )
            for start, _value, period in points:
                periods.setdefault(start, period or start.isoformat()[:7])
        ticks = sorted(periods)
        if len(ticks) > 12:  # keep the labels readable
            step = -(-len(ticks) // 12)
            ticks = ticks[::step]
        ax.set_xticks(ticks)
        ax.set_xticklabels([periods[t] for t in ticks], rotation=30, ha="right")
        _style(
            ax, title=_("Objectives: trend against target") if title is None else title
        )
        _legend(ax, loc="lower left", fontsize=7)
        return _png(figure)

    return _draw(build)


# --- Nonconformities ------------------------------------------------------------------


def _clause_key(clause: str) -> tuple:
    parts = []
    for part in clause.split("."):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(parts)


def nonconformities_png(section: Mapping) -> bytes:
    """Open nonconformities by clause, stacked by status (the pack's
    nonconformities section: its rows, else its summary's counts by clause)."""

    def build() -> bytes:
        figure, (ax,) = _figure()
        counts: dict[str, dict[str, int]] = {}
        statuses: list[str] = []
        rows = section.get("rows") if isinstance(section, Mapping) else None
        for row in rows or ():
            if not isinstance(row, Mapping):
                continue
            clause = _text(row.get("clause")).split(" ")[0] or _("No clause")
            status = _text(row.get("status_label") or row.get("status")) or "—"
            if status not in statuses:
                statuses.append(status)
            by_status = counts.setdefault(clause, {})
            by_status[status] = by_status.get(status, 0) + 1
        if not counts and isinstance(section, Mapping):
            summary = section.get("summary") or {}
            by_clause = summary.get("by_clause") if isinstance(summary, Mapping) else {}
            label = pgettext("review pack", "Open")
            for clause, n in (by_clause or {}).items():
                if _count(n):
                    counts[_text(clause) or _("No clause")] = {label: _count(n)}
            if counts:
                statuses = [label]
        if not counts:
            _no_data(ax, _("No open nonconformities"))
            return _png(figure)
        clauses = sorted(counts, key=_clause_key)
        bottoms = [0] * len(clauses)
        positions = range(len(clauses))
        for index, status in enumerate(statuses):
            heights = [counts[c].get(status, 0) for c in clauses]
            ax.bar(
                positions,
                heights,
                bottom=bottoms,
                color=_COLOURS[index % len(_COLOURS)],
                width=0.6,
                label=status,
            )
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_xticks(list(positions))
        ax.set_xticklabels(clauses, rotation=30 if len(clauses) > 8 else 0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        _style(
            ax,
            title=_("Open nonconformities by clause and status"),
            ylabel=_("Count"),
        )
        _legend(ax, loc="upper right")
        return _png(figure)

    return _draw(build)


# --- Audits ---------------------------------------------------------------------------


def audit_coverage_png(coverage: Sequence[Mapping]) -> bytes:
    """Per year, the clauses and the departments covered by audits against
    their totals (the audits section's summary ``coverage``)."""

    def build() -> bytes:
        figure, (left, right) = _figure(ncols=2)
        years = [
            row
            for row in coverage or ()
            if isinstance(row, Mapping) and row.get("year") is not None
        ]
        years.sort(key=lambda row: _text(row.get("year")))
        if not years:
            figure.delaxes(right)
            _no_data(left, _("No audits in the period"))
            return _png(figure)
        labels = [_text(row.get("year")) for row in years]
        positions = list(range(len(years)))
        for ax, what, title in (
            (left, "clauses", _("Clauses audited")),
            (right, "departments", _("Departments audited")),
        ):
            totals = [_count(row.get(f"{what}_total")) for row in years]
            covered = [_count(row.get(f"{what}_covered")) for row in years]
            ax.bar(
                positions,
                totals,
                width=0.6,
                color="#d0d7e1",
                label=pgettext("review pack", "Total"),
            )
            bars = ax.bar(
                positions, covered, width=0.4, color=_COLOURS[0], label=_("Covered")
            )
            for bar, n, total in zip(bars, covered, totals, strict=True):
                ax.annotate(
                    f"{n}/{total}",
                    xy=(bar.get_x() + bar.get_width() / 2, max(n, total)),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontproperties=_font(6),
                )
            ax.set_xticks(positions)
            ax.set_xticklabels(labels)
            ax.set_ylim(0, max([*totals, *covered, 1]) * 1.4)
            ax.yaxis.get_major_locator().set_params(integer=True)
            _style(ax, title=title)
        _legend(left, loc="upper left", ncol=2)
        return _png(figure)

    return _draw(build)


# --- Actions --------------------------------------------------------------------------


def open_actions_png(rows: Iterable[Mapping]) -> bytes:
    """The previous reviews' actions by status, the overdue ones apart (the
    pack's previous_actions rows)."""

    def build() -> bytes:
        figure, (ax,) = _figure()
        counts: dict[str, list[int]] = {}
        for row in rows or ():
            if not isinstance(row, Mapping):
                continue
            status = (
                _text(
                    row.get("status_group")
                    or row.get("status_label")
                    or row.get("status")
                )
                or "—"
            )
            pair = counts.setdefault(status, [0, 0])
            pair[1 if row.get("overdue") else 0] += 1
        if not counts:
            _no_data(ax, _("No actions from previous reviews"))
            return _png(figure)
        statuses = sorted(counts, key=lambda s: -sum(counts[s]))
        positions = list(range(len(statuses)))
        on_time = [counts[s][0] for s in statuses]
        overdue = [counts[s][1] for s in statuses]
        ax.barh(positions, on_time, color=_COLOURS[0], height=0.6, label=_("On time"))
        if any(overdue):
            ax.barh(
                positions,
                overdue,
                left=on_time,
                color=_COLOURS[3],
                height=0.6,
                label=_("Overdue"),
            )
        ax.set_yticks(positions)
        ax.set_yticklabels(statuses)
        ax.invert_yaxis()
        ax.xaxis.get_major_locator().set_params(integer=True)
        _style(ax, title=_("Actions from previous reviews by status"))
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
        _legend(ax, loc="lower right")
        return _png(figure)

    return _draw(build)
