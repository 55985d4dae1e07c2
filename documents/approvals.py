"""Approval of documents: the chains per tier, who may sign which step, and the
services that submit a document and sign or return it.

The workflow tasks (:mod:`documents.models.workflows`), the admin, the API and
scripts all come through :func:`task_act`, so the rules hold however a signature
arrives: the signer holds the step's role (and department), is not the author,
re-enters their password, signs once; returning a document needs a comment
(ISO/IEC 20000-1:2018 7.5.3; 21 CFR 11.50, 11.200).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogContext, get_active_log_context, log
from wagtail.models import TaskState, Workflow, WorkflowState, WorkflowTask

from . import labels, permissions, roles
from .lifecycle import (
    DocumentKind,
    DocumentStatus,
    InvalidTransition,
    SignatureMeaning,
)
from .models import (
    CoSignTask,
    Department,
    DocumentPage,
    PreIssueCheckTask,
    Signature,
    SignatureTask,
    SignOffTask,
)

# --- Chains ------------------------------------------------------------------------

CHAIN_TIERS_1_2 = "一、二阶文件审批"
CHAIN_TIER_3 = "三阶文件审批"


def chain_for(document: DocumentPage) -> Workflow | None:
    """The approval chain of ``document`` by tier (SHOUKONG_APPROVAL_CHAINS).

    Forms (tier 4) are approved with their parent: they take its chain.
    """
    chains = settings.SHOUKONG_APPROVAL_CHAINS
    tier = document.tier
    if tier == 4:
        parent = document.get_parent()
        parent = parent.specific if parent is not None else None
        tier = getattr(parent, "tier", None)
    name = chains.get(str(tier)) if tier else None
    name = name or chains.get("other")
    if not name:
        return None
    return Workflow.objects.filter(name=name, active=True).first()


@transaction.atomic
def workflows_ensure() -> dict[str, Workflow]:
    """Create the default chains of the document control procedure; idempotent.

    Tiers 1–2: 会签 → 管理者代表 reviews → 总经理 approves → 文控 checks.
    Tier 3: 会签 → the department manager reviews → SHOUKONG_TIER3_APPROVER
    approves → 文控 checks. Existing chains are left as the company edited them.
    """
    group = {name: Group.objects.get(name=name) for name in roles.ROLES}
    tier3_approver = group.get(settings.SHOUKONG_TIER3_APPROVER) or group.get(
        roles.MANAGEMENT_REPRESENTATIVE
    )

    def task(model, name, groups, meaning, **extra):
        instance = model.objects.filter(name=name).first()
        if instance is None:
            instance = model.objects.create(name=name, meaning=meaning, **extra)
            instance.groups.set(groups)
        return instance

    cosign = task(
        CoSignTask,
        "会签（相关部门经理）",
        [group[roles.DEPARTMENT_MANAGER]],
        SignatureMeaning.CO_SIGNED,
    )
    check = task(
        PreIssueCheckTask,
        "发布前检查（文控）",
        [group[roles.DOCUMENT_CONTROLLER]],
        SignatureMeaning.CHECKED,
    )
    review_mr = task(
        SignOffTask,
        "审核（管理者代表）",
        [group[roles.MANAGEMENT_REPRESENTATIVE]],
        SignatureMeaning.REVIEWED,
    )
    approve_gm = task(
        SignOffTask,
        "审批（总经理）",
        [group[roles.GENERAL_MANAGER]],
        SignatureMeaning.APPROVED,
    )
    review_dept = task(
        SignOffTask,
        "审核（本部门经理）",
        [group[roles.DEPARTMENT_MANAGER]],
        SignatureMeaning.REVIEWED,
        own_department_only=True,
    )
    approve_t3 = task(
        SignOffTask,
        f"审批（{tier3_approver.name}）",
        [tier3_approver],
        SignatureMeaning.APPROVED,
    )
    result = {}
    for name, steps in (
        (CHAIN_TIERS_1_2, [cosign, review_mr, approve_gm, check]),
        (CHAIN_TIER_3, [cosign, review_dept, approve_t3, check]),
    ):
        workflow, created = Workflow.objects.get_or_create(name=name)
        if created:
            for order, step in enumerate(steps):
                WorkflowTask.objects.create(
                    workflow=workflow, task=step, sort_order=order
                )
        result[name] = workflow
    return result


# --- Who may sign --------------------------------------------------------------------


def involved_departments(task_state: TaskState) -> list[Department]:
    """Departments involved according to the revision being signed."""
    cache = getattr(task_state, "_involved_departments", None)
    if cache is None:
        released = task_state.revision.as_object()
        cache = list(released.involved_departments.all())
        task_state._involved_departments = cache
    return cache


def is_author(document: DocumentPage, task_state: TaskState, user) -> bool:
    """Who submitted the document, owns it, or wrote any of its revisions since
    the chain started does not sign it: nobody approves their own text."""
    workflow_state = task_state.workflow_state
    if user.pk in {workflow_state.requested_by_id, document.owner_id}:
        return True
    return document.revisions.filter(
        user_id=user.pk, created_at__gte=workflow_state.created_at
    ).exists()


def _department_signed(task_state: TaskState):
    """The owning department according to the revision being signed."""
    cache = getattr(task_state, "_owning_department_id", None)
    if cache is None:
        cache = task_state.revision.as_object().department_id
        task_state._owning_department_id = cache
    return cache


def _current_task_state(document: DocumentPage) -> TaskState | None:
    state = document.current_workflow_task_state
    if state is None or state.status != TaskState.STATUS_IN_PROGRESS:
        return None
    return state


def may_sign(
    *, task: SignatureTask, document: DocumentPage, user, task_state=None
) -> bool:
    """Whether ``user`` may sign (or return) ``document`` at ``task`` now."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    task_state = task_state or _current_task_state(document)
    if task_state is None or task_state.task_id != task.pk:
        return False
    if task.meaning != SignatureMeaning.CHECKED and is_author(
        document, task_state, user
    ):
        return False
    # Signatures belong to roles, not to administrators: no superuser bypass.
    if not task.groups.filter(id__in=user.groups.all()).exists():
        return False
    department = permissions.department_of(user)
    if task.own_department_only and (
        department is None or department.pk != _department_signed(task_state)
    ):
        return False
    signed = Signature.objects.filter(task_state=task_state)
    if signed.filter(user=user).exists():
        return False
    if isinstance(task, CoSignTask):
        involved = {d.pk for d in involved_departments(task_state)}
        if department is None or department.pk not in involved:
            return False
        if signed.filter(department=department).exists():
            return False
    return True


