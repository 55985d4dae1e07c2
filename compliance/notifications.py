"""E-mails about nonconformities and their actions (through
:func:`documents.notifications.send`: a failed mail never undoes a step)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from documents.notifications import role_members, send
from documents.roles import MANAGEMENT_REPRESENTATIVE


def _link(nonconformity) -> str:
    path = reverse("compliance:nonconformity", kwargs={"number": nonconformity.number})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _department_members(department):
    return get_user_model().objects.filter(
        is_active=True, staff_profile__department=department
    )


def _heads(department):
    from .permissions import department_heads

    return department_heads(department)


def _verifiers():
    from .permissions import is_verifier

    department = settings.SHOUKONG_CAPA_VERIFIER_DEPARTMENT
    users = get_user_model().objects.filter(
        is_active=True, staff_profile__department__name=department
    )
    return [user for user in users if is_verifier(user)]


def _body(nonconformity, line: str) -> str:
    return "\n".join(
        [
            line,
            "",
            f"{nonconformity.number} {nonconformity.title}",
            _("Responsible department: %(department)s")
            % {"department": nonconformity.department},
            _link(nonconformity),
        ]
    )


def awaiting_approval(*, nonconformity) -> None:
    send(
        [
            u
            for role in settings.SHOUKONG_NONCONFORMITY_APPROVER_ROLES
            for u in role_members(role)
        ],
        _("Nonconformity %(number)s awaits your approval")
        % {"number": nonconformity.number},
        _body(
            nonconformity,
            _("A finding waits for approval before it goes to the department."),
        ),
    )


def raised(*, nonconformity) -> None:
    send(
        list(_heads(nonconformity.department)),
        _("Nonconformity %(number)s raised against your department")
        % {"number": nonconformity.number},
        _body(nonconformity, _("Analyse the cause and plan the action.")),
    )


def planned(*, nonconformity, plan) -> None:
    send(
        list(_heads(nonconformity.department)),
        _("Action plan for %(number)s awaits your acceptance")
        % {"number": nonconformity.number},
        _body(nonconformity, _("Accept the plan or return it with a reason.")),
    )


def accepted(*, nonconformity) -> None:
    send(
        [nonconformity.owner],
        _("Action for %(number)s accepted: due %(due)s")
        % {"number": nonconformity.number, "due": nonconformity.due_date},
        _body(nonconformity, _("Implement the action by its due date.")),
    )


def returned(*, nonconformity, plan) -> None:
    send(
        [plan.submitted_by],
        _("Action plan for %(number)s returned") % {"number": nonconformity.number},
        _body(nonconformity, plan.decision_comment),
    )


def extension_requested(*, nonconformity, extension) -> None:
    send(
        [
            u
            for role in settings.SHOUKONG_CAPA_EXTENSION_APPROVER_ROLES
            for u in role_members(role)
        ],
        _("Extension requested for %(number)s") % {"number": nonconformity.number},
        _body(nonconformity, extension.reason),
    )


def extension_decided(*, nonconformity, extension) -> None:
    send(
        [extension.requested_by],
        _("Extension for %(number)s: %(decision)s")
        % {
            "number": nonconformity.number,
            "decision": extension.get_decision_display(),
        },
        _body(nonconformity, extension.decision_comment),
    )


def implemented(*, nonconformity) -> None:
    send(
        _verifiers(),
        _("Action for %(number)s implemented: verify its effectiveness")
        % {"number": nonconformity.number},
        _body(nonconformity, _("Verify whether the action was effective.")),
    )


def verified(*, nonconformity, verification) -> None:
    if verification.effective:
        return
    send(
        [nonconformity.owner, *_heads(nonconformity.department)],
        _("Action for %(number)s not effective: reopened")
        % {"number": nonconformity.number},
        _body(nonconformity, verification.comment),
    )


def overdue(*, nonconformities, today: date) -> int:
    """One reminder per action and day to its owner, the department head and
    管理者代表 (once a day whatever the number of runs)."""
    sent = 0
    representatives = list(role_members(MANAGEMENT_REPRESENTATIVE))
    for nonconformity in nonconformities:
        sent += send(
            [
                nonconformity.owner,
                *_heads(nonconformity.department),
                *representatives,
            ],
            _("Overdue corrective action %(number)s (due %(due)s)")
            % {"number": nonconformity.number, "due": nonconformity.due_date},
            _body(nonconformity, _("The action is past its due date.")),
            key=f"nonconformity-overdue:{nonconformity.pk}:{today.isoformat()}",
        )
    return sent
