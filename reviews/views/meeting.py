"""The meeting page (attendance 签到, 管理者代表's report, the discussion of
each input, the conclusions) and the outputs page (the decided actions and
their follow-up). Each write calls one service; a refusal is a message, a step
the user may not take a 403."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from documents.permissions import restricted_ids
from records.views.common import split_errors

from .. import permissions, services
from ..lifecycle import (
    OPEN_OUTPUT_STATUSES,
    InputSection,
    InvalidTransition,
    OutputStatus,
    ReviewStatus,
)
from ..meeting_forms import OUTPUT_ACTION_FORMS, MeetingForm, OutputForm
from ..models import Review, ReviewOutput
from ..tracking import output_state
from .common import error_text, reviews_staff, visible_review

S = ReviewStatus
REFUSALS = (ValidationError, InvalidTransition)


def _url(name: str, review: Review) -> str:
    return reverse(f"reviews:{name}", kwargs={"number": review.number})


def _add_refusal(form, exc: Exception) -> None:
    """A service's refusal on the form: next to the field it names, else on
    top of the form."""
    if isinstance(exc, ValidationError):
        by_field, general = split_errors(exc, form.fields)
        for field, texts in by_field.items():
            for message in texts:
                form.add_error(field, message)
        for message in general:
            form.add_error(None, message)
    else:
        form.add_error(None, error_text(exc))


# --- The meeting --------------------------------------------------------------------


def _minutes(review: Review) -> dict[str, Any]:
    """The minutes as recorded, for reading."""
    participants = list(
        review.participants.select_related("department").order_by("-invited", "id")
    )
    discussions = {d.section: d.notes for d in review.discussions.all()}
    return {
        "present": [p for p in participants if p.attended],
        "absent": [p for p in participants if p.invited and not p.attended],
        "discussions": [
            {"code": code, "label": label, "notes": discussions[code]}
            for code, label in InputSection.choices
            if code in discussions
        ],
        "verdicts": [
            {
                "name": name,
                "label": review._meta.get_field(name).verbose_name,
                "value": getattr(review, name),
                "display": getattr(review, f"get_{name}_display")(),
            }
            for name in ("suitability", "adequacy", "effectiveness")
        ],
    }


@reviews_staff
def meeting_form(request, number):
    review = visible_review(number)
    user = request.user
    today = services.company_today()
    if request.method == "POST":
        form = MeetingForm(request.POST, review=review, today=today)
        if form.is_valid():
            first = review.status == S.APPROVED
            try:
                services.meeting_record(
                    user=user, review=review, **form.service_arguments()
                )
            except REFUSALS as exc:
                messages.error(request, error_text(exc))
                if not permissions.can_record_meeting(user, review):
                    # Nothing to correct on the form: the page as it stands.
                    return redirect(_url("meeting", review))
            else:
                if first:
                    messages.success(
                        request,
                        _(
                            'The meeting is recorded: the review is now "meeting '
                            'held". Record its decisions under Outputs.'
                        ),
                    )
                else:
                    messages.success(request, _("The minutes have been corrected."))
                return redirect(_url("meeting", review))
        status = 400
    elif request.method in ("GET", "HEAD"):
        editable = permissions.can_record_meeting(user, review)
        form = MeetingForm(review=review, today=today) if editable else None
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    pack = review.latest_pack()
    return render(
        request,
        "reviews/meeting.html",
        {
            "review": review,
            "form": form,
            "pack": pack,
            "pack_url": _url("pack", review),
            "minutes": _minutes(review),
            "not_yet": review.status in (S.DRAFT, S.IN_REVIEW),
            "cancelled": review.status == S.CANCELLED,
            "read_only": review.status in (S.REPORTING, S.COMPLETED),
            "first_record": review.status == S.APPROVED,
        },
        status=status,
    )


# --- The outputs --------------------------------------------------------------------


def _offered(user, output: ReviewOutput, action: str) -> bool:
    """Whether ``action`` is on offer to ``user`` for ``output`` now."""
    if action == "complete":
        return permissions.can_complete_output(user, output)
    if action == "verify":
        return permissions.can_verify_output(user, output)
    if action == "cancel":
        return (
            not output.nonconformity_id
            and not output.change_request_id
            and output.status in OPEN_OUTPUT_STATUSES
            and permissions.can_prepare(user)
        )
    return False


def _outputs(review: Review):
    return review.outputs.select_related(
        "owner",
        "department",
        "coordinator",
        "document",
        "nonconformity",
        "change_request",
        "verified_by",
    ).order_by("seq")


def _row(
    output: ReviewOutput, user, today, hidden: frozenset[int] = frozenset()
) -> dict[str, Any]:
    """``hidden``: the ids of the restricted documents ``user`` may not open;
    such an output's document is not named nor linked to."""
    state = output_state(output, today=today)
    document_restricted = output.document_id in hidden
    if document_restricted:
        state = replace(state, url="")
    return {
        "output": output,
        "state": state,
        "document_restricted": document_restricted,
        "own_status": not output.nonconformity_id and not output.change_request_id,
        "actions": [
            action for action in OUTPUT_ACTION_FORMS if _offered(user, output, action)
        ],
    }


