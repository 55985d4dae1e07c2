"""E-mails about records: what became due for disposal, and disposal requests
that wait too long (records procedure: the archive keeper destroys expired
records; ISO/IEC 20000-1:2018 7.5.3.2 retention and disposition).

Each e-mail is written in its recipient's admin language (Simplified Chinese by
default). De-duplication reuses :class:`documents.models.NotificationLog`: one
key per record and recipient (``records-due:<record>:<user>``) and per disposal
request, stage and recipient (``records-disposal-waiting:<request>:<status>:
<user>``). The keys are written in the same transaction as the e-mail is sent,
so a run that fails to send leaves no key and the next run tries again, and
two runs on the same day never send one notice twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents import roles, workdays
from documents.models import NotificationLog
from documents.permissions import department_of, has_role

from . import permissions
from .lifecycle import OPEN_DISPOSAL_STATUSES, DisposalStatus
from .models import DisposalRequest, Record

logger = logging.getLogger(__name__)

# Working days a disposal request may wait at one stage before the people it
# waits on are reminded (once per stage).
DEFAULT_REMINDER_WORKDAYS = 3
# Lines listed in one e-mail; the rest are counted.
MAIL_LIMIT = 200
KEY_BATCH = 500


# --- Who is waited on -------------------------------------------------------------


def _users() -> QuerySet:
    return get_user_model().objects.filter(is_active=True)


def department_managers(department) -> QuerySet:
    """The department's managers (部门经理 of that department)."""
    return _users().filter(
        groups__name=roles.DEPARTMENT_MANAGER, staff_profile__department=department
    )


def records_controllers() -> QuerySet:
    return _users().filter(groups__name=roles.DOCUMENT_CONTROLLER)


def disposal_scope(user) -> Q:
    """The disposal requests ``user`` may list: all for document control and the
    roles that read every record, their department's for the others."""
    if permissions.is_records_controller(user) or permissions.reads_all_records(user):
        return Q()
    department = department_of(user)
    scope = Q(requested_by=user) if getattr(user, "pk", None) else Q(pk__in=[])
    if department is not None:
        scope |= Q(department=department)
    return scope


