"""The annual programme: prepared, signed along the configured chain, returned,
revised; its planned audits are frozen while it is approved."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import translation
from wagtail.models import ModelLogEntry

from audits import services
from audits.lifecycle import (
    AuditKind,
    AuditStatus,
    InvalidTransition,
    ProgrammeStatus,
    SignatureDecision,
)
from audits.models import Audit, AuditProgramme, ProgrammeSignature
from audits.tests import factories
from documents import roles

pytestmark = pytest.mark.django_db

P = ProgrammeStatus
SIGNED = SignatureDecision.SIGNED
RETURNED = SignatureDecision.RETURNED
YEAR = 2030
START = date(YEAR, 3, 10)


@pytest.fixture(autouse=True)
def english():
    # The refusals are compared in English whatever LANGUAGE_CODE says.
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    # The role groups once per test, not once per user: roles_ensure is slow.
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def actions(programme) -> list[str]:
    return [
        entry.action.removeprefix("shoukong.audits.")
        for entry in ModelLogEntry.objects.for_instance(programme).order_by("id")
    ]


def plan(p, **extra) -> Audit:
    """A planned audit of ``YEAR`` (joins, or creates, its programme)."""
    return factories.audit(p.auditor, start=START, **extra)


def test_create_ensure_and_bad_years(p):
    programme = services.programme_create(
        user=p.controller, year=YEAR, basis="去年外审"
    )
    assert programme.status == P.DRAFT and programme.revision == 0
    assert str(YEAR) in programme.title
    assert programme.standard.ref_id == "iso20000-1-2018"
    assert programme.prepared_by == p.controller
    assert actions(programme) == ["programme_create"]

    with pytest.raises(ValidationError, match=str(YEAR)):
        services.programme_create(user=p.auditor, year=YEAR)
    # Ensure returns the year's programme, or makes one.
    assert services.programme_ensure(user=p.auditor, year=str(YEAR)) == programme
    other = services.programme_ensure(user=p.mr, year=YEAR + 1)
    assert other.year == YEAR + 1 and other.prepared_by == p.mr
    assert AuditProgramme.objects.count() == 2

    for bad in ("", None, "二〇三〇", 1999, 2101):
        with pytest.raises(ValidationError):
            services.programme_create(user=p.controller, year=bad)
    for outsider in (p.staff, p.tech_manager, p.gm):
        with pytest.raises(PermissionDenied):
            services.programme_create(user=outsider, year=YEAR + 2)
    assert AuditProgramme.objects.count() == 2

    updated = services.programme_update(
        user=p.auditor, programme=programme, title="  新标题 ", basis=""
    )
    assert (updated.title, updated.basis) == ("新标题", "")
    with pytest.raises(ValidationError):
        services.programme_update(user=p.auditor, programme=programme, title=" ")
    with pytest.raises(ValidationError):
        services.programme_update(user=p.auditor, programme=programme, basis="a\x00b")
    assert actions(programme)[-1] == "programme_update"


def test_submit_needs_a_planned_audit(p):
    programme = services.programme_create(user=p.controller, year=YEAR)
    with pytest.raises(ValidationError, match="at least one audit"):
        services.programme_submit(user=p.controller, programme=programme)
    # An ad hoc audit of the year is not part of the plan.
    ad_hoc = factories.audit(p.mr, start=START, kind=AuditKind.AD_HOC)
    assert ad_hoc.programme == programme and ad_hoc.status == AuditStatus.PLANNED
    with pytest.raises(ValidationError, match="at least one audit"):
        services.programme_submit(user=p.controller, programme=programme)

    plan(p)
    with pytest.raises(PermissionDenied):
        services.programme_submit(user=p.staff, programme=programme)
    programme = services.programme_submit(user=p.controller, programme=programme)
    assert programme.status == P.IN_REVIEW and programme.submitted_at
    with pytest.raises(InvalidTransition):
        services.programme_submit(user=p.controller, programme=programme)


def test_default_chain_mr_reviews_then_gm_approves(p):
    audit = plan(p)
    programme = audit.programme
    assert [(s.code, s.role) for s in services.chain_steps()] == [
        ("review", "管理者代表"),
        ("approve", "总经理"),
    ]
    assert services.current_step(programme) is None  # a draft awaits no one
    with pytest.raises(ValidationError, match="nothing to sign"):
        services.programme_sign(user=p.mr, programme=programme, decision=SIGNED)

    programme = services.programme_submit(user=p.controller, programme=programme)
    assert services.current_step(programme).code == "review"
    for wrong in (p.gm, p.auditor, p.controller):
        with pytest.raises(PermissionDenied):
            services.programme_sign(user=wrong, programme=programme, decision=SIGNED)
    with pytest.raises(ValidationError):
        services.programme_sign(user=p.mr, programme=programme, decision="maybe")

    programme = services.programme_sign(
        user=p.mr, programme=programme, decision=SIGNED, comment="同意"
    )
    assert programme.status == P.IN_REVIEW
    assert services.current_step(programme).code == "approve"
    with pytest.raises(PermissionDenied):
        services.programme_sign(user=p.mr, programme=programme, decision=SIGNED)
    programme = services.programme_sign(user=p.gm, programme=programme, decision=SIGNED)

    assert programme.status == P.APPROVED and programme.approved_at
    assert services.current_step(programme) is None
    assert list(
        programme.signatures.values_list("step", "role", "user__username", "decision")
    ) == [
        ("review", "管理者代表", "mr", SIGNED),
        ("approve", "总经理", "gm", SIGNED),
    ]
    assert actions(programme) == [
        "programme_create",
        "programme_submit",
        "programme_sign",
        "programme_sign",
        "programme_approve",
    ]
    with pytest.raises(ValidationError, match="nothing to sign"):
        services.programme_sign(user=p.gm, programme=programme, decision=SIGNED)


@override_settings(SHOUKONG_AUDIT_PROGRAMME_CHAIN=(("approve", "管理者代表"),))
def test_mr_only_chain(p):
    programme = plan(p).programme
    programme = services.programme_submit(user=p.auditor, programme=programme)
    assert services.current_step(programme).role == "管理者代表"
    with pytest.raises(PermissionDenied):
        services.programme_sign(user=p.gm, programme=programme, decision=SIGNED)
    programme = services.programme_sign(user=p.mr, programme=programme, decision=SIGNED)
    assert programme.status == P.APPROVED
    assert programme.signatures.get().step == "approve"


@override_settings(SHOUKONG_AUDIT_PROGRAMME_CHAIN=())
def test_a_chain_without_steps_is_refused(p):
    with pytest.raises(ValidationError, match="SHOUKONG_AUDIT_PROGRAMME_CHAIN"):
        services.chain_steps()


def test_returned_goes_back_to_draft_and_is_signed_again_by_every_step(p):
    programme = plan(p).programme
    programme = services.programme_submit(user=p.controller, programme=programme)
    programme = services.programme_sign(user=p.mr, programme=programme, decision=SIGNED)
    with pytest.raises(ValidationError, match="why"):
        services.programme_sign(user=p.gm, programme=programme, decision=RETURNED)
    programme = services.programme_sign(
        user=p.gm, programme=programme, decision=RETURNED, comment="市场部未安排审核"
    )
    assert programme.status == P.DRAFT and programme.approved_at is None
    assert actions(programme)[-1] == "programme_return"
    returned = programme.signatures.get(decision=RETURNED)
    assert (returned.step, returned.comment) == ("approve", "市场部未安排审核")

    # The draft is open again: a planned audit is added, the plan resubmitted.
    plan(p, departments=("市场部",))
    programme = services.programme_submit(user=p.controller, programme=programme)
    # The changed plan is reviewed again from the first step.
    assert programme.revision == 1
    assert services.current_step(programme).code == "review"
    with pytest.raises(PermissionDenied):
        services.programme_sign(user=p.gm, programme=programme, decision=SIGNED)
    for signer in (p.mr, p.gm):
        programme = services.programme_sign(
            user=signer, programme=programme, decision=SIGNED
        )
    assert programme.status == P.APPROVED
    assert (
        ProgrammeSignature.objects.filter(
            programme=programme, revision=1, decision=SIGNED
        ).count()
        == 2
    )


def test_an_approved_programme_freezes_its_planned_audits_until_revised(p):
    audit = plan(p)
    programme = factories.programme_approve(audit.programme, p)
    assert programme.status == P.APPROVED

    with pytest.raises(ValidationError, match="revise"):
        plan(p, departments=("市场部",))
    with pytest.raises(ValidationError, match="revise"):
        services.audit_update(
            user=p.auditor, audit=audit, planned_end=START + timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="revise"):
        services.audit_cancel(user=p.auditor, audit=audit, reason="改期")
    with pytest.raises(ValidationError, match="revise"):
        services.programme_update(user=p.auditor, programme=programme, title="新")
    # What is not the plan may change: the title.
    audit = services.audit_update(user=p.auditor, audit=audit, title="技术部专项审核")
    assert audit.title == "技术部专项审核"
    # An ad hoc audit is the way to add one without a revision.
    extra = factories.audit(
        p.auditor, start=START, kind=AuditKind.AD_HOC, departments=("市场部",)
    )
    assert extra.status == AuditStatus.REQUESTED and extra.programme == programme

    with pytest.raises(PermissionDenied):
        services.programme_revise(user=p.staff, programme=programme, reason="x")
    with pytest.raises(ValidationError, match="revised"):
        services.programme_revise(user=p.auditor, programme=programme, reason=" ")
    programme = services.programme_revise(
        user=p.auditor, programme=programme, reason="增加市场部审核"
    )
    assert (programme.status, programme.revision) == (P.DRAFT, 1)
    assert programme.approved_at is None
    assert actions(programme)[-1] == "programme_revise"
    with pytest.raises(InvalidTransition):
        services.programme_revise(user=p.auditor, programme=programme, reason="again")

    # The draft takes changes again.
    added = plan(p, departments=("市场部",))
    assert added.programme == programme
    audit = services.audit_update(
        user=p.auditor, audit=audit, planned_end=START + timedelta(days=1)
    )
    assert audit.planned_end == START + timedelta(days=1)
    cancelled = services.audit_cancel(user=p.auditor, audit=added, reason="合并审核")
    assert cancelled.status == AuditStatus.CANCELLED

    programme = factories.programme_approve(programme, p)
    assert (programme.status, programme.revision) == (P.APPROVED, 1)
    assert actions(programme).count("programme_approve") == 2