def actions_for(*, task: SignatureTask, document: DocumentPage, user) -> list:
    if not may_sign(task=task, document=document, user=user):
        return []
    sign = {
        SignatureMeaning.CO_SIGNED: _("Co-sign"),
        SignatureMeaning.REVIEWED: _("Sign as reviewed"),
        SignatureMeaning.APPROVED: _("Sign as approved"),
        SignatureMeaning.CHECKED: _("Check and issue"),
    }[task.meaning]
    return [("reject", _("Return with comment"), True), ("approve", sign, True)]


# --- Forms (the admin's action modal) ------------------------------------------------


class SignForm(forms.Form):
    comment = forms.CharField(
        label=pgettext_lazy("signature", "Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput,
        help_text=_("Signing is an electronic signature: confirm it is you."),
    )

    def clean_password(self):
        password = self.cleaned_data["password"]
        # The admin runs workflow actions in a log context naming the signer.
        user = get_active_log_context().user
        if user is None or not user.check_password(password):
            raise ValidationError(_("The password is not correct."))
        return password


class PreIssueCheckForm(SignForm):
    attachments_complete = forms.BooleanField(
        label=_("The attachments (forms, annexes) are complete"), required=True
    )

    field_order = ["attachments_complete", "comment", "password"]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The author sees this reason."),
    )


