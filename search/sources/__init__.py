"""What search finds, kind by kind: each source says what it indexes, who may
see it, and how to check that again on the results it returns.

A source is an object with:

``kinds``
    the entry kinds it produces (:class:`search.models.EntryKind`);
``prefixes``
    the prefixes of its entries' keys (``"record"`` for ``record:12``);
``watched``
    the models whose saves and deletes change its entries;
``entries_for(instance)``
    ``(scope, entries)``: the entries that should exist now for a changed
    object, and the keys (a ``Q`` on SearchEntry) they replace;
``iter_all()``
    every entry, in batches, for ``manage.py reindex``;
``visible_q(user)``
    a ``Q`` on :class:`~search.models.SearchEntry` of its kinds that ``user``
    may see (the rule of the app that owns the objects, on the entry's copy of
    what it needs);
``verify(user, entries)``
    the ids of ``entries`` that ``user`` may still open, asked of the owning app
    itself: a second check on the few results shown.
"""

from __future__ import annotations

from functools import cache

from .base import EntryData, Source


@cache
def all_sources() -> tuple[Source, ...]:
    from .audits import FindingSource
    from .compliance import ClauseSource, NonconformitySource
    from .documents import DocumentSource
    from .records import RecordSource

    return (
        DocumentSource(),
        RecordSource(),
        ClauseSource(),
        NonconformitySource(),
        FindingSource(),
    )


def source_for_kind(kind: str) -> Source:
    for source in all_sources():
        if kind in source.kinds:
            return source
    raise KeyError(kind)


__all__ = ["EntryData", "Source", "all_sources", "source_for_kind"]
