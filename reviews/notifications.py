"""E-mails about management reviews (through :func:`documents.notifications.send`,
after the step commits: a failed mail never undoes a step). Written in the
company's language."""

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
    users = list(users)
    transaction.on_commit(lambda: send_now(users, subject, body))


def _link(review, name: str = "reviews:review") -> str:
    path = reverse(name, kwargs={"number": review.number})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _preparers():
    return [
        u
        for role in settings.SHOUKONG_MGMT_REVIEW_PREPARER_ROLES
        for u in role_members(role)
    ]


def _heads(departments) -> list:
    """Who signs each department's input off: its 部门经理, or where it has
    none the roles that stand in (compliance's department_heads)."""
    from compliance.permissions import department_heads
    from documents.models import Department

    heads = {}
    for department in Department.objects.filter(pk__in=list(departments)):
        for user in department_heads(department):
            heads[user.pk] = user
    return list(heads.values())


def plan_to_sign(*, review, step) -> None:
    if step is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        send(
            role_members(step.role),
            _("Management review plan to sign: %(number)s %(title)s")
            % {"number": review.number, "title": review.title},
            _link(review),
        )


def plan_returned(*, review, comment: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        send(
            [review.prepared_by],
            _("Management review plan returned: %(number)s")
            % {"number": review.number},
            "\n".join([comment, "", _link(review)]),
        )


def meeting_notice(*, review) -> list[str]:
    """The notice to the participants and the heads of the departments that
    provide inputs; returns the user names it went to."""
    participants = [p.user for p in review.participants.select_related("user")]
    departments = {a.department_id for a in review.assignments.all()}
    users = {u.pk: u for u in participants + _heads(departments) if u.is_active}
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Management review %(number)s %(title)s will be held on %(date)s.")
            % {
                "number": review.number,
                "title": review.title,
                "date": review.planned_date.isoformat(),
            },
        ]
        if review.location:
            lines.append(_("Place: %(place)s") % {"place": review.location})
        lines.append(
            _("Inputs cover %(start)s to %(end)s.")
            % {
                "start": review.period_start.isoformat(),
                "end": review.period_end.isoformat(),
            }
        )
        for assignment in review.assignments.select_related("department"):
            due = assignment.due_date.isoformat() if assignment.due_date else ""
            lines.append(
                f"- {assignment.department.name}: {assignment.get_section_display()}"
                + (f" ({due})" if due else "")
            )
        lines += ["", review.agenda, "", _link(review)]
        send(
            users.values(),
            _("Management review notice: %(number)s %(title)s")
            % {"number": review.number, "title": review.title},
            "\n".join(lines),
        )
    return sorted(u.get_username() for u in users.values())


def report_to_sign(*, review, step) -> None:
    if step is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        send(
            role_members(step.role),
            _("Management review report to sign: %(number)s %(title)s")
            % {"number": review.number, "title": review.title},
            _link(review),
        )


def report_returned(*, review, comment: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        send(
            _preparers(),
            _("Management review report returned: %(number)s")
            % {"number": review.number},
            "\n".join([comment, "", _link(review)]),
        )


def report_distributed(*, review) -> None:
    """The approved report to the distribution list (the departments' staff)
    and the owners of its actions."""
    users = get_user_model().objects.filter(
        is_active=True, staff_profile__department__in=review.distribution.all()
    )
    owners = [o.owner for o in review.outputs.select_related("owner")]
    with translation.override(settings.LANGUAGE_CODE):
        send(
            list(users) + owners,
            _("Management review report approved: %(number)s %(title)s")
            % {"number": review.number, "title": review.title},
            _link(review),
        )
