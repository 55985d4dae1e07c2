"""The shapes of the demo content and the helpers that write its bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape

from documents.lifecycle import DocumentKind


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str | None
    department: str
    last_name: str
    first_name: str
    job_title: str
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def role_label(self) -> str:
        return self.role or "超级管理员"


ADMIN = "行政部"
TECH = "技术部"
MARKET = "市场部"
MANAGEMENT = "管理层"

FILE_SERVER = "文件服务器 \\\\受控文件"
CABINET = "行政部文件柜"
TICKETS = "IT服务管理工单系统"


@dataclass(frozen=True)
class DemoIssue:
    label: str
    publish_date: date
    change_summary: str = ""
    body: str | None = None
    """The revised body released by this issue; ``None`` keeps the current one."""


@dataclass(frozen=True)
class DemoField:
    """A field of a fillable demo form, as Wagtail's form builder defines it; the
    fields are saved with the draft, so the first issue releases them."""

    label: str
    field_type: str = "singleline"
    required: bool = False
    choices: tuple[str, ...] = ()
    help_text: str = ""


@dataclass(frozen=True)
class DemoDocument:
    number: str
    """The number it gets in the ``abcd`` scheme; checked when that scheme is on."""
    title: str
    department: str
    description: str
    body: str
    issues: tuple[DemoIssue, ...]
    storage_location: str = FILE_SERVER
    retention_period: str = ""
    children: tuple[DemoDocument, ...] = ()
    fields: tuple[DemoField, ...] = ()
    """A form's fields to fill (记录字段); empty for a form filled on paper."""

    @property
    def kind(self) -> str:
        return {
            "A": DocumentKind.MANUAL,
            "B": DocumentKind.PROCEDURE,
            "C": DocumentKind.INSTRUCTION,
            "D": DocumentKind.FORM,
        }[self.number[0]]


def _section(heading: str, content: str | Sequence[str]) -> str:
    if isinstance(content, str):
        inner = f"<p>{escape(content)}</p>"
    else:
        items = "".join(f"<li>{escape(item)}</li>" for item in content)
        inner = f"<ul>{items}</ul>"
    return f"<h2>{escape(heading)}</h2>{inner}"


def _procedure(
    purpose: str,
    scope: str,
    duties: Sequence[str],
    steps: Sequence[str],
    records: Sequence[str],
) -> str:
    return "".join(
        [
            _section("1 目的", purpose),
            _section("2 适用范围", scope),
            _section("3 职责", duties),
            _section("4 工作程序", steps),
            _section("5 相关记录", records),
        ]
    )


def _instruction(purpose: str, steps: Sequence[str], notes: Sequence[str]) -> str:
    return "".join(
        [
            _section("1 目的", purpose),
            _section("2 操作步骤", steps),
            _section("3 注意事项", notes),
        ]
    )


def _form(use: str, fields: Sequence[str], how: str) -> str:
    return "".join(
        [
            _section("用途", use),
            _section("表单栏目", fields),
            _section("填写与保存", how),
        ]
    )


def _a(day: date) -> tuple[DemoIssue, ...]:
    return (DemoIssue("A", day),)


# Publish dates are spread over 2023–2026 so that, with the three-year review
# period, some documents are overdue for review (A of 2023-03-01) and some fall
# due soon (2023-12-15, 2024-01-08).
D_FIRST = date(2023, 3, 1)
D_LATE_2023 = date(2023, 12, 15)


@dataclass(frozen=True)
class DemoExternal:
    title: str
    slug: str
    issuer: str
    reference: str
    edition: str
    department: str
    description: str
    body: str


@dataclass(frozen=True)
class DemoOther:
    title: str
    slug: str
    reference: str
    counterparty: str
    department: str
    description: str
    body: str
    publish_date: date
