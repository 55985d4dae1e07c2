"""Who may do what with clauses, the matrix, traceability and nonconformities:
every question in compliance.permissions asked of every demo role."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from compliance import nonconformities as svc
from compliance import permissions as perms
from compliance.lifecycle import NonconformitySource
from compliance.lifecycle import NonconformityStatus as S
from compliance.models import Nonconformity
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

DEMO = {
    "admin",  # superuser, 行政部
    "controller",  # 文控, 行政部
    "mr",  # 管理者代表, 管理层
    "gm",  # 总经理, 管理层
    "tech_manager",  # 部门经理, 技术部
    "market_manager",  # 部门经理, 市场部
    "auditor",  # 内审员, 行政部
    "staff",  # 员工, 技术部
}
OUTSIDERS = {"customer", "retired", "anonymous"}
EVERYONE = DEMO | OUTSIDERS
TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(svc, "company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@dataclass
class World:
    users: dict[str, Any]
    tech_nc: Nonconformity  # against 技术部, owned by staff, raised by controller
    mgmt_nc: Nonconformity  # against 管理层 (no 部门经理), owned by mr
    admin_nc: Nonconformity  # against 行政部 (no 部门经理), owned by controller
    document: Any  # B05 of 行政部, issued

    def dept(self, name: str):
        return doc_factories.department(name)


@pytest.fixture
def world(db) -> World:
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == DEMO
    users["customer"] = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    users["retired"] = doc_factories.user(
        "retired", role=roles.DOCUMENT_CONTROLLER, is_active=False
    )
    users["anonymous"] = AnonymousUser()
    raised = factories.nonconformity(users["controller"])
    tech_nc = Nonconformity.objects.get(pk=raised.pk)
    tech_nc.owner = users["staff"]
    return World(
        users=users,
        tech_nc=tech_nc,
        mgmt_nc=Nonconformity(
            department=doc_factories.department("管理层"),
            owner=users["mr"],
            raised_by=users["auditor"],
        ),
        admin_nc=Nonconformity(
            department=doc_factories.department("行政部"),
            owner=users["controller"],
            raised_by=users["auditor"],
        ),
        document=doc_factories.document(
            "procedure", "文件控制程序", number="B05", issue=True
        ),
    )


def allowed(world: World, check) -> set[str]:
    return {name for name, user in world.users.items() if check(user, world)}


CASES = [
    ("can_view_compliance", lambda u, w: perms.can_view_compliance(u), DEMO),
    ("can_raise", lambda u, w: perms.can_raise(u), DEMO),
    (
        "can_view_reports",
        lambda u, w: perms.can_view_reports(u),
        DEMO - {"staff"},
    ),
    (
        "can_manage_catalogue",
        lambda u, w: perms.can_manage_catalogue(u),
        {"admin", "controller", "mr"},
    ),
    (
        "can_link_documents-any",
        lambda u, w: perms.can_link_documents(u),
        {"admin", "controller", "mr"},
    ),
    (
        # Whoever may draft the document: the roles with change rights on the
        # library (总经理, 部门经理) besides document control and 管理者代表.
        "can_link_documents-drafter",
        lambda u, w: perms.can_link_documents(u, w.document),
        {"admin", "controller", "mr", "gm", "tech_manager", "market_manager"},
    ),
    (
        "is_verifier",
        lambda u, w: perms.is_verifier(u),
        {"admin", "mr", "controller", "auditor"},
    ),
    ("can_approve", lambda u, w: perms.can_approve(u), {"admin", "mr"}),
    (
        "can_decide_extension",
        lambda u, w: perms.can_decide_extension(u),
        {"admin", "mr"},
    ),
    (
        "can_plan-tech",
        lambda u, w: perms.can_plan(u, w.tech_nc),
        {"admin", "tech_manager", "staff"},
    ),
    (
        "can_plan-management",
        lambda u, w: perms.can_plan(u, w.mgmt_nc),
        {"admin", "mr", "gm"},
    ),
    (
        "can_accept-tech",
        lambda u, w: perms.can_accept(u, w.tech_nc),
        {"admin", "tech_manager"},
    ),
    (
        "can_accept-management",
        lambda u, w: perms.can_accept(u, w.mgmt_nc),
        {"admin", "gm"},
    ),
    (
        "can_accept-administration",
        lambda u, w: perms.can_accept(u, w.admin_nc),
        {"admin", "gm"},
    ),
    (
        "can_implement-tech",
        lambda u, w: perms.can_implement(u, w.tech_nc),
        {"admin", "tech_manager", "staff"},
    ),
    (
        "can_implement-management",
        lambda u, w: perms.can_implement(u, w.mgmt_nc),
        {"admin", "gm", "mr"},
    ),
    (
        "can_request_extension-tech",
        lambda u, w: perms.can_request_extension(u, w.tech_nc),
        {"staff"},
    ),
    (
        "can_request_extension-management",
        lambda u, w: perms.can_request_extension(u, w.mgmt_nc),
        {"mr"},
    ),
    (
        "can_verify-tech",
        lambda u, w: perms.can_verify(u, w.tech_nc),
        {"admin", "mr", "controller", "auditor"},
    ),
    (
        "can_verify-own-action",
        lambda u, w: perms.can_verify(u, w.admin_nc),
        {"admin", "mr", "auditor"},
    ),
    (
        "can_verify-mr-own-action",
        lambda u, w: perms.can_verify(u, w.mgmt_nc),
        {"admin", "controller", "auditor"},
    ),
    (
        "can_close-tech",
        lambda u, w: perms.can_close(u, w.tech_nc),
        {"admin", "mr", "controller", "auditor"},
    ),
    (
        "can_close-own-action",
        lambda u, w: perms.can_close(u, w.admin_nc),
        {"admin", "mr", "auditor"},
    ),
    (
        "can_cancel-raised-by-controller",
        lambda u, w: perms.can_cancel(u, w.tech_nc),
        {"admin", "mr", "controller"},
    ),
    (
        "can_cancel-raised-by-auditor",
        lambda u, w: perms.can_cancel(u, w.admin_nc),
        {"admin", "mr"},
    ),
    (
        "can_request_change-tech",
        lambda u, w: perms.can_request_change(u, w.tech_nc),
        {"admin", "tech_manager", "staff", "mr", "controller", "auditor"},
    ),
    (
        "can_request_change-management",
        lambda u, w: perms.can_request_change(u, w.mgmt_nc),
        {"admin", "mr", "gm", "controller", "auditor"},
    ),
    (
        "visible_nonconformities",
        lambda u, w: list(perms.visible_nonconformities(u)) == [w.tech_nc],
        DEMO,
    ),
]


@pytest.mark.parametrize(
    ("check", "expected"),
    [(check, expected) for _name, check, expected in CASES],
    ids=[name for name, _check, _expected in CASES],
)
def test_who_may(world, check, expected):
    assert allowed(world, check) == expected
    # Nobody outside the company, and no inactive account, ever may.
    assert not allowed(world, check) & OUTSIDERS


def test_an_outsider_sees_no_nonconformity(world):
    for name in OUTSIDERS:
        assert not perms.visible_nonconformities(world.users[name]).exists(), name
    narrowed = Nonconformity.objects.filter(pk=world.tech_nc.pk)
    assert list(perms.visible_nonconformities(world.users["staff"], narrowed)) == [
        world.tech_nc
    ]


def test_department_heads(world):
    users = world.users

    def heads(name: str) -> set[str]:
        return {u.username for u in perms.department_heads(world.dept(name))}

    assert heads("技术部") == {"tech_manager"}
    assert heads("市场部") == {"market_manager"}
    # No 部门经理: SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES (总经理).
    assert heads("管理层") == {"gm"}
    assert heads("行政部") == {"gm"}
    # A manager who left no longer heads the department.
    users["tech_manager"].is_active = False
    users["tech_manager"].save()
    assert heads("技术部") == {"gm"}


def test_the_headless_acceptors_are_a_setting(world, settings):
    settings.SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES = (
        roles.MANAGEMENT_REPRESENTATIVE,
        roles.GENERAL_MANAGER,
    )
    assert {u.username for u in perms.department_heads(world.dept("管理层"))} == {
        "mr",
        "gm",
    }
    assert perms.can_accept(world.users["mr"], world.mgmt_nc)


def test_the_verifying_department_is_a_setting(world, settings):
    settings.SHOUKONG_CAPA_VERIFIER_DEPARTMENT = "技术部"
    assert perms.is_verifier(world.users["tech_manager"])
    assert not perms.is_verifier(world.users["controller"])
    assert not perms.is_verifier(world.users["staff"])  # 员工 is no verifier
    assert perms.is_verifier(world.users["mr"])


def test_ensure_turns_a_no_into_permission_denied():
    perms.ensure(True)
    with pytest.raises(PermissionDenied):
        perms.ensure(False)


# --- allowed_actions: what the pages and the API offer ----------------------------

VERIFIERS = ("admin", "mr", "controller", "auditor")
CHANGERS = ("admin", "tech_manager", "staff", "mr", "controller", "auditor")


def offered(**by_user: list[str]) -> dict[str, list[str]]:
    """The steps offered to each user: nothing unless named."""
    return {name: by_user.get(name, []) for name in sorted(EVERYONE)}


def with_change(actions: dict[str, list[str]]) -> dict[str, list[str]]:
    """While the finding is open, the department and the verifiers may also
    raise a document change request."""
    return {
        name: [*steps, "change-request"] if name in CHANGERS else steps
        for name, steps in actions.items()
    }


ACTION_CASES = {
    "draft": with_change(
        offered(admin=["approve", "cancel"], mr=["approve", "cancel"])
    ),
    "raised": with_change(
        offered(
            admin=["cancel", "plan"],
            mr=["cancel"],
            tech_manager=["plan"],
            staff=["plan"],
        )
    ),
    "planned": with_change(
        offered(admin=["accept", "return"], tech_manager=["accept", "return"])
    ),
    "accepted": with_change(
        offered(
            admin=["implement"],
            tech_manager=["implement"],
            staff=["implement", "extension"],
        )
    ),
    "implemented": with_change(offered(**{name: ["verify"] for name in VERIFIERS})),
    "reopened": with_change(
        offered(
            admin=["plan", "implement"],
            tech_manager=["plan", "implement"],
            staff=["plan", "implement", "extension"],
        )
    ),
    "effective": with_change(offered(**{name: ["close"] for name in VERIFIERS})),
    "closed": offered(),
}


def _people(users) -> factories.People:
    return factories.People(
        **{name: users[name] for name in factories.People.__dataclass_fields__}
    )


def _at(world: World, status: str) -> Nonconformity:
    today = TODAY
    people = _people(world.users)
    source = (
        NonconformitySource.INTERNAL_AUDIT
        if status == S.DRAFT
        else NonconformitySource.STAFF_REPORT
    )
    nc = factories.nonconformity(world.users["auditor"], source=source)
    if status == S.REOPENED:
        nc = factories.advance(nc, people, S.IMPLEMENTED, today=today)
        svc.nonconformity_verify(
            user=people.controller, nonconformity=nc, effective=False, comment="否"
        )
        return Nonconformity.objects.get(pk=nc.pk)
    if status == S.DRAFT:
        return nc
    return factories.advance(nc, people, status, today=today)


@pytest.mark.parametrize("status", list(ACTION_CASES))
def test_the_actions_offered_follow_the_table_and_the_roles(world, status):
    nc = _at(world, status)
    assert nc.status == status
    actions = {
        name: perms.allowed_actions(user, nc) for name, user in world.users.items()
    }
    assert actions == ACTION_CASES[status]


def test_a_finding_that_needs_no_action_is_offered_for_closing(world):
    nc = factories.nonconformity(world.users["auditor"], grade_code="observation")
    closers = {
        name
        for name, user in world.users.items()
        if "close" in perms.allowed_actions(user, nc)
    }
    assert closers == set(VERIFIERS)


def test_a_pending_extension_is_offered_to_the_mr_only(world):
    nc = _at(world, S.ACCEPTED)
    svc.nonconformity_extension_request(
        user=world.users["staff"],
        nonconformity=nc,
        new_due=nc.due_date + timedelta(days=7),
        reason="供应商延迟",
    )
    deciders = {
        name
        for name, user in world.users.items()
        if "extension-decide" in perms.allowed_actions(user, nc)
    }
    assert deciders == {"admin", "mr"}
    assert "extension" not in perms.allowed_actions(world.users["staff"], nc)


def test_close_is_not_offered_while_a_change_request_is_open(world):
    nc = _at(world, S.ACCEPTED)
    svc.nonconformity_change_request(
        user=world.users["staff"],
        nonconformity=nc,
        document=world.document,
        reason="增加紧急变更评审",
    )
    nc = factories.advance(nc, _people(world.users), S.EFFECTIVE, today=TODAY)
    assert "close" not in perms.allowed_actions(world.users["controller"], nc)
    assert "change-request" in perms.allowed_actions(world.users["controller"], nc)


def test_cancel_is_not_offered_once_work_was_done(world):
    people = _people(world.users)
    nc = _at(world, S.REOPENED)
    svc.nonconformity_plan(
        user=people.staff,
        nonconformity=nc,
        root_cause="分析不足",
        target="全部评审",
        actions="第二方案",
        owner=people.staff,
        due_date=TODAY + timedelta(days=10),
    )
    svc.nonconformity_return(
        user=people.tech_manager, nonconformity=nc, comment="方案不充分"
    )
    nc = Nonconformity.objects.get(pk=nc.pk)
    assert nc.status == S.RAISED
    assert "cancel" not in perms.allowed_actions(people.mr, nc)
