"""Nonconformities and their corrective or preventive actions: every service,
its refusals, its permission check and its log entry (ISO/IEC 20000-1:2018
10.1; corrective and preventive action procedure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from compliance import coverage
from compliance import nonconformities as svc
from compliance.lifecycle import (
    Decision,
    InvalidTransition,
    NonconformityKind,
    NonconformitySource,
    NonconformityStatus,
)
from compliance.models import (
    ActionPlan,
    Clause,
    EvidenceFile,
    Extension,
    Implementation,
    Nonconformity,
    NonconformityGrade,
    Standard,
    Verification,
)
from documents import changes, roles
from documents import services as doc_services
from documents.lifecycle import ChangeRequestStatus, ChangeSource
from documents.models import ChangeRequest, Department, DocumentPage
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf

from . import factories

S = NonconformityStatus
TODAY = date(2026, 11, 22)
DUE = TODAY + timedelta(days=30)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(svc, "company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def p(db, monkeypatch):
    # The role groups once per test, not once per user: roles_ensure is slow.
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


# --- helpers -----------------------------------------------------------------------


def fresh(nc: Nonconformity) -> Nonconformity:
    return Nonconformity.objects.get(pk=nc.pk)


def actions(nc: Nonconformity) -> list[str]:
    return list(
        ModelLogEntry.objects.for_instance(nc)
        .order_by("timestamp", "id")
        .values_list("action", flat=True)
    )


def entry(nc: Nonconformity, action: str) -> ModelLogEntry:
    return (
        ModelLogEntry.objects.for_instance(nc)
        .filter(action=f"shoukong.compliance.{action}")
        .latest("timestamp", "id")
    )


def plan(nc, p, *, by=None, owner=None, due=DUE, **fields) -> ActionPlan:
    values = {
        "root_cause": "紧急变更绕过了CAB",
        "target": "所有变更均有评审记录",
        "actions": "修订变更管理程序并培训",
        "correction": "补做评审",
    }
    values.update(fields)
    return svc.nonconformity_plan(
        user=by or p.staff,
        nonconformity=nc,
        owner=owner or p.staff,
        due_date=due,
        **values,
    )


def at(p, status: str, **raise_args) -> Nonconformity:
    """A 技术部 nonconformity raised by the auditor, moved to ``status``."""
    nc = factories.nonconformity(p.auditor, **raise_args)
    if status == S.REOPENED:
        nc = factories.advance(nc, p, S.IMPLEMENTED, today=TODAY)
        svc.nonconformity_verify(
            user=p.controller, nonconformity=nc, effective=False, comment="仍有遗漏"
        )
        return fresh(nc)
    if status == S.DRAFT:
        return nc
    return factories.advance(nc, p, status, today=TODAY)


def stored_files() -> set[Path]:
    root = Path(settings.SHOUKONG_RECORDS_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


def snapshot(nc: Nonconformity) -> dict:
    nc = fresh(nc)
    return {
        "status": nc.status,
        "owner": nc.owner_id,
        "due_date": nc.due_date,
        "implemented_on": nc.implemented_on,
        "plans": list(nc.plans.values_list("version", "decision", "decided_at")),
        "implementations": nc.implementations.count(),
        "verifications": nc.verifications.count(),
        "log": actions(nc),
    }


# --- Raising ------------------------------------------------------------------------


def test_numbers_count_per_kind_and_year(p, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    )
    first = factories.nonconformity(p.auditor)
    second = factories.nonconformity(p.staff, clause_ref="7.5.3")
    potential = factories.nonconformity(
        p.auditor, kind=NonconformityKind.PREVENTIVE, grade_code="improvement"
    )
    assert [first.number, second.number, potential.number] == [
        "NC-2026-001",
        "NC-2026-002",
        "PA-2026-001",
    ]
    assert potential.kind == NonconformityKind.PREVENTIVE


def test_the_year_of_the_number_is_the_company_s(p, monkeypatch):
    # 17:00 UTC on New Year's Eve is already 2027 in Beijing.
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    )
    assert factories.nonconformity(p.auditor).number == "NC-2027-001"


def test_raise_records_the_facts_and_logs(p):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = factories.nonconformity(
        p.auditor,
        documents=[procedure],
        source_reference="  客诉-2026-07 ",
        source_object=procedure,
    )
    nc = fresh(nc)
    assert nc.status == S.RAISED and nc.is_open
    assert (nc.raised_by, nc.clause.ref_id, nc.department.name) == (
        p.auditor,
        "8.5.1",
        "技术部",
    )
    assert (nc.grade.code, nc.source) == ("major", NonconformitySource.STAFF_REPORT)
    assert nc.source_reference == "客诉-2026-07"
    assert list(nc.documents.all()) == [DocumentPage.objects.get(pk=procedure.pk)]
    assert nc.source_type == ContentType.objects.get_for_model(procedure)
    assert nc.source_id == procedure.pk
    assert nc.approved_by is None and nc.owner is None
    logged = entry(nc, "nonconformity_raise")
    assert logged.user == p.auditor
    assert logged.data == {
        "number": nc.number,
        "status": S.RAISED,
        "clause": "8.5.1",
        "department": "技术部",
        "grade": "major",
        "source": NonconformitySource.STAFF_REPORT,
    }


def test_a_nonconformity_may_name_no_clause(p):
    nc = factories.nonconformity(p.staff, clause_ref=None)
    assert nc.clause is None
    assert entry(nc, "nonconformity_raise").data["clause"] is None


@pytest.mark.parametrize(
    "source",
    [s for s in NonconformitySource.values if s != NonconformitySource.INTERNAL_AUDIT],
)
def test_other_sources_go_straight_to_the_department(p, source):
    assert factories.nonconformity(p.staff, source=source).status == S.RAISED


def test_an_internal_audit_finding_waits_for_the_management_representative(p):
    nc = factories.nonconformity(p.auditor, source=NonconformitySource.INTERNAL_AUDIT)
    assert nc.status == S.DRAFT and nc.is_open
    assert entry(nc, "nonconformity_raise").data["status"] == S.DRAFT
    for someone in (p.controller, p.auditor, p.gm, p.tech_manager, p.staff):
        with pytest.raises(PermissionDenied):
            svc.nonconformity_approve(user=someone, nonconformity=nc)
    assert fresh(nc).status == S.DRAFT

    approved = svc.nonconformity_approve(user=p.mr, nonconformity=nc)
    assert approved.status == S.RAISED
    nc = fresh(nc)
    assert (nc.status, nc.approved_by) == (S.RAISED, p.mr)
    assert nc.approved_at is not None
    logged = entry(nc, "nonconformity_approve")
    assert (logged.user, logged.data) == (
        p.mr,
        {"number": nc.number, "status": S.RAISED},
    )
    with pytest.raises(InvalidTransition):
        svc.nonconformity_approve(user=p.mr, nonconformity=nc)
    assert actions(nc).count("shoukong.compliance.nonconformity_approve") == 1


def test_a_finding_that_needs_no_approval_cannot_be_approved(p):
    nc = factories.nonconformity(p.staff)
    with pytest.raises(InvalidTransition):
        svc.nonconformity_approve(user=p.mr, nonconformity=nc)
    assert fresh(nc).approved_by is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", ""),
        ("facts", "   \n "),
        ("facts", "抽查\x00记录"),
        ("title", ""),
        ("title", "标题\x00"),
    ],
)
def test_raise_refuses_missing_or_binary_text(p, field, value):
    with pytest.raises(ValidationError):
        factories.nonconformity(p.staff, **{field: value})
    assert not Nonconformity.objects.exists()
    # No number was used up.
    assert factories.nonconformity(p.staff).number.endswith("-001")


@pytest.mark.parametrize(
    ("field", "value"), [("source", "rumour"), ("kind", "punitive")]
)
def test_raise_refuses_unknown_choices(p, field, value):
    with pytest.raises(ValidationError):
        factories.nonconformity(p.staff, **{field: value})
    assert not Nonconformity.objects.exists()


@pytest.mark.parametrize("what", ["grade", "department", "clause", "standard"])
def test_raise_refuses_what_is_no_longer_in_use(p, what):
    clause = factories.clause("8.5.1")
    if what == "grade":
        NonconformityGrade.objects.filter(code="major").update(is_active=False)
    elif what == "department":
        Department.objects.filter(name="技术部").update(is_active=False)
    elif what == "clause":
        Clause.objects.filter(pk=clause.pk).update(is_active=False)
    else:
        Standard.objects.filter(pk=clause.standard_id).update(is_active=False)
    with pytest.raises(ValidationError):
        svc.nonconformity_raise(
            user=p.staff,
            title="变更未评审",
            facts="抽查发现",
            department=doc_factories.department("技术部"),
            grade=factories.grade("major"),
            source=NonconformitySource.STAFF_REPORT,
            clause=Clause.objects.get(pk=clause.pk),
        )
    assert not Nonconformity.objects.exists()


def test_a_customer_representative_or_a_stranger_cannot_raise(p):
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    for someone in (customer, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            factories.nonconformity(someone)
    assert not Nonconformity.objects.exists()


# --- Planning -----------------------------------------------------------------------


def test_the_department_plans_the_action(p):
    nc = factories.nonconformity(p.auditor)
    made = plan(nc, p, correction="  补做评审  ")
    nc = fresh(nc)
    assert nc.status == S.PLANNED
    assert (made.version, made.decision, made.owner, made.due_date) == (
        1,
        Decision.PENDING,
        p.staff,
        DUE,
    )
    assert (made.submitted_by, made.correction) == (p.staff, "补做评审")
    # The owner and due date become the action's only once accepted.
    assert nc.owner is None and nc.due_date is None
    logged = entry(nc, "nonconformity_plan")
    assert logged.user == p.staff
    assert logged.data == {
        "number": nc.number,
        "status": S.PLANNED,
        "version": 1,
        "owner": "staff",
        "due_date": DUE.isoformat(),
    }


def test_the_head_may_plan_too(p):
    nc = factories.nonconformity(p.auditor)
    plan(nc, p, by=p.tech_manager)
    assert fresh(nc).status == S.PLANNED


@pytest.mark.parametrize("who", ["market_manager", "controller", "auditor", "mr", "gm"])
def test_only_the_responsible_department_plans(p, who):
    nc = factories.nonconformity(p.auditor)
    with pytest.raises(PermissionDenied):
        plan(nc, p, by=getattr(p, who))
    assert fresh(nc).status == S.RAISED and not ActionPlan.objects.exists()


@pytest.mark.parametrize("who", ["mr", "gm"])
def test_the_management_plans_its_own_findings(p, who):
    nc = factories.nonconformity(p.auditor, department="管理层")
    plan(nc, p, by=getattr(p, who), owner=p.mr)
    assert fresh(nc).status == S.PLANNED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("root_cause", ""),
        ("target", " "),
        ("actions", ""),
        ("actions", "培训\x00"),
        ("due", None),
        ("due", TODAY - timedelta(days=1)),
    ],
)
def test_a_plan_needs_every_required_field(p, field, value):
    nc = factories.nonconformity(p.auditor)
    with pytest.raises(ValidationError):
        plan(nc, p, **{field: value})
    assert fresh(nc).status == S.RAISED and not ActionPlan.objects.exists()


def test_a_plan_due_today_is_accepted(p):
    nc = factories.nonconformity(p.auditor)
    assert plan(nc, p, due=TODAY).due_date == TODAY


def test_a_plan_needs_an_active_owner(p):
    nc = factories.nonconformity(p.auditor)
    p.staff.is_active = False
    p.staff.save()
    with pytest.raises(ValidationError):
        plan(nc, p, by=p.tech_manager, owner=p.staff)
    with pytest.raises(ValidationError):
        svc.nonconformity_plan(
            user=p.tech_manager,
            nonconformity=nc,
            root_cause="r",
            target="t",
            actions="a",
            owner=None,
            due_date=DUE,
        )
    assert not ActionPlan.objects.exists()


@pytest.mark.parametrize("status", [S.DRAFT, S.PLANNED, S.ACCEPTED, S.IMPLEMENTED])
def test_a_plan_only_for_a_raised_or_reopened_finding(p, status):
    nc = at(p, status, source=NonconformitySource.INTERNAL_AUDIT)
    before = snapshot(nc)
    with pytest.raises(InvalidTransition):
        plan(nc, p, by=p.tech_manager)
    assert snapshot(nc) == before


def test_a_nul_in_an_optional_text_is_refused(p):
    with pytest.raises(ValidationError):
        factories.nonconformity(p.auditor, source_reference="IA\x00-1")
    nc = factories.nonconformity(p.auditor)
    with pytest.raises(ValidationError):
        plan(nc, p, correction="补做\x00评审")
    plan(nc, p)
    with pytest.raises(ValidationError):
        svc.nonconformity_accept(
            user=p.tech_manager, nonconformity=nc, comment="同意\x00"
        )
    assert fresh(nc).status == S.PLANNED
    observation = factories.nonconformity(p.auditor, grade_code="observation")
    with pytest.raises(ValidationError):
        svc.nonconformity_close(
            user=p.controller, nonconformity=observation, note="已提醒\x00"
        )
    assert fresh(observation).status == S.RAISED


# --- Acceptance and return -------------------------------------------------------


def test_the_head_accepts_the_plan_in_writing(p):
    nc = at(p, S.PLANNED)
    accepted = svc.nonconformity_accept(
        user=p.tech_manager, nonconformity=nc, comment=" 同意 "
    )
    nc = fresh(nc)
    assert (nc.status, nc.owner, nc.due_date) == (S.ACCEPTED, p.staff, DUE)
    assert (accepted.decision, accepted.decided_by) == (
        Decision.ACCEPTED,
        p.tech_manager,
    )
    assert accepted.decision_comment == "同意" and accepted.decided_at is not None
    logged = entry(nc, "nonconformity_accept")
    assert (logged.user, logged.data) == (
        p.tech_manager,
        {"number": nc.number, "status": S.ACCEPTED, "version": 1},
    )


@pytest.mark.parametrize(
    "who", ["staff", "market_manager", "gm", "mr", "controller", "auditor"]
)
def test_only_the_head_accepts_or_returns(p, who):
    nc = at(p, S.PLANNED)
    before = snapshot(nc)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_accept(user=getattr(p, who), nonconformity=nc)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_return(
            user=getattr(p, who), nonconformity=nc, comment="重新分析"
        )
    assert snapshot(nc) == before


def test_the_general_manager_accepts_for_a_department_without_a_manager(p):
    nc = factories.nonconformity(p.auditor, department="管理层")
    plan(nc, p, by=p.mr, owner=p.mr)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_accept(user=p.mr, nonconformity=nc)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    svc.nonconformity_accept(user=p.gm, nonconformity=nc)
    assert (fresh(nc).status, fresh(nc).owner) == (S.ACCEPTED, p.mr)


def test_the_headless_acceptors_are_a_setting(p, settings):
    settings.SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES = (roles.MANAGEMENT_REPRESENTATIVE,)
    nc = factories.nonconformity(p.auditor, department="管理层")
    plan(nc, p, by=p.mr, owner=p.gm)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_accept(user=p.gm, nonconformity=nc)
    svc.nonconformity_accept(user=p.mr, nonconformity=nc)
    assert fresh(nc).status == S.ACCEPTED


def test_a_returned_plan_is_kept_and_the_next_version_accepted(p):
    nc = at(p, S.PLANNED)
    for empty in ("", "   "):
        with pytest.raises(ValidationError):
            svc.nonconformity_return(
                user=p.tech_manager, nonconformity=nc, comment=empty
            )
    assert fresh(nc).status == S.PLANNED
    returned = svc.nonconformity_return(
        user=p.tech_manager, nonconformity=nc, comment="根本原因分析不充分"
    )
    nc = fresh(nc)
    assert nc.status == S.RAISED
    assert (returned.version, returned.decision) == (1, Decision.RETURNED)
    assert returned.decision_comment == "根本原因分析不充分"
    logged = entry(nc, "nonconformity_return")
    assert logged.data == {
        "number": nc.number,
        "status": S.RAISED,
        "version": 1,
        "comment": "根本原因分析不充分",
    }
    second = plan(nc, p, root_cause="变更分类标准不清", due=DUE + timedelta(days=10))
    assert second.version == 2
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    nc = fresh(nc)
    assert list(nc.plans.values_list("version", "decision")) == [
        (1, Decision.RETURNED),
        (2, Decision.ACCEPTED),
    ]
    assert nc.due_date == DUE + timedelta(days=10)


@pytest.mark.parametrize("status", [S.RAISED, S.ACCEPTED, S.IMPLEMENTED])
def test_accept_or_return_needs_a_pending_plan(p, status):
    nc = at(p, status)
    before = snapshot(nc)
    with pytest.raises(InvalidTransition):
        svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    with pytest.raises(InvalidTransition):
        svc.nonconformity_return(user=p.tech_manager, nonconformity=nc, comment="再议")
    assert snapshot(nc) == before


def test_accepting_twice_changes_nothing(p):
    nc = at(p, S.PLANNED)
    stale = Nonconformity.objects.get(pk=nc.pk)  # a second browser tab
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    before = snapshot(nc)
    with pytest.raises(InvalidTransition):
        svc.nonconformity_accept(user=p.tech_manager, nonconformity=stale)
    assert snapshot(nc) == before


# --- Extensions ---------------------------------------------------------------------


def test_the_owner_asks_for_more_time_and_the_mr_approves(p):
    nc = at(p, S.ACCEPTED)
    new_due = DUE + timedelta(days=14)
    extension = svc.nonconformity_extension_request(
        user=p.staff, nonconformity=nc, new_due=new_due, reason="供应商延迟交付"
    )
    assert (extension.decision, extension.current_due, extension.new_due) == (
        Decision.PENDING,
        DUE,
        new_due,
    )
    assert fresh(nc).due_date == DUE
    requested = entry(nc, "nonconformity_extension_request")
    assert (requested.user, requested.data) == (
        p.staff,
        {
            "number": nc.number,
            "status": S.ACCEPTED,
            "extension": extension.pk,
            "new_due": new_due.isoformat(),
        },
    )

    for someone in (p.gm, p.tech_manager, p.controller, p.staff):
        with pytest.raises(PermissionDenied):
            svc.nonconformity_extension_decide(
                user=someone, extension=extension, approve=True
            )
    assert Extension.objects.get(pk=extension.pk).decision == Decision.PENDING

    decided = svc.nonconformity_extension_decide(
        user=p.mr, extension=extension, approve=True
    )
    assert (decided.decision, decided.decided_by) == (Decision.APPROVED, p.mr)
    assert fresh(nc).due_date == new_due
    assert not fresh(nc).is_overdue(DUE + timedelta(days=1))
    logged = entry(nc, "nonconformity_extension_decide")
    assert logged.data == {
        "number": nc.number,
        "status": S.ACCEPTED,
        "extension": extension.pk,
        "decision": Decision.APPROVED,
        "due_date": new_due.isoformat(),
    }
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_decide(
            user=p.mr, extension=extension, approve=False, comment="改主意"
        )


def test_a_rejection_needs_a_reason_and_keeps_the_due_date(p):
    nc = at(p, S.ACCEPTED)
    extension = svc.nonconformity_extension_request(
        user=p.staff,
        nonconformity=nc,
        new_due=DUE + timedelta(days=7),
        reason="人手不足",
    )
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_decide(
            user=p.mr, extension=extension, approve=False, comment=" "
        )
    assert Extension.objects.get(pk=extension.pk).decision == Decision.PENDING
    rejected = svc.nonconformity_extension_decide(
        user=p.mr, extension=extension, approve=False, comment="可调配他人"
    )
    assert (rejected.decision, rejected.decision_comment) == (
        Decision.REJECTED,
        "可调配他人",
    )
    assert fresh(nc).due_date == DUE
    # Decided: the owner may ask again.
    again = svc.nonconformity_extension_request(
        user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=3), reason="再申请"
    )
    assert again.decision == Decision.PENDING


@pytest.mark.parametrize("who", ["tech_manager", "mr", "controller", "auditor"])
def test_only_the_owner_asks_for_an_extension(p, who):
    nc = at(p, S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_extension_request(
            user=getattr(p, who),
            nonconformity=nc,
            new_due=DUE + timedelta(days=7),
            reason="需要更多时间",
        )
    assert not Extension.objects.exists()


def test_an_extension_while_reopened(p):
    nc = at(p, S.REOPENED)
    extension = svc.nonconformity_extension_request(
        user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=7), reason="返工"
    )
    svc.nonconformity_extension_decide(user=p.mr, extension=extension, approve=True)
    assert fresh(nc).due_date == DUE + timedelta(days=7)


@pytest.mark.parametrize("status", [S.IMPLEMENTED, S.EFFECTIVE, S.CLOSED])
def test_no_extension_once_the_action_is_done(p, status):
    nc = at(p, status)
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_request(
            user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=7), reason="r"
        )
    assert not Extension.objects.exists()


@pytest.mark.parametrize("status", [S.RAISED, S.PLANNED])
def test_no_extension_before_the_plan_is_accepted(p, status):
    # Nobody owns the action yet.
    nc = at(p, status)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_extension_request(
            user=p.staff, nonconformity=nc, new_due=DUE, reason="r"
        )


@pytest.mark.parametrize(
    ("new_due", "reason"),
    [(DUE, "同一天"), (DUE - timedelta(days=1), "更早"), (None, "无日期"), (DUE, "")],
)
def test_an_extension_needs_a_later_date_and_a_reason(p, new_due, reason):
    nc = at(p, S.ACCEPTED)
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_request(
            user=p.staff, nonconformity=nc, new_due=new_due, reason=reason
        )
    assert not Extension.objects.exists()


def test_one_pending_extension_at_a_time(p):
    nc = at(p, S.ACCEPTED)
    svc.nonconformity_extension_request(
        user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=7), reason="一"
    )
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_request(
            user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=9), reason="二"
        )
    assert Extension.objects.count() == 1


def test_an_extension_is_not_approved_once_the_action_is_done(p):
    nc = at(p, S.ACCEPTED)
    extension = svc.nonconformity_extension_request(
        user=p.staff, nonconformity=nc, new_due=DUE + timedelta(days=7), reason="一"
    )
    svc.nonconformity_implement(user=p.staff, nonconformity=nc, description="已完成")
    with pytest.raises(ValidationError):
        svc.nonconformity_extension_decide(user=p.mr, extension=extension, approve=True)
    assert fresh(nc).due_date == DUE
    svc.nonconformity_extension_decide(
        user=p.mr, extension=extension, approve=False, comment="已完成，无需延期"
    )


# --- Implementation -------------------------------------------------------------


def test_the_owner_records_the_implementation_with_evidence(p):
    nc = at(p, S.ACCEPTED)
    pdf = make_pdf([["Training sign-in sheet", "12 people"]])
    before = stored_files()
    done = svc.nonconformity_implement(
        user=p.staff,
        nonconformity=nc,
        description="已修订程序并完成培训",
        completed_on=TODAY - timedelta(days=2),
        evidence=[("培训签到表.pdf", pdf)],
    )
    nc = fresh(nc)
    assert (nc.status, nc.implemented_on) == (S.IMPLEMENTED, TODAY - timedelta(days=2))
    assert (done.round, done.recorded_by) == (1, p.staff)
    [evidence] = done.files.all()
    assert (evidence.name, evidence.content_type, evidence.size) == (
        "培训签到表.pdf",
        "application/pdf",
        len(pdf),
    )
    assert evidence.nonconformity == nc and evidence.uploaded_by == p.staff
    [written] = stored_files() - before
    assert written.read_bytes() == pdf
    assert written.parent.name == nc.number
    logged = entry(nc, "nonconformity_implement")
    assert logged.data == {
        "number": nc.number,
        "status": S.IMPLEMENTED,
        "round": 1,
        "completed_on": (TODAY - timedelta(days=2)).isoformat(),
        "files": ["培训签到表.pdf"],
    }


def test_the_head_may_record_it_and_completion_defaults_to_today(p):
    nc = at(p, S.ACCEPTED)
    done = svc.nonconformity_implement(
        user=p.tech_manager, nonconformity=nc, description="已完成"
    )
    assert done.completed_on == TODAY and fresh(nc).implemented_on == TODAY


@pytest.mark.parametrize("who", ["market_manager", "controller", "mr", "gm"])
def test_only_the_owner_or_the_head_implements(p, who):
    nc = at(p, S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_implement(
            user=getattr(p, who), nonconformity=nc, description="已完成"
        )
    assert fresh(nc).status == S.ACCEPTED and not Implementation.objects.exists()


@pytest.mark.parametrize(
    ("description", "completed_on"),
    [("", None), ("已完成", TODAY + timedelta(days=1))],
)
def test_an_implementation_needs_a_description_and_a_past_date(
    p, description, completed_on
):
    nc = at(p, S.ACCEPTED)
    with pytest.raises(ValidationError):
        svc.nonconformity_implement(
            user=p.staff,
            nonconformity=nc,
            description=description,
            completed_on=completed_on,
        )
    assert fresh(nc).status == S.ACCEPTED and not Implementation.objects.exists()


@pytest.mark.parametrize("status", [S.RAISED, S.PLANNED, S.EFFECTIVE])
def test_nothing_to_implement_before_acceptance_or_after_verification(p, status):
    nc = at(p, status)
    before = snapshot(nc)
    with pytest.raises(InvalidTransition):
        svc.nonconformity_implement(
            user=p.tech_manager, nonconformity=nc, description="已完成"
        )
    assert snapshot(nc) == before


@pytest.mark.parametrize(
    "uploads",
    [
        [("x.pdf", b"MZ\x90\x00" + b"\x00" * 200)],
        [("ok.pdf", make_pdf([["ok"]])), ("x.pdf", b"MZ\x90\x00" + b"\x00" * 200)],
        [("page.pdf", b"<html><script>alert(1)</script></html>")],
        [("tool.exe", b"%PDF-1.7 not really")],
        [("empty.pdf", b"")],
    ],
    ids=["disguised", "one-bad-of-two", "markup", "exe", "empty"],
)
def test_a_refused_evidence_file_stores_nothing(p, uploads):
    nc = at(p, S.ACCEPTED)
    before = stored_files()
    with pytest.raises(ValidationError):
        svc.nonconformity_implement(
            user=p.staff, nonconformity=nc, description="已完成", evidence=uploads
        )
    assert fresh(nc).status == S.ACCEPTED
    assert not Implementation.objects.exists() and not EvidenceFile.objects.exists()
    assert stored_files() == before


def test_a_failed_evidence_row_leaves_no_file_behind(p, monkeypatch):
    nc = at(p, S.ACCEPTED)
    before = stored_files()
    original = EvidenceFile.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EvidenceFile, "save", failing_save)
    with pytest.raises(RuntimeError):
        svc.nonconformity_implement(
            user=p.staff,
            nonconformity=nc,
            description="已完成",
            evidence=[("a.pdf", make_pdf([["a"]])), ("b.pdf", make_pdf([["b"]]))],
        )
    assert stored_files() == before
    assert fresh(nc).status == S.ACCEPTED


def test_a_failure_after_the_evidence_is_stored_leaves_no_file(p, monkeypatch):
    nc = at(p, S.ACCEPTED)
    before = stored_files()

    def broken_log(*args, **kwargs):
        raise RuntimeError("log table unavailable")

    monkeypatch.setattr(svc, "log", broken_log)
    with pytest.raises(RuntimeError):
        svc.nonconformity_implement(
            user=p.staff,
            nonconformity=nc,
            description="已完成",
            evidence=[("a.pdf", make_pdf([["a"]]))],
        )
    assert not EvidenceFile.objects.exists()
    assert stored_files() == before


# --- Verification ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["controller", "auditor", "mr"])
def test_the_verifiers_find_the_action_effective(p, who):
    nc = at(p, S.IMPLEMENTED)
    verification = svc.nonconformity_verify(
        user=getattr(p, who), nonconformity=nc, effective=True, comment="抽查合格"
    )
    nc = fresh(nc)
    assert nc.status == S.EFFECTIVE and nc.implemented_on == TODAY
    assert verification.implementation == nc.implementations.get()
    assert (verification.effective, verification.verified_by) == (True, getattr(p, who))
    logged = entry(nc, "nonconformity_verify")
    assert logged.data == {
        "number": nc.number,
        "status": S.EFFECTIVE,
        "effective": True,
        "round": 1,
        "comment": "抽查合格",
    }


@pytest.mark.parametrize("who", ["gm", "tech_manager", "market_manager", "staff"])
def test_others_do_not_verify(p, who):
    nc = at(p, S.IMPLEMENTED)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_verify(
            user=getattr(p, who), nonconformity=nc, effective=True, comment="合格"
        )
    assert fresh(nc).status == S.IMPLEMENTED and not Verification.objects.exists()


def test_a_verifier_does_not_verify_their_own_action(p):
    # A finding against 行政部, which has no 部门经理: 总经理 accepts.
    nc = factories.nonconformity(p.auditor, department="行政部")
    plan(nc, p, by=p.controller, owner=p.controller)
    svc.nonconformity_accept(user=p.gm, nonconformity=nc)
    svc.nonconformity_implement(user=p.controller, nonconformity=nc, description="完成")
    with pytest.raises(PermissionDenied):
        svc.nonconformity_verify(
            user=p.controller, nonconformity=nc, effective=True, comment="合格"
        )
    with pytest.raises(PermissionDenied):
        svc.nonconformity_close(user=p.controller, nonconformity=nc)
    svc.nonconformity_verify(
        user=p.auditor, nonconformity=nc, effective=True, comment="合格"
    )
    assert fresh(nc).status == S.EFFECTIVE


@pytest.mark.parametrize("status", [S.RAISED, S.ACCEPTED, S.REOPENED, S.EFFECTIVE])
def test_only_an_implemented_action_is_verified(p, status):
    nc = at(p, status)
    before = snapshot(nc)
    with pytest.raises(ValidationError):
        svc.nonconformity_verify(
            user=p.controller, nonconformity=nc, effective=True, comment="合格"
        )
    assert snapshot(nc) == before


def test_a_verification_needs_an_opinion(p):
    nc = at(p, S.IMPLEMENTED)
    with pytest.raises(ValidationError):
        svc.nonconformity_verify(
            user=p.controller, nonconformity=nc, effective=True, comment=" "
        )
    assert fresh(nc).status == S.IMPLEMENTED


def test_not_effective_reopens_and_the_next_round_is_verified_on_its_own(p):
    nc = at(p, S.IMPLEMENTED)
    failed = svc.nonconformity_verify(
        user=p.controller, nonconformity=nc, effective=False, comment="仍有两张无评审"
    )
    nc = fresh(nc)
    assert (nc.status, nc.implemented_on) == (S.REOPENED, None)
    assert nc.is_open and nc.due_date == DUE
    assert entry(nc, "nonconformity_verify").data["effective"] is False
    second = svc.nonconformity_implement(
        user=p.staff, nonconformity=nc, description="补充紧急变更流程"
    )
    assert second.round == 2
    passed = svc.nonconformity_verify(
        user=p.auditor, nonconformity=nc, effective=True, comment="合格"
    )
    assert failed.implementation.round == 1 and passed.implementation == second


def test_a_reopened_action_may_be_planned_again(p):
    nc = at(p, S.REOPENED)
    second = plan(nc, p, due=DUE + timedelta(days=20), actions="重新设计流程")
    assert (second.version, fresh(nc).status) == (2, S.PLANNED)
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    assert fresh(nc).due_date == DUE + timedelta(days=20)


# --- Closing ------------------------------------------------------------------------


def test_a_verified_action_is_closed(p):
    nc = at(p, S.EFFECTIVE)
    svc.nonconformity_close(user=p.controller, nonconformity=nc)
    nc = fresh(nc)
    assert (nc.status, nc.closed_by, nc.is_open) == (S.CLOSED, p.controller, False)
    assert nc.closed_at is not None
    logged = entry(nc, "nonconformity_close")
    assert (logged.user, logged.data) == (
        p.controller,
        {"number": nc.number, "status": S.CLOSED},
    )


@pytest.mark.parametrize("who", ["gm", "tech_manager", "staff", "market_manager"])
def test_only_the_verifiers_close(p, who):
    nc = at(p, S.EFFECTIVE)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_close(user=getattr(p, who), nonconformity=nc)
    assert fresh(nc).status == S.EFFECTIVE


@pytest.mark.parametrize(
    "status", [S.DRAFT, S.PLANNED, S.ACCEPTED, S.IMPLEMENTED, S.REOPENED, S.CLOSED]
)
def test_closing_without_verification_is_refused(p, status):
    nc = at(p, status, source=NonconformitySource.INTERNAL_AUDIT)
    before = snapshot(nc)
    with pytest.raises(ValidationError):
        svc.nonconformity_close(user=p.controller, nonconformity=nc, note="已处理")
    assert snapshot(nc) == before


@pytest.mark.parametrize("code", ["major", "minor"])
def test_a_finding_that_needs_action_is_not_closed_with_a_note(p, code):
    nc = factories.nonconformity(p.auditor, grade_code=code)
    with pytest.raises(ValidationError):
        svc.nonconformity_close(user=p.controller, nonconformity=nc, note="不处理")
    assert fresh(nc).status == S.RAISED


@pytest.mark.parametrize("code", ["observation", "improvement"])
def test_a_finding_that_needs_no_action_is_closed_with_a_note(p, code):
    nc = factories.nonconformity(p.auditor, grade_code=code)
    with pytest.raises(ValidationError):
        svc.nonconformity_close(user=p.controller, nonconformity=nc, note=" ")
    svc.nonconformity_close(user=p.controller, nonconformity=nc, note="已提醒相关人员")
    nc = fresh(nc)
    assert (nc.status, nc.closing_note) == (S.CLOSED, "已提醒相关人员")
    assert nc.plans.count() == 0


def _change_request(nc, p, procedure) -> ChangeRequest:
    return svc.nonconformity_change_request(
        user=p.staff,
        nonconformity=nc,
        document=procedure,
        reason="增加紧急变更的评审要求",
        proposed_change="第4.3条增加紧急CAB",
    )


def test_a_corrective_action_raises_a_document_change_request(p):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = at(p, S.ACCEPTED)
    request = _change_request(nc, p, procedure)
    assert (request.status, request.source) == (
        ChangeRequestStatus.OPEN,
        ChangeSource.CORRECTIVE_ACTION,
    )
    assert request.source_reference == nc.number
    assert request.source_type == ContentType.objects.get_for_model(Nonconformity)
    assert request.source_id == nc.pk and request.requested_by == p.staff
    assert list(svc.open_change_requests(nc)) == [request]
    logged = entry(nc, "nonconformity_change_request")
    assert logged.data == {
        "number": nc.number,
        "status": S.ACCEPTED,
        "document": procedure.number,
        "change_request": request.pk,
    }


def test_only_the_department_or_the_verifiers_request_a_change(p):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = at(p, S.ACCEPTED)
    for someone in (p.market_manager, p.gm):
        with pytest.raises(PermissionDenied):
            svc.nonconformity_change_request(
                user=someone, nonconformity=nc, document=procedure, reason="建议修改"
            )
    assert not ChangeRequest.objects.exists()
    svc.nonconformity_change_request(
        user=p.auditor, nonconformity=nc, document=procedure, reason="审核员建议"
    )
    assert ChangeRequest.objects.count() == 1


def test_an_owner_from_another_department_requests_a_change(p):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = factories.nonconformity(p.auditor)
    plan(nc, p, by=p.tech_manager, owner=p.market_manager)
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    request = svc.nonconformity_change_request(
        user=p.market_manager, nonconformity=nc, document=procedure, reason="改程序"
    )
    assert request.requested_by == p.market_manager


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
def test_no_change_request_from_a_finished_finding(p, status):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = factories.nonconformity(p.auditor)
    if status == S.CANCELLED:
        svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason="重复登记")
    else:
        nc = factories.advance(nc, p, S.CLOSED, today=TODAY)
    with pytest.raises(ValidationError):
        _change_request(fresh(nc), p, procedure)
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("outcome", ["rejected", "withdrawn", "issued"])
def test_an_open_change_request_holds_the_action_open(p, outcome):
    procedure = doc_factories.document("procedure", "变更管理程序", issue=True)
    nc = at(p, S.ACCEPTED)
    request = _change_request(nc, p, procedure)
    nc = factories.advance(nc, p, S.EFFECTIVE, today=TODAY)
    with pytest.raises(ValidationError) as refused:
        svc.nonconformity_close(user=p.controller, nonconformity=nc)
    assert procedure.number in str(refused.value)
    assert fresh(nc).status == S.EFFECTIVE

    if outcome == "rejected":
        changes.change_request_decide(
            user=p.controller, request=request, accept=False, comment="另行处理"
        )
    elif outcome == "withdrawn":
        changes.change_request_withdraw(user=p.staff, request=request)
    else:
        changes.change_request_decide(user=p.controller, request=request, accept=True)
        # Accepted is not done: the action still waits for the new issue.
        with pytest.raises(ValidationError):
            svc.nonconformity_close(user=p.controller, nonconformity=nc)
        page = DocumentPage.objects.get(pk=procedure.pk).specific
        page.body = "<p>增加紧急CAB评审。</p>"
        page.save_revision(user=p.controller)
        doc_services.issue_create(user=p.controller, document=page, publish_date=TODAY)
    assert ChangeRequest.objects.get(pk=request.pk).status == outcome
    assert not svc.open_change_requests(nc).exists()
    svc.nonconformity_close(user=p.controller, nonconformity=nc)
    assert fresh(nc).status == S.CLOSED


# --- Cancelling --------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.DRAFT, S.RAISED])
def test_the_mr_cancels_a_finding_raised_in_error(p, status):
    nc = at(p, status, source=NonconformitySource.INTERNAL_AUDIT)
    svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason=" 重复登记 ")
    nc = fresh(nc)
    assert (nc.status, nc.closing_note, nc.is_open) == (S.CANCELLED, "重复登记", False)
    logged = entry(nc, "nonconformity_cancel")
    assert (logged.user, logged.data) == (
        p.mr,
        {"number": nc.number, "status": S.CANCELLED, "reason": "重复登记"},
    )


def test_document_control_cancels_only_what_it_raised(p):
    mine = factories.nonconformity(p.controller)
    theirs = factories.nonconformity(p.auditor)
    with pytest.raises(PermissionDenied):
        svc.nonconformity_cancel(user=p.controller, nonconformity=theirs, reason="误报")
    svc.nonconformity_cancel(user=p.controller, nonconformity=mine, reason="误报")
    assert (fresh(mine).status, fresh(theirs).status) == (S.CANCELLED, S.RAISED)


@pytest.mark.parametrize("who", ["staff", "auditor", "gm", "tech_manager"])
def test_others_do_not_cancel_even_what_they_raised(p, who):
    nc = factories.nonconformity(getattr(p, who))
    with pytest.raises(PermissionDenied):
        svc.nonconformity_cancel(user=getattr(p, who), nonconformity=nc, reason="误报")
    assert fresh(nc).status == S.RAISED


def test_a_cancellation_needs_a_reason(p):
    nc = factories.nonconformity(p.auditor)
    with pytest.raises(ValidationError):
        svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason="  ")
    assert fresh(nc).status == S.RAISED


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (S.PLANNED, InvalidTransition),
        (S.ACCEPTED, ValidationError),
        (S.IMPLEMENTED, ValidationError),
        (S.EFFECTIVE, ValidationError),
        (S.CLOSED, ValidationError),
    ],
)
def test_no_cancelling_once_an_action_is_planned(p, status, refusal):
    nc = at(p, status)
    before = snapshot(nc)
    with pytest.raises(refusal):
        svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason="撤销")
    assert snapshot(nc) == before


def test_a_finding_with_work_done_cannot_be_cancelled(p):
    nc = at(p, S.REOPENED)
    plan(nc, p, actions="第二方案")
    svc.nonconformity_return(user=p.tech_manager, nonconformity=nc, comment="不充分")
    assert fresh(nc).status == S.RAISED
    before = snapshot(nc)
    with pytest.raises(ValidationError):
        svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason="撤销")
    assert snapshot(nc) == before


def test_a_finding_whose_first_plan_was_returned_may_still_be_cancelled(p):
    nc = at(p, S.PLANNED)
    svc.nonconformity_return(user=p.tech_manager, nonconformity=nc, comment="重复")
    svc.nonconformity_cancel(user=p.mr, nonconformity=nc, reason="与NC-2026-001重复")
    assert fresh(nc).status == S.CANCELLED


# --- The acceptance path --------------------------------------------------------


def test_a_major_nonconformity_goes_round_the_loop_by_the_right_roles(p):
    standard = Standard.objects.get(ref_id="iso20000-1-2018")

    def open_on_851() -> int:
        rows = coverage.clause_rows(standard, today=TODAY)
        return next(r for r in rows if r.clause.ref_id == "8.5.1").open_nonconformities

    nc = factories.nonconformity(p.auditor, grade_code="major")
    assert open_on_851() == 1
    plan(nc, p)
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc)
    svc.nonconformity_implement(user=p.staff, nonconformity=nc, description="第一轮")
    svc.nonconformity_verify(
        user=p.controller, nonconformity=nc, effective=False, comment="仍有遗漏"
    )
    assert fresh(nc).status == S.REOPENED and open_on_851() == 1
    svc.nonconformity_implement(user=p.staff, nonconformity=nc, description="第二轮")
    svc.nonconformity_verify(
        user=p.auditor, nonconformity=nc, effective=True, comment="抽查合格"
    )
    assert open_on_851() == 1
    svc.nonconformity_close(user=p.controller, nonconformity=nc)
    assert fresh(nc).status == S.CLOSED and open_on_851() == 0

    history = list(
        ModelLogEntry.objects.for_instance(nc)
        .order_by("timestamp", "id")
        .values_list("action", "user__username", "data__status")
    )
    prefix = "shoukong.compliance.nonconformity_"
    assert history == [
        (prefix + "raise", "auditor", S.RAISED),
        (prefix + "plan", "staff", S.PLANNED),
        (prefix + "accept", "tech_manager", S.ACCEPTED),
        (prefix + "implement", "staff", S.IMPLEMENTED),
        (prefix + "verify", "controller", S.REOPENED),
        (prefix + "implement", "staff", S.IMPLEMENTED),
        (prefix + "verify", "auditor", S.EFFECTIVE),
        (prefix + "close", "controller", S.CLOSED),
    ]
    assert list(fresh(nc).implementations.values_list("round", flat=True)) == [1, 2]
    assert list(
        fresh(nc).verifications.order_by("id").values_list("effective", flat=True)
    ) == [False, True]
