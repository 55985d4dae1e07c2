"""Receivers that adapt framework events to services; connected in apps.ready()."""

from __future__ import annotations

from django.utils import timezone
from wagtail.log_actions import get_active_log_context

from . import services
from .lifecycle import DocumentKind, DocumentStatus
from .models import DocumentPage


def issue_on_publish(sender, instance, revision=None, **kwargs) -> None:
    """A document published in Wagtail (admin, workflow, schedule) is issued.

    Skipped when issue_create is publishing itself, for external documents (they
    are registered, not issued), for obsolete ones, and for fresh copies, which
    have no number yet (their number is assigned right after the copy).
    """
    if not isinstance(instance, DocumentPage) or services.is_issuing():
        return
    if instance.kind == DocumentKind.EXTERNAL:
        return
    if instance.status == DocumentStatus.OBSOLETE:
        return
    if instance.is_numbered and not instance.number:
        return
    if revision is not None and _unchanged_since_last_issue(instance, revision):
        # Republishing what is already in force (a double click on "Publish",
        # a re-publish without edits) releases nothing new.
        return
    # The signal doesn't say who published; Wagtail's admin views run under a log
    # context naming the signed-in user (the publisher, or the last approver).
    # Outside one (scheduled publishing, scripts) the system issues.
    publisher = get_active_log_context().user
    services.issue_create(
        user=publisher
        if publisher is not None and publisher.is_authenticated
        else None,
        document=instance,
        revision=revision,
        publish_date=timezone.localdate(),
    )


def _unchanged_since_last_issue(page: DocumentPage, revision) -> bool:
    latest = page.issues.newest_first().first()
    return latest is not None and latest.releases_same_content(revision.as_object())


def notify_signers(sender, instance, user=None, **kwargs) -> None:
    """A step started: e-mail the people who may sign it now."""
    from . import approvals, notifications
    from .models import CoSignTask, SignatureTask

    task = instance.task.specific
    if not isinstance(task, SignatureTask) or instance.status != "in_progress":
        return
    if (
        isinstance(task, CoSignTask)
        and len(approvals.involved_departments(instance)) < 2
    ):
        return  # skipped right after it starts (approvals.cosign_started)
    document = instance.workflow_state.content_object
    document = getattr(document, "specific", document)
    if not isinstance(document, DocumentPage):
        return
    signers = approvals.signers_of(task=task, document=document, task_state=instance)
    notifications.workflow_step(document=document, step=task.name, users=signers)


def notify_author_of_return(sender, instance, user=None, **kwargs) -> None:
    """A document was returned: e-mail who submitted it, with the reason."""
    from . import notifications

    document = getattr(instance.content_object, "specific", instance.content_object)
    if not isinstance(document, DocumentPage):
        return
    task_state = instance.current_task_state
    comment = task_state.comment if task_state is not None else ""
    notifications.workflow_returned(
        document=document, comment=comment or "", users=[instance.requested_by]
    )