def disposal_requests_awaiting(user) -> QuerySet:
    """Open requests waiting for ``user``: the head's approval (his department),
    document control's second approval (not the one who gave the first), the
    destruction (the requester or document control)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return DisposalRequest.objects.none()
    waiting = Q(status=DisposalStatus.APPROVED, requested_by=user)
    department = department_of(user)
    if department is not None and has_role(user, roles.DEPARTMENT_MANAGER):
        waiting |= Q(status=DisposalStatus.REQUESTED, department=department)
    if permissions.is_records_controller(user):
        waiting |= Q(status=DisposalStatus.HEAD_APPROVED) & ~Q(head_approved_by=user)
        waiting |= Q(status=DisposalStatus.APPROVED)
    return DisposalRequest.objects.filter(waiting)


def disposal_waiting_on(request: DisposalRequest) -> list:
    """The people an open disposal request waits for now."""
    if request.status == DisposalStatus.REQUESTED:
        return list(department_managers(request.department))
    if request.status == DisposalStatus.HEAD_APPROVED:
        return list(records_controllers().exclude(pk=request.head_approved_by_id))
    if request.status == DisposalStatus.APPROVED:
        people = {u.pk: u for u in records_controllers()}
        if request.requested_by.is_active:
            people[request.requested_by.pk] = request.requested_by
        return list(people.values())
    return []


def _stage_started(request: DisposalRequest):
    if request.status == DisposalStatus.HEAD_APPROVED:
        return request.head_approved_at
    if request.status == DisposalStatus.APPROVED:
        return request.controller_approved_at
    return request.requested_at


# --- Sending ----------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _disposal_queue_path() -> str:
    try:
        return reverse("records:disposal_queue")
    except NoReverseMatch:
        return "/records/disposal/"


def language_of(user) -> str:
    """The recipient's admin language, else the site's (zh-hans)."""
    from wagtail.users.models import UserProfile

    preferred = (
        UserProfile.objects.filter(user=user)
        .values_list("preferred_language", flat=True)
        .first()
    )
    return preferred or settings.LANGUAGE_CODE


def _already_sent(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), KEY_BATCH):
        found.update(
            NotificationLog.objects.filter(
                key__in=keys[start : start + KEY_BATCH]
            ).values_list("key", flat=True)
        )
    return found


def _send_once(user, subject: str, body: str, keys: list[str]) -> bool:
    """Send one e-mail and write its keys together: both or neither."""
    try:
        with transaction.atomic():
            NotificationLog.objects.bulk_create(
                [NotificationLog(key=key[:200]) for key in keys]
            )
            send_mail(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=False,
            )
    except IntegrityError:
        # Another run sent it in the meantime.
        return False
    except Exception:  # noqa: BLE001 - a mail outage is retried on the next run
        logger.exception("Could not send %r to %s", subject, user.email)
        return False
    return True


# --- Records due for disposal -----------------------------------------------------


@dataclass
class _Digest:
    user: object
    records: dict[int, Record]


def _due_line(record: Record) -> str:
    return _("%(number)s  %(form)s  %(department)s  retained until %(date)s") % {
        "number": record.number,
        "form": record.form.title,
        "department": record.department,
        "date": record.retention_until.isoformat(),
    }


def records_due_notify(*, today: date) -> int:
    """E-mail the department's managers and document control the records whose
    retention ended (not held, not yet in a disposal request), each record at
    most once per recipient. Returns the number of e-mails sent."""
    due = list(
        Record.objects.disposable(today)
        .select_related("form", "department")
        .order_by("department__sort_order", "retention_until", "number")
    )
    if not due:
        return 0
    controllers = list(records_controllers())
    managers: dict[int, list] = {}
    for manager in (
        _users()
        .filter(
            groups__name=roles.DEPARTMENT_MANAGER,
            staff_profile__department__in={r.department_id for r in due},
        )
        .select_related("staff_profile")
    ):
        managers.setdefault(manager.staff_profile.department_id, []).append(manager)

    digests: dict[int, _Digest] = {}
    for record in due:
        for user in controllers + managers.get(record.department_id, []):
            if not user.email or not permissions.can_view(user, record):
                continue
            digest = digests.setdefault(user.pk, _Digest(user, {}))
            digest.records[record.pk] = record

    sent = 0
    for digest in digests.values():
        keys = {
            f"records-due:{pk}:{digest.user.pk}": record
            for pk, record in digest.records.items()
        }
        done = _already_sent(keys)
        fresh = [record for key, record in keys.items() if key not in done]
        if not fresh:
            continue
        with translation.override(language_of(digest.user)):
            subject = ngettext(
                "%(count)d record is due for disposal",
                "%(count)d records are due for disposal",
                len(fresh),
            ) % {"count": len(fresh)}
            lines = [
                _(
                    "The retention of these records has ended. Ask for their "
                    "disposal, or place a legal hold if they must be kept longer:"
                ),
                _absolute(_disposal_queue_path()),
                "",
                *(_due_line(record) for record in fresh[:MAIL_LIMIT]),
            ]
            if len(fresh) > MAIL_LIMIT:
                lines.append(
                    _("… and %(more)d more.") % {"more": len(fresh) - MAIL_LIMIT}
                )
            body = "\n".join(lines)
        keys_sent = [key for key, record in keys.items() if key not in done]
        if _send_once(digest.user, subject, body, keys_sent):
            sent += 1
    return sent


# --- Disposal requests waiting too long -------------------------------------------


def _waiting_text(request: DisposalRequest) -> str:
    if request.status == DisposalStatus.REQUESTED:
        return _("It waits for the department head's approval.")
    if request.status == DisposalStatus.HEAD_APPROVED:
        return _("It waits for document control's approval.")
    return _("It is approved and waits for the destruction to be recorded.")


def disposal_reminders(*, today: date, workdays_allowed: int | None = None) -> int:
    """Remind the people an open disposal request waits for once it has waited
    more than ``workdays_allowed`` working days at its stage (once per stage
    and person). Returns the number of e-mails sent."""
    if workdays_allowed is None:
        workdays_allowed = getattr(
            settings,
            "SHOUKONG_RECORDS_DISPOSAL_REMINDER_WORKDAYS",
            DEFAULT_REMINDER_WORKDAYS,
        )
    overrides = workdays.company_overrides()
    sent = 0
    for request in (
        DisposalRequest.objects.filter(status__in=OPEN_DISPOSAL_STATUSES)
        .select_related("department", "requested_by")
        .order_by("requested_at", "id")
    ):
        started = _stage_started(request)
        if started is None:
            continue
        since = timezone.localtime(started).date()
        if workdays.add_working_days(since, workdays_allowed, **overrides) >= today:
            continue
        path = _disposal_path(request)
        for user in disposal_waiting_on(request):
            if not user.email:
                continue
            key = f"records-disposal-waiting:{request.pk}:{request.status}:{user.pk}"
            if _already_sent([key]):
                continue
            with translation.override(language_of(user)):
                subject = _("Disposal request %(reference)s is waiting for you") % {
                    "reference": request.reference
                }
                body = "\n".join(
                    [
                        _(
                            "Disposal request %(reference)s of %(department)s "
                            "(%(count)d records) has waited since %(date)s."
                        )
                        % {
                            "reference": request.reference,
                            "department": request.department,
                            "count": request.items.count(),
                            "date": since.isoformat(),
                        },
                        _waiting_text(request),
                        _absolute(path),
                    ]
                )
            if _send_once(user, subject, body, [key]):
                sent += 1
    return sent


def _disposal_path(request: DisposalRequest) -> str:
    try:
        return reverse("records:disposal", kwargs={"reference": request.reference})
    except NoReverseMatch:
        return _disposal_queue_path()
