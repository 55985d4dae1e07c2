"""The review plan (管理评审计划): a new review, its plan as read with its
assignments, signatures and notice, changing the draft, the .docx download,
and the plan's steps (submit, sign, return, revise, cancel, notify), each one
service.

Everyone in the company reads these pages; a customer representative gets a
403. A step refused by its service is a message on the review page; a step
the user may not take is a 403; an unknown review or step a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.lifecycle import InvalidTransition

from .. import forms, permissions, services
from ..lifecycle import (
    InputStatus,
    ReviewRecordKind,
    ReviewStatus,
    SignatureDecision,
    SignedPaper,
)
from ..models import DepartmentInput, Review
from ..schedule import interval_exceeded, schedule_status
from .common import error_text, reviews_staff, visible_review

S = ReviewStatus

step_label = services.step_label


def _detail_url(review: Review, anchor: str = "") -> str:
    url = reverse("reviews:review", kwargs={"number": review.number})
    return f"{url}#{anchor}" if anchor else url


# --- What the plan page shows -------------------------------------------------------


def chain_rows(review: Review, paper: str, signatures) -> list[dict]:
    """Each step of ``paper``'s chain for its current revision: signed (by
    whom, when), awaiting a signature, or still to come."""
    revision = (
        review.plan_revision if paper == SignedPaper.PLAN else review.report_revision
    )
    step = services.current_step(review, paper)
    signed = {
        s.step: s
        for s in signatures
        if s.paper == paper
        and s.revision == revision
        and s.decision == SignatureDecision.SIGNED
    }
    rows = []
    for chain_step in services.chain_steps(paper):
        signature = signed.get(chain_step.code)
        if signature is not None:
            state = "signed"
        elif step is not None and step.code == chain_step.code:
            state = "awaiting"
        else:
            state = "pending"
        rows.append(
            {
                "code": chain_step.code,
                "label": step_label(chain_step.code),
                "role": chain_step.role,
                "state": state,
                "signature": signature,
            }
        )
    return rows


def assignment_rows(review: Review) -> list[dict]:
    """The plan's assignments with whether each department's input is in
    and signed off."""
    inputs = {
        (i.section, i.department_id): i
        for i in DepartmentInput.objects.filter(review=review).only(
            "section", "department_id", "status"
        )
    }
    rows = []
    for assignment in review.assignments.select_related("department"):
        found = inputs.get((assignment.section, assignment.department_id))
        if found is None:
            state, label = "missing", _("Not provided yet")
        else:
            state, label = found.status, InputStatus(found.status).label
        rows.append(
            {
                "assignment": assignment,
                "state": state,
                "state_label": label,
                "signed": state == InputStatus.SIGNED,
            }
        )
    return rows


def filing_warnings(review: Review) -> list[str]:
    """What the page warns about the plan's filing: an approved plan not in
    the records register."""
    if (
        review.status in (S.DRAFT, S.IN_REVIEW, S.CANCELLED)
        or not review.plan_approved_at
    ):
        return []
    filed = review.record_links.filter(
        kind=ReviewRecordKind.PLAN, revision=review.plan_revision
    ).exists()
    if filed:
        return []
    return [
        _(
            "The approved plan is not filed in the records register: its record "
            "form may not be in force. Ask document control."
        )
    ]


def plan_actions(user, review: Review) -> list[str]:
    """The plan's steps ``user`` may take now."""
    actions = []
    can_prepare = permissions.can_prepare(user)
    if permissions.can_edit_plan(user, review):
        actions += ["edit", "submit"]
    step = services.current_step(review, SignedPaper.PLAN)
    if step is not None and permissions.can_sign_step(user, step.role):
        actions += ["sign", "return"]
    if can_prepare and review.status == S.APPROVED:
        actions.append("revise")
        if review.planned_date >= services.company_today():
            actions.append("notify")
    if permissions.can_cancel(user, review):
        actions.append("cancel")
    return actions


