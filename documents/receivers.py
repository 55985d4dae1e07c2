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
    if latest is None:
        return False
    released = revision.as_object()
    return (
        latest.title == released.title
        and latest.body == str(released.body or "")
        and latest.source_sha256 == released.source_sha256
    )
