"""E-mails about documents, through Django's mail backends.

Sending never blocks a state change: a failed e-mail is logged, not raised. Mails
sent by the daily run carry a key in :class:`NotificationLog`, so running it twice
sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def send(users: Iterable, subject: str, body: str, *, key: str | None = None) -> int:
    """Mail ``users`` who have an address; with ``key``, only once ever."""
    from .models import NotificationLog

    recipients = sorted({u.email for u in users if u is not None and u.email})
    if not recipients:
        return 0
    if key is not None:
        try:
            with transaction.atomic():
                NotificationLog.objects.create(key=key[:200])
        except IntegrityError:
            return 0
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return send_mail(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
                fail_silently=False,
            )
    except Exception:  # noqa: BLE001 - a mail server outage must not undo an approval
        logger.exception("Could not send %r to %s", subject, recipients)
        return 0


def role_members(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True)


def issue_released(*, issue, copies) -> None:
    document = issue.document
    holders = [c.holder for c in copies if c.holder_id]
    readers = [a.user for a in issue.acknowledgements.select_related("user")]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Issue %(label)s of %(number)s %(title)s released") % {
            "label": issue.label,
            "number": document.number or "",
            "title": issue.title,
        }
        body = _(
            "Issue %(label)s takes effect on %(date)s. Please read it and confirm "
            "at %(url)s"
        ) % {
            "label": issue.label,
            "date": issue.effective_date.isoformat(),
            "url": _absolute("/documents/my/"),
        }
    send(set(holders) | set(readers), subject, body)


def recalls_opened(*, tasks) -> None:
    for task in tasks:
        copy = task.copy
        users = [copy.holder] if copy.holder_id else []
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Return %(copy)s of %(number)s issue %(label)s") % {
                "copy": copy.copy_label,
                "number": copy.issue.document.number or "",
                "label": copy.issue.label,
            }
            body = _(
                "This issue is no longer in force. Return the copy to document "
                "control by %(date)s."
            ) % {"date": task.due_date.isoformat()}
        send(users, subject, body)


def recalls_overdue(*, tasks, today: date) -> None:
    from . import roles

    if not tasks:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(count)d controlled copies are overdue for return") % {
            "count": len(tasks)
        }
        lines = [
            f"{t.copy.issue.document.number} {t.copy.issue.label} "
            f"{t.copy.copy_label} {t.copy.holder_label} → {t.due_date:%Y-%m-%d}"
            for t in tasks
        ]
        body = "\n".join(lines)
    holders = [t.copy.holder for t in tasks if t.copy.holder_id]
    send(
        list(role_members(roles.DOCUMENT_CONTROLLER)) + holders,
        subject,
        body,
        key=f"recalls-overdue:{today.isoformat()}",
    )


def reviews_due(*, owner, documents, today: date) -> None:
    if not documents:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(count)d documents are due for their periodic review") % {
            "count": len(documents)
        }
        body = "\n".join(
            f"{d.number} {d.title} → {d.next_review_due:%Y-%m-%d}" for d in documents
        )
    send([owner], subject, body, key=f"reviews-due:{owner.pk}:{today.isoformat()}")


def workflow_step(*, document, step: str, users) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(number)s %(title)s awaits your signature: %(step)s") % {
            "number": document.number or "",
            "title": document.title,
            "step": step,
        }
        body = _admin_link(document)
    send(users, subject, body)


def workflow_returned(*, document, comment: str, users) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(number)s %(title)s was returned to you") % {
            "number": document.number or "",
            "title": document.title,
        }
        body = comment + "\n\n" + _admin_link(document)
    send(users, subject, body)


def _admin_link(document) -> str:
    return _absolute(f"/admin/pages/{document.pk}/edit/")
