"""Builders for compliance tests; every write goes through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from documents import roles
from documents.tests import factories as doc_factories

from .. import nonconformities as nc_services
from ..lifecycle import NonconformitySource, NonconformityStatus
from ..models import Clause, Nonconformity, NonconformityGrade
from ..services import clause_for

S = NonconformityStatus


@dataclass
class People:
    """One user per role, in the demo's departments."""

    controller: Any  # 文控, 行政部: verifies and closes
    auditor: Any  # 内审员, 行政部: verifies too
    mr: Any  # 管理者代表, 管理层: approves findings and extensions
    gm: Any  # 总经理, 管理层
    tech_manager: Any  # 部门经理, 技术部: accepts 技术部's plans
    market_manager: Any  # 部门经理, 市场部
    staff: Any  # 员工, 技术部: owns 技术部's actions


def people() -> People:
    roles.departments_ensure()
    user = doc_factories.user
    return People(
        controller=user("controller", role=roles.DOCUMENT_CONTROLLER),
        auditor=user("auditor", role=roles.INTERNAL_AUDITOR),
        mr=user("mr", role=roles.MANAGEMENT_REPRESENTATIVE, department_name="管理层"),
        gm=user("gm", role=roles.GENERAL_MANAGER, department_name="管理层"),
        tech_manager=user(
            "tech_manager", role=roles.DEPARTMENT_MANAGER, department_name="技术部"
        ),
        market_manager=user(
            "market_manager", role=roles.DEPARTMENT_MANAGER, department_name="市场部"
        ),
        staff=user("staff", role=roles.STAFF, department_name="技术部"),
    )


def clause(ref_id: str = "8.5.1", standard: str = "iso20000-1-2018") -> Clause:
    return clause_for(ref_id, standard=standard)


def grade(code: str = "major") -> NonconformityGrade:
    return NonconformityGrade.objects.get(code=code)


def nonconformity(
    raised_by,
    *,
    clause_ref: str | None = "8.5.1",
    department: str = "技术部",
    grade_code: str = "major",
    source: str = NonconformitySource.STAFF_REPORT,
    title: str = "变更未经CAB评审即实施",
    facts: str = "抽查三张变更单，其中一张无评审记录。",
    **extra: Any,
) -> Nonconformity:
    return nc_services.nonconformity_raise(
        user=raised_by,
        title=title,
        facts=facts,
        department=doc_factories.department(department),
        grade=grade(grade_code),
        source=source,
        clause=clause(clause_ref) if clause_ref else None,
        **extra,
    )


def advance(
    nc: Nonconformity, people: People, target: str, *, today: date
) -> Nonconformity:
    """Move a 技术部 nonconformity along the normal path up to ``target``."""
    path = [S.PLANNED, S.ACCEPTED, S.IMPLEMENTED, S.EFFECTIVE, S.CLOSED]
    if nc.status == S.DRAFT:
        nc = nc_services.nonconformity_approve(user=people.mr, nonconformity=nc)
    start = path.index(nc.status) + 1 if nc.status in path else 0
    for step in path[start:]:
        if nc.status == target:
            break
        if step == S.PLANNED:
            nc_services.nonconformity_plan(
                user=people.staff,
                nonconformity=nc,
                root_cause="CAB会议未覆盖紧急变更",
                target="所有变更均有评审记录",
                actions="修订变更管理程序并培训",
                owner=people.staff,
                due_date=today + timedelta(days=30),
            )
        elif step == S.ACCEPTED:
            nc_services.nonconformity_accept(user=people.tech_manager, nonconformity=nc)
        elif step == S.IMPLEMENTED:
            nc_services.nonconformity_implement(
                user=people.staff, nonconformity=nc, description="已修订并完成培训"
            )
        elif step == S.EFFECTIVE:
            nc_services.nonconformity_verify(
                user=people.controller,
                nonconformity=nc,
                effective=True,
                comment="抽查十张变更单均有评审记录",
            )
        elif step == S.CLOSED:
            nc_services.nonconformity_close(user=people.controller, nonconformity=nc)
        nc = Nonconformity.objects.get(pk=nc.pk)
    return nc
