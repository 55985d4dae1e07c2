"""Management reviews under concurrent writers (PostgreSQL): two holders of a
role signing the same step leave one signature, decisions recorded at once
get distinct items, packs compiled at once distinct versions, and the same
period measured twice leaves one value (the other told, never a 500).

Each writer runs in its own thread with its own database connection. SQLite
serialises every writer, so the race only exists on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from wagtail.models import ModelLogEntry

from compliance.models import Nonconformity
from documents import roles
from documents.tests import factories as doc_factories
from reviews import services
from reviews.lifecycle import InputSection, OutputKind, SignatureDecision
from reviews.models import (
    DepartmentInput,
    Measurement,
    Review,
    ReviewOutput,
    ReviewPack,
)
from reviews.tests import factories
from tests.concurrency import race

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent writers need PostgreSQL",
)

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def p(role_groups, monkeypatch):
    monkeypatch.setattr(roles, "roles_ensure", lambda: role_groups)
    return factories.people()


def logged(review, action: str) -> int:
    return (
        ModelLogEntry.objects.for_instance(review)
        .filter(action=f"shoukong.reviews.{action}")
        .count()
    )


def test_two_signers_of_one_step_leave_one_signature(p):
    deputy = doc_factories.user(
        "mr2", role=roles.MANAGEMENT_REPRESENTATIVE, department_name="管理层"
    )
    review = factories.review(p)
    services.review_submit(user=p.controller, review=review)

    def sign(user) -> list:
        translation.activate("en")  # this thread's refusal, compared in English
        services.plan_sign(
            user=user, review=review, decision=SignatureDecision.SIGNED, comment="同意"
        )
        return [user]

    signed, errors = race([p.mr, deputy], sign)

    assert len(signed) == 1, (signed, errors)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert "already been signed" in errors[0].messages[0]
    [signature] = review.signatures.filter(step="review")
    assert signature.user == signed[0]
    review = Review.objects.get(pk=review.pk)
    assert services.current_step(review).code == "approve"
    assert logged(review, "plan_sign") == 1


def test_decisions_recorded_at_once_get_distinct_items(p):
    review = factories.held(p)
    recorders = [p.controller, p.mr]

    def add(user) -> list:
        output = services.output_add(
            user=user,
            review=review,
            kind=OutputKind.IMPROVEMENT,
            description=f"{user.username}提出的改进",
            owner=p.staff,
            due_date=factories.today() + timedelta(days=30),
        )
        return [output.seq]

    seqs, errors = race(recorders, add)

    assert not errors, errors
    assert sorted(seqs) == [1, 2]
    outputs = ReviewOutput.objects.filter(review=review)
    assert sorted(o.reference for o in outputs) == [
        f"{review.number}-01",
        f"{review.number}-02",
    ]
    numbers = sorted(Nonconformity.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 2
    assert sorted(
        Nonconformity.objects.values_list("source_reference", flat=True)
    ) == sorted(o.reference for o in outputs)
    assert logged(review, "output_add") == 2


def test_packs_compiled_at_once_get_distinct_versions(p):
    review = factories.approved(p)

    def compile_(user) -> list:
        return [services.pack_compile(user=user, review=review).version]

    versions, errors = race([p.controller, p.mr], compile_)

    assert not errors, errors
    assert sorted(versions) == [1, 2]
    assert sorted(ReviewPack.objects.values_list("version", flat=True)) == [1, 2]
    assert logged(review, "pack_compile") == 2


def test_the_same_value_measured_twice_at_once_is_stored_once(p):
    rate = factories.objective("response-rate")
    period = factories.today().replace(day=1) - relativedelta(months=1)

    def enter(user) -> list:
        m = services.measurement_record(
            user=user, objective=rate, period=period, value="96.5"
        )
        return [m.pk]

    stored, errors = race([p.controller, p.mr], enter)

    assert not errors, errors
    assert len(set(stored)) == 1
    [m] = Measurement.objects.all()
    assert m.value == Decimal("96.5")
    assert (
        ModelLogEntry.objects.for_instance(rate)
        .filter(action="shoukong.reviews.measurement_record")
        .count()
        == 1
    )


def test_two_values_for_one_period_at_once_one_is_told_to_give_a_reason(p):
    rate = factories.objective("resolution-rate")
    period = factories.today().replace(day=1) - relativedelta(months=2)
    values = {p.controller.pk: "98.5", p.mr.pk: "97.0"}

    def enter(user) -> list:
        translation.activate("en")  # this thread's refusal, compared in English
        services.measurement_record(
            user=user, objective=rate, period=period, value=values[user.pk]
        )
        return [user]

    entered, errors = race([p.controller, p.mr], enter)

    assert len(entered) == 1, (entered, errors)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert "reason" in errors[0].messages[0]
    [m] = Measurement.objects.all()
    assert m.value == Decimal(values[entered[0].pk])
    assert m.recorded_by == entered[0]


def test_two_first_drafts_of_one_input_leave_one_row(p):
    review = factories.review(p)
    tech = doc_factories.department("技术部")

    def write(user) -> list:
        item = services.input_save(
            user=user,
            review=review,
            department=tech,
            section=InputSection.PERFORMANCE,
            content=f"{user.username}的草稿",
        )
        return [item.pk]

    saved, errors = race([p.staff, p.tech_manager], write)

    assert not errors, errors
    assert len(set(saved)) == 1
    [item] = DepartmentInput.objects.all()
    assert item.content in {"staff的草稿", "tech_manager的草稿"}
    assert logged(review, "input_save") == 2
