"""The demo's management reviews: the objectives measured over the last year,
two performance indicators, last year's annual review completed (inputs
signed, the pack compiled and confirmed, the meeting, three decisions, the
report approved and filed) and this year's planned with its meeting two weeks
ahead, so a user can hold the meeting and write the report.

Dates count from today: last year's review was held :data:`PREVIOUS_DAYS_AGO`
days ago, so the next one falls due about three weeks from now and the
dashboard shows the warning of the last 60 days; this year's is planned
:data:`CURRENT_IN_DAYS` days ahead, before that due date.

Everything goes through :mod:`reviews.services` (and the compliance and
documents services for the decisions), so the demo leaves the same audit
trail as real use. The audits demo passes its past dates through its services
(``today=``, the meetings' ``held_at``); the review services take past dates
where a user gives them (the meeting's ``held_on``, an action's
``completed_on``) but stamp their own times with the present moment, and they
refuse a meeting before the day its plan was approved and an action done
before the day it was decided. So, for last year's review only,
:class:`Backdating` moves each time a service has just stamped (the plan's
creation, signatures and approval, the notice, the inputs, the pack, the
attendance, the decisions, the report's submission and signatures) back to
the day it would have happened, with a queryset ``update``: times only (and
the due date of the action done long ago), never a status, a value or a
number; the log entries keep the moment the demo wrote them. What is frozen
at the moment of approval (the plan's and the report's papers and the records
filed with them) is written during the run, so its approval shows the day the
demo was loaded.

The demo's reviews are recognised by their titles (``2025年度管理评审``: the
year of the meeting, :data:`TITLE_PATTERN` whatever the day of the first
load); once one exists, no review is created and none is touched: a second
run creates nothing, and what users did with this year's review since is
theirs. The indicators are created while missing, and the objectives are
given values only while they have none.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from compliance import nonconformities as nc_services
from compliance.services import clause_for
from documents import changes
from documents.demo import DemoError
from documents.lifecycle import InvalidTransition
from documents.models import Department, DocumentPage

from .. import services
from ..lifecycle import (
    Frequency,
    InputSection,
    MeasureKind,
    OutputCategory,
    OutputKind,
    SignatureDecision,
    SignedPaper,
)
from ..models import (
    DepartmentInput,
    Objective,
    Review,
    ReviewOutput,
    ReviewPack,
    ReviewParticipant,
    ReviewRecordLink,
    ReviewSignature,
)

__all__ = ["Dates", "ReviewsDemoReport", "demo_reviews_ensure"]

from .content import (  # noqa: F401 - the tests and the other demos read them
    AGENDA,
    CRITERIA,
    CURRENT_ASSIGNMENTS,
    CURRENT_IN_DAYS,
    CURRENT_INPUTS,
    DISTRIBUTION,
    IMPROVEMENT,
    INDICATORS,
    INPUTS_DUE_DAYS_BEFORE,
    LOCATION,
    MATERIALS,
    NOTES,
    PREVIOUS_DAYS_AGO,
    PREVIOUS_DISCUSSIONS,
    PREVIOUS_INPUTS,
    PREVIOUS_MEETING,
    PURPOSE,
    REISSUE,
    RESOURCE,
    TITLE_FORMAT,
    TITLE_PATTERN,
    USERNAMES,
    VALUES,
    DemoIndicator,
)


@dataclass
class ReviewsDemoReport:
    """What one run of :func:`demo_reviews_ensure` did."""

    objectives_created: list[str] = field(default_factory=list)
    measurements_entered: list[str] = field(default_factory=list)
    reviews_created: list[str] = field(default_factory=list)
    outputs_added: list[str] = field(default_factory=list)
    records_filed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.objectives_created
            or self.measurements_entered
            or self.reviews_created
            or self.outputs_added
            or self.records_filed
        )


@dataclass(frozen=True)
class Dates:
    """The demo's dates, counted from today."""

    today: date
    previous: date
    current: date

    @classmethod
    def from_today(cls, today: date) -> Dates:
        previous = today - timedelta(days=PREVIOUS_DAYS_AGO)
        current = today + timedelta(days=CURRENT_IN_DAYS)
        if previous.year == current.year:
            # Early January: keep last year's review in last year (its title
            # and number carry the year), still less than twelve months ago.
            previous = date(current.year - 1, 12, 28)
        return cls(today=today, previous=previous, current=current)

    def months(self, count: int = 12) -> list[date]:
        """The first days of the last ``count`` complete months, oldest first."""
        this_month = self.today.replace(day=1)
        return [this_month - relativedelta(months=n) for n in range(count, 0, -1)]

    def quarters(self, count: int = 4) -> list[date]:
        """The first days of the last ``count`` complete quarters, oldest first."""
        this_quarter = date(self.today.year, 3 * ((self.today.month - 1) // 3) + 1, 1)
        return [this_quarter - relativedelta(months=3 * n) for n in range(count, 0, -1)]


def _users() -> dict:
    return {
        u.username: u
        for u in get_user_model().objects.filter(username__in=USERNAMES, is_active=True)
    }


def _departments() -> dict[str, Department]:
    return {d.name: d for d in Department.objects.filter(is_active=True)}


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at a time of the company's day (only days already past)."""
    zone = zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


class Backdating:
    """Moves the times the services stamp on last year's review back to the
    days they would have happened, relative to its meeting day (times only:
    see the module's docstring). Each time is moved as soon as it is
    stamped, before anything copies it (the pack, the frozen papers)."""

    # Days from the meeting (negative: before it) and hours of each step.
    CREATED = (-21, 10)
    SIGNED = {
        (SignedPaper.PLAN, "review"): (-10, 15),
        (SignedPaper.PLAN, "approve"): (-8, 15),
        (SignedPaper.REPORT, "review"): (5, 10),
        (SignedPaper.REPORT, "approve"): (6, 16),
    }
    NOTIFIED = (-7, 9)
    PREPARED = (-6, 10)
    INPUT_SIGNED = (-5, 16)
    COMPILED = (-3, 10)
    CONFIRMED = (-2, 11)
    SIGNED_IN = (0, 8, 55)
    DECIDED = (0, 11, 30)
    SUBMITTED = (4, 17)

    def __init__(self, day: date):
        self.day = day

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        return _moment(self.day + timedelta(days=days), hour, minute)

    def created(self, review: Review) -> None:
        Review.objects.filter(pk=review.pk).update(created_at=self.at(*self.CREATED))

    def signature(self, review: Review, paper: str, step: str) -> None:
        days, hour = self.SIGNED.get((paper, step), self.SIGNED[(paper, "approve")])
        when = self.at(days, hour)
        revision = (
            review.plan_revision
            if paper == SignedPaper.PLAN
            else review.report_revision
        )
        ReviewSignature.objects.filter(
            review=review, paper=paper, revision=revision, step=step
        ).update(signed_at=when)
        # The last signature approves: the approval has the same time.
        field = (
            "plan_approved_at" if paper == SignedPaper.PLAN else "report_approved_at"
        )
        Review.objects.filter(pk=review.pk, **{f"{field}__isnull": False}).update(
            **{field: when}
        )

    def notified(self, review: Review) -> None:
        # review_notify refuses once the meeting date has passed: the notice
        # is marked as it would have set it that day.
        Review.objects.filter(pk=review.pk).update(
            notified_at=self.at(*self.NOTIFIED), notified_by=review.prepared_by
        )

    def input(self, item: DepartmentInput) -> None:
        times = {"prepared_at": self.at(*self.PREPARED)}
        if item.signed_at is not None:
            times["signed_at"] = self.at(*self.INPUT_SIGNED)
        DepartmentInput.objects.filter(pk=item.pk).update(**times)

    def compiled(self, pack: ReviewPack) -> None:
        ReviewPack.objects.filter(pk=pack.pk).update(
            compiled_at=self.at(*self.COMPILED)
        )

    def confirmed(self, pack: ReviewPack) -> None:
        ReviewPack.objects.filter(pk=pack.pk).update(
            confirmed_at=self.at(*self.CONFIRMED)
        )

    def signed_in(self, review: Review) -> None:
        ReviewParticipant.objects.filter(review=review, attended=True).update(
            signed_in_at=self.at(*self.SIGNED_IN)
        )

    def decided(self, output: ReviewOutput, **more) -> None:
        """The decision recorded at the meeting (and, for an action long done,
        its due date then: a due date is never in the past when decided)."""
        ReviewOutput.objects.filter(pk=output.pk).update(
            created_at=self.at(*self.DECIDED), **more
        )

    def verified(self, output: ReviewOutput, days: int) -> None:
        ReviewOutput.objects.filter(pk=output.pk).update(verified_at=self.at(days, 10))

    def submitted(self, review: Review) -> None:
        Review.objects.filter(pk=review.pk).update(
            report_submitted_at=self.at(*self.SUBMITTED)
        )


def _signer(role: str, users: dict):
    """The demo user who holds ``role`` (the chains are configurable)."""
    from documents.demo import USERS

    for spec in USERS:
        if spec.role == role and spec.username in users:
            return users[spec.username]
    return None


def _sign_through(
    review: Review, users: dict, report, *, paper: str, back: Backdating | None = None
) -> Review:
    """Sign the plan or the report along its chain; with ``back``, each
    signature is moved to its day as soon as it is given."""
    sign = services.plan_sign if paper == SignedPaper.PLAN else services.report_sign
    while (step := services.current_step(review, paper)) is not None:
        signer = _signer(step.role, users)
        if signer is None:
            raise DemoError(
                _("No demo user holds the role %(role)s to sign the review.")
                % {"role": step.role}
            )
        review = sign(user=signer, review=review, decision=SignatureDecision.SIGNED)
        if back is not None:
            back.signature(review, paper, step.code)
    report.warnings += getattr(review, "filing_warnings", None) or []
    return review


# --- Objectives -----------------------------------------------------------------------


def _indicators_ensure(users: dict, report: ReviewsDemoReport) -> None:
    tech = Department.objects.filter(name="技术部").first()
    for spec in INDICATORS:
        if Objective.objects.filter(code=spec.code).exists():
            continue
        if Objective.objects.filter(name=spec.name).exists():
            continue
        services.objective_save(
            user=users["controller"],
            code=spec.code,
            name=spec.name,
            kind=MeasureKind.INDICATOR,
            description=spec.description,
            unit="%",
            comparison="gte",
            target=spec.target,
            min_value=Decimal("0"),
            max_value=Decimal("100"),
            frequency=Frequency.MONTHLY,
            department=tech,
            sort_order=spec.sort_order,
        )
        report.objectives_created.append(spec.code)


def _measurements_ensure(dates: Dates, users: dict, report: ReviewsDemoReport) -> None:
    """Values for the last year, for each demo objective that has none yet.
    The indicators measured by 技术部 are entered by its head."""
    for code, values in VALUES.items():
        objective = Objective.objects.filter(code=code, is_active=True).first()
        if objective is None or objective.measurements.exists():
            continue
        if objective.frequency == Frequency.QUARTERLY:
            periods = dates.quarters(len(values))
        elif objective.frequency == Frequency.MONTHLY:
            periods = dates.months(len(values))
        else:
            continue
        user = (
            users["tech_manager"]
            if objective.kind == MeasureKind.INDICATOR
            else users["controller"]
        )
        for index, (start, value) in enumerate(zip(periods, values, strict=True)):
            services.measurement_record(
                user=user,
                objective=objective,
                period=start,
                value=value,
                note=NOTES.get((code, index), ""),
            )
        report.measurements_entered.append(f"{objective.code} ×{len(values)}")


# --- Reviews --------------------------------------------------------------------------


def _plan(
    *, day: date, users: dict, departments: dict, assignments, participants
) -> Review:
    due = day - timedelta(days=INPUTS_DUE_DAYS_BEFORE)
    return services.review_create(
        user=users["controller"],
        planned_date=day,
        title=TITLE_FORMAT.format(year=day.year),
        location=LOCATION,
        chair=users["gm"],
        purpose=PURPOSE,
        criteria=CRITERIA,
        agenda=AGENDA,
        materials=MATERIALS,
        participants=[users[name] for name in participants],
        assignments=[
            (section, departments[name], due)
            for section, name in assignments
            if name in departments
        ],
    )


def _approve(review: Review, users: dict, report, back=None) -> Review:
    review = services.review_submit(user=users["controller"], review=review)
    return _sign_through(review, users, report, paper=SignedPaper.PLAN, back=back)


def _inputs(review: Review, specs, users: dict, departments: dict, back=None) -> None:
    for section, name, author, signer, content in specs:
        item = services.input_save(
            user=users[author],
            review=review,
            department=departments[name],
            section=section,
            content=content,
        )
        if signer is not None:
            item = services.input_sign(user=users[signer], input=item)
        if back is not None:
            back.input(item)


def _previous_create(
    dates: Dates, users: dict, departments: dict, report: ReviewsDemoReport
) -> Review:
    """Last year's review, from its plan to its approved report."""
    day = dates.previous
    back = Backdating(day)
    review = _plan(
        day=day,
        users=users,
        departments=departments,
        assignments=[(s, d) for s, d, *_rest in PREVIOUS_INPUTS],
        participants=("gm", "mr", "controller", "tech_manager", "market_manager"),
    )
    back.created(review)
    # The plan's approval goes back first: the meeting cannot be recorded
    # before it.
    review = _approve(review, users, report, back)
    back.notified(review)
    _inputs(review, PREVIOUS_INPUTS, users, departments, back)
    pack = services.pack_compile(user=users["controller"], review=review)
    back.compiled(pack)
    pack = services.pack_confirm(user=users["mr"], pack=pack)
    back.confirmed(pack)
    report.warnings += getattr(pack, "filing_warnings", None) or []
    review = services.meeting_record(
        user=users["controller"],
        review=review,
        held_on=day,
        attendees=[
            users[name]
            for name in ("gm", "mr", "controller", "tech_manager", "market_manager")
        ],
        discussions=PREVIOUS_DISCUSSIONS,
        **PREVIOUS_MEETING,
    )
    back.signed_in(review)
    _previous_outputs(review, dates, users, departments, report, back)
    review = services.report_submit(
        user=users["controller"],
        review=review,
        distribution=[departments[n] for n in DISTRIBUTION if n in departments],
    )
    back.submitted(review)
    review = _sign_through(review, users, report, paper=SignedPaper.REPORT, back=back)
    report.reviews_created.append(f"{review.number} {review.get_status_display()}")
    report.records_filed += list(
        ReviewRecordLink.objects.filter(review=review).values_list(
            "record__number", flat=True
        )
    )
    return review


def _previous_outputs(
    review: Review,
    dates: Dates,
    users: dict,
    departments: dict,
    report,
    back: Backdating,
) -> None:
    """The three decisions: an improvement raised in compliance and accepted
    there, a resource decision done and verified, the manual's re-issue."""
    tech_manager, controller = users["tech_manager"], users["controller"]
    today = dates.today

    due = today + timedelta(days=IMPROVEMENT["due_in_days"])
    improvement = services.output_add(
        user=controller,
        review=review,
        kind=OutputKind.IMPROVEMENT,
        description=IMPROVEMENT["description"],
        owner=tech_manager,
        due_date=due,
        department=departments["技术部"],
        category=OutputCategory.PROCESS,
        section=InputSection.OBJECTIVES,
        clause=clause_for(IMPROVEMENT["clause"]),
    )
    back.decided(improvement)
    nc = improvement.nonconformity
    nc_services.nonconformity_plan(
        user=users["staff"],
        nonconformity=nc,
        owner=users["staff"],
        due_date=due,
        **IMPROVEMENT["plan"],
    )
    nc_services.nonconformity_accept(
        user=tech_manager, nonconformity=nc, comment=IMPROVEMENT["accept_comment"]
    )
    report.outputs_added.append(f"{improvement.reference} {nc.number}")

    resource = services.output_add(
        user=controller,
        review=review,
        kind=OutputKind.RESOURCE,
        description=RESOURCE["description"],
        owner=tech_manager,
        due_date=today,
        department=departments["技术部"],
        category=OutputCategory.RESOURCE,
        section=InputSection.RESOURCES,
    )
    # Decided at the meeting, due three months later; done before the due
    # date (the service checks that against the time of the decision).
    back.decided(
        resource, due_date=dates.previous + timedelta(days=RESOURCE["due_after_days"])
    )
    resource = services.output_complete(
        user=tech_manager,
        output=resource,
        note=RESOURCE["note"],
        completed_on=dates.previous + timedelta(days=RESOURCE["done_after_days"]),
    )
    resource = services.output_verify(
        user=controller, output=resource, effective=True, note=RESOURCE["verification"]
    )
    back.verified(resource, RESOURCE["verified_after_days"])
    report.outputs_added.append(resource.reference)

    manual = DocumentPage.objects.filter(number=REISSUE["document"]).first()
    if manual is None:
        return
    reissue = services.output_add(
        user=controller,
        review=review,
        kind=OutputKind.DOCUMENT,
        description=REISSUE["description"],
        owner=controller,
        due_date=today + timedelta(days=REISSUE["due_in_days"]),
        department=departments["行政部"],
        category=OutputCategory.SYSTEM,
        section=InputSection.DOCUMENTS,
        document=manual,
    )
    back.decided(reissue)
    changes.change_request_decide(
        user=controller,
        request=reissue.change_request,
        accept=True,
        comment=REISSUE["decision"],
        drafter=controller,
    )
    report.outputs_added.append(reissue.reference)


def _current_create(
    dates: Dates, users: dict, departments: dict, report: ReviewsDemoReport
) -> Review:
    """This year's review: the plan approved and the notice sent, some inputs
    signed and some drafts, the pack compiled; the meeting is the user's."""
    review = _plan(
        day=dates.current,
        users=users,
        departments=departments,
        assignments=CURRENT_ASSIGNMENTS,
        participants=("gm", "mr", "controller", "tech_manager", "market_manager"),
    )
    review = _approve(review, users, report)
    review = services.review_notify(user=users["controller"], review=review)
    _inputs(review, CURRENT_INPUTS, users, departments)
    services.pack_compile(user=users["controller"], review=review)
    report.reviews_created.append(f"{review.number} {review.get_status_display()}")
    report.records_filed += list(
        ReviewRecordLink.objects.filter(review=review).values_list(
            "record__number", flat=True
        )
    )
    return review


def _ensure(report: ReviewsDemoReport, users: dict) -> None:
    dates = Dates.from_today(services.company_today())
    _indicators_ensure(users, report)
    _measurements_ensure(dates, users, report)
    if Review.objects.filter(title__regex=TITLE_PATTERN).exists():
        return
    departments = _departments()
    _previous_create(dates, users, departments, report)
    _current_create(dates, users, departments, report)


@transaction.atomic
def demo_reviews_ensure() -> ReviewsDemoReport:
    """Load the reviews demo (after the documents, records, compliance and
    audits demos); a second run finds everything and does nothing."""
    report = ReviewsDemoReport()
    users = _users()
    if len(users) != len(USERNAMES):
        return report
    try:
        _ensure(report, users)
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        detail = (
            "; ".join(exc.messages)
            if isinstance(exc, ValidationError)
            else str(exc) or _("permission denied")
        )
        raise DemoError(
            _(
                "The demo management reviews could not be loaded: %(detail)s. Have "
                "the demo users' roles or departments been changed?"
            )
            % {"detail": detail}
        ) from exc
    return report
