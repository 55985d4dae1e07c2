"""Statuses of records and of disposal requests, with their transition tables.

Pure: no ORM access. Services call :func:`ensure_transition` (shared with the
documents app) before they assign a status.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.lifecycle import InvalidTransition, ensure_transition

__all__ = [
    "DISPOSAL_TRANSITIONS",
    "OPEN_DISPOSAL_STATUSES",
    "RECORD_TRANSITIONS",
    "DisposalMethod",
    "DisposalStatus",
    "InvalidTransition",
    "RecordStatus",
    "ensure_transition",
]


class RecordStatus(models.TextChoices):
    """Where a record stands (ISO/IEC 20000-1:2018 7.5.3.2: retention and
    disposition)."""

    ACTIVE = "active", _("Kept")
    DISPOSAL_PENDING = "disposal_pending", _("Disposal requested")
    DESTROYED = "destroyed", _("Destroyed")


RECORD_TRANSITIONS: dict[str, frozenset[str]] = {
    RecordStatus.ACTIVE: frozenset({RecordStatus.DISPOSAL_PENDING}),
    # A rejected request gives the record back; an executed one destroys it.
    RecordStatus.DISPOSAL_PENDING: frozenset(
        {RecordStatus.ACTIVE, RecordStatus.DESTROYED}
    ),
    RecordStatus.DESTROYED: frozenset(),
}


class DisposalStatus(models.TextChoices):
    """A disposal request (记录销毁申请): the department head approves, then
    document control (文控), then the archive keeper destroys with a witness."""

    REQUESTED = "requested", _("Requested")
    HEAD_APPROVED = "head_approved", _("Approved by the department head")
    APPROVED = "approved", _("Approved by document control")
    EXECUTED = "executed", _("Destroyed")
    REJECTED = "rejected", _("Rejected")


DISPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    DisposalStatus.REQUESTED: frozenset(
        {DisposalStatus.HEAD_APPROVED, DisposalStatus.REJECTED}
    ),
    DisposalStatus.HEAD_APPROVED: frozenset(
        {DisposalStatus.APPROVED, DisposalStatus.REJECTED}
    ),
    DisposalStatus.APPROVED: frozenset(
        {DisposalStatus.EXECUTED, DisposalStatus.REJECTED}
    ),
    DisposalStatus.EXECUTED: frozenset(),
    DisposalStatus.REJECTED: frozenset(),
}

OPEN_DISPOSAL_STATUSES = frozenset(
    {DisposalStatus.REQUESTED, DisposalStatus.HEAD_APPROVED, DisposalStatus.APPROVED}
)


class DisposalMethod(models.TextChoices):
    """How records are destroyed. Confidential records must be shredded or
    securely erased and never reused as scrap paper (records procedure)."""

    SHRED = "shred", _("Shredded (碎纸)")
    SECURE_ERASE = "secure_erase", _("Securely erased")
    RECYCLE = "recycle", _("Recycled as scrap paper")


CONFIDENTIAL_METHODS = frozenset({DisposalMethod.SHRED, DisposalMethod.SECURE_ERASE})
