"""Approval chains: who signs which step of which tier, what a signature records,
and every refusal (ISO/IEC 20000-1:2018 7.5.3; 21 CFR 11.50, 11.200)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation
from wagtail.log_actions import LogContext
from wagtail.models import PageLogEntry, TaskState, Workflow, WorkflowState

from documents import approvals, roles, services
from documents.approvals import CHAIN_TIER_3, CHAIN_TIERS_1_2
from documents.lifecycle import InvalidTransition, IssueStatus, SignatureMeaning
from documents.models import (
    CoSignTask,
    Department,
    DocumentPage,
    FormPage,
    ManualPage,
    OtherDocumentPage,
    PreIssueCheckTask,
    ProcedurePage,
    Signature,
    SignOffTask,
    WorkInstructionPage,
)
from documents.tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
TODAY = date(2026, 11, 23)  # a Monday

REVIEW_MR = "审核（管理者代表）"
APPROVE_GM = "审批（总经理）"
REVIEW_DEPT = "审核（本部门经理）"
APPROVE_T3 = "审批（管理者代表）"
CHECK = "发布前检查（文控）"
COSIGN = "会签（相关部门经理）"

PAGE_CLASSES = {
    "manual": ManualPage,
    "procedure": ProcedurePage,
    "instruction": WorkInstructionPage,
    "form": FormPage,
    "other": OtherDocumentPage,
}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: TODAY
    )
    return TODAY


@pytest.fixture(autouse=True)
def english():
    # Reasons and messages are asserted in English (the code's language).
    with translation.override("en"):
        yield


@pytest.fixture
def users(db):
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


# --- helpers -----------------------------------------------------------------------


def make(
    users,
    kind: str = "procedure",
    *,
    parent=None,
    department: str = "行政部",
    involved: tuple[str, ...] = (),
    body: str = "<p>正文</p>",
    author: str = "controller",
) -> DocumentPage:
    page = services.document_create(
        user=users[author],
        parent=parent or services.library_ensure(),
        page_class=PAGE_CLASSES[kind],
        title=f"{kind} 测试",
        department=Department.objects.get(name=department),
        body=body,
    )
    if involved:
        page.involved_departments.set(Department.objects.filter(name__in=involved))
        page.save_revision(user=users[author])
    return page


def submit(users, document, author: str = "controller"):
    return approvals.document_submit(user=users[author], document=document)


def act(users, name: str, document, action: str = "approve", **kwargs):
    kwargs.setdefault("password", PASSWORD)
    if action == "approve" and name == "controller":
        kwargs.setdefault("attachments_complete", True)
    return approvals.document_act(
        user=users[name], document=document, action=action, **kwargs
    )


def state(document) -> WorkflowState:
    return WorkflowState.objects.for_instance(document).order_by("-created_at").first()


def step(document) -> str | None:
    task_state = document.current_workflow_task_state
    return task_state.task.name if task_state else None


def signatures(document) -> list[tuple[str, str]]:
    return [
        (s.meaning, s.user.username)
        for s in Signature.objects.filter(document=document).select_related("user")
    ]


def logged(document, action: str) -> list[PageLogEntry]:
    return list(PageLogEntry.objects.filter(page=document, action=action))


def chain_steps(name: str) -> list:
    workflow = Workflow.objects.get(name=name)
    return [wt.task.specific for wt in workflow.workflow_tasks.order_by("sort_order")]


def awaiting(users, document) -> set[str]:
    return {
        name
        for name, user in users.items()
        if any(
            s.document.pk == document.pk for s in approvals.task_states_awaiting(user)
        )
    }


# --- chains ------------------------------------------------------------------------


def test_default_chains_have_the_steps_of_the_procedure(users):
    described = {
        name: [
            (
                type(s).__name__,
                s.meaning,
                sorted(s.groups.values_list("name", flat=True)),
                s.own_department_only,
            )
            for s in chain_steps(name)
        ]
        for name in (CHAIN_TIERS_1_2, CHAIN_TIER_3)
    }
    assert described == {
        CHAIN_TIERS_1_2: [
            ("CoSignTask", "co_signed", [roles.DEPARTMENT_MANAGER], False),
            ("SignOffTask", "reviewed", [roles.MANAGEMENT_REPRESENTATIVE], False),
            ("SignOffTask", "approved", [roles.GENERAL_MANAGER], False),
            ("PreIssueCheckTask", "checked", [roles.DOCUMENT_CONTROLLER], False),
        ],
        CHAIN_TIER_3: [
            ("CoSignTask", "co_signed", [roles.DEPARTMENT_MANAGER], False),
            ("SignOffTask", "reviewed", [roles.DEPARTMENT_MANAGER], True),
            ("SignOffTask", "approved", [roles.MANAGEMENT_REPRESENTATIVE], False),
            ("PreIssueCheckTask", "checked", [roles.DOCUMENT_CONTROLLER], False),
        ],
    }


def test_workflows_ensure_is_idempotent_and_keeps_company_edits(users, settings):
    before = {
        name: [t.pk for t in chain_steps(name)] for name in approvals.workflows_ensure()
    }
    settings.SHOUKONG_TIER3_APPROVER = roles.GENERAL_MANAGER
    approvals.workflows_ensure()
    after = {name: [t.pk for t in chain_steps(name)] for name in before}
    assert after == before
    assert Workflow.objects.filter(name__in=before).count() == 2
    approve = chain_steps(CHAIN_TIER_3)[2]
    assert list(approve.groups.values_list("name", flat=True)) == [
        roles.MANAGEMENT_REPRESENTATIVE
    ]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (roles.MANAGEMENT_REPRESENTATIVE, roles.MANAGEMENT_REPRESENTATIVE),
        (roles.GENERAL_MANAGER, roles.GENERAL_MANAGER),
        (roles.DEPARTMENT_MANAGER, roles.DEPARTMENT_MANAGER),
        ("没有这个角色", roles.MANAGEMENT_REPRESENTATIVE),
    ],
)
def test_tier3_approver_follows_the_setting_on_a_fresh_database(
    db, settings, setting, expected
):
    settings.SHOUKONG_TIER3_APPROVER = setting
    assert not Workflow.objects.filter(name=CHAIN_TIER_3).exists()
    roles.roles_ensure()
    approve = chain_steps(CHAIN_TIER_3)[2]
    assert isinstance(approve, SignOffTask)
    assert approve.meaning == SignatureMeaning.APPROVED
    assert list(approve.groups.values_list("name", flat=True)) == [expected]
    assert approve.name == f"审批（{expected}）"
    # Tiers 1 and 2 are approved by the general manager whatever the setting.
    gm_step = chain_steps(CHAIN_TIERS_1_2)[2]
    assert list(gm_step.groups.values_list("name", flat=True)) == [
        roles.GENERAL_MANAGER
    ]


@pytest.mark.parametrize(
    ("scheme", "kind", "parent_kind", "chain"),
    [
        ("abcd", "manual", None, CHAIN_TIERS_1_2),
        ("abcd", "procedure", None, CHAIN_TIERS_1_2),
        ("abcd", "instruction", "procedure", CHAIN_TIER_3),
        ("abcd", "form", "procedure", CHAIN_TIERS_1_2),
        ("abcd", "other", None, CHAIN_TIER_3),
        # Forms under manuals and instructions exist in the ITSMS scheme only.
        ("itsms", "form", "manual", CHAIN_TIERS_1_2),
        ("itsms", "form", "instruction", CHAIN_TIER_3),
    ],
    ids=[
        "manual",
        "procedure",
        "instruction",
        "form-of-procedure",
        "other",
        "form-of-manual",
        "form-of-instruction",
    ],
)
def test_chain_by_tier_forms_follow_their_parent(
    users, settings, scheme, kind, parent_kind, chain
):
    settings.SHOUKONG_NUMBERING_SCHEME = scheme
    parent = None
    if parent_kind == "instruction":
        parent = make(users, "instruction", parent=make(users, "procedure"))
    elif parent_kind:
        parent = make(users, parent_kind)
    document = make(users, kind, parent=parent)
    assert approvals.chain_for(document).name == chain
    submit(users, document)
    assert state(document).workflow.name == chain
    assert state(document).status == WorkflowState.STATUS_IN_PROGRESS


def test_inactive_chain_gives_no_workflow(users):
    Workflow.objects.filter(name=CHAIN_TIERS_1_2).update(active=False)
    assert approvals.chain_for(make(users, "procedure")) is None


# --- the whole chain ---------------------------------------------------------------


def test_procedure_chain_signatures_carry_meaning_user_revision_and_issue(users):
    document = make(users, involved=("技术部", "市场部"))
    submit(users, document)
    assert logged(document, "wagtail.workflow.start")
    for name in ("tech_manager", "market_manager", "mr", "gm"):
        result = act(users, name, document)
        assert result.signed and not result.finished and not result.returned
    assert Signature.objects.filter(document=document, issue__isnull=False).count() == 0
    assert set(Signature.objects.values_list("issue_label", flat=True)) == {"A"}

    result = act(users, "controller", document)
    assert result.finished and result.signed

    issue = document.issues.get()
    assert (issue.label, issue.status, issue.publish_date) == (
        "A",
        IssueStatus.EFFECTIVE,
        TODAY,
    )
    assert state(document).status == WorkflowState.STATUS_APPROVED
    rows = list(
        Signature.objects.filter(document=document).select_related("user", "department")
    )
    assert [
        (s.meaning, s.user.username, s.department and s.department.name) for s in rows
    ] == [
        (SignatureMeaning.CO_SIGNED, "tech_manager", "技术部"),
        (SignatureMeaning.CO_SIGNED, "market_manager", "市场部"),
        (SignatureMeaning.REVIEWED, "mr", None),
        (SignatureMeaning.APPROVED, "gm", None),
        (SignatureMeaning.CHECKED, "controller", None),
    ]
    assert {s.revision_id for s in rows} == {issue.revision_id}
    assert {s.issue_label for s in rows} == {"A"}
    assert {s.issue_id for s in rows} == {issue.pk}
    assert all(s.password_confirmed for s in rows)
    assert len(logged(document, "shoukong.documents.sign")) == 5
    # One approval per step: the co-signature step closes once, after both.
    assert len(logged(document, "wagtail.workflow.approve")) == 4
    assert logged(document, "shoukong.documents.issue")


def test_second_issue_signatures_name_issue_b(users):
    document = make(users)
    submit(users, document)
    for name in ("mr", "gm", "controller"):
        act(users, name, document)
    document = DocumentPage.objects.get(pk=document.pk).specific
    document.body = "<p>第二版</p>"
    document.save_revision(user=users["controller"])
    submit(users, document)
    act(users, "mr", document)
    assert (
        Signature.objects.filter(document=document, issue__isnull=True)
        .get()
        .issue_label
        == "B"
    )
    for name in ("gm", "controller"):
        act(users, name, document)
    issue_b = document.issues.newest_first().first()
    assert issue_b.label == "B"
    assert sorted(issue_b.signatures.values_list("meaning", flat=True)) == sorted(
        [SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED, SignatureMeaning.CHECKED]
    )


def test_tier3_is_reviewed_by_the_owning_department_manager(users):
    parent = make(users, "procedure")
    document = make(users, "instruction", parent=parent, department="技术部")
    submit(users, document)
    assert step(document) == REVIEW_DEPT
    assert awaiting(users, document) == {"tech_manager"}
    for name in ("market_manager", "mr", "gm", "staff"):
        with pytest.raises(PermissionDenied):
            act(users, name, document)
    assert step(document) == REVIEW_DEPT
    assert not Signature.objects.filter(document=document).exists()
    act(users, "tech_manager", document)
    assert step(document) == APPROVE_T3
    act(users, "mr", document)
    assert act(users, "controller", document).finished
    assert signatures(document) == [
        (SignatureMeaning.REVIEWED, "tech_manager"),
        (SignatureMeaning.APPROVED, "mr"),
        (SignatureMeaning.CHECKED, "controller"),
    ]


def test_form_under_an_instruction_is_reviewed_like_its_parent(users, settings):
    settings.SHOUKONG_NUMBERING_SCHEME = "itsms"
    parent = make(users, "instruction", parent=make(users, "procedure"))
    form = make(users, "form", parent=parent, department="市场部")
    submit(users, form)
    assert step(form) == REVIEW_DEPT
    with pytest.raises(PermissionDenied):
        act(users, "tech_manager", form)
    act(users, "market_manager", form)
    assert step(form) == APPROVE_T3


# --- co-signature ------------------------------------------------------------------


@pytest.mark.parametrize("involved", [(), ("技术部",)])
def test_cosign_is_skipped_with_fewer_than_two_departments(users, involved):
    document = make(users, involved=involved)
    submit(users, document)
    assert step(document) == REVIEW_MR
    cosign = TaskState.objects.get(workflow_state=state(document), task__name=COSIGN)
    assert cosign.status == TaskState.STATUS_APPROVED
    assert "fewer than two departments" in cosign.comment
    assert not Signature.objects.filter(document=document).exists()


def test_cosign_needs_every_involved_departments_manager(users):
    factories.user(
        "admin_manager", role=roles.DEPARTMENT_MANAGER, department_name="行政部"
    )
    users = {u.username: u for u in get_user_model().objects.all()}
    document = make(users, involved=("技术部", "市场部"))
    submit(users, document)
    assert step(document) == COSIGN
    # A manager whose department is not involved does not co-sign.
    with pytest.raises(PermissionDenied):
        act(users, "admin_manager", document)
    result = act(users, "tech_manager", document)
    assert result.signed and not result.finished
    # One department's signature alone does not advance the step.
    assert step(document) == COSIGN
    assert awaiting(users, document) == {"market_manager"}
    # Signing again (a double click, a second device) is refused.
    with pytest.raises((InvalidTransition, PermissionDenied)):
        act(users, "tech_manager", document)
    assert signatures(document) == [(SignatureMeaning.CO_SIGNED, "tech_manager")]
    act(users, "market_manager", document)
    assert step(document) == REVIEW_MR
    assert [
        s.department.name
        for s in Signature.objects.filter(document=document).select_related(
            "department"
        )
    ] == ["技术部", "市场部"]


# --- refusals ----------------------------------------------------------------------


def test_author_cannot_sign_their_own_document(users):
    document = make(users, author="mr")
    submit(users, document, author="mr")
    assert step(document) == REVIEW_MR
    assert approvals.workflow_summary(document)["may_act"] == []
    with pytest.raises(PermissionDenied):
        act(users, "mr", document)
    assert not Signature.objects.filter(document=document).exists()
    assert document.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    # Another management representative signs instead.
    factories.user(
        "mr2", role=roles.MANAGEMENT_REPRESENTATIVE, department_name="管理层"
    )
    users = {u.username: u for u in get_user_model().objects.all()}
    assert approvals.workflow_summary(document)["may_act"] == ["mr2"]
    act(users, "mr2", document, password="pw")
    assert step(document) == APPROVE_GM
    assert signatures(document) == [(SignatureMeaning.REVIEWED, "mr2")]


def test_controller_who_submitted_may_do_the_pre_issue_check(users):
    document = make(users)
    submit(users, document)
    act(users, "mr", document)
    act(users, "gm", document)
    assert step(document) == CHECK
    assert approvals.workflow_summary(document)["may_act"] == ["controller"]
    assert act(users, "controller", document).finished


def test_approving_twice_leaves_one_signature(users):
    document = make(users)
    submit(users, document)
    review = document.current_workflow_task_state
    act(users, "mr", document)
    with pytest.raises((InvalidTransition, PermissionDenied)):
        approvals.task_act(
            task_state=review, user=users["mr"], action="approve", password=PASSWORD
        )
    # At the next step it is not theirs either.
    with pytest.raises(PermissionDenied):
        act(users, "mr", document)
    assert Signature.objects.filter(task_state=review).count() == 1
    assert signatures(document) == [(SignatureMeaning.REVIEWED, "mr")]
    assert step(document) == APPROVE_GM


@pytest.mark.parametrize("name", ["gm", "controller", "tech_manager", "staff", "admin"])
def test_a_step_not_yours_is_refused_without_a_change(users, name):
    document = make(users)
    submit(users, document)
    task_state = document.current_workflow_task_state
    with pytest.raises(PermissionDenied):
        act(users, name, document)
    with pytest.raises(PermissionDenied):
        act(users, name, document, action="reject", comment="不同意")
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert step(document) == REVIEW_MR
    assert state(document).status == WorkflowState.STATUS_IN_PROGRESS
    assert not Signature.objects.filter(document=document).exists()
    assert not logged(document, "shoukong.documents.sign")


def test_inactive_signer_is_refused(users):
    document = make(users)
    submit(users, document)
    users["mr"].is_active = False
    users["mr"].save()
    with pytest.raises(PermissionDenied):
        act(users, "mr", document)
    assert not Signature.objects.filter(document=document).exists()


@pytest.mark.parametrize("password", ["wrong", "", None])
def test_wrong_password_is_refused_and_logged(users, password):
    document = make(users)
    submit(users, document)
    with pytest.raises(PermissionDenied):
        act(users, "mr", document, password=password)
    assert not Signature.objects.filter(document=document).exists()
    assert step(document) == REVIEW_MR
    assert document.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    [entry] = logged(document, "shoukong.documents.signature_refused")
    assert entry.user_id == users["mr"].pk
    assert entry.data == {"reason": "password"}
    assert not logged(document, "shoukong.documents.sign")


def test_unknown_action_is_refused(users):
    document = make(users)
    submit(users, document)
    with pytest.raises(ValidationError):
        act(users, "mr", document, action="skip")
    assert step(document) == REVIEW_MR


def test_acting_on_a_document_not_in_approval_is_refused(users):
    document = make(users)
    with pytest.raises(InvalidTransition):
        act(users, "mr", document)
    assert approvals.workflow_summary(document) is None


@pytest.mark.parametrize("comment", ["", "   "])
def test_returning_needs_a_comment(users, comment):
    document = make(users)
    submit(users, document)
    with pytest.raises(ValidationError):
        act(users, "mr", document, action="reject", comment=comment)
    assert state(document).status == WorkflowState.STATUS_IN_PROGRESS
    assert document.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    assert not logged(document, "wagtail.workflow.reject")


def test_returned_document_goes_back_to_its_author_who_resubmits(users):
    document = make(users)
    submit(users, document)
    result = act(users, "mr", document, action="reject", comment="第3节不清楚")
    assert result.returned and not result.signed
    workflow_state = state(document)
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    returned = workflow_state.current_task_state
    assert (returned.status, returned.comment) == (
        TaskState.STATUS_REJECTED,
        "第3节不清楚",
    )
    [entry] = logged(document, "wagtail.workflow.reject")
    assert entry.user_id == users["mr"].pk
    assert not Signature.objects.filter(document=document).exists()
    assert approvals.workflow_summary(document)["comment"] == "第3节不清楚"

    document = DocumentPage.objects.get(pk=document.pk).specific
    document.body = "<p>第3节已改清楚。</p>"
    document.save_revision(user=users["controller"])
    resumed = submit(users, document)
    assert resumed.pk == workflow_state.pk
    assert resumed.status == WorkflowState.STATUS_IN_PROGRESS
    assert logged(document, "wagtail.workflow.resume")
    assert step(document) == REVIEW_MR
    for name in ("mr", "gm"):
        act(users, name, document)
    assert act(users, "controller", document).finished
    assert document.issues.get().body == "<p>第3节已改清楚。</p>"
    assert signatures(document) == [
        (SignatureMeaning.REVIEWED, "mr"),
        (SignatureMeaning.APPROVED, "gm"),
        (SignatureMeaning.CHECKED, "controller"),
    ]


def test_changed_content_is_co_signed_again_after_a_return(users):
    document = make(users, involved=("技术部", "市场部"))
    submit(users, document)
    act(users, "tech_manager", document)
    act(users, "market_manager", document)
    act(users, "mr", document, action="reject", comment="职责划分不清")
    draft = document.get_latest_revision_as_object()  # keeps the involved list
    draft.body = "<p>职责已划分。</p>"
    draft.save_revision(user=users["controller"])
    submit(users, document)
    # The co-signatures were for the returned content: the chain restarts at
    # its first step not signed for the new one.
    assert step(document) == COSIGN
    assert awaiting(users, document) == {"tech_manager", "market_manager"}
    for name in ("tech_manager", "market_manager", "mr", "gm"):
        act(users, name, document)
    assert act(users, "controller", document).finished
    issue = document.issues.get()
    assert sorted(issue.signatures.values_list("meaning", flat=True)) == sorted(
        [
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.REVIEWED,
            SignatureMeaning.APPROVED,
            SignatureMeaning.CHECKED,
        ]
    )
    # The co-signatures of the returned content stay on record, unreleased.
    stale = Signature.objects.filter(document=document, issue__isnull=True)
    assert sorted(stale.values_list("user__username", flat=True)) == [
        "market_manager",
        "tech_manager",
    ]


def test_submitting_while_in_approval_is_refused(users):
    document = make(users)
    first = submit(users, document)
    with pytest.raises(InvalidTransition):
        submit(users, document)
    assert WorkflowState.objects.for_instance(document).count() == 1
    assert state(document).pk == first.pk


def test_staff_cannot_submit(users):
    document = make(users)
    with pytest.raises(PermissionDenied):
        submit(users, document, author="staff")
    assert state(document) is None


# --- pre-issue check ---------------------------------------------------------------


def _to_the_check(users, document):
    submit(users, document)
    act(users, "mr", document)
    act(users, "gm", document)
    assert step(document) == CHECK


def test_pre_issue_check_returns_a_document_without_an_electronic_file(users):
    document = make(users, body="")
    _to_the_check(users, document)
    result = act(users, "controller", document)
    assert result.returned and not result.signed and not result.finished
    assert result.reasons == [
        "No electronic file: attach the source file or write the body."
    ]
    workflow_state = state(document)
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    check = workflow_state.current_task_state
    assert check.status == TaskState.STATUS_REJECTED
    assert "No electronic file" in check.comment
    [entry] = logged(document, "shoukong.documents.pre_issue_failed")
    assert entry.data == {"reasons": result.reasons}
    assert entry.user_id == users["controller"].pk
    assert not document.issues.exists()
    assert not Signature.objects.filter(
        document=document, meaning=SignatureMeaning.CHECKED
    ).exists()

    # The author writes the body and resubmits: the new content is signed
    # again before the check passes.
    document = DocumentPage.objects.get(pk=document.pk).specific
    document.body = "<p>补上正文。</p>"
    document.save_revision(user=users["controller"])
    submit(users, document)
    for _round in range(4):
        name = {REVIEW_MR: "mr", APPROVE_GM: "gm", CHECK: "controller"}[step(document)]
        result = act(users, name, document)
        assert not result.returned, result.reasons
        if result.finished:
            break
    assert result.finished
    issue = document.issues.get()
    assert issue.body == "<p>补上正文。</p>"
    assert sorted(issue.signatures.values_list("meaning", flat=True)) == sorted(
        [SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED, SignatureMeaning.CHECKED]
    )


def test_pre_issue_check_returns_incomplete_attachments(users):
    document = make(users)
    _to_the_check(users, document)
    result = act(users, "controller", document, attachments_complete=False)
    assert result.returned
    assert result.reasons == ["The attachments are not complete."]
    assert state(document).status == WorkflowState.STATUS_NEEDS_CHANGES
    assert state(document).current_task_state.comment == (
        "The attachments are not complete."
    )
    assert len(logged(document, "shoukong.documents.pre_issue_failed")) == 1
    # Nothing to change in the content: resubmitting goes straight back to the
    # check, whose earlier signatures still stand.
    submit(users, document)
    assert step(document) == CHECK
    assert act(users, "controller", document).finished
    assert document.issues.get().label == "A"


def test_pre_issue_check_returns_a_document_whose_forms_were_not_submitted(users):
    document = make(users)
    form = make(users, "form", parent=document)
    _to_the_check(users, document)
    result = act(users, "controller", document)
    assert result.returned
    assert result.reasons == [
        f"Form {form.number} has not been submitted for approval."
    ]


def test_pre_issue_check_is_not_signed_by_another_role(users):
    document = make(users)
    _to_the_check(users, document)
    with pytest.raises(PermissionDenied):
        act(users, "mr", document, attachments_complete=True)
    assert step(document) == CHECK


# --- reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_before", "expected_step", "expected"),
    [
        ((), COSIGN, {"tech_manager", "market_manager"}),
        (("tech_manager",), COSIGN, {"market_manager"}),
        (("tech_manager", "market_manager"), REVIEW_MR, {"mr"}),
        (("tech_manager", "market_manager", "mr"), APPROVE_GM, {"gm"}),
        (("tech_manager", "market_manager", "mr", "gm"), CHECK, {"controller"}),
    ],
)
def test_who_may_act_at_each_step(users, signed_before, expected_step, expected):
    document = make(users, involved=("技术部", "市场部"))
    submit(users, document)
    for name in signed_before:
        act(users, name, document)
    summary = approvals.workflow_summary(document)
    assert summary["status"] == WorkflowState.STATUS_IN_PROGRESS
    assert summary["step"] == expected_step
    assert summary["may_act"] == sorted(expected)
    assert [s["user"] for s in summary["signatures"]] == list(signed_before)
    assert {s["issue"] for s in summary["signatures"]} <= {"A"}
    # The dashboard's "my approvals" agrees, for every role (and no superuser
    # bypass: admin never sees a step).
    assert awaiting(users, document) == expected


def test_workflow_summary_types_the_step(users):
    document = make(users, involved=("技术部", "市场部"))
    submit(users, document)
    assert approvals.workflow_summary(document)["step_type"] == CoSignTask.__name__
    for name in ("tech_manager", "market_manager", "mr", "gm"):
        act(users, name, document)
    assert (
        approvals.workflow_summary(document)["step_type"] == PreIssueCheckTask.__name__
    )


# --- the admin's forms -------------------------------------------------------------


def test_sign_form_checks_the_password_of_the_user_in_the_log_context(users):
    other = factories.user("other", password="another-password")
    with LogContext(user=users["mr"]):
        assert approvals.SignForm(data={"password": PASSWORD}).is_valid()
        form = approvals.SignForm(data={"password": "wrong"})
        assert not form.is_valid()
        assert list(form.errors) == ["password"]
    with LogContext(user=other):
        assert not approvals.SignForm(data={"password": PASSWORD}).is_valid()
        assert approvals.SignForm(data={"password": "another-password"}).is_valid()
    # Outside a log context nobody is named: no password is right.
    assert not approvals.SignForm(data={"password": PASSWORD}).is_valid()


def test_pre_issue_check_form_needs_the_attachments_confirmed(users):
    with LogContext(user=users["controller"]):
        form = approvals.PreIssueCheckForm(data={"password": PASSWORD})
        assert not form.is_valid()
        assert list(form.errors) == ["attachments_complete"]
        assert approvals.PreIssueCheckForm(
            data={"password": PASSWORD, "attachments_complete": "on"}
        ).is_valid()


def test_forms_per_task_and_action(users):
    review, approve, check = chain_steps(CHAIN_TIERS_1_2)[1:]
    assert approvals.form_for(task=review, action="reject") is approvals.ReturnForm
    assert approvals.form_for(task=review, action="approve") is approvals.SignForm
    assert (
        approvals.form_for(task=check, action="approve") is approvals.PreIssueCheckForm
    )
    assert not approvals.ReturnForm(data={"comment": ""}).is_valid()
    approve.require_password = False
    comment_only = approvals.form_for(task=approve, action="approve")
    assert "password" not in comment_only().fields
