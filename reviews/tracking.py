"""Where an output action stands: its nonconformity's status in compliance,
its change request's, or its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from compliance.lifecycle import OPEN_STATUSES as NC_OPEN
from compliance.lifecycle import NonconformityStatus
from documents.lifecycle import ChangeRequestStatus

from .lifecycle import OPEN_OUTPUT_STATUSES, OutputStatus
from .models import ReviewOutput

__all__ = ["OutputState", "output_state"]


@dataclass(frozen=True)
class OutputState:
    code: str  # "nc:<status>", "change:<status>" or the output's own status
    label: str
    is_open: bool
    overdue: bool
    url: str


def output_state(output: ReviewOutput, *, today: date) -> OutputState:
    """The status shown for ``output`` and whether it is still open."""
    if output.nonconformity_id:
        nc = output.nonconformity
        is_open = nc.status in NC_OPEN
        return OutputState(
            code=f"nc:{nc.status}",
            label=f"{nc.number} {NonconformityStatus(nc.status).label}",
            is_open=is_open,
            # As compliance counts it: an accepted plan past its due date.
            overdue=nc.is_overdue(today),
            url=nc.get_absolute_url(),
        )
    if output.change_request_id:
        request = output.change_request
        is_open = request.status in (
            ChangeRequestStatus.OPEN,
            ChangeRequestStatus.ACCEPTED,
        )
        return OutputState(
            code=f"change:{request.status}",
            label=_("Change request: %(status)s")
            % {"status": request.get_status_display()},
            is_open=is_open,
            overdue=is_open and output.due_date < today,
            url=output.document.url if output.document_id else "",
        )
    is_open = output.status in OPEN_OUTPUT_STATUSES
    return OutputState(
        code=output.status,
        label=str(OutputStatus(output.status).label),
        is_open=is_open,
        overdue=is_open and output.due_date < today,
        url="",
    )
