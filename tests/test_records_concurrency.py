"""Record numbers allocated by concurrent writers (PostgreSQL), and the database
constraints that make a duplicate number impossible however a row is written
(any database).

Eight writers fill the same form on the same day, each in its own thread with
its own database connection: every record gets a number, no number twice, and
the day's sequence has no gap. The same for related records of one source.
SQLite serialises every writer, so the race only exists on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from documents import roles
from documents.tests import factories as doc_factories
from records import services
from records.models import Record
from records.tests import factories
from tests.concurrency import race, staff_writers

TODAY = date(2026, 11, 22)
WRITERS = 8
PER_WRITER = 25

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrent writers need PostgreSQL",
)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def writers() -> list:
    return staff_writers(WRITERS, prefix="writer")


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_writers_fill_one_form_on_one_day(role_groups):
    form = factories.form()
    # The records-list entry exists already (see the first-fill test below).
    services.record_type_ensure(form=form)
    users = writers()

    def fill(user) -> list[str]:
        return [
            services.record_create(
                user=user, form=form, data=factories.work_order_data()
            ).number
            for _ in range(PER_WRITER)
        ]

    numbers, errors = race(users, fill)

    total = WRITERS * PER_WRITER
    assert not errors, errors
    assert len(numbers) == total
    assert len(set(numbers)) == total, "a number was given twice"
    assert sorted(numbers) == sorted(
        f"D0201-20261122{seq:02d}" for seq in range(1, total + 1)
    )
    day_seqs = sorted(
        Record.objects.filter(form=form, record_date=TODAY).values_list(
            "day_seq", flat=True
        )
    )
    assert day_seqs == list(range(1, total + 1)), "a gap in the day's sequence"


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_writers_relate_records_to_one_source(role_groups):
    factories.form()
    tracking = factories.form(
        "D0302",
        "问题跟踪记录",
        fields=({"label": "跟踪情况", "field_type": "multiline", "required": True},),
    )
    services.record_type_ensure(form=tracking)
    users = writers()
    source = factories.record(users[0])
    per_writer = 10

    def relate(user) -> list[str]:
        return [
            services.record_create(
                user=user,
                form="D0302",
                data={"gen_zong_qing_kuang": "跟踪"},
                related_to=source.number,
            ).number
            for _ in range(per_writer)
        ]

    numbers, errors = race(users, relate)

    total = WRITERS * per_writer
    assert not errors, errors
    assert len(set(numbers)) == len(numbers) == total
    expected = {"D0302-D0201-2026112201"} | {
        f"D0302-{n:02d}-D0201-2026112201" for n in range(2, total + 1)
    }
    assert set(numbers) == expected
    ordinals = sorted(
        Record.objects.filter(related_to=source).values_list(
            "related_ordinal", flat=True
        )
    )
    assert ordinals == list(range(1, total + 1)), "a gap in the related ordinals"


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_first_fills_of_a_new_form_at_once(role_groups):
    form = factories.form()
    users = writers()

    def fill(user) -> list[str]:
        return [
            services.record_create(
                user=user, form=form, data=factories.work_order_data()
            ).number
        ]

    numbers, errors = race(users, fill)

    assert not errors, errors
    assert sorted(numbers) == [
        f"D0201-20261122{seq:02d}" for seq in range(1, WRITERS + 1)
    ]


# --- The constraints behind the numbers (any database) -----------------------------


def copy_of(record: Record, **changes) -> Record:
    fields = {
        "number": record.number,
        "form": record.form,
        "form_issue": record.form_issue,
        "record_date": record.record_date,
        "day_seq": record.day_seq,
        "related_to": record.related_to,
        "related_ordinal": record.related_ordinal,
        "chain_depth": record.chain_depth,
        "department": record.department,
        "retention_class": record.retention_class,
    }
    fields.update(changes)
    return Record(**fields)


@pytest.fixture
def filled(db, role_groups) -> Record:
    factories.form()
    staff = doc_factories.user("staff", role=roles.STAFF, department_name="技术部")
    return factories.record(staff)


@pytest.mark.django_db
def test_a_duplicate_number_is_refused_by_the_database(filled):
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(filled, day_seq=99).save()
    assert Record.objects.filter(number=filled.number).count() == 1


@pytest.mark.django_db
def test_a_duplicate_day_sequence_is_refused_by_the_database(filled):
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(filled, number="D0201-2026112299").save()
    assert Record.objects.count() == 1


@pytest.mark.django_db
def test_a_duplicate_related_ordinal_is_refused_by_the_database(filled):
    related = copy_of(
        filled,
        number="D0201-D0201-2026112201",
        day_seq=None,
        related_to=filled,
        related_ordinal=1,
        chain_depth=1,
    )
    related.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(related, number="D0201-02-D0201-2026112201").save()
    assert Record.objects.count() == 2


@pytest.mark.django_db
def test_a_number_has_one_counter_not_two(filled):
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(
            filled, number="D0201-X", day_seq=7, related_to=filled, related_ordinal=1
        ).save()


@pytest.mark.django_db
@pytest.mark.parametrize("related", [False, True], ids=["unrelated", "related"])
def test_a_number_needs_its_counter(filled, related):
    if related:
        row = copy_of(
            filled,
            number="D0201-D0201-2026112201",
            day_seq=None,
            related_to=filled,
            related_ordinal=None,
            chain_depth=1,
        )
    else:
        row = copy_of(filled, number="D0201-Y", day_seq=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
