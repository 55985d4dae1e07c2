"""Retention rules of records: read the register's wording, compute end dates.

Pure: no ORM access, no settings. Each form in the record register (保存期限
column) says how long its records are kept (ISO/IEC 20000-1:2018 7.5.3.2 —
retention and disposition of documented information). A rule is one of:

==========  ====================================  ===============================
Kind        Register wording (:func:`describe`)   End date (:func:`end_date`)
==========  ====================================  ===============================
fixed       ``3年``, ``6个月``                     start + the period
permanent   ``永久``                               none: never due
event       ``离职后1年``, ``报废后1年``,           event date + the period; none
            ``停产后1年``, ``至离职`` (period 0)     while the event hasn't happened
==========  ====================================  ===============================

Periods are whole calendar months: a year is 12 months, and adding months keeps
the day of the month except where the target month is shorter (31 January + 1
month → 28/29 February; 29 February 2028 + 12 months → 28 February 2029).
A period is at most :data:`MAX_YEARS` years.

**Due on the end date.** A record is past retention (:attr:`RetentionState.DUE`)
from its end date on, inclusive: the period has run out on the end date itself.
A record made on 2026-11-22 with ``3年`` is retained through 2029-11-21 and may be
disposed of from 2029-11-22.

:func:`parse` reads the free text people wrote in the register (``三年``,
``不少于3年``, ``永久保存``, ``员工离职后一年``, ``3 years`` …) and refuses what it
can't read unambiguously (``长期``, ``按合同``) with :class:`RetentionParseError`.
:func:`describe` writes a rule back in the canonical register wording, a data
format (Chinese, never translated); :func:`summary` is the translated text for
screens.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

MAX_YEARS: Final = 100
"""Longest retention period accepted, in years."""

MAX_MONTHS: Final = 12 * MAX_YEARS


class RetentionKind(models.TextChoices):
    FIXED = "fixed", _("Fixed period")
    PERMANENT = "permanent", _("Permanent")
    EVENT = "event", _("After an event")


class RetentionEvent(models.TextChoices):
    EMPLOYEE_EXIT = "employee_exit", _("Employee leaves")
    EQUIPMENT_SCRAPPED = "equipment_scrapped", _("Equipment scrapped")
    PRODUCT_DISCONTINUED = "product_discontinued", _("Product discontinued")


class RetentionState(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    PENDING_EVENT = "pending_event", _("Pending event")
    RUNNING = "running", _("Retained")
    DUE = "due", _("Past retention")


# The register's word for each event, and the subjects it may be preceded by
# (员工离职后1年, 设备报废后1年, 产品停产后1年). Data, not translations.
_EVENT_WORDS: Final[dict[str, str]] = {
    RetentionEvent.EMPLOYEE_EXIT: "离职",
    RetentionEvent.EQUIPMENT_SCRAPPED: "报废",
    RetentionEvent.PRODUCT_DISCONTINUED: "停产",
}
_EVENT_SUBJECTS: Final[dict[str, tuple[str, ...]]] = {
    RetentionEvent.EMPLOYEE_EXIT: ("员工", "人员", "职工"),
    RetentionEvent.EQUIPMENT_SCRAPPED: ("设备", "资产"),
    RetentionEvent.PRODUCT_DISCONTINUED: ("产品",),
}


class RetentionParseError(ValueError):
    """Register text that is not a retention period :func:`parse` can read.

    ``text`` is the text as given; ``str()`` is a translated message naming it.
    """

    def __init__(self, text: str, message: str | None = None) -> None:
        self.text = text
        if message is None:
            message = gettext(
                "“%(text)s” is not a retention period. Write a period such as "
                "“3年” or “6个月”, “永久”, or a period after an event such as "
                "“离职后1年”, “报废后1年” or “停产后1年”."
            ) % {"text": text}
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RetentionRule:
    """How long records are kept: a fixed period, for ever, or after an event.

    ``kind`` is a :class:`RetentionKind` value, ``months`` the period in calendar
    months, ``event`` a :class:`RetentionEvent` value (event rules only). Raises
    ValueError for an inconsistent combination: fixed needs ``months`` > 0 and no
    event, permanent ``months`` == 0 and no event, event an event and ``months``
    >= 0 (0: due when the event happens). ``months`` is at most
    :data:`MAX_MONTHS`.
    """

    kind: str
    months: int = 0
    event: str = ""

    def __post_init__(self) -> None:
        if self.kind not in RetentionKind.values:
            raise ValueError(
                gettext("“%(kind)s” is not a kind of retention.") % {"kind": self.kind}
            )
        months = self.months
        if isinstance(months, bool) or not isinstance(months, int):
            raise ValueError(
                gettext("A retention period must be a whole number of months.")
            )
        if not 0 <= months <= MAX_MONTHS:
            raise ValueError(
                gettext("A retention period must be between 0 and %(max)d months.")
                % {"max": MAX_MONTHS}
            )
        if self.kind == RetentionKind.EVENT:
            if self.event not in RetentionEvent.values:
                raise ValueError(
                    gettext("“%(event)s” is not an event retention can follow.")
                    % {"event": self.event}
                )
        elif self.event != "":
            raise ValueError(gettext("Only retention after an event names an event."))
        if self.kind == RetentionKind.FIXED and months == 0:
            raise ValueError(
                gettext("A fixed retention period must be at least 1 month.")
            )
        if self.kind == RetentionKind.PERMANENT and months != 0:
            raise ValueError(gettext("Permanent retention has no period."))
        # Store plain strings: enum members hash differently from their values,
        # which would make equal rules hash differently.
        object.__setattr__(self, "kind", str(RetentionKind(self.kind).value))
        if self.event:
            object.__setattr__(self, "event", str(RetentionEvent(self.event).value))


# -- parse ----------------------------------------------------------------------

_CN_DIGITS: Final[dict[str, int]] = dict(
    zip("一二两三四五六七八九", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_D: Final = "[一二两三四五六七八九]"
# 一 … 九, 十, 十一, 二十, 九十九, 一百, 一百零五, 一百二十 …
_CN_NUMBER_RE: Final = re.compile(
    rf"(?:(?P<h>{_D})百(?P<zero>[零〇])?)?(?:(?P<t>{_D})?(?P<ten>十))?(?P<u>{_D})?"
)
_NUMBER: Final = r"[0-9]+|[零〇一二两三四五六七八九十百]+"
_PERIOD_ZH_RE: Final = re.compile(rf"(?P<n>{_NUMBER})(?P<unit>年半|年|个月)")
_PERIOD_EN_RE: Final = re.compile(r"(?P<n>[0-9]+)(?P<unit>years?|yrs?|y|months?|mos?)")
_MIN_PREFIXES: Final = (
    "不少于",
    "不低于",
    "不短于",
    "至少",
    "最少",
    "≥",
    ">=",
    "atleast",
    "minimum",
    "notlessthan",
)
_MIN_SUFFIXES: Final = ("及以上", "或以上", "以上", "ormore", "minimum")
_WRAP_PREFIXES: Final = ("保存期限为", "保存期限", "保存期", "保存", "保留", "留存")
_WRAP_SUFFIXES: Final = ("保存", "保留", "留存")
_PERMANENT: Final = frozenset(
    {"永久", "永久性", "终生", "终身", "permanent", "permanently", "forever"}
)
_AMBIGUOUS: Final = frozenset({"长期", "长久", "longterm"})
_EVENT_EN_RE: Final[dict[str, re.Pattern[str]]] = {
    RetentionEvent.EMPLOYEE_EXIT: re.compile(
        r"(?:the)?employee(?:leaves|exits?|leaving|departure)|leaving"
    ),
    RetentionEvent.EQUIPMENT_SCRAPPED: re.compile(
        r"(?:the)?equipment(?:is)?scrapped|scrapping"
    ),
    RetentionEvent.PRODUCT_DISCONTINUED: re.compile(
        r"(?:the)?product(?:is)?discontinued|discontinuation"
    ),
}
# Longer text is refused before any int() conversion; no register entry is close.
_MAX_TEXT_LENGTH: Final = 100


def parse(text: str) -> RetentionRule:
    """Read the retention wording of the record register.

    Accepts fixed periods (``3年``, ``三年``, ``３年``, ``十年``, ``两年``,
    ``6个月``, ``半年``, ``一年半``, ``不少于3年``, ``至少3年``, ``3年以上``,
    ``保存3年``, ``3 years``, ``3y``, ``6 months``), permanent (``永久``,
    ``永久保存``, ``终生保存``, ``终身``, ``permanent``), and periods after an event
    (``离职后1年``, ``员工离职后一年``, ``报废后1年``, ``设备报废后1年``,
    ``停产后一年``, ``产品停产后1年``, ``至离职``, ``1 year after employee
    leaves``). Whitespace and full-width characters don't matter.

    Raises :class:`RetentionParseError` for blank text, ambiguous wording
    (``长期``), anything else it can't read (``按合同``, ``6月`` — June?), a zero
    or negative fixed period, and periods over :data:`MAX_YEARS` years.
    """
    original = text
    if not isinstance(text, str):
        raise RetentionParseError(str(text))
    compact = _compact(text)
    if not compact:
        raise RetentionParseError(
            original,
            gettext("The retention period is empty; write e.g. “3年” or “永久”."),
        )
    if len(compact) > _MAX_TEXT_LENGTH:
        raise RetentionParseError(original)
    body = _strip_wrappers(compact)
    if body in _AMBIGUOUS:
        raise RetentionParseError(
            original,
            gettext(
                "“%(text)s” is ambiguous: write a number of years (e.g. “10年”) "
                "or “永久”."
            )
            % {"text": original},
        )
    if body in _PERMANENT:
        return RetentionRule(RetentionKind.PERMANENT)
    event_rule = _parse_event(body, original)
    if event_rule is not None:
        return event_rule
    months = _parse_period(body, original)
    if months is None:
        raise RetentionParseError(original)
    if months == 0:
        raise RetentionParseError(
            original,
            gettext(
                "“%(text)s” is not a retention period: a fixed period must be at "
                "least 1 month."
            )
            % {"text": original},
        )
    return RetentionRule(RetentionKind.FIXED, months)


def _compact(text: str) -> str:
    # NFKC: full-width digits and letters → ASCII, full-width colon → ":".
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(text.split())
    return text.strip("。.;；,，")


def _strip_wrappers(text: str) -> str:
    for prefix in _WRAP_PREFIXES:
        if text.startswith(prefix):
            text = text.removeprefix(prefix).lstrip(":为")
            break
    for suffix in _WRAP_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text.removesuffix(suffix)
            break
    return text


def _parse_event(body: str, original: str) -> RetentionRule | None:
    """A rule for ``<event>后<period>``, ``至<event>`` and English; else None."""
    for event, word in _EVENT_WORDS.items():
        subjects = "|".join(_EVENT_SUBJECTS[event])
        event_re = rf"(?:{subjects})?{word}"
        match = re.fullmatch(rf"{event_re}后(?P<period>.+)", body)
        if match:
            months = _parse_period(match["period"], original)
            if months is None:
                raise RetentionParseError(original)
            return RetentionRule(RetentionKind.EVENT, months, event)
        if re.fullmatch(rf"(?:直至|直到|至){event_re}(?:时|为止)?|{event_re}时", body):
            return RetentionRule(RetentionKind.EVENT, 0, event)
    for event, pattern in _EVENT_EN_RE.items():
        match = re.fullmatch(rf"(?P<period>.+?)after(?:{pattern.pattern})", body)
        if match:
            months = _parse_period(match["period"], original)
            if months is None:
                raise RetentionParseError(original)
            return RetentionRule(RetentionKind.EVENT, months, event)
        if re.fullmatch(rf"(?:until|till)(?:{pattern.pattern})", body):
            return RetentionRule(RetentionKind.EVENT, 0, event)
    return None


def _parse_period(text: str, original: str) -> int | None:
    """Months in a period such as ``3年``, ``至少六个月``, ``3years``; else None.

    Raises :class:`RetentionParseError` for a period over :data:`MAX_YEARS` years.
    """
    for prefix in _MIN_PREFIXES:
        if text.startswith(prefix):
            text = text.removeprefix(prefix)
            break
    for suffix in _MIN_SUFFIXES:
        if text.endswith(suffix):
            text = text.removesuffix(suffix)
            break
    months: int | None = None
    if text == "半年":
        months = 6
    elif match := _PERIOD_ZH_RE.fullmatch(text):
        n = _read_number(match["n"])
        if n is not None:
            unit = match["unit"]
            months = n if unit == "个月" else 12 * n + (6 if unit == "年半" else 0)
    elif match := _PERIOD_EN_RE.fullmatch(text):
        n = int(match["n"])
        months = n if match["unit"].startswith("m") else 12 * n
    if months is not None and months > MAX_MONTHS:
        raise RetentionParseError(
            original,
            gettext(
                "“%(text)s” is longer than %(max)d years, the longest retention "
                "period accepted."
            )
            % {"text": original, "max": MAX_YEARS},
        )
    return months


def _read_number(text: str) -> int | None:
    """An ASCII or Chinese numeral (``12``, ``十二``, ``两``, ``一百零五``)."""
    if text.isascii():
        return int(text)
    if text in ("零", "〇"):
        return 0
    match = _CN_NUMBER_RE.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    hundreds = _CN_DIGITS[match["h"]] if match["h"] else 0
    tens = (_CN_DIGITS[match["t"]] if match["t"] else 1) if match["ten"] else 0
    units = _CN_DIGITS[match["u"]] if match["u"] else 0
    if match["h"] and match["ten"] and not match["t"]:
        return None  # 一百十: write 一百一十
    if match["zero"] and (match["ten"] or not match["u"]):
        return None  # 零 only fills an empty tens place: 一百零五
    return 100 * hundreds + 10 * tens + units


# -- write ----------------------------------------------------------------------


def describe(rule: RetentionRule) -> str:
    """The canonical register wording of ``rule``; :func:`parse` reads it back.

    ``3年`` (whole years), ``18个月`` (other periods), ``永久``, ``离职后1年``,
    ``报废后6个月``, ``至停产`` (period 0: due when the event happens).
    """
    if rule.kind == RetentionKind.PERMANENT:
        return "永久"
    if rule.kind == RetentionKind.FIXED:
        return _period_zh(rule.months)
    word = _EVENT_WORDS[rule.event]
    if rule.months == 0:
        return f"至{word}"
    return f"{word}后{_period_zh(rule.months)}"


def _period_zh(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years}年" if rest == 0 else f"{months}个月"


def summary(rule: RetentionRule) -> str:
    """``rule`` in the active language, for screens: ``3 years``, ``Permanent``,
    ``1 year after the employee leaves``; :func:`parse` reads the English back.
    """
    if rule.kind == RetentionKind.PERMANENT:
        return gettext("Permanent")
    period = _period_en(rule.months) if rule.months else ""
    if rule.kind == RetentionKind.FIXED:
        return period
    if rule.event == RetentionEvent.EMPLOYEE_EXIT:
        if not period:
            return gettext("Until the employee leaves")
        return gettext("%(period)s after the employee leaves") % {"period": period}
    if rule.event == RetentionEvent.EQUIPMENT_SCRAPPED:
        if not period:
            return gettext("Until the equipment is scrapped")
        return gettext("%(period)s after the equipment is scrapped") % {
            "period": period
        }
    if not period:
        return gettext("Until the product is discontinued")
    return gettext("%(period)s after the product is discontinued") % {"period": period}


def _period_en(months: int) -> str:
    years, rest = divmod(months, 12)
    if rest == 0:
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}


# -- dates ----------------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, clamped to the month's last day.

    31 January + 1 → 28/29 February; 29 February 2028 + 12 → 28 February 2029.
    A ``datetime`` becomes its date. Raises ValueError past the year 9999.
    """
    d = d.date() if isinstance(d, datetime) else d
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range (1..9999)")
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def end_date(
    rule: RetentionRule, *, start: date, event_on: date | None = None
) -> date | None:
    """The first day a record kept under ``rule`` is past retention, or None.

    Fixed: ``start`` + the period. Permanent: None. Event: None while ``event_on``
    (the day the employee left, the equipment was scrapped …) is None, else
    ``event_on`` + the period — counted from the event even if that is before
    ``start``.
    """
    if rule.kind == RetentionKind.PERMANENT:
        return None
    if rule.kind == RetentionKind.FIXED:
        return add_months(start, rule.months)
    if event_on is None:
        return None
    return add_months(event_on, rule.months)


def state(
    rule: RetentionRule, *, start: date, event_on: date | None, today: date
) -> str:
    """Where a record kept under ``rule`` stands on ``today`` (a RetentionState).

    PERMANENT for permanent rules; PENDING_EVENT for an event rule whose event
    hasn't happened; DUE from the end date on, the end date included (the period
    has run out on that day); RUNNING before it.
    """
    if rule.kind == RetentionKind.PERMANENT:
        return RetentionState.PERMANENT
    end = end_date(rule, start=start, event_on=event_on)
    if end is None:
        return RetentionState.PENDING_EVENT
    today = today.date() if isinstance(today, datetime) else today
    return RetentionState.DUE if today >= end else RetentionState.RUNNING
