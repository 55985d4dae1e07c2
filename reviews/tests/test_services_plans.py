"""The review plan (管理评审计划): prepared with its defaults, signed along the
plan chain, returned and resubmitted, revised, cancelled, and the meeting
notice sent to the participants and the heads of the assigned departments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories
from reviews import services
from reviews.lifecycle import (
    InputSection,
    InvalidTransition,
    ReviewKind,
    ReviewStatus,
    ReviewTrigger,
    SignatureDecision,
    SignedPaper,
)
from reviews.models import Review, ReviewAssignment, ReviewParticipant, ReviewSignature
from reviews.tests import factories

pytestmark = pytest.mark.django_db

S = ReviewStatus
SIGNED = SignatureDecision.SIGNED
RETURNED = SignatureDecision.RETURNED


@pytest.fixture(autouse=True)
def english():
    # The refusals are compared in English whatever LANGUAGE_CODE says.
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    people = factories.people()
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return people


def actions(obj) -> list[str]:
    return [
        e.action.removeprefix("shoukong.reviews.")
        for e in ModelLogEntry.objects.for_instance(obj).order_by("id")
    ]


def in_company_language(msgid: str, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid) % values if values else gettext(msgid)


def recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


# --- Creating -------------------------------------------------------------------------


def test_create_fills_the_plan_from_the_company_and_the_previous_review(p):
    day = factories.today() + timedelta(days=20)
    review = services.review_create(user=p.controller, planned_date=day)

    assert review.status == S.DRAFT and review.plan_revision == 1
    assert review.number == f"MR-{day.year}-01"
    assert review.kind == ReviewKind.ANNUAL and review.trigger == ""
    assert review.prepared_by == p.controller
    # The texts are the company's (whatever language the preparer reads).
    assert review.title == in_company_language(
        "%(year)s annual management review", year=day.year
    )
    assert review.purpose.startswith(
        in_company_language(
            "Judge whether the service management system, its policy and its "
            "objectives remain suitable, adequate and effective, and decide the "
            "improvements and resources needed."
        )[:20]
    )
    assert review.criteria and "9.3" in review.criteria
    with translation.override(settings.LANGUAGE_CODE):
        labels = [str(label) for label in InputSection.labels]
    assert review.agenda.splitlines() == [
        f"{n}. {label}" for n, label in enumerate(labels, start=1)
    ]
    # The chair is 总经理, invited with the duty "Chair".
    assert review.chair == p.gm
    [chair] = review.participants.all()
    assert (chair.user, chair.invited, chair.attended) == (p.gm, True, False)
    assert chair.duty == in_company_language("Chair")
    assert chair.department.name == "管理层"
    # No previous review: the twelve months up to the meeting.
    assert (review.period_start, review.period_end) == (
        day - relativedelta(months=12) + timedelta(days=1),
        day,
    )
    assert actions(review) == ["review_create"]
    entry = ModelLogEntry.objects.for_instance(review).get()
    assert entry.user == p.controller and entry.data["number"] == review.number

    # The next one starts the day after this one's period; numbers follow.
    later = day + timedelta(days=90)
    second = services.review_create(user=p.mr, planned_date=later.isoformat())
    assert second.number == f"MR-{later.year}-0{2 if later.year == day.year else 1}"
    assert (second.period_start, second.period_end) == (day + timedelta(days=1), later)
    assert services.previous_review(before=later) == review
    assert services.default_period(later) == (day + timedelta(days=1), later)
    # A cancelled review is no previous review.
    services.review_cancel(user=p.controller, review=second, reason="合并到年度评审")
    third = services.review_create(user=p.controller, planned_date=later)
    assert third.period_start == day + timedelta(days=1)
    services.review_cancel(user=p.controller, review=review, reason="改期")
    assert services.previous_review(before=later + timedelta(days=1)) == third
    assert services.default_period(day) == (
        day - relativedelta(months=12) + timedelta(days=1),
        day,
    )


def test_create_with_everything_given(p):
    tech = doc_factories.department("技术部")
    day = factories.today() + timedelta(days=30)
    review = services.review_create(
        user=p.controller,
        planned_date=day,
        title="  2026年度管理评审 ",
        location="三楼会议室",
        chair=p.mr,
        period_start=date(2025, 12, 1),
        period_end=day - timedelta(days=1),
        purpose="评价体系",
        criteria="",
        agenda="1. 目标",
        materials="各部门年度总结",
        participants=[p.gm, p.tech_manager, p.mr, p.gm],
        assignments=[
            (InputSection.PERFORMANCE, tech, day - timedelta(days=5)),
            {"section": InputSection.RISKS, "department": tech},
            (InputSection.PERFORMANCE, tech, None),  # the same again: once
        ],
    )
    assert review.title == "2026年度管理评审"
    assert (review.period_start, review.period_end) == (
        date(2025, 12, 1),
        day - timedelta(days=1),
    )
    assert (review.purpose, review.criteria, review.agenda) == (
        "评价体系",
        "",
        "1. 目标",
    )
    assert review.chair == p.mr
    # The chair first, each person once.
    assert [(r.user, r.duty != "") for r in review.participants.all()] == [
        (p.mr, True),
        (p.gm, False),
        (p.tech_manager, False),
    ]
    assert list(
        review.assignments.values_list("section", "department__name", "due_date")
    ) == [
        ("performance", "技术部", day - timedelta(days=5)),
        ("risks", "技术部", None),
    ]


def test_extra_review_needs_its_trigger(p):
    day = factories.today() + timedelta(days=5)
    create = services.review_create
    with pytest.raises(ValidationError) as refused:
        create(user=p.controller, planned_date=day, kind=ReviewKind.EXTRA)
    assert "trigger" in refused.value.message_dict
    with pytest.raises(ValidationError):
        create(user=p.controller, planned_date=day, kind="extra", trigger="bored")
    with pytest.raises(ValidationError) as refused:
        create(
            user=p.controller,
            planned_date=day,
            kind="extra",
            trigger="other",
            trigger_note="  ",
        )
    assert "trigger_note" in refused.value.message_dict
    with pytest.raises(ValidationError, match="kind of review"):
        create(user=p.controller, planned_date=day, kind="monthly")
    assert not Review.objects.exists()

    extra = create(
        user=p.controller,
        planned_date=day,
        kind=ReviewKind.EXTRA,
        trigger=ReviewTrigger.MAJOR_INCIDENT,
        trigger_note="10月机房断电，服务中断6小时",
    )
    assert (extra.kind, extra.trigger) == ("extra", "major_incident")
    assert extra.trigger_note == "10月机房断电，服务中断6小时"
    assert extra.title == in_company_language(
        "Extra management review of %(date)s", date=day.isoformat()
    )
    other = create(
        user=p.controller,
        planned_date=day,
        kind="extra",
        trigger="other",
        trigger_note="客户要求",
    )
    assert other.trigger == "other"
    # An annual review carries no trigger.
    annual = create(
        user=p.controller, planned_date=day, trigger=ReviewTrigger.MAJOR_INCIDENT
    )
    assert annual.trigger == ""
    assert ModelLogEntry.objects.for_instance(extra).get().data["trigger"] == (
        "major_incident"
    )


def test_who_prepares(p):
    day = factories.today() + timedelta(days=5)
    for outsider in (p.staff, p.tech_manager, p.gm, p.auditor):
        with pytest.raises(PermissionDenied):
            services.review_create(user=outsider, planned_date=day)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    with pytest.raises(PermissionDenied):
        services.review_create(user=customer, planned_date=day)
    assert services.review_create(user=p.mr, planned_date=day).prepared_by == p.mr


def test_participants_and_assignments_are_checked(p):
    day = factories.today() + timedelta(days=10)
    tech = doc_factories.department("技术部")
    retired = doc_factories.user("retired", role=roles.STAFF, is_active=False)
    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    closed = doc_factories.department("旧部门")
    closed.is_active = False
    closed.save()
    bad_plans = [
        {"participants": [retired]},
        {"participants": [customer]},
        {"participants": ["gm"]},
        {"participants": [p.gm.pk]},
        {"participants": "gm"},
        {"chair": "gm"},
        {"chair": retired},
        {"assignments": [("budget", tech, None)]},
        {"assignments": [(InputSection.RISKS, closed, None)]},
        {"assignments": [(InputSection.RISKS, "技术部", None)]},
        {"assignments": [(InputSection.RISKS, tech, day + timedelta(days=1))]},
        {"assignments": [(InputSection.RISKS, tech, "next week")]},
        {"assignments": [InputSection.RISKS]},
        {"assignments": [7]},
    ]
    for bad in bad_plans:
        with pytest.raises(ValidationError):
            services.review_create(user=p.controller, planned_date=day, **bad)
    assert not Review.objects.exists()
    assert not ReviewParticipant.objects.exists()
    assert not ReviewAssignment.objects.exists()


def test_hostile_and_mistyped_input_is_refused(p):
    day = factories.today() + timedelta(days=10)
    for bad in (
        {"title": "评审\x00"},
        {"location": "会议室\x07"},
        {"purpose": "a\x1bb"},
        {"materials": "x\x00"},
        {"kind": "extra", "trigger": "other", "trigger_note": "客户\x00"},
        {"title": "x" * 201},
        {"title": 2026},
    ):
        with pytest.raises(ValidationError):
            services.review_create(user=p.controller, planned_date=day, **bad)
    for bad_date in ("", None, "tomorrow", "2026-02-30", 20261201):
        with pytest.raises(ValidationError):
            services.review_create(user=p.controller, planned_date=bad_date)
    with pytest.raises(ValidationError, match="start before it ends"):
        services.review_create(
            user=p.controller,
            planned_date=day,
            period_start=day,
            period_end=day - timedelta(days=1),
        )
    assert not Review.objects.exists()


def test_update_the_draft(p):
    review = factories.review(p)
    day = review.planned_date
    original_period = (review.period_start, review.period_end)

    review = services.review_update(
        user=p.controller,
        review=review,
        title=" 新标题 ",
        location="",
        planned_date=day + timedelta(days=7),
        participants=[p.gm, p.mr],
    )
    review.refresh_from_db()
    assert (review.title, review.location) == ("新标题", "")
    # The defaulted period follows the meeting date.
    assert review.planned_date == day + timedelta(days=7)
    assert (review.period_start, review.period_end) == services.default_period(
        day + timedelta(days=7), review=review
    )
    assert review.period_end != original_period[1]
    assert [r.user for r in review.participants.filter(invited=True)] == [p.gm, p.mr]
    entry = ModelLogEntry.objects.for_instance(review).order_by("id").last()
    assert entry.action == "shoukong.reviews.review_update"
    assert "title" in entry.data["fields"] and "participants" in entry.data["fields"]

    # A period given stays when the meeting moves.
    services.review_update(
        user=p.controller,
        review=review,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 10, 31),
    )
    services.review_update(user=p.controller, review=review, planned_date=day)
    review.refresh_from_db()
    assert (review.period_start, review.period_end) == (
        date(2026, 1, 1),
        date(2026, 10, 31),
    )

    for bad in (
        {"title": "  "},
        {"number": "MR-1999-01"},
        {"status": "approved"},
        {"purpose": "\x00"},
        {"kind": "extra"},
        {"chair": "gm"},
    ):
        with pytest.raises(ValidationError):
            services.review_update(user=p.controller, review=review, **bad)
    with pytest.raises(PermissionDenied):
        services.review_update(user=p.staff, review=review, title="x")
    # A moved meeting cannot leave an input due after it.
    tech = doc_factories.department("技术部")
    services.review_update(
        user=p.controller,
        review=review,
        assignments=[(InputSection.RISKS, tech, day - timedelta(days=1))],
    )
    with pytest.raises(ValidationError, match="due after the meeting"):
        services.review_update(
            user=p.controller, review=review, planned_date=day - timedelta(days=3)
        )

    services.review_submit(user=p.controller, review=review)
    with pytest.raises(ValidationError, match="revise it"):
        services.review_update(user=p.controller, review=review, title="改")
    assert Review.objects.get(pk=review.pk).title == "新标题"


# --- Signing --------------------------------------------------------------------------


def test_mr_reviews_then_gm_approves(p, django_capture_on_commit_callbacks):
    review = factories.review(p)
    assert [(s.code, s.role) for s in services.chain_steps(SignedPaper.PLAN)] == [
        ("review", "管理者代表"),
        ("approve", "总经理"),
    ]
    assert services.current_step(review) is None
    with pytest.raises(ValidationError, match="nothing to sign"):
        services.plan_sign(user=p.mr, review=review, decision=SIGNED)
    with pytest.raises(PermissionDenied):
        services.review_submit(user=p.staff, review=review)

    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_submit(user=p.controller, review=review)
    assert review.status == S.IN_REVIEW and review.plan_revision == 1
    assert services.current_step(review).code == "review"
    assert services.current_step(review, SignedPaper.REPORT) is None
    assert recipients() == {"mr@example.com"}
    with pytest.raises(InvalidTransition):
        services.review_submit(user=p.controller, review=review)

    for wrong in (p.gm, p.controller, p.staff, p.tech_manager):
        with pytest.raises(PermissionDenied):
            services.plan_sign(user=wrong, review=review, decision=SIGNED)
    for bad in ("maybe", "", None):
        with pytest.raises(ValidationError):
            services.plan_sign(user=p.mr, review=review, decision=bad)
    with pytest.raises(ValidationError):
        services.plan_sign(user=p.mr, review=review, decision=SIGNED, comment="ok\x00")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review = services.plan_sign(
            user=p.mr, review=review, decision=SIGNED, comment="同意"
        )
    assert review.status == S.IN_REVIEW
    assert services.current_step(review).code == "approve"
    assert recipients() == {"gm@example.com"}
    # 管理者代表 has signed this revision's step: told so, not signed twice.
    with pytest.raises(ValidationError, match="already been signed"):
        services.plan_sign(user=p.mr, review=review, decision=SIGNED)

    review = services.plan_sign(user=p.gm, review=review, decision=SIGNED)
    assert review.status == S.APPROVED and review.plan_approved_at is not None
    assert isinstance(review.filing_warnings, list)  # the forms are the library's
    assert services.current_step(review) is None
    assert list(
        review.signatures.values_list(
            "paper", "revision", "step", "role", "user__username", "decision", "comment"
        )
    ) == [
        ("plan", 1, "review", "管理者代表", "mr", "signed", "同意"),
        ("plan", 1, "approve", "总经理", "gm", "signed", ""),
    ]
    assert actions(review) == [
        "review_create",
        "plan_submit",
        "plan_sign",
        "plan_sign",
        "plan_approve",
    ]
    with pytest.raises(ValidationError, match="nothing to sign"):
        services.plan_sign(user=p.gm, review=review, decision=SIGNED)


def test_returned_plan_is_a_new_revision_signed_again(
    p, django_capture_on_commit_callbacks
):
    review = factories.review(p)
    services.review_submit(user=p.controller, review=review)
    with pytest.raises(ValidationError, match="why"):
        services.plan_sign(user=p.mr, review=review, decision=RETURNED, comment=" ")
    with django_capture_on_commit_callbacks(execute=True):
        review = services.plan_sign(
            user=p.mr, review=review, decision=RETURNED, comment="补充市场部输入"
        )
    assert review.status == S.DRAFT
    assert recipients() == {"controller@example.com"}
    assert "补充市场部输入" in mail.outbox[0].body
    assert actions(review)[-1] == "plan_return"

    review = services.review_submit(user=p.controller, review=review)
    assert review.plan_revision == 2
    assert services.current_step(review).code == "review"
    review = services.plan_sign(user=p.mr, review=review, decision=SIGNED)
    review = services.plan_sign(
        user=p.gm, review=review, decision=RETURNED, comment="日期改到月底"
    )
    assert review.status == S.DRAFT
    review = services.review_submit(user=p.controller, review=review)
    assert review.plan_revision == 3
    # Revision 2's signature of 管理者代表 does not count for revision 3.
    assert services.current_step(review).code == "review"
    services.plan_sign(user=p.mr, review=review, decision=SIGNED)
    review = services.plan_sign(user=p.gm, review=review, decision=SIGNED)
    assert review.status == S.APPROVED
    assert list(review.signatures.values_list("revision", "step", "decision")) == [
        (1, "review", "returned"),
        (2, "review", "signed"),
        (2, "approve", "returned"),
        (3, "review", "signed"),
        (3, "approve", "signed"),
    ]
    # A step signs a revision once, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewSignature.objects.create(
            review=review,
            paper="plan",
            revision=3,
            step="review",
            role="管理者代表",
            user=p.mr,
            signer_name="mr",
            decision="signed",
            signed_at=timezone.now(),
        )


@override_settings(SHOUKONG_MGMT_REVIEW_PLAN_CHAIN=(("approve", "总经理"),))
def test_a_one_step_chain(p):
    review = factories.review(p)
    services.review_submit(user=p.controller, review=review)
    with pytest.raises(PermissionDenied):
        services.plan_sign(user=p.mr, review=review, decision=SIGNED)
    assert services.plan_sign(user=p.gm, review=review, decision=SIGNED).status == (
        S.APPROVED
    )


@override_settings(SHOUKONG_MGMT_REVIEW_PLAN_CHAIN=())
def test_an_empty_chain_is_refused(p):
    review = factories.review(p)
    with pytest.raises(ValidationError, match="SHOUKONG_MGMT_REVIEW_PLAN_CHAIN"):
        services.review_submit(user=p.controller, review=review)
    assert Review.objects.get(pk=review.pk).status == S.DRAFT


def test_submit_needs_participants(p):
    get_user_model().objects.filter(groups__name=roles.GENERAL_MANAGER).update(
        is_active=False
    )
    review = services.review_create(
        user=p.controller, planned_date=factories.today() + timedelta(days=3)
    )
    assert review.chair is None and not review.participants.exists()
    with pytest.raises(ValidationError, match="participants"):
        services.review_submit(user=p.controller, review=review)


def test_revise_and_cancel_need_reasons(p):
    review = factories.approved(p)
    services.review_notify(user=p.controller, review=review)
    with pytest.raises(ValidationError):
        services.review_revise(user=p.controller, review=review, reason="")
    with pytest.raises(ValidationError):
        services.review_revise(user=p.controller, review=review, reason="改\x00")
    with pytest.raises(PermissionDenied):
        services.review_revise(user=p.gm, review=review, reason="改期")
    review = services.review_revise(user=p.controller, review=review, reason="改期")
    assert review.status == S.DRAFT and review.plan_revision == 2
    assert review.plan_approved_at is None and review.notified_at is None
    entry = ModelLogEntry.objects.for_instance(review).order_by("id").last()
    assert entry.action == "shoukong.reviews.plan_revise"
    assert entry.data == {"revision": 2, "reason": "改期"}
    with pytest.raises(ValidationError):
        services.review_revise(user=p.controller, review=review, reason="再改")

    # Revision 2 is signed by every step again.
    review = services.review_submit(user=p.controller, review=review)
    assert review.plan_revision == 2
    assert services.current_step(review).code == "review"

    with pytest.raises(ValidationError):
        services.review_cancel(user=p.controller, review=review, reason=" ")
    with pytest.raises(PermissionDenied):
        services.review_cancel(user=p.staff, review=review, reason="取消")
    review = services.review_cancel(user=p.mr, review=review, reason="与外审合并")
    assert review.status == S.CANCELLED and review.cancel_reason == "与外审合并"
    assert actions(review)[-1] == "review_cancel"
    with pytest.raises(InvalidTransition):
        services.review_cancel(user=p.mr, review=review, reason="again")
    with pytest.raises(ValidationError):
        services.review_revise(user=p.mr, review=review, reason="again")

    held = factories.held(p)
    with pytest.raises(InvalidTransition):
        services.review_cancel(user=p.controller, review=held, reason="太晚")
    with pytest.raises(ValidationError):
        services.review_revise(user=p.controller, review=held, reason="太晚")


def test_notice_to_participants_and_heads(p, django_capture_on_commit_callbacks):
    review = factories.review(p)  # inputs from 技术部 and 行政部
    with pytest.raises(ValidationError, match="approved"):
        services.review_notify(user=p.controller, review=review)
    review = factories.approved(p, review)
    with pytest.raises(PermissionDenied):
        services.review_notify(user=p.staff, review=review)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review = services.review_notify(user=p.controller, review=review)
        assert mail.outbox == []  # only once the step commits
    assert callbacks
    assert review.notified_at is not None and review.notified_by == p.controller
    # The participants, 技术部's head, and for 行政部 (no 部门经理) 总经理.
    assert recipients() == {
        f"{u.username}@example.com"
        for u in (p.gm, p.mr, p.controller, p.tech_manager, p.market_manager)
    }
    [notice] = mail.outbox
    assert review.number in notice.subject
    assert review.planned_date.isoformat() in notice.body
    assert "技术部" in notice.body and "三楼会议室" in notice.body
    entry = ModelLogEntry.objects.for_instance(review).order_by("id").last()
    assert entry.action == "shoukong.reviews.review_notify"
    assert entry.data["recipients"] == sorted(
        ["controller", "gm", "market_manager", "mr", "tech_manager"]
    )

    # Sent again after a change; refused once the date has passed.
    services.review_notify(user=p.mr, review=review)
    Review.objects.filter(pk=review.pk).update(
        planned_date=factories.today() - timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="passed"):
        services.review_notify(user=p.controller, review=review)
    assert actions(review).count("review_notify") == 2


def test_a_head_of_an_assigned_department_is_told(
    p, django_capture_on_commit_callbacks
):
    review = factories.review(
        p,
        participants=[p.gm],
        assignments=[
            (InputSection.SUPPLIERS, doc_factories.department("市场部"), None)
        ],
    )
    review = factories.approved(p, review)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_notify(user=p.controller, review=review)
    assert recipients() == {"gm@example.com", "market_manager@example.com"}
