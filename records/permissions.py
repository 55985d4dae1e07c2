"""One place to ask who may read and act on records.

- A record belongs to a department: its people read it.
- Document control (文控) and internal auditors read every record that is not
  confidential (``SHOUKONG_RECORDS_READ_ALL_ROLES``).
- A confidential record is read only by its department and the people named on
  it (django-guardian ``view_record`` grants, stored in
  :class:`~records.models.RecordUserObjectPermission`); customer
  representatives read only the records named to them.
- Superusers read everything (the documented break-glass role).

The same filter serves the pages, the API, the exports and the counts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from documents import roles
from documents.permissions import (
    department_of,
    has_any_role,
    has_role,
    is_department_head,
)

VIEW_PERMISSION = "view_record"


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_records_controller(user) -> bool:
    """行政部 document control assigns record numbers and keeps the records list."""
    return _active(user) and (
        user.is_superuser or has_role(user, roles.DOCUMENT_CONTROLLER)
    )


def reads_all_records(user) -> bool:
    """Roles that read every non-confidential record (文控, internal auditors)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    names = getattr(settings, "SHOUKONG_RECORDS_READ_ALL_ROLES", ())
    return has_any_role(user, names)


def is_customer_representative(user) -> bool:
    return has_role(user, roles.CUSTOMER_REPRESENTATIVE)


def visible_records_filter(
    user,
    *,
    pk: str = "pk",
    department: str = "department",
    confidential: str = "confidential",
) -> Q:
    """A ``Q`` on :class:`~records.models.Record` selecting what ``user`` may open.

    ``pk``, ``department`` and ``confidential`` name the fields the rule reads,
    so that the same rule selects the copies of records kept elsewhere (the
    search index: ``object_id``, ``department_id``, ``confidential``)."""
    from .models import RecordUserObjectPermission

    if not _active(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    # Read first: a subquery inside the OR keeps PostgreSQL off the indexes.
    named = list(
        RecordUserObjectPermission.objects.filter(
            user=user, permission__codename=VIEW_PERMISSION
        ).values_list("content_object_id", flat=True)
    )
    visible = Q(**{f"{pk}__in": named})
    own = department_of(user)
    if own is not None and not is_customer_representative(user):
        visible |= Q(**{department: own.pk})
    if reads_all_records(user):
        visible |= Q(**{confidential: False})
    return visible


def is_named_on(user, record) -> bool:
    from .models import RecordUserObjectPermission

    return RecordUserObjectPermission.objects.filter(
        user=user, content_object=record, permission__codename=VIEW_PERMISSION
    ).exists()


def can_view(user, record) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if is_named_on(user, record):
        return True
    if is_customer_representative(user):
        return False
    if record.department_id == getattr(department_of(user), "pk", None):
        return True
    return not record.confidential and reads_all_records(user)


def can_fill(user, department=None) -> bool:
    """Staff fill forms for their own department; document control for any.
    Without ``department``: whether ``user`` may fill forms at all."""
    if not _active(user) or is_customer_representative(user):
        return False
    if is_records_controller(user):
        return True
    if department is None:
        return True
    own = department_of(user)
    return own is not None and department.pk == own.pk


def can_correct(user, record) -> bool:
    """Who wrote it, its department, or document control (划改 with a name)."""
    if not can_view(user, record) or is_customer_representative(user):
        return False
    return (
        record.created_by_id == user.pk
        or record.department_id == getattr(department_of(user), "pk", None)
        or is_records_controller(user)
    )


def can_hold(user) -> bool:
    return is_records_controller(user) or has_role(
        user, roles.MANAGEMENT_REPRESENTATIVE
    )


def can_grant_access(user, record) -> bool:
    return is_records_controller(user) or is_department_head(user, record.department)


def can_record_event(user) -> bool:
    """Departures, scrapping and discontinuation are entered by document control
    or a department manager."""
    return is_records_controller(user) or has_role(user, roles.DEPARTMENT_MANAGER)


def can_request_disposal(user, department) -> bool:
    """The archive keeper of the department, or document control."""
    if is_records_controller(user):
        return True
    own = department_of(user)
    return (
        _active(user)
        and not is_customer_representative(user)
        and own is not None
        and own.pk == department.pk
    )


def can_execute_disposal(user, department) -> bool:
    return can_request_disposal(user, department)


def can_manage_record_types(user) -> bool:
    return is_records_controller(user)


def ensure(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