def form_for(*, task: SignatureTask, action: str):
    if action == "reject":
        return ReturnForm
    if isinstance(task, PreIssueCheckTask):
        return PreIssueCheckForm
    if task.require_password:
        return SignForm

    class CommentOnly(SignForm):
        password = None

    return CommentOnly


# --- Services -------------------------------------------------------------------------


@dataclass
class ActResult:
    """What a signature did: ``returned`` with ``reasons`` when a check failed."""

    document: DocumentPage
    signed: bool
    returned: bool = False
    finished: bool = False
    reasons: list[str] = field(default_factory=list)


class _PasswordRefused(Exception):
    """A wrong password inside the signing transaction of :func:`task_act`."""

    def __init__(self, document: DocumentPage, user) -> None:
        super().__init__()
        self.document = document
        self.user = user


def _verify_password(user, password: str | None, document: DocumentPage) -> None:
    if password and user.check_password(password):
        return
    # Logged by task_act() once the signing transaction has rolled back: a log
    # entry written here would be rolled back with it and the refusal would
    # leave no trace in the audit trail.
    raise _PasswordRefused(document, user)


def pre_issue_failures(
    document: DocumentPage, task_state: TaskState, attachments_complete: bool | None
) -> list[str]:
    """What the pre-issue check (发布前检查) finds missing, as reasons for the
    author (document control procedure: reviewed, approved, electronic file,
    attachments complete)."""
    checks = set(settings.SHOUKONG_PRE_ISSUE_CHECKS)
    failures: list[str] = []
    workflow_state = task_state.workflow_state
    signed = Signature.objects.filter(
        task_state__workflow_state=workflow_state, revision=task_state.revision
    )
    steps = [
        wt.task.specific
        for wt in WorkflowTask.objects.filter(
            workflow=workflow_state.workflow
        ).select_related("task")
    ]
    for meaning, name, message in (
        (SignatureMeaning.REVIEWED, "reviewed", _("It has not been reviewed.")),
        (SignatureMeaning.APPROVED, "approved", _("It has not been approved.")),
    ):
        wanted = any(getattr(s, "meaning", None) == meaning for s in steps)
        if name in checks and wanted and not signed.filter(meaning=meaning).exists():
            failures.append(str(message))
    released = task_state.revision.as_object()
    if "electronic_file" in checks and not (
        released.source_file_id or str(released.body or "").strip()
    ):
        failures.append(
            gettext("No electronic file: attach the source file or write the body.")
        )
    if "attachments" in checks:
        if attachments_complete is False:
            failures.append(gettext("The attachments are not complete."))
        elif attachments_complete is not True:
            failures.append(
                gettext("Document control has not confirmed the attachments.")
            )
        unissued = [
            child.specific
            for child in document.get_children().specific()
            if getattr(child, "kind", "") == DocumentKind.FORM
            and getattr(child, "status", "") == DocumentStatus.DRAFT
            and not child.workflow_in_progress
        ]
        for form in unissued:
            failures.append(
                gettext("Form %(number)s has not been submitted for approval.")
                % {"number": form.number or form.title}
            )
    return failures


def cosign_started(*, task_state: TaskState) -> None:
    """Skip the co-signature when fewer than two departments are involved."""
    if len(involved_departments(task_state)) >= 2:
        return
    task_state.status = TaskState.STATUS_APPROVED
    task_state.finished_at = timezone.now()
    task_state.comment = gettext(
        "No co-signature needed: fewer than two departments are involved."
    )
    task_state.save(update_fields=["status", "finished_at", "comment"])


