"""E-mails about audits (through :func:`documents.notifications.send`: a failed
mail never undoes a step). Written in the company's language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from documents.notifications import role_members
from documents.notifications import send as send_now


def send(users, subject: str, body: str) -> None:
    """Mail once the step is committed: a step refused or rolled back later in
    the same request (an audit whose team is refused) sends nothing."""
    users = list(users)
    transaction.on_commit(lambda: send_now(users, subject, body))


def _link(audit) -> str:
    path = reverse("audits:audit", kwargs={"number": audit.number})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _auditees(audit) -> list:
    users = get_user_model().objects.filter(is_active=True)
    heads = users.filter(
        groups__name="部门经理", staff_profile__department__in=audit.departments.all()
    )
    return list(audit.auditees.filter(is_active=True)) + list(heads)


def _team(audit) -> list:
    return [m.user for m in audit.team.select_related("user")]


def _scope(audit) -> str:
    return _("Clauses: %(clauses)s; departments: %(departments)s") % {
        "clauses": ", ".join(c.ref_id for c in audit.scope_clauses()),
        "departments": ", ".join(d.name for d in audit.departments.all()),
    }


def audit_requested(*, audit) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        deciders = [
            u
            for role in settings.SHOUKONG_AUDIT_DECIDER_ROLES
            for u in role_members(role)
        ]
        send(
            deciders,
            _("Ad hoc audit requested: %(number)s %(title)s")
            % {"number": audit.number, "title": audit.title},
            "\n".join([audit.trigger_note, "", _scope(audit), _link(audit)]),
        )


def audit_notice(*, audit) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        leader = audit.leader
        body = [
            _(
                "Internal audit %(number)s %(title)s will be "
                "held from %(start)s to %(end)s."
            )
            % {
                "number": audit.number,
                "title": audit.title,
                "start": audit.planned_start.isoformat(),
                "end": audit.planned_end.isoformat(),
            },
            _scope(audit),
            _("Audit team leader: %(leader)s")
            % {
                "leader": (leader.get_full_name() or leader.get_username())
                if leader
                else "—"
            },
            _("Please have the documents and records of these clauses ready."),
            "",
        ]
        for slot in audit.schedule.select_related("department"):
            when = slot.date.isoformat()
            if slot.start_time:
                when += f" {slot.start_time:%H:%M}"
            body.append(f"{when} {slot.department or ''} {slot.activity}".strip())
        body += ["", _link(audit)]
        send(
            _auditees(audit) + _team(audit),
            _("Notice of internal audit %(number)s") % {"number": audit.number},
            "\n".join(body),
        )


def audit_cancelled(*, audit) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        send(
            _auditees(audit) + _team(audit),
            _("Internal audit %(number)s cancelled") % {"number": audit.number},
            "\n".join([audit.cancel_reason, "", _link(audit)]),
        )


def report_submitted(*, audit) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        approvers = [
            u
            for role in settings.SHOUKONG_AUDIT_REPORT_APPROVER_ROLES
            for u in role_members(role)
        ]
        send(
            approvers,
            _("Audit report awaiting approval: %(number)s %(title)s")
            % {"number": audit.number, "title": audit.title},
            _link(audit),
        )
