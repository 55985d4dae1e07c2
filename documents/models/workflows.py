"""Approval steps as Wagtail workflow tasks (编写 → 会签 → 审核 → 审批 → 发布前检查).

Each step is a signature: the signer re-enters their password and the meaning of
the signature (co-signed, reviewed, approved, checked) is recorded with the issue it
releases (21 CFR 11.50/11.200, ISO/IEC 20000-1:2018 7.5.3). The rules live in
:mod:`documents.approvals`; the tasks only adapt Wagtail's task API to them, so the
admin, the API and scripts behave the same.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from ..lifecycle import SignatureMeaning


class SignatureTask(Task):
    """Members of the chosen groups sign this step with a recorded meaning."""

    groups = models.ManyToManyField(
        Group,
        related_name="+",
        verbose_name=_("signers' roles"),
        help_text=_("Members of these roles may sign this step."),
    )
    meaning = models.CharField(
        _("meaning of the signature"),
        max_length=16,
        choices=SignatureMeaning.choices,
    )
    own_department_only = models.BooleanField(
        _("own department only"),
        default=False,
        help_text=_(
            "Only signers from the document's owning department (e.g. its "
            "department manager reviews tier 3 documents)."
        ),
    )
    require_password = models.BooleanField(
        _("ask for the password again"),
        default=True,
        help_text=_("An electronic signature re-authenticates the signer."),
    )

    admin_form_fields = Task.admin_form_fields + [
        "groups",
        "meaning",
        "own_department_only",
        "require_password",
    ]

    class Meta:
        abstract = True

    # --- Wagtail's task API, answered by documents.approvals -------------------

    def user_may_sign(self, obj, user, task_state=None) -> bool:
        from .. import approvals

        return approvals.may_sign(task=self, document=obj, user=user)

    def get_actions(self, obj, user):
        from .. import approvals

        return approvals.actions_for(task=self, document=obj, user=user)

    def get_form_for_action(self, action):
        from .. import approvals

        return approvals.form_for(task=self, action=action)

    def on_action(self, task_state, user, action_name, **kwargs):
        from django.core.exceptions import PermissionDenied, ValidationError

        from .. import approvals
        from ..lifecycle import InvalidTransition

        try:
            approvals.task_act(
                task_state=task_state, user=user, action=action_name, **kwargs
            )
        except (InvalidTransition, ValidationError) as error:
            # A stale modal or a missing reason: a refusal page, never a 500.
            raise PermissionDenied(
                " ".join(getattr(error, "messages", [str(error)]))
            ) from error

    def user_can_access_editor(self, obj, user):
        return self.user_may_sign(obj, user)

    def locked_for_user(self, obj, user):
        # While a document is being signed nobody edits it but the signers, and
        # any edit restarts the signatures (REQUIRE_REAPPROVAL_ON_EDIT).
        return not (user.is_superuser or self.user_may_sign(obj, user))

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if user.is_superuser or self.groups.filter(id__in=user.groups.all()).exists():
            return self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        return TaskState.objects.none()


class SignOffTask(SignatureTask):
    """Review (审核) or approval (审批) by one member of the chosen roles."""

    @classmethod
    def get_description(cls):
        return _("One member of the chosen roles signs (review or approval).")

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")


class CoSignTask(SignatureTask):
    """会签: the manager of every department involved signs, all of them, before
    review starts. Skipped when fewer than two departments are involved."""

    def start(self, workflow_state, user=None):
        from .. import approvals

        task_state = super().start(workflow_state, user=user)
        approvals.cosign_started(task_state=task_state)
        return task_state

    @classmethod
    def get_description(cls):
        return _("Each involved department's manager co-signs; all of them must sign.")

    class Meta:
        verbose_name = _("co-signature (会签)")
        verbose_name_plural = _("co-signatures (会签)")


class PreIssueCheckTask(SignatureTask):
    """发布前检查 by document control: reviewed, approved, electronic file present,
    attachments complete; a failed check returns the document to its author."""

    @classmethod
    def get_description(cls):
        return _(
            "Document control checks review, approval, the electronic file and "
            "the attachments before the issue is released."
        )

    class Meta:
        verbose_name = _("pre-issue check")
        verbose_name_plural = _("pre-issue checks")