def task_act(
    *,
    task_state: TaskState,
    user,
    action: str,
    comment: str = "",
    password: str | None = None,
    attachments_complete: bool | None = None,
    **_ignored,
) -> ActResult:
    """Sign (``approve``) or return (``reject``) the step ``task_state``; a wrong
    password is refused and the refusal logged (21 CFR 11.300(d))."""
    try:
        return _task_act(
            task_state=task_state,
            user=user,
            action=action,
            comment=comment,
            password=password,
            attachments_complete=attachments_complete,
        )
    except _PasswordRefused as refused:
        # Outside the rolled-back signing transaction, so the entry stays.
        log(
            instance=refused.document,
            action="shoukong.documents.signature_refused",
            user=refused.user,
            data={"reason": "password"},
        )
        raise PermissionDenied(gettext("The password is not correct.")) from None


@transaction.atomic
def _task_act(
    *,
    task_state: TaskState,
    user,
    action: str,
    comment: str,
    password: str | None,
    attachments_complete: bool | None,
) -> ActResult:
    workflow_state = WorkflowState.objects.select_for_update().get(
        pk=task_state.workflow_state_id
    )
    task_state = TaskState.objects.select_for_update().get(pk=task_state.pk).specific
    document = workflow_state.content_object.specific
    if (
        workflow_state.status != WorkflowState.STATUS_IN_PROGRESS
        or workflow_state.current_task_state_id != task_state.pk
        or task_state.status != TaskState.STATUS_IN_PROGRESS
    ):
        raise InvalidTransition(
            task_state.status, action, gettext("This approval step")
        )
    task = task_state.task.specific
    if not isinstance(task, SignatureTask):
        raise ValidationError(gettext("This step is not a Shoukong signature."))
    if action not in ("approve", "reject"):
        raise ValidationError(
            gettext("Unknown action: %(action)s") % {"action": action}
        )
    if Signature.objects.filter(task_state=task_state, user=user).exists():
        # A double click or a second device: the first signature stands.
        raise InvalidTransition(
            gettext("signed"), gettext("signed again"), gettext("This approval step")
        )
    if not may_sign(task=task, document=document, user=user, task_state=task_state):
        raise PermissionDenied(gettext("This step is not yours to sign."))
    comment = (comment or "").strip()
    with LogContext(user=user):
        if action == "reject":
            if not comment:
                raise ValidationError(
                    gettext("Say why: returning a document needs a comment.")
                )
            task_state.reject(user=user, comment=comment)
            return ActResult(document=document, signed=False, returned=True)
        if task.require_password:
            _verify_password(user, password, document)
        if isinstance(task, PreIssueCheckTask):
            failures = pre_issue_failures(document, task_state, attachments_complete)
            if failures:
                task_state.reject(user=user, comment="\n".join(failures))
                log(
                    instance=document,
                    action="shoukong.documents.pre_issue_failed",
                    user=user,
                    data={"reasons": failures},
                    revision=task_state.revision,
                )
                return ActResult(
                    document=document, signed=False, returned=True, reasons=failures
                )
        latest = document.issues.newest_first().first()
        label = labels.next_label(latest.label if latest else None)
        department = (
            permissions.department_of(user) if isinstance(task, CoSignTask) else None
        )
        Signature.objects.create(
            document=document,
            revision=task_state.revision,
            task_state=task_state,
            meaning=task.meaning,
            user=user,
            department=department,
            issue_label=label,
            comment=comment,
            password_confirmed=bool(task.require_password),
        )
        log(
            instance=document,
            action="shoukong.documents.sign",
            user=user,
            revision=task_state.revision,
            data={
                "meaning": task.meaning,
                "step": task.name,
                "issue": label,
                "department": department.name if department else None,
            },
        )
        if isinstance(task, CoSignTask):
            signed = set(
                Signature.objects.filter(task_state=task_state).values_list(
                    "department_id", flat=True
                )
            )
            if {d.pk for d in involved_departments(task_state)} - signed:
                return ActResult(document=document, signed=True)
        with permissions.releasing_approved():
            task_state.approve(user=user, comment=comment)
    workflow_state.refresh_from_db()
    return ActResult(
        document=document,
        signed=True,
        finished=workflow_state.status == WorkflowState.STATUS_APPROVED,
    )