# --- The pages ----------------------------------------------------------------------


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@reviews_staff
def review_new(request):
    user = request.user
    if not permissions.can_prepare(user):
        raise PermissionDenied(_("You may not plan a management review."))
    status = 200
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        if form.is_valid():
            try:
                review = services.review_create(user=user, **form.create_arguments())
            except (ValidationError, InvalidTransition) as exc:
                if isinstance(exc, ValidationError):
                    _apply_errors(form, exc)
                else:
                    form.add_error(None, error_text(exc))
            else:
                messages.success(
                    request,
                    _(
                        "%(number)s is planned as a draft: check it, then submit it "
                        "for signature."
                    )
                    % {"number": review.number},
                )
                return redirect(_detail_url(review))
        status = 400
    else:
        today = services.company_today()
        schedule = schedule_status(today=today)
        # A month ahead, or the due date if it comes sooner.
        planned = today + timedelta(days=30)
        if schedule.due is not None and today < schedule.due < planned:
            planned = schedule.due
        start, end = services.default_period(planned)
        kind = request.GET.get("kind", "annual")
        form = forms.PlanForm(
            initial={
                "kind": kind if kind in ("annual", "extra") else "annual",
                "planned_date": planned,
                "period_start": start,
                "period_end": end,
            }
        )
    return render(
        request,
        "reviews/review_form.html",
        {"form": form, "review": None, "grid": form.grid_rows()},
        status=status,
    )


@reviews_staff
def review_edit(request, number):
    review = visible_review(number)
    user = request.user
    if not permissions.can_prepare(user):
        raise PermissionDenied(_("You may not change the review plan."))
    if review.status != S.DRAFT:
        messages.error(
            request,
            _("The plan is %(status)s: revise it before changing it.")
            % {"status": review.get_status_display()},
        )
        return redirect(_detail_url(review))
    status = 200
    if request.method == "POST":
        form = forms.PlanForm(request.POST, review=review)
        if form.is_valid():
            try:
                services.review_update(
                    user=user, review=review, **form.update_arguments()
                )
            except (ValidationError, InvalidTransition) as exc:
                if isinstance(exc, ValidationError):
                    _apply_errors(form, exc)
                else:
                    form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("The plan was saved."))
                return redirect(_detail_url(review))
        status = 400
    else:
        form = forms.PlanForm(initial=forms.PlanForm.initial_for(review), review=review)
    return render(
        request,
        "reviews/review_form.html",
        {"form": form, "review": review, "grid": form.grid_rows()},
        status=status,
    )


@reviews_staff
def review_detail(request, number):
    review = visible_review(number)
    user = request.user
    signatures = list(review.signatures.order_by("signed_at", "id"))
    step = services.current_step(review)
    chains = [
        {
            "paper": SignedPaper.PLAN,
            "label": SignedPaper.PLAN.label,
            "rows": chain_rows(review, SignedPaper.PLAN, signatures),
        }
    ]
    if review.status in (S.REPORTING, S.COMPLETED) or any(
        s.paper == SignedPaper.REPORT for s in signatures
    ):
        chains.append(
            {
                "paper": SignedPaper.REPORT,
                "label": SignedPaper.REPORT.label,
                "rows": chain_rows(review, SignedPaper.REPORT, signatures),
            }
        )
    participants = list(review.participants.select_related("department").order_by("id"))
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "tab": "plan",
            "step": step,
            "step_label": step_label(step.code) if step else "",
            "chains": chains,
            "signatures": [
                {
                    "signature": s,
                    "step": step_label(s.step),
                    "paper": SignedPaper(s.paper).label,
                }
                for s in signatures
            ],
            "participants": participants,
            "assignments": assignment_rows(review),
            "warnings": filing_warnings(review),
            "exceeded": interval_exceeded(review),
            "interval_months": settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS,
            "actions": plan_actions(user, review),
            "forms": {
                "sign": forms.SignForm(),
                "return": forms.ReturnForm(),
                "revise": forms.ReviseForm(),
                "cancel": forms.CancelForm(),
            },
            "today": services.company_today(),
        },
    )


@reviews_staff
def plan_download(request, number):
    from ..reports import DOCX_CONTENT_TYPE, plan_docx

    review = visible_review(number)
    response = HttpResponse(plan_docx(review), content_type=DOCX_CONTENT_TYPE)
    filename = _("%(number)s-plan-rev%(revision)s.docx") % {
        "number": review.number,
        "revision": review.plan_revision,
    }
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The plan's steps ---------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    form: type
    run: Callable[..., str]
    # Shown on a GET: a comment or a reason is asked for.
    heading: str = ""
    button: str = ""
    intro: str = ""
    # Whether the user may take the step now (for the GET form).
    allowed: Callable[..., bool] = lambda user, review: True


