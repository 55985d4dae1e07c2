"""Clauses of the standards and nonconformities."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from compliance.models import Clause, Nonconformity
from compliance.permissions import can_view_compliance, visible_nonconformities

from ..models import EntryKind
from .base import NOTHING, EntryData, Source, batched

CLAUSE = "clause"
NONCONFORMITY = "nc"


class ClauseSource(Source):
    kinds = (EntryKind.CLAUSE,)
    prefixes = (CLAUSE,)

    @property
    def watched(self):
        return (Clause,)

    def _entries(self, clauses) -> list[EntryData]:
        out = []
        for clause in clauses:
            out.append(
                EntryData(
                    key=f"{CLAUSE}:{clause.pk}",
                    kind=EntryKind.CLAUSE,
                    object_pk=clause.pk,
                    number=clause.ref_id,
                    title=clause.title_zh or clause.title_en,
                    status="active" if clause.is_active else "inactive",
                    current=clause.is_active,
                    clauses=[clause.ref_id],
                    url=clause.get_absolute_url(),
                    heading="\n".join(
                        filter(None, [clause.ref_id, clause.title_zh, clause.title_en])
                    ),
                    text="\n".join(
                        filter(None, [clause.standard.code, clause.standard.title_zh])
                    ),
                )
            )
        return out

    def _query(self):
        return Clause.objects.select_related("standard")

    def entries_for(self, instance):
        if not isinstance(instance, Clause):
            return None
        return (
            Q(key=f"{CLAUSE}:{instance.pk}"),
            self._entries(self._query().filter(pk=instance.pk)),
        )

    def iter_all(self) -> Iterator[list[EntryData]]:
        ids = Clause.objects.order_by("pk").values_list("pk", flat=True)
        for batch in batched(ids.iterator(), 500):
            yield self._entries(self._query().filter(pk__in=batch))

    def visible_q(self, user) -> Q:
        if not can_view_compliance(user):
            return NOTHING
        return Q(kind=EntryKind.CLAUSE)

    def verify(self, user, entries) -> set[int]:
        if not can_view_compliance(user):
            return set()
        return {e.pk for e in entries}


class NonconformitySource(Source):
    kinds = (EntryKind.NONCONFORMITY,)
    prefixes = (NONCONFORMITY,)

    @property
    def watched(self):
        return (Nonconformity,)

    def _entries(self, items) -> list[EntryData]:
        out = []
        for nc in items:
            out.append(
                EntryData(
                    key=f"{NONCONFORMITY}:{nc.pk}",
                    kind=EntryKind.NONCONFORMITY,
                    object_pk=nc.pk,
                    number=nc.number,
                    title=nc.title,
                    status=nc.status,
                    current=True,
                    department_id=nc.department_id,
                    clauses=[nc.clause.ref_id] if nc.clause_id else [],
                    date=nc.raised_at.date() if nc.raised_at else None,
                    url=nc.get_absolute_url(),
                    heading="\n".join(filter(None, [nc.number, nc.title])),
                    text="\n".join(
                        filter(None, [nc.source_reference, nc.facts, nc.closing_note])
                    ),
                )
            )
        return out

    def _query(self):
        return Nonconformity.objects.select_related("clause")

    def entries_for(self, instance):
        if not isinstance(instance, Nonconformity):
            return None
        return (
            Q(key=f"{NONCONFORMITY}:{instance.pk}"),
            self._entries(self._query().filter(pk=instance.pk)),
        )

    def iter_all(self) -> Iterator[list[EntryData]]:
        ids = Nonconformity.objects.order_by("pk").values_list("pk", flat=True)
        for batch in batched(ids.iterator(), 500):
            yield self._entries(self._query().filter(pk__in=batch))

    def visible_q(self, user) -> Q:
        # compliance.permissions.visible_nonconformities: all of them for
        # everyone who reads the compliance pages, none for anyone else.
        if not can_view_compliance(user):
            return NOTHING
        return Q(kind=EntryKind.NONCONFORMITY)

    def verify(self, user, entries) -> set[int]:
        wanted = {e.object_pk: e.pk for e in entries}
        found = visible_nonconformities(user).filter(pk__in=wanted)
        return {wanted[pk] for pk in found.values_list("pk", flat=True)}
