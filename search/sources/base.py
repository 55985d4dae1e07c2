"""The shape every source fills in (see :mod:`search.sources`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

# Longest text kept per entry (characters): the body of a long manual and its
# extracted file text fit; a runaway upload does not fill the index.
MAX_TEXT = 400_000


@dataclass
class EntryData:
    key: str
    kind: str
    object_pk: int
    title: str
    status: str
    number: str = ""
    document_id: int | None = None
    parent_id: int | None = None
    issue_label: str = ""
    current: bool = True
    department_id: int | None = None
    tier: int | None = None
    confidential: bool = False
    readers: Iterable[int] = ()
    clauses: Iterable[str] = ()
    date: date | None = None
    effective_date: date | None = None
    url: str = ""
    heading: str = ""
    text: str = ""
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        """SearchEntry field values (postings, digest and words aside)."""
        readers = sorted(set(self.readers))
        clauses = sorted(set(c for c in self.clauses if c))
        return {
            "key": self.key,
            "kind": self.kind,
            "object_pk": self.object_pk,
            "document_id": self.document_id,
            "parent_id": self.parent_id,
            "number": (self.number or "")[:200],
            "title": (self.title or "")[:255],
            "issue_label": self.issue_label or "",
            "status": self.status,
            "current": self.current,
            "department_id": self.department_id,
            "tier": self.tier,
            "confidential": self.confidential,
            "readers": f" {' '.join(map(str, readers))} " if readers else "",
            "clauses": f" {' '.join(clauses)} "[:1000] if clauses else "",
            "date": self.date,
            "effective_date": self.effective_date,
            "url": (self.url or "")[:300],
        }

    def words(self) -> dict:
        """SearchText field values."""
        return {"heading": self.heading or "", "text": (self.text or "")[:MAX_TEXT]}


class Source:
    kinds: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    watched: tuple = ()

    def entries_for(self, instance) -> tuple[Q, list[EntryData]] | None:
        raise NotImplementedError

    def iter_all(self) -> Iterator[list[EntryData]]:
        raise NotImplementedError

    def visible_q(self, user) -> Q:
        raise NotImplementedError

    def verify(self, user, entries) -> set[int]:
        raise NotImplementedError


NOTHING = Q(pk__in=[])


def key_scope(prefix: str, pks: Iterable[int]) -> Q:
    return Q(key__in=[f"{prefix}:{pk}" for pk in pks])


def batched(items: Iterable, size: int = 200) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
