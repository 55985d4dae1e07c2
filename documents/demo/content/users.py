"""The demo users: one per role, in the demo departments."""

from __future__ import annotations

from documents import roles

from .schema import DemoUser

USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", None, "行政部", "赵", "建国", "系统管理员", is_superuser=True),
    DemoUser(
        "controller", roles.DOCUMENT_CONTROLLER, "行政部", "王", "文静", "文控专员"
    ),
    DemoUser(
        "mr", roles.MANAGEMENT_REPRESENTATIVE, "管理层", "李", "志强", "管理者代表"
    ),
    DemoUser("gm", roles.GENERAL_MANAGER, "管理层", "陈", "国华", "总经理"),
    DemoUser(
        "tech_manager", roles.DEPARTMENT_MANAGER, "技术部", "张", "伟", "技术部经理"
    ),
    DemoUser(
        "market_manager", roles.DEPARTMENT_MANAGER, "市场部", "刘", "芳", "市场部经理"
    ),
    DemoUser("auditor", roles.INTERNAL_AUDITOR, "行政部", "孙", "丽娜", "内审员"),
    DemoUser("staff", roles.STAFF, "技术部", "周", "明", "运维工程师"),
)
