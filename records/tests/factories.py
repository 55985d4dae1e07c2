"""Builders for records tests; every write goes through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from documents.models import DocumentPage, FormFieldDefinition
from documents.tests import factories as doc_factories

from .. import services

# The fields of the demo work order (运维工作单) used across the tests.
WORK_ORDER_FIELDS: tuple[dict[str, Any], ...] = (
    {"label": "报告人", "field_type": "singleline", "required": True},
    {"label": "故障描述", "field_type": "multiline", "required": True},
    {
        "label": "优先级",
        "field_type": "dropdown",
        "required": True,
        "choices": "高\n中\n低",
    },
    {"label": "处理时长（小时）", "field_type": "number", "required": False},
    {"label": "完成日期", "field_type": "date", "required": False},
)


def procedure(number: str = "B02", title: str = "服务台管理程序") -> DocumentPage:
    existing = DocumentPage.objects.filter(number=number).first()
    if existing is not None:
        return existing.specific
    return doc_factories.document(
        "procedure", title, number=number, issue=True, publish_date=date(2026, 1, 5)
    )


def form(
    number: str = "D0201",
    title: str = "运维工作单",
    *,
    fields: tuple[dict[str, Any], ...] | None = WORK_ORDER_FIELDS,
    retention_period: str = "5年",
    parent_number: str | None = None,
    dept_name: str = "技术部",
    issue: bool = True,
    publish_date: date = date(2026, 1, 5),
) -> DocumentPage:
    """A tier 4 form with fields, issued (effective) unless ``issue=False``."""
    parent = procedure(parent_number or "B" + number[1:3])
    page = doc_factories.document(
        "form",
        title,
        parent=parent,
        number=number,
        dept=doc_factories.department(dept_name),
        retention_period=retention_period,
    )
    if fields:
        page.form_fields = [FormFieldDefinition(**spec) for spec in fields]
        page.save()
        page.save_revision(log_action=False)
    if issue:
        from documents import services as doc_services

        doc_services.issue_create(user=None, document=page, publish_date=publish_date)
        page = DocumentPage.objects.get(pk=page.pk).specific
    return page


def work_order_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "bao_gao_ren": "张三",
        "gu_zhang_miao_shu": "打印机无法打印",
        "you_xian_ji": "中",
    }
    data.update(overrides)
    return data


def record(user, form_page=None, **kwargs: Any):
    form_page = form_page or DocumentPage.objects.get(number="D0201")
    kwargs.setdefault("data", work_order_data())
    return services.record_create(user=user, form=form_page, **kwargs)
