"""The input pack: compiled from the system as a snapshot once the plan is
approved (compiled again, as a new version, until the meeting), then confirmed
by 管理者代表 (procedure: 行政部 consolidates, 管理者代表 reviews and confirms)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from ..lifecycle import ReviewStatus
from ..models import Review, ReviewPack
from ._common import company_today, locked, log_action

__all__ = ["pack_compile", "pack_confirm"]


@transaction.atomic
def pack_compile(*, user, review: Review) -> ReviewPack:
    """Compile the pack for the review's period: a new version, written once."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status != ReviewStatus.APPROVED:
        raise ValidationError(
            _("The pack is compiled once the plan is approved and before the meeting.")
        )
    from ..compilation import compile_pack

    data = compile_pack(review, today=company_today())
    version = (
        review.packs.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    pack = ReviewPack.objects.create(
        review=review,
        version=version,
        period_start=review.period_start,
        period_end=review.period_end,
        data=data,
        compiled_by=user,
        compiled_at=timezone.now(),
    )
    log_action(review, "pack_compile", user, version=version)
    return pack


@transaction.atomic
def pack_confirm(*, user, pack: ReviewPack) -> ReviewPack:
    """管理者代表 confirms the latest pack before the meeting; it is filed as
    the review's input material."""
    # The review first (as pack_compile does): no newer version can appear
    # while this one is confirmed.
    review = locked(pack.review)
    pack = ReviewPack.objects.select_for_update().get(pk=pack.pk)
    permissions.ensure(permissions.can_confirm_pack(user))
    if review.status != ReviewStatus.APPROVED:
        raise ValidationError(_("The pack can only be confirmed before the meeting."))
    if pack.confirmed_at is not None:
        raise ValidationError(_("This pack is already confirmed."))
    latest = review.packs.order_by("-version").first()
    if latest.pk != pack.pk:
        raise ValidationError(
            _("A newer version of the pack exists: confirm version %(version)s.")
            % {"version": latest.version}
        )
    pack.confirmed_by = user
    pack.confirmed_at = timezone.now()
    pack.save(update_fields=["confirmed_by", "confirmed_at"])
    log_action(review, "pack_confirm", user, version=pack.version)
    from ..filing import inputs_record_file

    pack.filing_warnings = inputs_record_file(user=user, review=review, pack=pack)
    return pack
