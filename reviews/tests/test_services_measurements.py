"""Objectives and their measured values: periods read in every usual form,
values held to their range, corrections with their reason in the log, and the
.xlsx import that takes every row or none."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories
from reviews import services
from reviews.lifecycle import Frequency, MeasureKind
from reviews.models import Measurement, Objective
from reviews.services.measurements import value_parse
from reviews.tests import factories

pytestmark = pytest.mark.django_db

M, Q, Y = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def month_ago(n: int = 1) -> date:
    return factories.today().replace(day=1) - relativedelta(months=n)


def logged(objective) -> list[tuple[str, dict]]:
    return [
        (e.action.removeprefix("shoukong.reviews."), e.data)
        for e in ModelLogEntry.objects.for_instance(objective).order_by("id")
    ]


def sheet(*rows, heading=("指标", "期间", "实际值", "备注")) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    if heading:
        ws.append(list(heading))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Periods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "value", "bounds"),
    [
        (M, "2026-03", (date(2026, 3, 1), date(2026, 3, 31))),
        (M, "2026-3", (date(2026, 3, 1), date(2026, 3, 31))),
        (M, " 2026/02 ", (date(2026, 2, 1), date(2026, 2, 28))),
        (M, "2024.02", (date(2024, 2, 1), date(2024, 2, 29))),
        (M, "2026年3月", (date(2026, 3, 1), date(2026, 3, 31))),
        (M, "2026年12月", (date(2026, 12, 1), date(2026, 12, 31))),
        (M, "2026-03-17", (date(2026, 3, 1), date(2026, 3, 31))),
        (M, date(2026, 3, 17), (date(2026, 3, 1), date(2026, 3, 31))),
        (M, datetime(2026, 3, 17, 9, 30), (date(2026, 3, 1), date(2026, 3, 31))),
        (Q, "2026Q1", (date(2026, 1, 1), date(2026, 3, 31))),
        (Q, "2026q2", (date(2026, 4, 1), date(2026, 6, 30))),
        (Q, "2026-Q3", (date(2026, 7, 1), date(2026, 9, 30))),
        (Q, "2026 Q4", (date(2026, 10, 1), date(2026, 12, 31))),
        (Q, "2026年第1季度", (date(2026, 1, 1), date(2026, 3, 31))),
        (Q, "2026年第4季度", (date(2026, 10, 1), date(2026, 12, 31))),
        (Q, "2026第2季度", (date(2026, 4, 1), date(2026, 6, 30))),
        (Q, "2026-05", (date(2026, 4, 1), date(2026, 6, 30))),
        (Q, date(2026, 8, 1), (date(2026, 7, 1), date(2026, 9, 30))),
        (Y, "2026", (date(2026, 1, 1), date(2026, 12, 31))),
        (Y, "2026年", (date(2026, 1, 1), date(2026, 12, 31))),
        (Y, 2025, (date(2025, 1, 1), date(2025, 12, 31))),
        (Y, "2026-05", (date(2026, 1, 1), date(2026, 12, 31))),
        (Y, "2026Q2", (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_periods_read(frequency, value, bounds):
    assert services.period_bounds(frequency, value) == bounds


@pytest.mark.parametrize(
    ("frequency", "value"),
    [
        (M, "2026-13"),
        (M, "2026-00"),
        (M, "2026年13月"),
        (M, "March 2026"),
        (M, ""),
        (M, None),
        (M, True),
        (M, 3.5),
        (M, "1999-12"),
        (M, "2101-01"),
        (M, "2026Q1"),  # a quarter for a monthly objective
        (M, "2026"),
        (Q, "2026Q5"),
        (Q, "2026年第5季度"),
        (Q, "2026"),
        (Y, "二〇二六"),
        (M, "2026-03\x00"),
    ],
)
def test_bad_periods_refused(frequency, value):
    with pytest.raises(ValidationError):
        services.period_bounds(frequency, value)


def test_period_labels():
    assert services.period_label(M, date(2026, 3, 1)) == "2026-03"
    assert services.period_label(Q, date(2026, 7, 1)) == "2026Q3"
    assert services.period_label(Y, date(2026, 1, 1)) == "2026"


def test_values_read_and_held_to_the_range(db):
    satisfaction = factories.objective("satisfaction")
    assert value_parse(satisfaction, "96.5%") == Decimal("96.500")
    assert value_parse(satisfaction, " 90 ％") == Decimal("90.000")
    assert value_parse(satisfaction, 100) == Decimal("100.000")
    assert value_parse(satisfaction, 0) == Decimal("0.000")
    assert value_parse(satisfaction, 92.25) == Decimal("92.250")
    for bad in (
        120,
        "120%",
        "100.001",
        -1,
        "abc",
        "",
        None,
        True,
        "NaN",
        "Infinity",
        "9" * 40,
        "1e400",
    ):
        with pytest.raises(ValidationError):
            value_parse(satisfaction, bad)
    with pytest.raises(ValidationError, match="out of range"):
        value_parse(satisfaction, "120")


# --- Entering values ------------------------------------------------------------------


def test_enter_and_correct_with_a_reason(p):
    rate = factories.objective("response-rate")
    period = month_ago(2)
    label = f"{period:%Y-%m}"
    m = services.measurement_record(
        user=p.controller, objective=rate, period=label, value="96.2", note="系统导出"
    )
    assert (m.period_start, m.value, m.note, m.source) == (
        period,
        Decimal("96.200"),
        "系统导出",
        "entered",
    )
    assert m.period_end == period + relativedelta(months=1, days=-1)
    assert m.recorded_by == p.controller
    assert logged(rate) == [
        (
            "measurement_record",
            {"period": label, "value": "96.200", "source": "entered"},
        )
    ]

    # The same value again changes nothing and logs nothing.
    same = services.measurement_record(
        user=p.mr, objective=rate, period=period, value=96.2, note="系统导出"
    )
    assert same.pk == m.pk and same.recorded_by == p.controller
    assert len(logged(rate)) == 1

    # Another value needs a reason; both values stay in the log.
    with pytest.raises(ValidationError, match="reason"):
        services.measurement_record(
            user=p.mr, objective=rate, period=label, value="95.1"
        )
    with pytest.raises(ValidationError):
        services.measurement_record(
            user=p.mr, objective=rate, period=label, value="95.1", reason="x\x00"
        )
    fixed = services.measurement_record(
        user=p.mr,
        objective=rate,
        period=f"{period.year}年{period.month}月",
        value="95.1",
        reason="重算了工单系统数据",
    )
    assert fixed.pk == m.pk and fixed.value == Decimal("95.100")
    assert fixed.recorded_by == p.mr
    assert Measurement.objects.count() == 1
    assert logged(rate)[-1] == (
        "measurement_correct",
        {
            "period": label,
            "old": "96.200",
            "value": "95.100",
            "reason": "重算了工单系统数据",
        },
    )


def test_refusals_when_entering(p):
    satisfaction = factories.objective("satisfaction")
    quarter = month_ago(4)
    q = f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}"
    with pytest.raises(ValidationError, match="out of range"):
        services.measurement_record(
            user=p.controller, objective=satisfaction, period=q, value=120
        )
    with pytest.raises(ValidationError, match="not started"):
        services.measurement_record(
            user=p.controller,
            objective=satisfaction,
            period=factories.today() + relativedelta(months=4),
            value=95,
        )
    # The current period may be entered as it runs.
    services.measurement_record(
        user=p.controller, objective=satisfaction, period=factories.today(), value=91
    )
    for bad in (
        {"note": "注\x00"},
        {"note": "x" * 501},
        {"period": "someday"},
        {"value": "九十"},
    ):
        fields = {"period": q, "value": 95} | bad
        with pytest.raises(ValidationError):
            services.measurement_record(
                user=p.controller, objective=satisfaction, **fields
            )
    # Staff, and heads of departments that do not measure it, may not.
    for outsider in (p.staff, p.tech_manager, p.gm):
        with pytest.raises(PermissionDenied):
            services.measurement_record(
                user=outsider, objective=satisfaction, period=q, value=95
            )
    # The head of the department that measures it may.
    satisfaction = services.objective_save(
        user=p.mr, objective=satisfaction, department=doc_factories.department("技术部")
    )
    m = services.measurement_record(
        user=p.tech_manager, objective=satisfaction, period=q, value="93"
    )
    assert m.recorded_by == p.tech_manager
    # An objective no longer measured takes no value.
    services.objective_save(user=p.mr, objective=satisfaction, is_active=False)
    satisfaction.refresh_from_db()
    with pytest.raises(ValidationError, match="no longer measured"):
        services.measurement_record(
            user=p.controller, objective=satisfaction, period=q, value=93, reason="x"
        )
    assert Measurement.objects.count() == 2


def test_an_indicator_without_a_ceiling_still_fits_the_column(p):
    tickets = services.objective_save(
        user=p.controller,
        code="tickets",
        name="月度工单量",
        kind=MeasureKind.INDICATOR,
        unit="件",
        max_value=None,
    )
    m = services.measurement_record(
        user=p.controller, objective=tickets, period=month_ago(), value="12345"
    )
    assert m.value == Decimal("12345")
    with pytest.raises(ValidationError, match="too large"):
        services.measurement_record(
            user=p.controller, objective=tickets, period=month_ago(2), value="1e12"
        )


# --- Import ---------------------------------------------------------------------------


def test_import_creates_then_corrects(p):
    m1, m2 = month_ago(2), month_ago(1)
    q = month_ago(4)
    quarter = f"{q.year}年第{(q.month - 1) // 3 + 1}季度"
    data = sheet(
        ("response-rate", f"{m1:%Y-%m}", 96.1, "工单系统"),
        ("服务响应及时率", datetime(m2.year, m2.month, 1), "97%", None),
        ("事件按时解决率", f"{m1.year}年{m1.month}月", 98.4, ""),
        ("客户满意度", quarter, 91, "问卷"),
        (None, None, None, None),  # blank rows are skipped
    )
    result = services.measurements_import(
        user=p.controller, data=data, filename="指标.xlsx"
    )
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert [r["row"] for r in result.rows] == [2, 3, 4, 5]
    assert result.rows[0] == {
        "row": 2,
        "objective": "response-rate",
        "period": f"{m1:%Y-%m}",
        "value": "96.100",
        "state": "created",
    }
    assert Measurement.objects.filter(source="imported").count() == 4
    rate = factories.objective("response-rate")
    assert [a for a, _d in logged(rate)] == ["measurement_record", "measurement_record"]

    # Imported again with one value changed: a correction, reason the import.
    data = sheet(
        ("response-rate", f"{m1:%Y-%m}", 96.1, "工单系统"),
        ("response-rate", f"{m2:%Y-%m}", 95.5, None),
    )
    result = services.measurements_import(user=p.mr, data=data, filename="二月.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    action, entry = logged(rate)[-1]
    assert action == "measurement_correct"
    assert entry["old"] == "97.000" and entry["value"] == "95.500"
    assert "二月.xlsx" in entry["reason"]


def test_import_is_all_or_nothing_with_row_messages(p):
    m1 = month_ago(2)
    services.measurement_record(
        user=p.controller,
        objective=factories.objective("response-rate"),
        period=m1,
        value=96,
    )
    before = list(Measurement.objects.values_list("pk", "value"))
    future = factories.today() + relativedelta(months=2)
    data = sheet(
        ("resolution-rate", f"{m1:%Y-%m}", 99, ""),  # good
        ("satisfaction", f"{m1.year}Q{(m1.month - 1) // 3 + 1}", 120, ""),  # range
        ("uptime", f"{m1:%Y-%m}", 99.9, ""),  # unknown objective
        ("resolution-rate", f"{m1:%Y-%m}", 98, ""),  # same period as row 2
        ("resolution-rate", f"{future:%Y-%m}", 98, ""),  # future
        ("resolution-rate", "someday", 98, ""),  # unreadable period
        ("resolution-rate", f"{m1 - relativedelta(months=1):%Y-%m}", "abc", ""),
        ("resolution-rate", f"{m1 - relativedelta(months=2):%Y-%m}", 97, "注" * 501),
    )
    with pytest.raises(ValidationError) as refused:
        services.measurements_import(user=p.controller, data=data, filename="x.xlsx")
    messages = refused.value.messages
    assert messages[0] == "Nothing was imported."
    assert [m.split(":")[0] for m in messages[1:]] == [
        "Row 3",
        "Row 4",
        "Row 5",
        "Row 6",
        "Row 7",
        "Row 8",
        "Row 9",
    ]
    assert "out of range" in messages[1]
    assert "unknown objective uptime" in messages[2]
    assert "row 2" in messages[3]
    assert "not started" in messages[4]
    assert list(Measurement.objects.values_list("pk", "value")) == before


def test_import_reads_percentage_cells_and_refuses_numeric_months(p):
    m1 = month_ago(2)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["指标", "期间", "实际值"])
    ws.append(["response-rate", f"{m1:%Y-%m}", 0.962])
    ws["C2"].number_format = "0.0%"  # typed as 96.2%
    ws.append(["satisfaction", m1.year, 0.9])  # a whole year for a quarterly one
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ValidationError) as refused:
        services.measurements_import(
            user=p.controller, data=out.getvalue(), filename="x.xlsx"
        )
    assert [m.split(":")[0] for m in refused.value.messages[1:]] == ["Row 3"]
    ws.delete_rows(3)
    out = io.BytesIO()
    book.save(out)
    result = services.measurements_import(
        user=p.controller, data=out.getvalue(), filename="x.xlsx"
    )
    assert result.created == 1
    assert Measurement.objects.get().value == Decimal("96.2")

    # 2026.10 typed as a number arrives as 2026.1: refused, not read as January.
    with pytest.raises(ValidationError, match="write it as text"):
        services.measurements_import(
            user=p.controller,
            data=sheet(("resolution-rate", 2026.1, 98)),
            filename="x.xlsx",
        )


def test_import_refuses_wrong_sheets(p):
    m1 = month_ago(2)
    good_row = ("response-rate", f"{m1:%Y-%m}", 96, "")
    cases = [
        sheet(good_row, heading=("名称", "月份", "值")),
        sheet(good_row, heading=("指标", "期间", "备注")),
        sheet(heading=("指标", "期间", "实际值", "备注")),
        sheet(heading=None),
    ]
    for data in cases:
        with pytest.raises(ValidationError) as refused:
            services.measurements_import(
                user=p.controller, data=data, filename="x.xlsx"
            )
        assert "Nothing was imported" in " ".join(refused.value.messages) or (
            "no values" in " ".join(refused.value.messages)
        )
    with pytest.raises(ValidationError, match="实际值"):
        services.measurements_import(
            user=p.controller, data=cases[1], filename="x.xlsx"
        )
    for data, name in (
        ("指标,期间,实际值\nresponse-rate,2026-01,96\n".encode(), "x.csv"),
        (b"%PDF-1.4\n%%EOF\n", "x.pdf"),
        (b"PK\x03\x04broken", "x.xlsx"),
        (b"", "x.xlsx"),
        (b"MZ\x90\x00", "x.xlsx"),
    ):
        with pytest.raises(ValidationError):
            services.measurements_import(user=p.controller, data=data, filename=name)
    assert not Measurement.objects.exists()


def test_import_rights(p):
    m1 = month_ago(2)
    data = sheet(("response-rate", f"{m1:%Y-%m}", 96, ""))
    with pytest.raises(ValidationError, match="may not enter"):
        services.measurements_import(user=p.staff, data=data, filename="x.xlsx")
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    with pytest.raises(PermissionDenied):
        services.measurements_import(user=customer, data=data, filename="x.xlsx")
    assert not Measurement.objects.exists()


# --- Objectives -----------------------------------------------------------------------


def test_define_and_change_objectives(p):
    created = services.objective_save(
        user=p.controller,
        code=" Availability ",
        name="核心系统可用率",
        target="99.5",
        comparison="gte",
        frequency="monthly",
        sort_order="40",
    )
    assert created.code == "availability" and created.target == Decimal("99.5")
    assert created.target_label == "≥ 99.5%"
    assert created.met(Decimal("99.6")) and not created.met(Decimal("99.4"))
    assert logged(created)[-1][0] == "objective_create"

    changed = services.objective_save(
        user=p.mr, objective=created, target=99, comparison="lte"
    )
    assert changed.target_label == "≤ 99%"
    assert logged(created)[-1] == (
        "objective_update",
        {"code": "availability", "fields": ["comparison", "target"]},
    )
    bad_definitions = [
        {"code": "a b"},
        {"code": "可用率"},
        {"code": "a/b"},
        {"code": ""},
        {"name": "  "},
        {"name": "客户满意度"},  # taken
        {"code": "satisfaction"},  # taken
        {"target": None},
        {"target": "high"},
        {"target": 101},
        {"min_value": 50, "max_value": 10},
        {"kind": "wish"},
        {"comparison": "eq"},
        {"frequency": "weekly"},
        {"department": "技术部"},
        {"sort_order": "first"},
        {"is_active": "no"},
        {"owner": p.gm},
        {"description": "说明\x00"},
    ]
    for bad in bad_definitions:
        with pytest.raises(ValidationError):
            services.objective_save(user=p.controller, objective=created, **bad)
    assert Objective.objects.get(pk=created.pk).code == "availability"
    with pytest.raises(ValidationError, match="target"):
        services.objective_save(user=p.controller, code="x", name="无目标")
    # An indicator needs no target.
    indicator = services.objective_save(
        user=p.controller,
        code="calls",
        name="来电量",
        kind="indicator",
        unit="次",
        max_value=None,
    )
    assert indicator.target is None and indicator.met(Decimal(5)) is None

    services.measurement_record(
        user=p.controller, objective=created, period=month_ago(), value="99.7"
    )
    with pytest.raises(ValidationError, match="frequency"):
        services.objective_save(
            user=p.controller, objective=created, frequency="yearly"
        )
    for outsider in (p.staff, p.tech_manager, p.gm):
        with pytest.raises(PermissionDenied):
            services.objective_save(user=outsider, code="y", name="y", target=1)


def test_dates_inside_a_period_and_the_quarter_boundaries(p):
    satisfaction = factories.objective("satisfaction")
    m = services.measurement_record(
        user=p.controller, objective=satisfaction, period=date(2026, 2, 14), value=92
    )
    assert (m.period_start, m.period_end) == (date(2026, 1, 1), date(2026, 3, 31))
    again = services.measurement_record(
        user=p.controller, objective=satisfaction, period="2026年第1季度", value=92
    )
    assert again.pk == m.pk
    assert factories.today() - timedelta(days=1) >= date(2026, 3, 31)
