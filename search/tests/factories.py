"""Builders for search tests: issued documents, records, clauses,
nonconformities and audit findings, made through the apps' own factories and
services so that search sees them exactly as the apps save them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from compliance.tests import factories as compliance_factories
from documents import roles, services
from documents.models import DocumentIssue, DocumentPage
from documents.tests import factories as doc_factories
from records.tests import factories as record_factories
from search.engines.database import forget_stats
from search.models import SearchEntry

PUBLISH = date(2026, 1, 5)


@dataclass
class People:
    """One user per role of the demo, and a customer representative."""

    controller: Any  # 文控, 行政部
    auditor: Any  # 内审员, 行政部
    mr: Any  # 管理者代表, 管理层
    gm: Any  # 总经理, 管理层
    tech_manager: Any  # 部门经理, 技术部
    market_manager: Any  # 部门经理, 市场部
    staff: Any  # 员工, 技术部
    admin_staff: Any  # 员工, 行政部
    market_staff: Any  # 员工, 市场部
    customer: Any  # 客户代表, no department


def people() -> People:
    p = compliance_factories.people()
    user = doc_factories.user
    return People(
        controller=p.controller,
        auditor=p.auditor,
        mr=p.mr,
        gm=p.gm,
        tech_manager=p.tech_manager,
        market_manager=p.market_manager,
        staff=p.staff,
        admin_staff=user("admin_staff", role=roles.STAFF, department_name="行政部"),
        market_staff=user("market_staff", role=roles.STAFF, department_name="市场部"),
        customer=user(
            "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
        ),
    )


def document(
    title: str,
    number: str,
    *,
    kind: str = "procedure",
    dept: str = "行政部",
    body: str = "",
    source_text: str = "",
    description: str = "",
    parent: Any = None,
    issue: bool = True,
    publish_date: date = PUBLISH,
    effective_date: date | None = None,
) -> DocumentPage:
    """A document with a body and extracted file text, issued unless
    ``issue=False`` (then a draft never issued)."""
    fields: dict[str, Any] = {}
    if body:
        fields["body"] = body if body.startswith("<") else f"<p>{body}</p>"
    if source_text:
        fields["source_text"] = source_text
    if description:
        fields["description"] = description
    page = doc_factories.document(
        kind,
        title,
        number=number,
        parent=parent,
        dept=doc_factories.department(dept),
        **fields,
    )
    if issue:
        services.issue_create(
            user=None,
            document=page,
            publish_date=publish_date,
            effective_date=effective_date,
        )
    return DocumentPage.objects.get(pk=page.pk).specific


def reissue(
    page: DocumentPage,
    *,
    title: str | None = None,
    body: str | None = None,
    source_text: str | None = None,
    publish_date: date = date(2026, 6, 1),
    effective_date: date | None = None,
) -> DocumentIssue:
    """The next issue of ``page`` with a changed title, body or file text: in
    force at once, or approved and waiting for ``effective_date``."""
    page = DocumentPage.objects.get(pk=page.pk).specific
    if title is not None:
        page.title = title
    if body is not None:
        page.body = body if body.startswith("<") else f"<p>{body}</p>"
    if source_text is not None:
        page.source_text = source_text
    page.save_revision(log_action=False)
    return services.issue_create(
        user=None,
        document=page,
        publish_date=publish_date,
        effective_date=effective_date,
    )


def form(number: str = "D0201", title: str = "运维工作单", **kwargs: Any):
    """An issued form (tier 4) with the work-order fields, under its procedure."""
    return record_factories.form(number, title, **kwargs)


def record(user, form_page=None, **kwargs: Any):
    """A record of ``form_page`` (default D0201) filled by ``user``."""
    return record_factories.record(user, form_page, **kwargs)


def make_record_type_confidential(controller, form_page) -> None:
    from records import services as record_services

    record_type = record_services.record_type_ensure(form=form_page)
    record_services.record_type_update(
        user=controller,
        record_type=record_type,
        retention_class=record_type.retention_class,
        confidential=True,
    )


def clause(ref_id: str = "8.5.1"):
    return compliance_factories.clause(ref_id)


def nonconformity(raised_by, **kwargs: Any):
    return compliance_factories.nonconformity(raised_by, **kwargs)


def finding(
    controller,
    *,
    question: str = "变更是否经过CAB评审",
    evidence: str = "抽查变更单三张，一张缺少评审签字",
    result: str = "nonconforming",
    clause_ref: str = "8.5.1",
    department: str = "技术部",
):
    """A checklist item answered nonconforming (or as ``result``) on a planned
    audit. Saved directly: search indexes whatever the checklist service saves."""
    from audits.models import ChecklistItem
    from audits.tests import factories as audit_factories

    audit = audit_factories.audit(
        controller,
        clauses=(clause_ref,),
        departments=(department,),
        start=date.today() + timedelta(days=10),
    )
    position = ChecklistItem.objects.filter(audit=audit).count() + 1
    return ChecklistItem.objects.create(
        audit=audit,
        clause=clause(clause_ref),
        department=doc_factories.department(department),
        position=position,
        question=question,
        evidence=evidence,
        result=result,
        answered_by=controller,
        answered_at=timezone.now(),
        created_by=controller,
    )


def entry(key: str) -> SearchEntry:
    return SearchEntry.objects.get(key=key)


def issue_key(page: DocumentPage, label: str = "A") -> str:
    return f"issue:{page.issues.get(label=label).pk}"


# --- One library for many tests ----------------------------------------------------


def shared(build: Callable[[], Any]):
    """A module-scoped fixture holding what ``build()`` makes in the test
    database, rolled back after the module: building a library of issued
    documents takes seconds, and most search tests only read it. Tests using it
    still need ``db`` (each runs in a savepoint inside the module's block)."""

    @pytest.fixture(scope="module")
    def fixture(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), transaction.atomic():
            forget_stats()
            try:
                yield build()
            finally:
                forget_stats()
                transaction.set_rollback(True)

    return fixture


@dataclass
class Library:
    people: People
    b05: Any  # 文件控制程序 (行政部), body + extracted file text
    b17: Any  # 应急预案管理程序 (技术部)
    b08: Any  # 服务级别管理程序: SLA, mixed text, full-width
    b02: Any  # 服务台管理程序 (技术部)
    d0201: Any  # 运维工作单 (form of B02), aliases 运行服务单、服务工作单
    d0501: Any  # 文件审批表 (form of B05)
    d0503: Any  # 文件发放、回收记录 (form of B05)
    b06: Any  # 记录控制程序: issue A superseded by B (retitled 记录管理程序)
    b07: Any  # 变更管理程序: A effective, B approved and pending
    b10: Any  # 外包管理程序: withdrawn (作废)
    b11: Any  # 容量管理程序: a draft never issued
    b12: Any  # 薪酬保密管理程序: restricted to 行政部, 市场部 reads it
    old_record: Any  # D0201-2005031401 (技术部)
    secret_record: Any  # a confidential record of D0501 (行政部)
    nc: Any  # NC-…: 变更未经CAB评审即实施 (技术部, 8.5.1)
    finding: Any  # a nonconforming checklist item (技术部, 8.5.1)


FUTURE = date(2099, 1, 1)


def build_library() -> Library:
    from documents.access import document_set_access, document_set_aliases
    from documents.changes import document_withdraw
    from search import index

    p = people()
    b05 = document(
        "文件控制程序",
        "B05",
        body="本程序规定受控文件的编制、审批、发放与回收。",
        source_text="附件：受控文件分发登记，作废文件加盖印章后统一销毁。",
    )
    b17 = document(
        "应急预案管理程序", "B17", dept="技术部", body="应急预案的编制、演练与评审。"
    )
    b08 = document(
        "服务级别管理程序",
        "B08",
        dept="市场部",
        body="SLA管理……服务目标见ITSMS-P05第8.5.1条，报告编号ＲＰＴ２０２６。",
    )
    b02 = document("服务台管理程序", "B02", dept="技术部", body="服务台受理请求。")
    d0201 = form("D0201", "运维工作单")
    d0501 = form("D0501", "文件审批表", parent_number="B05", dept_name="行政部")
    d0503 = form("D0503", "文件发放、回收记录", parent_number="B05", dept_name="行政部")
    document_set_aliases(
        user=p.controller, document=d0201, aliases="运行服务单、服务工作单"
    )
    b06 = document("记录控制程序", "B06", body="记录的标识与贮存。旧条款甲乙。")
    reissue(b06, title="记录管理程序", body="记录的标识、贮存与处置。")
    b07 = document("变更管理程序", "B07", dept="技术部", body="变更的申请与评审。")
    reissue(b07, body="变更的申请与评审。新增紧急变更流程。", effective_date=FUTURE)
    b10 = document("外包管理程序", "B10", body="供方的选择与评价。")
    document_withdraw(user=p.controller, document=b10)
    b11 = document(
        "容量管理程序", "B11", dept="技术部", body="容量规划草稿。", issue=False
    )
    b12 = document("薪酬保密管理程序", "B12", body="薪酬数据的保管与查阅审批。")
    document_set_access(
        user=p.controller,
        document=b12,
        confidential=True,
        reader_departments=[doc_factories.department("市场部")],
    )
    old_record = record(p.staff, d0201, record_date=date(2005, 3, 14))
    make_record_type_confidential(p.controller, d0501)
    secret_record = record(p.admin_staff, d0501, record_date=date(2026, 3, 2))
    nc = nonconformity(p.controller)
    item = finding(p.controller)
    index.rebuild()  # clauses come from a data migration: index them too
    refresh = DocumentPage.objects.get
    return Library(
        people=p,
        b05=b05,
        b17=b17,
        b08=b08,
        b02=b02,
        d0201=refresh(pk=d0201.pk).specific,
        d0501=d0501,
        d0503=d0503,
        b06=refresh(pk=b06.pk).specific,
        b07=refresh(pk=b07.pk).specific,
        b10=refresh(pk=b10.pk).specific,
        b11=b11,
        b12=refresh(pk=b12.pk).specific,
        old_record=old_record,
        secret_record=secret_record,
        nc=nc,
        finding=item,
    )
