"""Records: one entry per record kept (a destroyed record leaves the index)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from records.lifecycle import RecordStatus
from records.models import Correction, Record
from records.permissions import visible_records_filter

from ..models import EntryKind
from .base import EntryData, Source, batched
from .documents import _clauses

PREFIX = "record"


def _values_text(record) -> str:
    """The record's values as they stand: a correction (划改) replaces the
    value it strikes through (``corrections`` prefetched)."""
    from ..analysis import join_text

    values = dict(record.data) if isinstance(record.data, dict) else {}
    corrections = sorted(record.corrections.all(), key=lambda c: (c.corrected_at, c.pk))
    for correction in corrections:
        values[correction.field_name] = correction.new_value
    return join_text([values, record.file_name])


class RecordSource(Source):
    kinds = (EntryKind.RECORD,)
    prefixes = (PREFIX,)

    @property
    def watched(self):
        return (Record, Correction)

    def _entries(self, records) -> list[EntryData]:
        records = list(records)
        clauses = _clauses({r.form_id for r in records})
        out = []
        for record in records:
            if record.status == RecordStatus.DESTROYED:
                continue
            form = record.form
            out.append(
                EntryData(
                    key=f"{PREFIX}:{record.pk}",
                    kind=EntryKind.RECORD,
                    object_pk=record.pk,
                    document_id=record.form_id,
                    number=record.number,
                    title=form.title,
                    status=record.status,
                    current=True,
                    department_id=record.department_id,
                    tier=None,
                    confidential=record.confidential,
                    clauses=clauses.get(record.form_id, ()),
                    date=record.record_date,
                    url=record.get_absolute_url(),
                    heading="\n".join(
                        filter(None, [record.number, form.number or "", form.title])
                    ),
                    text=_values_text(record),
                )
            )
        return out

    def _query(self):
        return (
            Record.objects.select_related("form")
            .only(
                "pk",
                "number",
                "form__title",
                "form__number",
                "form_id",
                "status",
                "department_id",
                "confidential",
                "record_date",
                "data",
                "file_name",
            )
            .prefetch_related("corrections")
        )

    def entries_for(self, instance):
        if isinstance(instance, Correction):
            if instance.record_id is None:
                return None
            return self.entries_for_ids([instance.record_id])
        if not isinstance(instance, Record):
            return None
        return self.entries_for_ids([instance.pk])

    def entries_for_ids(self, ids):
        ids = list(ids)
        scope = Q(key__in=[f"{PREFIX}:{pk}" for pk in ids])
        return scope, self._entries(self._query().filter(pk__in=ids))

    def iter_all(self) -> Iterator[list[EntryData]]:
        ids = (
            Record.objects.exclude(status=RecordStatus.DESTROYED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in batched(ids.iterator(chunk_size=2000), 1000):
            yield self._entries(self._query().filter(pk__in=batch))

    def visible_q(self, user) -> Q:
        return Q(kind=EntryKind.RECORD) & visible_records_filter(
            user,
            pk="object_pk",
            department="department_id",
            confidential="confidential",
        )

    def verify(self, user, entries) -> set[int]:
        wanted = {e.object_pk: e.pk for e in entries}
        found = Record.objects.filter(visible_records_filter(user), pk__in=wanted)
        found = found.exclude(status=RecordStatus.DESTROYED)
        return {wanted[pk] for pk in found.values_list("pk", flat=True)}
