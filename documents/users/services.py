"""The only code that changes a user's staff profile (department, job title)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from wagtail.log_actions import log

from documents.models import Department, StaffProfile

_UNCHANGED = object()


@transaction.atomic
def staff_profile_update(
    *,
    user: AbstractBaseUser,
    department: Department | None | object = _UNCHANGED,
    job_title: str | object = _UNCHANGED,
    actor: AbstractBaseUser | None = None,
) -> StaffProfile:
    """Create or change the user's staff profile; arguments left out stay as
    they are (a new profile starts without department and job title)."""
    profile, _created = StaffProfile.objects.select_for_update().get_or_create(
        user=user
    )
    changed: list[str] = []
    if department is not _UNCHANGED and profile.department != department:
        profile.department = department  # type: ignore[assignment]
        changed.append("department")
    if job_title is not _UNCHANGED and profile.job_title != job_title:
        profile.job_title = job_title  # type: ignore[assignment]
        changed.append("job_title")
    if changed:
        profile.save(update_fields=changed)
        log(
            instance=user,
            action="shoukong.users.profile",
            user=actor,
            data={
                "department": str(profile.department or ""),
                "job_title": profile.job_title,
            },
        )
    return profile