def _resume_changed(state: WorkflowState, *, user, document: DocumentPage) -> None:
    """Resume a returned chain whose content changed since it was returned.

    Wagtail's ``resume()`` restarts the step that returned it. The earlier
    signatures do not cover the new content (WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_
    ON_EDIT), so a returned pre-issue check, which looks for them on the revision
    it checks, would return the document again at every resubmission. The chain
    restarts at its first step not yet signed for the new content instead.
    """
    returned = state.current_task_state
    state.current_task_state = None
    state.status = WorkflowState.STATUS_IN_PROGRESS
    state.save(update_fields=["current_task_state", "status"])
    log(
        instance=document,
        action="wagtail.workflow.resume",
        user=user,
        revision=returned.revision,
        data={
            "workflow": {
                "id": state.workflow_id,
                "title": state.workflow.name,
                "status": state.status,
                "task_state_id": returned.pk,
                "task": {"id": returned.task_id, "title": returned.task.name},
            }
        },
    )
    state.update(user=user)


@transaction.atomic
def document_submit(*, user, document: DocumentPage) -> WorkflowState:
    """Send a draft into its approval chain (or back into it after changes)."""
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    permissions.ensure_can_edit_document(user, document)
    if document.kind == DocumentKind.EXTERNAL:
        raise ValidationError(gettext("External documents are registered, not issued."))
    if document.status == DocumentStatus.OBSOLETE:
        raise InvalidTransition(
            document.status, "submitted", gettext("Document status")
        )
    if document.workflow_in_progress:
        raise InvalidTransition(
            gettext("in approval"), gettext("submitted"), gettext("Document")
        )
    # What is submitted is the latest revision, not the row (the issue in force).
    draft = document.get_latest_revision_as_object()
    if draft.effective_on and draft.effective_on < timezone.localdate():
        raise ValidationError(
            gettext("The planned effective date %(date)s has passed.")
            % {"date": draft.effective_on.isoformat()}
        )
    latest = document.issues.newest_first().first()
    if latest is not None and latest.releases_same_content(draft):
        raise ValidationError(
            gettext("Nothing has changed since issue %(label)s.")
            % {"label": latest.label}
        )
    state = document.current_workflow_state
    with LogContext(user=user):
        if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
            if document.has_unpublished_changes is False and document.live:
                raise ValidationError(
                    gettext("Nothing has changed since it was returned.")
                )
            returned = state.current_task_state
            latest = document.get_latest_revision()
            if latest is not None and returned.revision_id != latest.pk:
                _resume_changed(state, user=user, document=document)
            else:
                state.resume(user=user)
            return state
        workflow = document.get_workflow()
        if workflow is None:
            raise ValidationError(
                gettext("No approval chain applies to this document.")
            )
        if not document.get_latest_revision():
            document.save_revision(user=user, log_action=True)
        return workflow.start(document, user)


def document_act(
    *,
    user,
    document: DocumentPage,
    action: str,
    comment: str = "",
    password: str | None = None,
    attachments_complete: bool | None = None,
) -> ActResult:
    """Act on the document's current step as ``user`` (the API's entry point)."""
    task_state = _current_task_state(document)
    if task_state is None:
        raise InvalidTransition(gettext("not in approval"), action, gettext("Document"))
    return task_act(
        task_state=task_state,
        user=user,
        action=action,
        comment=comment,
        password=password,
        attachments_complete=attachments_complete,
    )


def signers_of(*, task: SignatureTask, document: DocumentPage, task_state) -> list:
    """The active users who may sign ``task_state`` now."""
    from django.contrib.auth import get_user_model

    candidates = (
        get_user_model()
        .objects.filter(groups__in=task.groups.all(), is_active=True)
        .select_related("staff_profile")
        .distinct()
    )
    return [
        user
        for user in candidates
        if may_sign(task=task, document=document, user=user, task_state=task_state)
    ]


