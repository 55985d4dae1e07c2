"""The review report (管理评审报告): submitted with the conclusions and a
distribution, signed along the report chain, never before the meeting; the
last signature freezes the report and the minutes, files and distributes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from wagtail.models import ModelLogEntry

from documents import roles
from documents.tests import factories as doc_factories
from reviews import services
from reviews.lifecycle import (
    InvalidTransition,
    ReviewStatus,
    SignatureDecision,
    SignedPaper,
    Verdict,
)
from reviews.models import Review
from reviews.tests import factories

pytestmark = pytest.mark.django_db

S = ReviewStatus
SIGNED = SignatureDecision.SIGNED
RETURNED = SignatureDecision.RETURNED


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    people = factories.people()
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return people


def actions(review) -> list[str]:
    return [
        e.action.removeprefix("shoukong.reviews.")
        for e in ModelLogEntry.objects.for_instance(review).order_by("id")
    ]


def recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def departments(*names):
    return [doc_factories.department(n) for n in names]


def test_no_report_before_the_meeting(p):
    review = factories.approved(p)
    with pytest.raises(ValidationError, match="The meeting has not been held"):
        services.report_submit(
            user=p.controller, review=review, distribution=departments("行政部")
        )
    for signer in (p.mr, p.gm):
        with pytest.raises(ValidationError, match="The meeting has not been held"):
            services.report_sign(user=signer, review=review, decision=SIGNED)
    draft = factories.review(p)
    with pytest.raises(ValidationError, match="The meeting has not been held"):
        services.report_sign(user=p.gm, review=draft, decision=SIGNED)
    assert Review.objects.get(pk=review.pk).status == S.APPROVED
    assert not review.signatures.filter(paper=SignedPaper.REPORT).exists()


def test_submit_needs_the_conclusions_and_a_distribution(
    p, django_capture_on_commit_callbacks
):
    review = factories.approved(p)
    services.pack_compile(user=p.controller, review=review)
    review = services.meeting_record(
        user=p.controller,
        review=review,
        held_on=factories.today(),
        attendees=[p.gm, p.mr],
        suitability=Verdict.YES,
    )
    with pytest.raises(ValidationError, match="Record the conclusions") as refused:
        services.report_submit(
            user=p.controller, review=review, distribution=departments("行政部")
        )
    assert "adequate" in refused.value.messages[0]
    review = services.meeting_record(
        user=p.controller,
        review=review,
        held_on=factories.today(),
        attendees=[p.gm, p.mr],
        adequacy=Verdict.YES,
        effectiveness=Verdict.NO,
    )
    with pytest.raises(ValidationError, match="distribution"):
        services.report_submit(user=p.controller, review=review)
    with pytest.raises(ValidationError, match="distribution"):
        services.report_submit(user=p.controller, review=review, distribution=[])
    closed = doc_factories.department("旧部门")
    closed.is_active = False
    closed.save()
    for bad in ([closed], ["行政部"], "行政部", [None]):
        with pytest.raises(ValidationError):
            services.report_submit(user=p.controller, review=review, distribution=bad)
    for outsider in (p.staff, p.gm, p.tech_manager):
        with pytest.raises(PermissionDenied):
            services.report_submit(
                user=outsider, review=review, distribution=departments("行政部")
            )
    assert Review.objects.get(pk=review.pk).status == S.HELD
    assert not review.distribution.exists()

    with django_capture_on_commit_callbacks(execute=True):
        review = services.report_submit(
            user=p.controller,
            review=review,
            distribution=departments("行政部", "技术部"),
        )
    assert review.status == S.REPORTING and review.report_submitted_at
    assert sorted(review.distribution.values_list("name", flat=True)) == [
        "技术部",
        "行政部",
    ]
    assert recipients() == {"mr@example.com"}
    assert services.current_step(review).code == "review"
    assert actions(review)[-1] == "report_submit"
    # Submitted once.
    with pytest.raises(ValidationError, match="already"):
        services.report_submit(user=p.controller, review=review)


def test_the_chain_completes_freezes_files_and_distributes(
    p, django_capture_on_commit_callbacks
):
    review = factories.held(p)
    output = factories.improvement(p, review, owner=p.staff)
    services.report_submit(
        user=p.controller, review=review, distribution=departments("行政部")
    )
    for wrong in (p.gm, p.controller, p.staff):
        with pytest.raises(PermissionDenied):
            services.report_sign(user=wrong, review=review, decision=SIGNED)

    # 管理者代表 returns it: back to the minutes, a new revision next time.
    with pytest.raises(ValidationError):
        services.report_sign(user=p.mr, review=review, decision=RETURNED, comment="")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review = services.report_sign(
            user=p.mr, review=review, decision=RETURNED, comment="补充资源结论"
        )
    assert review.status == S.HELD
    assert recipients() == {"controller@example.com", "mr@example.com"}
    assert "补充资源结论" in mail.outbox[0].body
    review = services.report_submit(user=p.controller, review=review)
    assert review.report_revision == 2

    review = services.report_sign(
        user=p.mr, review=review, decision=SIGNED, comment="同意"
    )
    assert (
        review.status == S.REPORTING and services.current_step(review).code == "approve"
    )
    with pytest.raises(ValidationError, match="already been signed"):
        services.report_sign(user=p.mr, review=review, decision=SIGNED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review = services.report_sign(user=p.gm, review=review, decision=SIGNED)
    assert review.status == S.COMPLETED and review.report_approved_at
    assert isinstance(review.filing_warnings, list)  # the forms are the library's

    review = Review.objects.get(pk=review.pk)
    for field, sha in (
        ("report_file", "report_sha256"),
        ("minutes_file", "minutes_sha256"),
    ):
        stored = getattr(review, field)
        assert stored.name.startswith(f"reviews/{review.number}/")
        assert stored.name.endswith("-r2.docx")
        with stored.open("rb") as fh:
            data = fh.read()
        assert data[:2] == b"PK"
        assert hashlib.sha256(data).hexdigest() == getattr(review, sha)
    # The distribution (行政部's staff) and the actions' owners are told.
    assert {"controller@example.com", "auditor@example.com", "staff@example.com"} <= (
        recipients()
    )
    assert "tech_manager@example.com" not in recipients()
    assert list(
        review.signatures.filter(paper="report").values_list(
            "revision", "step", "decision"
        )
    ) == [(1, "review", "returned"), (2, "review", "signed"), (2, "approve", "signed")]
    report_actions = [a for a in actions(review) if a.startswith("report_")]
    assert report_actions == [
        "report_submit",
        "report_return",
        "report_submit",
        "report_sign",
        "report_sign",
        "report_approve",
    ]
    approve = (
        ModelLogEntry.objects.for_instance(review)
        .order_by("id")
        .filter(action="shoukong.reviews.report_approve")
        .get()
    )
    assert approve.data == {"revision": 2, "sha256": review.report_sha256}

    # Completed: nothing more to sign, no decisions added, no minutes changed.
    with pytest.raises(ValidationError, match="not awaiting"):
        services.report_sign(user=p.gm, review=review, decision=SIGNED)
    with pytest.raises(ValidationError):
        factories.improvement(p, review)
    with pytest.raises(ValidationError):
        services.meeting_record(
            user=p.controller,
            review=review,
            held_on=factories.today(),
            attendees=[p.gm],
        )
    with pytest.raises(InvalidTransition):
        services.review_cancel(user=p.controller, review=review, reason="x")
    # The actions stay tracked after the report.
    assert output.nonconformity.status == "raised"


def test_a_returned_report_can_be_resubmitted_with_another_distribution(p):
    review = factories.held(p, held_on=factories.today())
    services.report_submit(
        user=p.controller, review=review, distribution=departments("行政部")
    )
    services.report_sign(user=p.mr, review=review, decision=SIGNED)
    review = services.report_sign(
        user=p.gm, review=review, decision=RETURNED, comment="结论不清"
    )
    assert review.status == S.HELD
    services.meeting_record(
        user=p.controller,
        review=review,
        held_on=factories.today() - timedelta(days=0),
        attendees=[p.gm, p.mr],
        conclusion_resources="增加两名工程师",
    )
    review = services.report_submit(
        user=p.controller, review=review, distribution=departments("技术部")
    )
    assert review.report_revision == 2
    assert list(review.distribution.values_list("name", flat=True)) == ["技术部"]
    # 管理者代表 signs revision 2 again.
    assert services.current_step(review).code == "review"


def test_a_failed_filing_undoes_the_approval_and_its_files(p, monkeypatch):
    from reviews import filing

    review = factories.held(p)
    services.report_submit(
        user=p.controller, review=review, distribution=departments("行政部")
    )
    services.report_sign(user=p.mr, review=review, decision=SIGNED)
    written = []

    def broken(*, user, review):
        written.extend([review.report_file.name, review.minutes_file.name])
        raise RuntimeError("records register unavailable")

    monkeypatch.setattr(filing, "review_records_file", broken)
    with pytest.raises(RuntimeError):
        services.report_sign(user=p.gm, review=review, decision=SIGNED)
    review = Review.objects.get(pk=review.pk)
    assert review.status == S.REPORTING and not review.report_file
    assert written and all(
        not review.report_file.storage.exists(name) for name in written
    )
