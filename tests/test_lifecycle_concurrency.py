"""Signatures arriving at the same moment from two sessions (PostgreSQL only).

Two approvers act on the same approval step at once, each in their own thread
with its own database connection: the step is signed once and the chain moves
on once; the late one is told the step is no longer open (or not theirs).
SQLite serialises every writer, so the race only exists on PostgreSQL.
"""

from __future__ import annotations

import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from documents import approvals, roles, services
from documents.lifecycle import InvalidTransition, SignatureMeaning
from documents.models import Department, ProcedurePage, Signature
from documents.tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrent writers need PostgreSQL",
    ),
]

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD


@pytest.fixture
def users(db):
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    factories.user(
        "mr2",
        role=roles.MANAGEMENT_REPRESENTATIVE,
        department_name="管理层",
        password=PASSWORD,
    )
    return {u.username: u for u in get_user_model().objects.all()}


def submitted(users, *, involved: tuple[str, ...] = ()) -> ProcedurePage:
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="并发审批测试",
        department=Department.objects.get(name="行政部"),
        body="<p>正文</p>",
    )
    if involved:
        page.involved_departments.set(Department.objects.filter(name__in=involved))
        page.save_revision(user=users["controller"])
    approvals.document_submit(user=users["controller"], document=page)
    return page


def race(task_state: TaskState, signers: list) -> tuple[list, list[BaseException]]:
    """Every signer approves ``task_state`` at the same moment; returns what
    each call returned and what each raised."""
    barrier = threading.Barrier(len(signers))
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def sign(user) -> None:
        try:
            barrier.wait(timeout=30)
            result = approvals.task_act(
                task_state=task_state, user=user, action="approve", password=PASSWORD
            )
            with lock:
                results.append(result)
        except BaseException as exc:  # noqa: BLE001 - the loser's error is the point
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(user,)) for user in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a signer hung"
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "signers",
    [("mr", "mr2"), ("mr", "mr")],
    ids=["two-representatives", "double-click"],
)
def test_one_review_step_signed_by_two_at_once_is_signed_once(users, signers):
    document = submitted(users)
    review = document.current_workflow_task_state
    assert review.task.name == "审核（管理者代表）"

    results, errors = race(review, [users[name] for name in signers])

    assert len(results) == 1, errors
    assert results[0].signed and not results[0].finished
    [error] = errors
    assert isinstance(error, (InvalidTransition, PermissionDenied)), repr(error)

    [signature] = Signature.objects.filter(task_state=review)
    assert signature.meaning == SignatureMeaning.REVIEWED
    assert signature.user.username in signers
    assert Signature.objects.filter(document=document).count() == 1
    review.refresh_from_db()
    assert review.status == TaskState.STATUS_APPROVED
    # The chain moved on exactly once: one approval of the review step, and
    # the general manager's step is the only one open.
    workflow_state = WorkflowState.objects.get(pk=review.workflow_state_id)
    assert workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    open_steps = TaskState.objects.filter(
        workflow_state=workflow_state, status=TaskState.STATUS_IN_PROGRESS
    )
    assert [s.task.name for s in open_steps] == ["审批（总经理）"]
    assert workflow_state.current_task_state_id == open_steps.get().pk
    approved = PageLogEntry.objects.filter(
        page_id=document.pk, action="wagtail.workflow.approve"
    )
    assert approved.count() == 1
    assert (
        PageLogEntry.objects.filter(
            page_id=document.pk, action="shoukong.documents.sign"
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_departments_co_signing_at_once_advance_the_step_once(users):
    document = submitted(users, involved=("技术部", "市场部"))
    cosign = document.current_workflow_task_state
    assert cosign.task.name == "会签（相关部门经理）"

    results, errors = race(cosign, [users["tech_manager"], users["market_manager"]])

    # Both departments sign; whichever signs second closes the step, so it
    # neither stalls (each thinking the other missing) nor closes twice.
    assert not errors, errors
    assert len(results) == 2
    assert sorted(
        Signature.objects.filter(task_state=cosign).values_list(
            "department__name", flat=True
        )
    ) == ["市场部", "技术部"]
    cosign.refresh_from_db()
    assert cosign.status == TaskState.STATUS_APPROVED
    open_steps = TaskState.objects.filter(
        workflow_state_id=cosign.workflow_state_id,
        status=TaskState.STATUS_IN_PROGRESS,
    )
    assert [s.task.name for s in open_steps] == ["审核（管理者代表）"]
    assert (
        PageLogEntry.objects.filter(
            page_id=document.pk, action="wagtail.workflow.approve"
        ).count()
        == 1
    )
