"""The departments' inputs: drafted by their staff, signed off by their head,
returned by 管理者代表 or 行政部 for rework (procedure: each department's
material is signed by its head and sent to 行政部 before the review)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Department
from records import evidence as evidence_files

from .. import permissions
from ..lifecycle import INPUT_TRANSITIONS, InputSection, InputStatus, ensure_transition
from ..models import DepartmentInput, InputAttachment, Review
from ._common import locked, log_action, required

__all__ = ["input_attach", "input_return", "input_save", "input_sign"]

I = InputStatus  # noqa: E741


def _locked(item: DepartmentInput) -> DepartmentInput:
    return DepartmentInput.objects.select_for_update().get(pk=item.pk)


def _move(item: DepartmentInput, target: str) -> None:
    ensure_transition(INPUT_TRANSITIONS, item.status, target, label=_("Review input"))
    item.status = target


@transaction.atomic
def input_save(
    *, user, review: Review, department: Department, section: str, content: str
) -> DepartmentInput:
    """Write or rewrite a department's draft input for one section."""
    if section not in InputSection.values:
        raise ValidationError(
            _("Unknown review input: %(section)s") % {"section": section}
        )
    if not isinstance(department, Department) or not department.is_active:
        raise ValidationError(_("Each input is provided by an active department."))
    permissions.ensure(permissions.can_view_reviews(user))
    # Two first saves at once: the review's lock serialises them, the second
    # rewrites the first's draft instead of failing on the unique row.
    review = locked(review)
    if not permissions.can_edit_input(user, review, department):
        if review.status not in ("draft", "in_review", "approved"):
            raise ValidationError(_("The meeting has been held: inputs are closed."))
        permissions.ensure(False)
    content = required(content, _("Write the input."))
    item = (
        DepartmentInput.objects.select_for_update()
        .filter(review=review, department=department, section=section)
        .first()
    )
    now = timezone.now()
    if item is None:
        item = DepartmentInput.objects.create(
            review=review,
            department=department,
            section=section,
            content=content,
            prepared_by=user,
            prepared_at=now,
        )
        log_action(
            review,
            "input_save",
            user,
            input=item.pk,
            section=section,
            department=department.name,
        )
        return item
    if item.status == I.SIGNED:
        raise ValidationError(
            _("This input is signed off: it must be returned before it changes.")
        )
    _move(item, I.DRAFT)
    item.content = content
    item.prepared_by = user
    item.prepared_at = now
    item.save(update_fields=["status", "content", "prepared_by", "prepared_at"])
    log_action(
        review,
        "input_save",
        user,
        input=item.pk,
        section=section,
        department=department.name,
    )
    return item


@transaction.atomic
def input_sign(*, user, input: DepartmentInput) -> DepartmentInput:  # noqa: A002
    """The department head signs the input off; it then counts in the pack
    and cannot change unless returned."""
    item = _locked(input)
    permissions.ensure(permissions.can_sign_input(user, item.review, item.department))
    if item.status == I.SIGNED:
        raise ValidationError(_("This input is already signed off."))
    if not item.content.strip():  # pragma: no cover - input_save requires it
        raise ValidationError(_("Write the input."))
    _move(item, I.SIGNED)
    item.signed_by = user
    item.signed_at = timezone.now()
    item.save(update_fields=["status", "signed_by", "signed_at"])
    log_action(
        item.review,
        "input_sign",
        user,
        input=item.pk,
        section=item.section,
        department=item.department.name,
    )
    return item


@transaction.atomic
def input_return(*, user, input: DepartmentInput, comment: str) -> DepartmentInput:  # noqa: A002
    """管理者代表 or 行政部 sends a signed input back for rework."""
    item = _locked(input)
    permissions.ensure(permissions.can_return_input(user, item.review))
    comment = required(comment, _("Say why the input is returned."))
    _move(item, I.RETURNED)
    item.returned_by = user
    item.returned_at = timezone.now()
    item.return_comment = comment
    item.save(update_fields=["status", "returned_by", "returned_at", "return_comment"])
    log_action(item.review, "input_return", user, input=item.pk, comment=comment[:200])
    return item


@transaction.atomic
def input_attach(
    *,
    user,
    input: DepartmentInput,
    uploads: Sequence[tuple[str, bytes]],  # noqa: A002
) -> list[InputAttachment]:
    """Attach files (name, bytes) to an input that is not signed off; every
    file is checked before any is written."""
    item = _locked(input)
    if not permissions.can_edit_input(user, item.review, item.department):
        permissions.ensure(False)
    if item.status == I.SIGNED:
        raise ValidationError(
            _("This input is signed off: it must be returned before it changes.")
        )
    if not uploads or isinstance(uploads, (str, bytes)):
        raise ValidationError(_("Choose a file to attach."))
    uploads = list(uploads)
    if not all(
        isinstance(u, (tuple, list))
        and len(u) == 2
        and isinstance(u[0], str)
        and isinstance(u[1], (bytes, bytearray))
        for u in uploads
    ):
        raise ValidationError(_("Choose a file to attach."))
    checked = evidence_files.check_uploads(
        uploads, max_bytes=settings.SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES
    )
    stored = evidence_files.store_evidence(
        InputAttachment, checked, user=user, input=item
    )
    log_action(
        item.review, "input_attach", user, input=item.pk, files=[a.name for a in stored]
    )
    return stored