def _submit(request, review, data) -> str:
    review = services.review_submit(user=request.user, review=review)
    step = services.current_step(review)
    if step is None:
        return _("The plan was submitted.")
    return _("The plan was submitted; %(role)s signs it next.") % {"role": step.role}


def _sign(request, review, data) -> str:
    review = services.plan_sign(
        user=request.user,
        review=review,
        decision=SignatureDecision.SIGNED,
        comment=data.get("comment", ""),
    )
    if review.status == S.APPROVED:
        for warning in getattr(review, "filing_warnings", None) or ():
            messages.warning(request, warning)
        return _("Signed: the plan is approved. Send the meeting notice.")
    step = services.current_step(review)
    return _("Signed; %(role)s signs it next.") % {"role": step.role if step else ""}


def _return(request, review, data) -> str:
    services.plan_sign(
        user=request.user,
        review=review,
        decision=SignatureDecision.RETURNED,
        comment=data.get("comment", ""),
    )
    return _("The plan was returned to its preparers.")


def _revise(request, review, data) -> str:
    review = services.review_revise(
        user=request.user, review=review, reason=data.get("reason", "")
    )
    return _(
        "Revision %(revision)s is a draft: change the plan, then submit it again."
    ) % {"revision": review.plan_revision}


def _cancel(request, review, data) -> str:
    services.review_cancel(
        user=request.user, review=review, reason=data.get("reason", "")
    )
    return _("%(number)s was cancelled.") % {"number": review.number}


def _notify(request, review, data) -> str:
    services.review_notify(user=request.user, review=review)
    return _("The meeting notice was sent.")


def _may_sign(user, review) -> bool:
    step = services.current_step(review, SignedPaper.PLAN)
    return step is None or permissions.can_sign_step(user, step.role)


def _may_prepare(user, review) -> bool:
    return permissions.can_prepare(user)


ACTIONS: dict[str, ActionSpec] = {
    "submit": ActionSpec(forms.EmptyForm, _submit),
    "sign": ActionSpec(
        forms.SignForm,
        _sign,
        heading=gettext_lazy("Sign the plan"),
        button=gettext_lazy("Sign"),
        intro=gettext_lazy(
            "Your signature sends the plan to the next step; the last one approves it."
        ),
        allowed=_may_sign,
    ),
    "return": ActionSpec(
        forms.ReturnForm,
        _return,
        heading=gettext_lazy("Return the plan"),
        button=gettext_lazy("Return it"),
        intro=gettext_lazy("It goes back to draft for its preparers; say why."),
        allowed=_may_sign,
    ),
    "revise": ActionSpec(
        forms.ReviseForm,
        _revise,
        heading=gettext_lazy("Revise the plan"),
        button=gettext_lazy("Open a new revision"),
        intro=gettext_lazy(
            "The approved plan goes back to draft as a new revision, is signed "
            "again and the notice goes out again."
        ),
        allowed=_may_prepare,
    ),
    "cancel": ActionSpec(
        forms.CancelForm,
        _cancel,
        heading=gettext_lazy("Cancel the review"),
        button=gettext_lazy("Cancel the review"),
        intro=gettext_lazy("The review keeps its number and shows as cancelled."),
        allowed=_may_prepare,
    ),
    "notify": ActionSpec(forms.EmptyForm, _notify),
}


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


@reviews_staff
def review_action(request, number, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such step."))
    review = visible_review(number)
    if request.method == "GET":
        if not spec.heading:
            return HttpResponseNotAllowed(["POST"])
        if not spec.allowed(request.user, review):
            raise PermissionDenied
        return render(
            request,
            "reviews/review_action_form.html",
            {
                "review": review,
                "tab": "plan",
                "action": action,
                "form": spec.form(),
                "heading": spec.heading,
                "button": spec.button,
                "intro": spec.intro,
            },
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"] if spec.heading else ["POST"])
    form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_detail_url(review, "actions"))
    try:
        text = spec.run(request, review, form.cleaned_data)
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
        return redirect(_detail_url(review, "actions"))
    # PermissionDenied propagates: a 403.
    messages.success(request, text)
    return redirect(_detail_url(review))