def _added_message(output: ReviewOutput) -> str:
    if output.nonconformity_id:
        return _(
            "Action %(reference)s is recorded; nonconformity %(number)s is raised "
            "in compliance with its owner and due date."
        ) % {"reference": output.reference, "number": output.nonconformity.number}
    if output.change_request_id:
        return _(
            "Action %(reference)s is recorded; a change request is raised for "
            "%(document)s."
        ) % {"reference": output.reference, "document": output.document.number}
    return _("Action %(reference)s is recorded.") % {"reference": output.reference}


@reviews_staff
def output_list(request, number):
    review = visible_review(number)
    user = request.user
    today = services.company_today()
    if request.method == "POST":
        form = OutputForm(request.POST)
        if form.is_valid():
            try:
                output = services.output_add(
                    user=user, review=review, **form.service_arguments()
                )
            except REFUSALS as exc:
                _add_refusal(form, exc)
            else:
                messages.success(request, _added_message(output))
                return redirect(f"{_url('outputs', review)}#output-{output.seq}")
        status = 400
    elif request.method in ("GET", "HEAD"):
        form = OutputForm() if permissions.can_add_outputs(user, review) else None
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    outputs = list(_outputs(review))
    hidden = restricted_ids(user, {o.document for o in outputs})
    rows = [_row(output, user, today, hidden) for output in outputs]
    return render(
        request,
        "reviews/outputs.html",
        {
            "review": review,
            "form": form,
            "rows": rows,
            "open_count": sum(1 for r in rows if r["state"].is_open),
            "overdue_count": sum(1 for r in rows if r["state"].overdue),
            "before_meeting": review.status in (S.DRAFT, S.IN_REVIEW, S.APPROVED),
            "in_signature": review.status in (S.REPORTING, S.COMPLETED),
            "today": today,
        },
        status=status,
    )


def _run(request, output: ReviewOutput, action: str, data: dict) -> str:
    user = request.user
    reference = output.reference
    if action == "complete":
        services.output_complete(
            user=user,
            output=output,
            note=data["note"],
            completed_on=data.get("completed_on"),
        )
        return _("Action %(reference)s is recorded as done; 行政部 verifies it.") % {
            "reference": reference
        }
    if action == "verify":
        output = services.output_verify(
            user=user, output=output, effective=data["effective"], note=data["note"]
        )
        if output.status == OutputStatus.VERIFIED:
            return _("Action %(reference)s is verified.") % {"reference": reference}
        return _("Action %(reference)s goes back to its owner.") % {
            "reference": reference
        }
    services.output_cancel(user=user, output=output, reason=data["reason"])
    return _("Action %(reference)s is cancelled.") % {"reference": reference}


ACTION_HEADINGS = {
    "complete": (
        lambda: _("Record the action as done"),
        lambda: _("Record as done"),
    ),
    "verify": (lambda: _("Verify the action"), lambda: _("Record the verification")),
    "cancel": (lambda: _("Cancel the action"), lambda: _("Cancel the action")),
}


@reviews_staff
def output_action(request, number, seq, action):
    form_class = OUTPUT_ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404(_("No such step."))
    review = visible_review(number)
    output = _outputs(review).filter(seq=seq).first()
    if output is None:
        raise Http404(_("No such action."))
    user = request.user
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                text = _run(request, output, action, form.cleaned_data)
            except REFUSALS as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, text)
                return redirect(f"{_url('outputs', review)}#output-{output.seq}")
        status = 400
    elif request.method in ("GET", "HEAD"):
        if not _offered(user, output, action):
            raise PermissionDenied(_("You may not take this step now."))
        form = form_class()
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    heading, button = ACTION_HEADINGS[action]
    return render(
        request,
        "reviews/output_action_form.html",
        {
            "review": review,
            "row": _row(output, user, services.company_today()),
            "output": output,
            "action": action,
            "form": form,
            "heading": heading(),
            "button": button(),
        },
        status=status,
    )
