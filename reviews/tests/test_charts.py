"""The review's charts: PNG images of the pack's numbers, drawn with or
without data, with or without a CJK font, from several threads at once."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import translation

from .. import charts

OBJECTIVES = [
    {
        "code": "response-rate",
        "name": "服务响应及时率",
        "target": "95.000",
        "target_label": "≥ 95%",
        "unit": "%",
        "comparison": "gte",
        "frequency": "monthly",
        "measurements": [
            {"period": f"2026-{m:02d}", "start": f"2026-{m:02d}-01", "value": v}
            for m, v in ((1, "93.5"), (2, "96.000"), (3, "97.2"))
        ],
    },
    {
        "code": "satisfaction",
        "name": "客户满意度",
        "target": "90",
        "target_label": "≥ 90%",
        "unit": "%",
        "measurements": [
            {"period": "2026Q1", "start": "2026-01-01", "value": "88"},
            {"period": "2026Q2", "start": "2026-04-01", "value": 91.5},
        ],
    },
]
NONCONFORMITIES = {
    "code": "nonconformities",
    "summary": {"open": 3, "by_clause": {"8.5": 2, "10.2": 1}},
    "rows": [
        {"number": "NC-1", "clause": "8.5.1", "status_label": "整改中"},
        {"number": "NC-2", "clause": "8.5.1", "status_label": "待验证"},
        {"number": "NC-3", "clause": "10.2", "status_label": "整改中"},
        {"number": "NC-4", "clause": None, "status_label": "整改中"},
    ],
}
COVERAGE = [
    {
        "year": 2025,
        "clauses_total": 40,
        "clauses_covered": 40,
        "departments_total": 5,
        "departments_covered": 4,
    },
    {
        "year": 2026,
        "clauses_total": 40,
        "clauses_covered": 22,
        "departments_total": 5,
        "departments_covered": 5,
    },
]
ACTIONS = [
    {"reference": "MR-2025-01-01", "status_label": "整改中", "overdue": True},
    {"reference": "MR-2025-01-02", "status_label": "整改中", "overdue": False},
    {"reference": "MR-2025-01-03", "status_label": "已关闭", "open": False},
]


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height of a PNG; fails unless ``data`` is one."""
    assert data[:8] == charts.PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


SIZE = (round(charts.SIZE[0] * charts.DPI), round(charts.SIZE[1] * charts.DPI))


def draw_all() -> list[bytes]:
    with translation.override("zh-hans"):
        return [
            charts.objective_trends_png(OBJECTIVES),
            charts.nonconformities_png(NONCONFORMITIES),
            charts.audit_coverage_png(COVERAGE),
            charts.open_actions_png(ACTIONS),
        ]


def test_each_chart_is_a_small_png_of_the_set_size():
    images = draw_all()
    for image in images:
        assert png_size(image) == SIZE
        assert 5_000 < len(image) < 400_000


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.objective_trends_png([]),
        lambda: charts.objective_trends_png([{"name": "x", "measurements": []}]),
        lambda: charts.nonconformities_png({}),
        lambda: charts.nonconformities_png({"rows": [], "summary": {}}),
        lambda: charts.audit_coverage_png([]),
        lambda: charts.open_actions_png([]),
    ],
)
def test_empty_data_draws_a_no_data_chart(draw):
    assert png_size(draw()) == SIZE


def test_bad_values_in_an_old_or_odd_pack_are_skipped():
    odd = [
        {
            "name": "坏数据",
            "target": "n/a",
            "measurements": [
                {"period": "2026-01", "start": "not a date", "value": "1"},
                {"period": "2026-02", "start": "2026-02-01", "value": None},
                {"period": "2026-03", "start": "2026-03-01", "value": "NaN"},
                "not a measurement",
            ],
        },
        "not an objective",
        {
            "name": "控制\x00字符\x1b",
            "measurements": [{"start": "2026-01-01", "value": 1}],
        },
        {"name": "只有一期", "measurements": [{"start": "2026-03-01", "value": "5"}]},
    ]
    assert png_size(charts.objective_trends_png(odd)) == SIZE
    only_summary = {"summary": {"by_clause": {"8.5": "2", "7.5": 0, "": 1}}}
    assert png_size(charts.nonconformities_png(only_summary)) == SIZE
    assert (
        png_size(charts.audit_coverage_png([{"year": 2026}, {"no": "year"}, "x"]))
        == SIZE
    )


def test_a_chart_shows_data_the_empty_one_does_not():
    assert charts.nonconformities_png(NONCONFORMITIES) != charts.nonconformities_png({})


def test_the_cjk_font_is_used_when_the_machine_has_one():
    from documents.stamping.fonts import discover_system_fonts

    families = charts.chart_font()
    assert families[-1] == "DejaVu Sans"
    if discover_system_fonts():
        assert len(families) == 2


@pytest.mark.filterwarnings("ignore:Glyph")
def test_without_a_cjk_font_the_charts_are_still_drawn(monkeypatch):
    import documents.stamping.fonts as fonts

    monkeypatch.setattr(charts, "_families", None)
    monkeypatch.setattr(fonts, "_configured_font", lambda: None)
    monkeypatch.setattr(fonts, "discover_system_fonts", lambda: [])
    assert charts.chart_font() == ("DejaVu Sans",)
    assert png_size(charts.objective_trends_png(OBJECTIVES)) == SIZE


def test_a_broken_font_setting_falls_back(monkeypatch, tmp_path):
    import documents.stamping.fonts as fonts

    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(charts, "_families", None)
    monkeypatch.setattr(fonts, "_configured_font", lambda: (str(broken), 0))
    families = charts.chart_font()
    assert "broken" not in " ".join(families)
    assert png_size(charts.nonconformities_png(NONCONFORMITIES)) == SIZE


def test_charts_drawn_from_several_threads_are_the_same():
    def draw(_n: int) -> list[bytes]:
        with translation.override("zh-hans"):
            return [
                charts.nonconformities_png(NONCONFORMITIES),
                charts.open_actions_png(ACTIONS),
            ]

    first = draw(0)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(draw, range(3)))
    assert results == [first] * 3
