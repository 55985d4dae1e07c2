"""The meeting (attendance, minutes, conclusions, corrections) and its outputs:
every action has an owner and a due date; improvement and corrective actions
are nonconformities in compliance, a document re-issue a change request, the
others carry their own status; tracking.output_state tells where each stands."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from compliance import nonconformities as nc_services
from compliance.lifecycle import (
    NonconformityKind,
    NonconformitySource,
    NonconformityStatus,
)
from compliance.models import Nonconformity
from compliance.tests import factories as compliance_factories
from documents import roles
from documents.changes import change_request_decide
from documents.lifecycle import ChangeSource
from documents.tests import factories as doc_factories
from reviews import services, tracking
from reviews.lifecycle import (
    InputSection,
    InvalidTransition,
    OutputKind,
    OutputStatus,
    ReviewStatus,
    Verdict,
)
from reviews.models import Discussion, Review, ReviewOutput
from reviews.tests import factories

pytestmark = pytest.mark.django_db

S = ReviewStatus
O = OutputStatus  # noqa: E741


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def today():
    return factories.today()


def actions(review) -> list[str]:
    return [
        e.action.removeprefix("shoukong.reviews.")
        for e in ModelLogEntry.objects.for_instance(review).order_by("id")
    ]


def record(p, review, **extra):
    fields = {
        "held_on": today(),
        "attendees": [p.gm, p.mr, p.controller],
    } | extra
    return services.meeting_record(user=p.controller, review=review, **fields)


# --- The pack -------------------------------------------------------------------------


def test_pack_compiled_in_versions_and_confirmed_by_the_mr(p):
    review = factories.review(p)
    with pytest.raises(ValidationError, match="approved"):
        services.pack_compile(user=p.controller, review=review)
    review = factories.approved(p, review)
    with pytest.raises(PermissionDenied):
        services.pack_compile(user=p.staff, review=review)
    first = services.pack_compile(user=p.controller, review=review)
    assert (first.version, first.compiled_by, first.confirmed_at) == (
        1,
        p.controller,
        None,
    )
    assert (first.period_start, first.period_end) == (
        review.period_start,
        review.period_end,
    )
    assert first.data["review"] == review.number
    assert first.data["compiled_on"] == today().isoformat()
    second = services.pack_compile(user=p.mr, review=review)
    assert second.version == 2 and review.latest_pack() == second

    with pytest.raises(ValidationError, match="version 2"):
        services.pack_confirm(user=p.mr, pack=first)
    for outsider in (p.controller, p.gm, p.staff):
        with pytest.raises(PermissionDenied):
            services.pack_confirm(user=outsider, pack=second)
    second = services.pack_confirm(user=p.mr, pack=second)
    assert second.confirmed_by == p.mr and second.confirmed_at is not None
    assert isinstance(second.filing_warnings, list)
    with pytest.raises(ValidationError, match="already confirmed"):
        services.pack_confirm(user=p.mr, pack=second)
    assert [a for a in actions(review) if a.startswith("pack_")] == [
        "pack_compile",
        "pack_compile",
        "pack_confirm",
    ]
    # Frozen once the meeting is held.
    record(p, review)
    with pytest.raises(ValidationError, match="before the meeting"):
        services.pack_compile(user=p.controller, review=review)
    assert review.packs.count() == 2


# --- The meeting ----------------------------------------------------------------------


def test_meeting_refused_before_approval_and_without_a_pack(p):
    review = factories.review(p)
    with pytest.raises(ValidationError, match="not approved"):
        record(p, review)
    services.review_submit(user=p.controller, review=review)
    with pytest.raises(ValidationError, match="not approved"):
        record(p, review)
    services.plan_sign(user=p.mr, review=review, decision="signed")
    services.plan_sign(user=p.gm, review=review, decision="signed")
    with pytest.raises(ValidationError, match="Compile the input pack"):
        record(p, review)
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            user=p.staff, review=review, held_on=today(), attendees=[p.gm]
        )
    assert Review.objects.get(pk=review.pk).status == S.APPROVED


def test_meeting_dates(p):
    review = factories.approved(p)
    services.pack_compile(user=p.controller, review=review)
    with pytest.raises(ValidationError, match="before it is held"):
        record(p, review, held_on=today() + timedelta(days=1))
    # Approved today: a meeting yesterday predates its plan.
    with pytest.raises(ValidationError, match="before its plan was approved"):
        record(p, review, held_on=today() - timedelta(days=1))
    for bad in (None, "", "yesterday", "2026-02-30", 20261123):
        with pytest.raises(ValidationError):
            record(p, review, held_on=bad)
    # Approved three days ago: a meeting two days ago is fine.
    Review.objects.filter(pk=review.pk).update(
        plan_approved_at=timezone.now() - timedelta(days=3)
    )
    held = record(p, review, held_on=(today() - timedelta(days=2)).isoformat())
    assert held.held_on == today() - timedelta(days=2)
    held = record(p, review, held_on=datetime.now())
    assert held.held_on == today()


def test_meeting_recorded_then_corrected(p):
    review = factories.approved(p)  # invited: gm, mr, controller, tech, market
    services.pack_compile(user=p.controller, review=review)
    review = record(
        p,
        review,
        attendees=[p.gm, p.mr, p.controller, p.staff, p.gm],
        discussions={
            InputSection.OBJECTIVES: " 满意度低于目标 ",
            InputSection.AUDITS: "审核发现已关闭",
        },
        mr_report="体系运行正常",
        evaluation="总体有效",
        suitability=Verdict.YES,
        adequacy=Verdict.PARTLY,
        effectiveness=Verdict.YES,
        conclusion_system="适宜",
        conclusion_service="满足",
        conclusion_resources="充分",
    )
    assert review.status == S.HELD and review.held_on == today()
    assert review.minutes_recorded_by == p.controller
    assert (review.suitability, review.adequacy, review.effectiveness) == (
        "yes",
        "partly",
        "yes",
    )
    assert review.mr_report == "体系运行正常"
    rows = {r.user.username: r for r in review.participants.all()}
    assert {u for u, r in rows.items() if r.attended} == {
        "gm",
        "mr",
        "controller",
        "staff",
    }
    assert all(r.signed_in_at for r in rows.values() if r.attended)
    assert (
        not rows["tech_manager"].attended and rows["tech_manager"].signed_in_at is None
    )
    # staff was not invited: a guest.
    assert (rows["staff"].invited, rows["gm"].invited) == (False, True)
    assert dict(review.discussions.values_list("section", "notes")) == {
        "objectives": "满意度低于目标",
        "audits": "审核发现已关闭",
    }
    entry = ModelLogEntry.objects.for_instance(review).order_by("id").last()
    assert entry.action == "shoukong.reviews.meeting_record"
    assert entry.data["held_on"] == today().isoformat()
    assert sorted(entry.data["attendees"]) == sorted(
        ["gm", "mr", "controller", "staff"]
    )

    # Later: the minutes corrected. staff was not there after all, tech_manager was.
    signed_in = rows["gm"].signed_in_at
    review = record(
        p,
        review,
        attendees=[p.gm, p.mr, p.controller, p.tech_manager],
        discussions={InputSection.AUDITS: "", InputSection.RISKS: "新增供应商风险"},
        effectiveness=Verdict.PARTLY,
    )
    assert review.status == S.HELD
    rows = {r.user.username: r for r in review.participants.all()}
    assert "staff" not in rows  # a guest no longer present leaves no row
    assert rows["tech_manager"].attended and rows["gm"].signed_in_at == signed_in
    assert review.effectiveness == "partly" and review.suitability == "yes"
    assert dict(review.discussions.values_list("section", "notes")) == {
        "objectives": "满意度低于目标",
        "risks": "新增供应商风险",
    }
    assert actions(review)[-1] == "meeting_correct"


def test_bad_minutes_refused(p):
    review = factories.approved(p)
    services.pack_compile(user=p.controller, review=review)
    retired = doc_factories.user("retired", role=roles.STAFF, is_active=False)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    for bad in (
        {"attendees": []},
        {"attendees": [None]},
        {"attendees": "gm"},
        {"attendees": ["gm"]},
        {"attendees": [p.gm.pk]},
        {"attendees": [retired]},
        {"attendees": [customer]},
        {"discussions": {"budget": "x"}},
        {"discussions": {InputSection.AUDITS: "x\x00"}},
        {"discussions": [("audits", "x")]},
        {"suitability": "maybe"},
        {"mr_report": "报告\x1b"},
        {"mr_report": 5},
        {"minutes": "x"},
    ):
        with pytest.raises(ValidationError):
            record(p, review, **bad)
    review.refresh_from_db()
    assert review.status == S.APPROVED and review.held_on is None
    assert not Discussion.objects.exists()
    assert not review.participants.filter(attended=True).exists()


def test_minutes_closed_once_the_report_goes_for_signature(p):
    review = factories.held(p)
    services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部")],
    )
    with pytest.raises(ValidationError, match="gone for signature"):
        record(p, review)
    cancelled = factories.review(p)
    services.review_cancel(user=p.controller, review=cancelled, reason="取消")
    with pytest.raises(ValidationError, match="cancelled"):
        record(p, cancelled)


# --- Outputs --------------------------------------------------------------------------


def add(p, review, **fields):
    fields = {
        "kind": OutputKind.RESOURCE,
        "description": "增加一名服务台工程师",
        "owner": p.tech_manager,
        "due_date": today() + timedelta(days=30),
    } | fields
    return services.output_add(user=p.controller, review=review, **fields)


def test_outputs_refused_before_the_meeting_and_when_incomplete(p):
    review = factories.approved(p)
    with pytest.raises(ValidationError, match="Record the meeting"):
        add(p, review)
    services.pack_compile(user=p.controller, review=review)
    review = record(p, review)
    retired = doc_factories.user("retired", role=roles.STAFF, is_active=False)
    closed = doc_factories.department("旧部门")
    closed.is_active = False
    closed.save()
    bad_outputs = [
        {"owner": None},
        {"owner": ""},
        {"owner": "tech_manager"},
        {"owner": p.tech_manager.pk},
        {"owner": retired},
        {"due_date": None},
        {"due_date": ""},
        {"due_date": "next month"},
        {"due_date": today() - timedelta(days=1)},
        {"due_date": (today() - timedelta(days=1)).isoformat()},
        {"kind": "wish"},
        {"category": "money"},
        {"section": "budget"},
        {"description": "  "},
        {"description": "增加\x00"},
        {"coordinator": "mr"},
        {"department": "技术部"},
        {"department": closed},
        {"kind": OutputKind.DOCUMENT},  # which document?
        {"kind": OutputKind.DOCUMENT, "document": "A01"},
        {"kind": OutputKind.CORRECTIVE, "clause": "8.5.1"},
        {"kind": OutputKind.IMPROVEMENT, "grade": "colossal"},
    ]
    for bad in bad_outputs:
        with pytest.raises(ValidationError):
            add(p, review, **bad)
    with pytest.raises(ValidationError) as refused:
        add(p, review, owner=None)
    assert "owner" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        add(p, review, due_date=None)
    assert "due_date" in refused.value.message_dict
    for outsider in (p.staff, p.tech_manager, p.gm):
        with pytest.raises(PermissionDenied):
            services.output_add(
                user=outsider,
                review=review,
                kind="resource",
                description="x",
                owner=p.staff,
                due_date=today() + timedelta(days=5),
            )
    assert not ReviewOutput.objects.exists()
    assert not Nonconformity.objects.exists()


def test_an_improvement_becomes_a_preventive_action_in_compliance(p):
    review = factories.held(p)
    due = today() + timedelta(days=60)
    output = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.IMPROVEMENT,
        description="提高客户满意度调查的回收率\n每季度回访重点客户",
        owner=p.staff,
        due_date=due,
        category="service",
        section=InputSection.PERFORMANCE,
        coordinator=p.mr,
    )
    assert output.seq == 1 and output.reference == f"{review.number}-01"
    assert output.department.name == "技术部"  # the owner's
    assert (output.category, output.section, output.coordinator) == (
        "service",
        "performance",
        p.mr,
    )
    nc = Nonconformity.objects.get(pk=output.nonconformity_id)
    assert nc.source == NonconformitySource.MANAGEMENT_REVIEW
    assert nc.kind == NonconformityKind.PREVENTIVE and nc.number.startswith("PA-")
    assert nc.grade.code == "improvement_action" and nc.grade.requires_action
    assert (nc.owner, nc.due_date) == (p.staff, due)
    assert nc.source_reference == output.reference
    assert nc.title == "提高客户满意度调查的回收率"
    assert nc.facts == "提高客户满意度调查的回收率\n每季度回访重点客户"
    assert nc.department.name == "技术部"
    assert nc.status == NonconformityStatus.RAISED  # no approval step
    assert nc.source_type == ContentType.objects.get_for_model(Review)
    assert nc.source_id == review.pk
    assert nc.review_output == output
    entry = ModelLogEntry.objects.for_instance(review).order_by("id").last()
    assert entry.action == "shoukong.reviews.output_add"
    assert entry.data["reference"] == output.reference
    assert entry.data["nonconformity"] == nc.number
    assert entry.data["owner"] == "staff" and entry.data["due_date"] == due.isoformat()

    corrective = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.CORRECTIVE,
        description="变更评审记录缺失的纠正",
        owner=p.tech_manager,
        due_date=(today() + timedelta(days=30)).isoformat(),
        clause=compliance_factories.clause("8.5.1"),
    )
    nc2 = corrective.nonconformity
    assert corrective.seq == 2 and corrective.reference.endswith("-02")
    assert nc2.number.startswith("NC-") and nc2.kind == NonconformityKind.CORRECTIVE
    assert nc2.grade.code == "minor" and nc2.clause.ref_id == "8.5.1"
    assert nc2.source_reference == corrective.reference
    # Another grade may be chosen.
    major = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.CORRECTIVE,
        description="重大",
        owner=p.tech_manager,
        due_date=today() + timedelta(days=10),
        grade="major",
    )
    assert major.nonconformity.grade.code == "major"


def test_a_document_reissue_becomes_a_change_request(p):
    manual = doc_factories.document("manual", "服务管理手册", number="A01", issue=True)
    review = factories.held(p)
    output = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.DOCUMENT,
        description="手册按新组织架构换版",
        owner=p.controller,
        due_date=today() + timedelta(days=45),
        document=manual,
    )
    request = output.change_request
    assert request.source == ChangeSource.MANAGEMENT_REVIEW
    assert request.source_reference == output.reference
    assert request.document.pk == manual.pk and request.reason == "手册按新组织架构换版"
    assert request.requested_by == p.controller
    assert output.nonconformity is None and output.document.pk == manual.pk
    state = tracking.output_state(output, today=today())
    assert (state.code, state.is_open, state.overdue) == ("change:open", True, False)
    assert tracking.output_state(
        output, today=output.due_date + timedelta(days=1)
    ).overdue

    change_request_decide(
        user=p.controller, request=request, accept=False, comment="不需要"
    )
    output.refresh_from_db()
    state = tracking.output_state(output, today=output.due_date + timedelta(days=1))
    assert (state.code, state.is_open, state.overdue) == (
        "change:rejected",
        False,
        False,
    )
    for call in (
        lambda: services.output_complete(user=p.controller, output=output, note="done"),
        lambda: services.output_verify(
            user=p.controller, output=output, effective=True, note="ok"
        ),
        lambda: services.output_cancel(user=p.controller, output=output, reason="x"),
    ):
        with pytest.raises(ValidationError, match="change request"):
            call()


def test_own_status_actions_done_verified_reopened_cancelled(p):
    review = factories.held(p)
    first = add(p, review)
    second = add(p, review, kind=OutputKind.OTHER, description="修订满意度问卷")
    third = add(p, review, description="采购备份设备", owner=p.staff)
    assert [o.seq for o in (first, second, third)] == [1, 2, 3]
    assert third.reference == f"{review.number}-03"
    state = tracking.output_state(first, today=today())
    assert (state.code, state.is_open, state.overdue, state.url) == (
        "open",
        True,
        False,
        "",
    )
    assert tracking.output_state(
        first, today=first.due_date + timedelta(days=1)
    ).overdue

    # The owner records it done; another member of staff may not.
    with pytest.raises(PermissionDenied):
        services.output_complete(user=p.staff, output=first, note="已招聘")
    with pytest.raises(InvalidTransition):  # not done yet
        services.output_verify(
            user=p.controller, output=first, effective=True, note="x"
        )
    with pytest.raises(PermissionDenied):
        services.output_verify(user=p.staff, output=first, effective=True, note="x")
    for bad in (
        {"note": " "},
        {"note": "x\x00"},
        {"completed_on": today() + timedelta(days=1)},
        {"completed_on": "someday"},
        {"completed_on": 5},
        {"completed_on": today() - timedelta(days=1)},  # before it was decided
    ):
        fields = {"note": "已招聘"} | bad
        with pytest.raises(ValidationError):
            services.output_complete(user=p.tech_manager, output=first, **fields)
    first = services.output_complete(
        user=p.tech_manager,
        output=first,
        note="已招聘到岗",
        completed_on=datetime.now(),
    )
    assert (first.status, first.completed_on, first.completion_note) == (
        O.DONE,
        today(),
        "已招聘到岗",
    )
    state = tracking.output_state(first, today=first.due_date + timedelta(days=9))
    assert (state.code, state.is_open, state.overdue) == ("done", True, True)
    with pytest.raises(InvalidTransition):
        services.output_complete(user=p.controller, output=first, note="again")

    # 行政部 verifies: not effective sends it back.
    with pytest.raises(PermissionDenied):
        services.output_verify(
            user=p.tech_manager, output=first, effective=True, note="x"
        )
    with pytest.raises(ValidationError):
        services.output_verify(user=p.controller, output=first, effective=True, note="")
    first = services.output_verify(
        user=p.controller, output=first, effective=False, note="尚未完成培训"
    )
    assert first.status == O.OPEN and first.verified_by is None
    first = services.output_complete(
        user=p.controller,
        output=first,
        note="培训完成",
        completed_on=today().isoformat(),
    )
    first = services.output_verify(
        user=p.controller, output=first, effective=True, note="已确认"
    )
    assert first.status == O.VERIFIED and first.verified_by == p.controller
    assert first.verified_at is not None and first.verification_note == "已确认"
    state = tracking.output_state(first, today=first.due_date + timedelta(days=9))
    assert (state.code, state.is_open, state.overdue) == ("verified", False, False)
    with pytest.raises(InvalidTransition):
        services.output_verify(
            user=p.controller, output=first, effective=True, note="x"
        )
    with pytest.raises(InvalidTransition):
        services.output_cancel(user=p.controller, output=first, reason="x")

    # Cancelled with a reason, by 行政部 only.
    with pytest.raises(ValidationError):
        services.output_cancel(user=p.controller, output=second, reason=" ")
    with pytest.raises(PermissionDenied):
        services.output_cancel(user=p.tech_manager, output=second, reason="不需要")
    second = services.output_cancel(user=p.mr, output=second, reason="下次评审再议")
    assert second.status == O.CANCELLED and second.verification_note == "下次评审再议"
    assert not tracking.output_state(second, today=today()).is_open
    with pytest.raises(InvalidTransition):
        services.output_complete(user=p.controller, output=second, note="x")
    # The owner of the third is staff.
    assert services.output_complete(
        user=p.staff, output=third, note="已采购"
    ).status == (O.DONE)

    assert [a for a in actions(review) if a.startswith("output_")] == [
        "output_add",
        "output_add",
        "output_add",
        "output_complete",
        "output_reopen",
        "output_complete",
        "output_verify",
        "output_cancel",
        "output_complete",
    ]


def test_compliance_tracked_actions_move_in_compliance(p):
    review = factories.held(p)
    output = factories.improvement(p, review, owner=p.staff)
    for call in (
        lambda: services.output_complete(user=p.controller, output=output, note="done"),
        lambda: services.output_verify(
            user=p.controller, output=output, effective=True, note="ok"
        ),
        lambda: services.output_cancel(user=p.controller, output=output, reason="x"),
    ):
        with pytest.raises(ValidationError, match=output.nonconformity.number):
            call()
    state = tracking.output_state(output, today=today())
    nc = output.nonconformity
    assert state.code == "nc:raised" and state.is_open and not state.overdue
    assert state.label.startswith(nc.number)
    assert state.url == nc.get_absolute_url()
    # Overdue as compliance counts it: only once the plan is accepted.
    late = nc.due_date + timedelta(days=1)
    assert not tracking.output_state(output, today=late).overdue

    # The department's accepted plan replaces the owner and due date.
    nc = compliance_factories.advance(
        nc, p, NonconformityStatus.ACCEPTED, today=today()
    )
    output = ReviewOutput.objects.get(pk=output.pk)
    state = tracking.output_state(output, today=today())
    assert state.code == "nc:accepted" and state.is_open
    assert nc.due_date == today() + timedelta(days=30)
    nc = compliance_factories.advance(nc, p, NonconformityStatus.CLOSED, today=today())
    output = ReviewOutput.objects.get(pk=output.pk)
    state = tracking.output_state(output, today=today() + timedelta(days=400))
    assert (state.code, state.is_open, state.overdue) == ("nc:closed", False, False)
    assert nc_services  # the compliance services moved it, not the review


def test_decisions_closed_once_the_report_goes_for_signature(p):
    review = factories.held(p)
    services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部")],
    )
    with pytest.raises(ValidationError, match="gone for signature"):
        add(p, review)
