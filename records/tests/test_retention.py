"""Tests for records.retention: pure, no database."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import translation

from records.retention import (
    MAX_MONTHS,
    RetentionEvent,
    RetentionKind,
    RetentionParseError,
    RetentionRule,
    RetentionState,
    add_months,
    describe,
    end_date,
    parse,
    state,
    summary,
)

FIXED, PERMANENT, EVENT = RetentionKind.FIXED, RetentionKind.PERMANENT, "event"
EXIT = RetentionEvent.EMPLOYEE_EXIT
SCRAPPED = RetentionEvent.EQUIPMENT_SCRAPPED
DISCONTINUED = RetentionEvent.PRODUCT_DISCONTINUED


def fixed(months: int) -> RetentionRule:
    return RetentionRule(FIXED, months)


def after(event: str, months: int) -> RetentionRule:
    return RetentionRule(EVENT, months, event)


FOREVER = RetentionRule(PERMANENT)

# Rules of every shape, for the round trips.
RULES = [
    fixed(1),
    fixed(6),
    fixed(12),
    fixed(18),
    fixed(24),
    fixed(36),
    fixed(60),
    fixed(120),
    fixed(MAX_MONTHS),
    FOREVER,
    after(EXIT, 0),
    after(EXIT, 12),
    after(EXIT, 6),
    after(SCRAPPED, 12),
    after(SCRAPPED, 30),
    after(DISCONTINUED, 12),
    after(DISCONTINUED, 0),
    after(DISCONTINUED, MAX_MONTHS),
]


# -- choices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        (
            RetentionKind,
            [
                ("fixed", "Fixed period"),
                ("permanent", "Permanent"),
                ("event", "After an event"),
            ],
        ),
        (
            RetentionEvent,
            [
                ("employee_exit", "Employee leaves"),
                ("equipment_scrapped", "Equipment scrapped"),
                ("product_discontinued", "Product discontinued"),
            ],
        ),
        (
            RetentionState,
            [
                ("permanent", "Permanent"),
                ("pending_event", "Pending event"),
                ("running", "Retained"),
                ("due", "Past retention"),
            ],
        ),
    ],
)
def test_choices(choices: type, expected: list[tuple[str, str]]) -> None:
    with translation.override("en"):
        assert [(value, str(label)) for value, label in choices.choices] == expected


# -- RetentionRule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "months", "event"),
    [
        ("fixed", 1, ""),
        ("fixed", 36, ""),
        ("fixed", MAX_MONTHS, ""),
        ("permanent", 0, ""),
        ("event", 0, "employee_exit"),
        ("event", 12, "equipment_scrapped"),
        ("event", 12, "product_discontinued"),
        (RetentionKind.EVENT, 12, RetentionEvent.EMPLOYEE_EXIT),
    ],
)
def test_rule_accepts(kind: str, months: int, event: str) -> None:
    rule = RetentionRule(kind, months, event)
    assert (rule.kind, rule.months, rule.event) == (kind, months, event)
    # Stored as plain strings, so equal rules hash alike.
    assert type(rule.kind) is str and type(rule.event) is str
    assert hash(rule) == hash(RetentionRule(str(kind), months, str(event)))


@pytest.mark.parametrize(
    ("kind", "months", "event"),
    [
        ("fixed", 0, ""),
        ("fixed", -12, ""),
        ("fixed", 12, "employee_exit"),
        ("fixed", MAX_MONTHS + 1, ""),
        ("fixed", 12.0, ""),
        ("fixed", True, ""),
        ("permanent", 12, ""),
        ("permanent", 0, "employee_exit"),
        ("event", 12, ""),
        ("event", -1, "employee_exit"),
        ("event", 12, "retirement"),
        ("event", 12, None),
        ("permanent", 0, None),
        ("long", 12, ""),
        ("", 0, ""),
        ("FIXED", 12, ""),
    ],
)
def test_rule_refuses(kind: str, months: int, event: str) -> None:
    with pytest.raises(ValueError):
        RetentionRule(kind, months, event)


def test_rule_is_frozen_and_comparable() -> None:
    rule = fixed(36)
    with pytest.raises(AttributeError):
        rule.months = 12  # type: ignore[misc]
    assert rule == RetentionRule("fixed", 36, "")
    assert {rule, RetentionRule(RetentionKind.FIXED, 36)} == {rule}


# -- parse -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # fixed, in years
        ("3年", fixed(36)),
        ("3 年", fixed(36)),
        (" 3年 ", fixed(36)),
        ("３年", fixed(36)),
        ("三年", fixed(36)),
        ("5年", fixed(60)),
        ("五年", fixed(60)),
        ("一年", fixed(12)),
        ("两年", fixed(24)),
        ("二年", fixed(24)),
        ("十年", fixed(120)),
        ("10年", fixed(120)),
        ("１０年", fixed(120)),
        ("十一年", fixed(132)),
        ("十五年", fixed(180)),
        ("二十年", fixed(240)),
        ("二十五年", fixed(300)),
        ("一百年", fixed(1200)),
        ("100年", fixed(1200)),
        ("不少于3年", fixed(36)),
        ("不低于3年", fixed(36)),
        ("至少3年", fixed(36)),
        ("至少三年", fixed(36)),
        ("3年以上", fixed(36)),
        ("3年及以上", fixed(36)),
        ("保存3年", fixed(36)),
        ("保存期限：3年", fixed(36)),
        ("3年。", fixed(36)),
        # fixed, in months
        ("6个月", fixed(6)),
        ("六个月", fixed(6)),
        ("6 个 月", fixed(6)),
        ("十八个月", fixed(18)),
        ("36个月", fixed(36)),
        ("一百二十个月", fixed(120)),
        ("半年", fixed(6)),
        ("一年半", fixed(18)),
        ("1年半", fixed(18)),
        # permanent
        ("永久", FOREVER),
        ("永久保存", FOREVER),
        ("终生保存", FOREVER),
        ("终身", FOREVER),
        ("终身保存", FOREVER),
        (" 永久 ", FOREVER),
        # after an event
        ("离职后1年", after(EXIT, 12)),
        ("离职后一年", after(EXIT, 12)),
        ("员工离职后1年", after(EXIT, 12)),
        ("人员离职后两年", after(EXIT, 24)),
        ("离职后6个月", after(EXIT, 6)),
        ("离职后至少1年", after(EXIT, 12)),
        ("离职后1年以上", after(EXIT, 12)),
        ("离职后0年", after(EXIT, 0)),
        ("至离职", after(EXIT, 0)),
        ("保存至员工离职", after(EXIT, 0)),
        ("离职时", after(EXIT, 0)),
        ("报废后1年", after(SCRAPPED, 12)),
        ("报废后一年", after(SCRAPPED, 12)),
        ("设备报废后1年", after(SCRAPPED, 12)),
        ("设备报废后１年", after(SCRAPPED, 12)),
        ("至设备报废", after(SCRAPPED, 0)),
        ("停产后1年", after(DISCONTINUED, 12)),
        ("停产后一年", after(DISCONTINUED, 12)),
        ("产品停产后一年", after(DISCONTINUED, 12)),
        ("产品停产后3年保存", after(DISCONTINUED, 36)),
        # English
        ("3 years", fixed(36)),
        ("3 Years", fixed(36)),
        ("1 year", fixed(12)),
        ("3y", fixed(36)),
        ("3 yrs", fixed(36)),
        ("6 months", fixed(6)),
        ("1 month", fixed(1)),
        ("at least 3 years", fixed(36)),
        ("permanent", FOREVER),
        ("Permanent", FOREVER),
        ("1 year after employee leaves", after(EXIT, 12)),
        ("1 year after the employee leaves", after(EXIT, 12)),
        ("2 years after the equipment is scrapped", after(SCRAPPED, 24)),
        ("6 months after the product is discontinued", after(DISCONTINUED, 6)),
        ("Until the employee leaves", after(EXIT, 0)),
    ],
)
def test_parse(text: str, expected: RetentionRule) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\u3000",
        "长期",  # ambiguous
        "长期保存",
        "按合同",
        "按合同约定",
        "0年",
        "零年",
        "0个月",
        "-1年",
        "－1年",
        "1000年",
        "101年",
        "一百零一年",
        "1201个月",
        "99999999999999999999年",
        "6月",  # June, or six months?
        "3",
        "年",
        "三五年",
        "十十年",
        "一百十年",
        "3.5年",
        "3年5年",
        "离职",
        "离职后",
        "离职后长期",
        "离职后1000年",
        "退休后1年",
        "0 years",
        "3 weeks",
        "forever and ever",
        "永久" * 60,  # too long to be a register entry
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(RetentionParseError):
        parse(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("按合同", "“按合同”"),
        ("长期", "ambiguous"),
        ("1000年", "100 years"),
        ("0年", "at least 1 month"),
        ("", "empty"),
    ],
)
def test_parse_error_message_names_the_text(text: str, fragment: str) -> None:
    with translation.override("en"), pytest.raises(RetentionParseError) as excinfo:
        parse(text)
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.text == text
    assert fragment in str(error)
    assert str(error) == error.message
    if text:
        assert f"“{text}”" in str(error)


# -- describe / summary -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (fixed(36), "3年"),
        (fixed(12), "1年"),
        (fixed(120), "10年"),
        (fixed(6), "6个月"),
        (fixed(1), "1个月"),
        (fixed(18), "18个月"),
        (FOREVER, "永久"),
        (after(EXIT, 12), "离职后1年"),
        (after(SCRAPPED, 12), "报废后1年"),
        (after(DISCONTINUED, 12), "停产后1年"),
        (after(EXIT, 6), "离职后6个月"),
        (after(EXIT, 0), "至离职"),
    ],
)
def test_describe(rule: RetentionRule, expected: str) -> None:
    assert describe(rule) == expected


@pytest.mark.parametrize("rule", RULES)
def test_parse_reads_describe_back(rule: RetentionRule) -> None:
    assert parse(describe(rule)) == rule


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (fixed(36), "3 years"),
        (fixed(12), "1 year"),
        (fixed(1), "1 month"),
        (fixed(18), "18 months"),
        (FOREVER, "Permanent"),
        (after(EXIT, 12), "1 year after the employee leaves"),
        (after(SCRAPPED, 24), "2 years after the equipment is scrapped"),
        (after(DISCONTINUED, 6), "6 months after the product is discontinued"),
        (after(EXIT, 0), "Until the employee leaves"),
        (after(SCRAPPED, 0), "Until the equipment is scrapped"),
        (after(DISCONTINUED, 0), "Until the product is discontinued"),
    ],
)
def test_summary(rule: RetentionRule, expected: str) -> None:
    with translation.override("en"):
        assert summary(rule) == expected


@pytest.mark.parametrize("rule", RULES)
def test_parse_reads_english_summary_back(rule: RetentionRule) -> None:
    with translation.override("en"):
        assert parse(summary(rule)) == rule


# -- dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 11, 22), 36, date(2029, 11, 22)),
        (date(2026, 11, 22), 1, date(2026, 12, 22)),
        (date(2026, 12, 22), 1, date(2027, 1, 22)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
        (date(2026, 5, 10), -12, date(2025, 5, 10)),
        (datetime(2026, 5, 10, 15, 30), 12, date(2027, 5, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    result = add_months(start, months)
    assert result == expected
    assert type(result) is date


def test_add_months_past_year_9999_raises() -> None:
    with pytest.raises(ValueError):
        add_months(date(9999, 6, 1), 12)


START = date(2026, 11, 22)
EXIT_DAY = date(2027, 3, 15)


@pytest.mark.parametrize(
    ("rule", "event_on", "expected"),
    [
        (fixed(36), None, date(2029, 11, 22)),
        (fixed(36), EXIT_DAY, date(2029, 11, 22)),  # fixed ignores events
        (fixed(6), None, date(2027, 5, 22)),
        (FOREVER, None, None),
        (FOREVER, EXIT_DAY, None),
        (after(EXIT, 12), None, None),
        (after(EXIT, 12), EXIT_DAY, date(2028, 3, 15)),
        (after(SCRAPPED, 6), EXIT_DAY, date(2027, 9, 15)),
        (after(EXIT, 0), EXIT_DAY, EXIT_DAY),
        # counted from the event even when it happened before the record's date
        (after(EXIT, 12), date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_end_date(
    rule: RetentionRule, event_on: date | None, expected: date | None
) -> None:
    assert end_date(rule, start=START, event_on=event_on) == expected


def test_end_date_of_leap_day_record() -> None:
    assert end_date(fixed(12), start=date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("rule", "event_on", "today", "expected"),
    [
        (FOREVER, None, date(2126, 1, 1), RetentionState.PERMANENT),
        (FOREVER, EXIT_DAY, date(2126, 1, 1), RetentionState.PERMANENT),
        (fixed(36), None, START, RetentionState.RUNNING),
        (fixed(36), None, date(2029, 11, 21), RetentionState.RUNNING),
        (fixed(36), None, date(2029, 11, 22), RetentionState.DUE),  # the end date
        (fixed(36), None, date(2029, 11, 23), RetentionState.DUE),
        (fixed(36), None, date(2026, 1, 1), RetentionState.RUNNING),  # before start
        (after(EXIT, 12), None, date(2126, 1, 1), RetentionState.PENDING_EVENT),
        (after(EXIT, 12), EXIT_DAY, date(2028, 3, 14), RetentionState.RUNNING),
        (after(EXIT, 12), EXIT_DAY, date(2028, 3, 15), RetentionState.DUE),
        (after(EXIT, 0), EXIT_DAY, EXIT_DAY, RetentionState.DUE),
        (after(EXIT, 0), EXIT_DAY, date(2027, 3, 14), RetentionState.RUNNING),
        (after(DISCONTINUED, 0), None, EXIT_DAY, RetentionState.PENDING_EVENT),
        (fixed(36), None, datetime(2029, 11, 22, 0, 1), RetentionState.DUE),
    ],
)
def test_state(
    rule: RetentionRule, event_on: date | None, today: date, expected: str
) -> None:
    assert state(rule, start=START, event_on=event_on, today=today) == expected