# --- Reads ----------------------------------------------------------------------------


def workflow_summary(document: DocumentPage) -> dict | None:
    """The current step and who may act, for the API and the dashboards."""
    state = document.current_workflow_state
    if state is None:
        return None
    task_state = state.current_task_state
    task = task_state.task.specific if task_state else None
    signers: list[str] = []
    if isinstance(task, SignatureTask) and state.status == state.STATUS_IN_PROGRESS:
        signers = [
            u.get_username()
            for u in signers_of(task=task, document=document, task_state=task_state)
        ]
    signatures = Signature.objects.filter(
        task_state__workflow_state=state
    ).select_related("user", "department")
    return {
        "status": state.status,
        "step": task.name if task else None,
        "step_type": type(task).__name__ if task else None,
        "may_act": sorted(signers),
        "comment": task_state.comment if task_state else "",
        "signatures": [
            {
                "meaning": s.meaning,
                "user": s.user.get_username(),
                "department": s.department.name if s.department else None,
                "signed_at": s.signed_at.isoformat(),
                "issue": s.issue_label,
            }
            for s in signatures
        ],
    }


def task_states_awaiting(user) -> list[TaskState]:
    """Steps ``user`` may sign now (the dashboard's "my approvals")."""
    if user is None or not user.is_authenticated:
        return []
    # Only steps of the user's roles are looked at one by one.
    task_ids: set[int] = set()
    for model in (SignOffTask, CoSignTask, PreIssueCheckTask):
        task_ids.update(
            model.objects.filter(active=True, groups__in=user.groups.all()).values_list(
                "pk", flat=True
            )
        )
    if not task_ids:
        return []
    states = (
        TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS)
        .filter(task_id__in=task_ids)
        .exclude(pk__in=Signature.objects.filter(user=user).values("task_state_id"))
        .select_related("workflow_state", "task", "revision")
    )
    result = []
    for state in states:
        task = state.task.specific
        if not isinstance(task, SignatureTask):
            continue
        document = state.workflow_state.content_object
        document = getattr(document, "specific", document)
        if isinstance(document, DocumentPage) and may_sign(
            task=task, document=document, user=user, task_state=state.specific
        ):
            state.document = document
            result.append(state)
    return result


@transaction.atomic
def chain_realign(*, user, document: DocumentPage) -> bool:
    """After the admin's Resubmit, restart at the first step not signed for the
    changed content (as :func:`document_submit` does): Wagtail's ``resume()``
    restarts the step that returned it, and a pre-issue check would then find
    no signatures on the new revision and return it again, forever."""
    state = document.current_workflow_state
    if state is None or state.status != WorkflowState.STATUS_IN_PROGRESS:
        return False
    current = state.current_task_state
    if current is None or current.status != TaskState.STATUS_IN_PROGRESS:
        return False
    first = state.get_next_task()
    if first is None or first.pk == current.task_id:
        return False
    order = dict(
        WorkflowTask.objects.filter(workflow=state.workflow).values_list(
            "task_id", "sort_order"
        )
    )
    if order.get(first.pk, 0) >= order.get(current.task_id, 0):
        return False
    current.status = TaskState.STATUS_CANCELLED
    current.finished_at = timezone.now()
    current.finished_by = user
    current.save(update_fields=["status", "finished_at", "finished_by"])
    state.current_task_state = None
    state.save(update_fields=["current_task_state"])
    state.update(user=user, next_task=first.specific)
    return True


def may_cancel(*, user, document: DocumentPage) -> bool:
    """Only the author (who submitted or owns it) and document control withdraw
    a document from its chain; a signer who disagrees returns it with a reason."""
    from .distribution import is_document_controller

    state = document.current_workflow_state
    if state is None or user is None or not user.is_authenticated:
        return False
    return user.pk in {state.requested_by_id, document.owner_id} or (
        is_document_controller(user)
    )
