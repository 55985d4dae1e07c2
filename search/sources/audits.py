"""Audit findings: checklist items answered nonconforming or as an observation."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q
from django.urls import reverse

from audits.lifecycle import FINDING_RESULTS
from audits.models import ChecklistItem
from audits.permissions import can_view_audits

from ..models import EntryKind
from .base import NOTHING, EntryData, Source, batched

PREFIX = "finding"


def finding_number(item) -> str:
    """``IA-2026-01-07``: the audit's number and the item's position."""
    return f"{item.audit.number}-{item.position:02d}"


class FindingSource(Source):
    kinds = (EntryKind.FINDING,)
    prefixes = (PREFIX,)

    @property
    def watched(self):
        return (ChecklistItem,)

    def _entries(self, items) -> list[EntryData]:
        out = []
        for item in items:
            if item.result not in FINDING_RESULTS:
                continue
            url = reverse("audits:checklist", kwargs={"number": item.audit.number})
            out.append(
                EntryData(
                    key=f"{PREFIX}:{item.pk}",
                    kind=EntryKind.FINDING,
                    object_pk=item.pk,
                    number=finding_number(item),
                    title=" ".join(item.question.split())[:255],
                    status=item.result,
                    current=True,
                    department_id=item.department_id,
                    clauses=[item.clause.ref_id],
                    date=item.answered_at.date() if item.answered_at else None,
                    url=f"{url}#item-{item.pk}",
                    heading="\n".join(
                        [finding_number(item), item.audit.number, item.question]
                    ),
                    text=item.evidence,
                )
            )
        return out

    def _query(self):
        return ChecklistItem.objects.select_related("audit", "clause")

    def entries_for(self, instance):
        if not isinstance(instance, ChecklistItem):
            return None
        return (
            Q(key=f"{PREFIX}:{instance.pk}"),
            self._entries(self._query().filter(pk=instance.pk)),
        )

    def iter_all(self) -> Iterator[list[EntryData]]:
        ids = (
            ChecklistItem.objects.filter(result__in=FINDING_RESULTS)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in batched(ids.iterator(), 500):
            yield self._entries(self._query().filter(pk__in=batch))

    def visible_q(self, user) -> Q:
        if not can_view_audits(user):
            return NOTHING
        return Q(kind=EntryKind.FINDING)

    def verify(self, user, entries) -> set[int]:
        if not can_view_audits(user):
            return set()
        return {e.pk for e in entries}
