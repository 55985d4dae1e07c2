"""Keeping the search index in step with the objects it describes.

Saves and deletes of the watched models (:mod:`search.sources`) re-index the
entries concerned at once, in the same transaction, so what a user finds is
never behind what was committed. Inside :func:`documents.indexing.deferred_indexing`
(the register import, the demo loader) each changed object is re-indexed once,
when the block ends. ``manage.py reindex`` rebuilds everything.

Writing an entry costs one UPDATE when only its metadata changed (status, who
may read it); its terms are written again only when its text changed
(``digest``).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable

from asgiref.local import Local
from django.db import transaction
from django.db.models import Q

from . import analysis, scoring
from .models import SearchEntry, SearchPosting, SearchText
from .sources import EntryData, all_sources

_state = Local()
logger = logging.getLogger(__name__)
POSTING_BATCH = 5000
_MAX_TF = 32767


def _digest(entry: EntryData) -> str:
    h = hashlib.sha256()
    h.update((entry.heading or "").encode())
    h.update(b"\0")
    h.update((entry.text or "").encode())
    return h.hexdigest()


def _counts(entry: EntryData):
    head = analysis.term_counts(entry.heading)
    body = analysis.term_counts(entry.text)
    return head, body


def posting_values(head, body) -> list[tuple[str, int, int, float]]:
    """(term, head_tf, body_tf, impact) of each term of an entry."""
    length = sum(body.values())
    out = []
    for term in head.keys() | body.keys():
        head_tf = min(head.get(term, 0), _MAX_TF)
        body_tf = min(body.get(term, 0), _MAX_TF)
        out.append((term, head_tf, body_tf, scoring.impact(head_tf, body_tf, length)))
    return out


def _posting_rows(entry: SearchEntry, head, body) -> list[SearchPosting]:
    band = scoring.band(entry.kind, entry.number)
    return [
        SearchPosting(
            term=term,
            entry_id=entry.pk,
            head_tf=head_tf,
            body_tf=body_tf,
            impact=weight,
            band=band,
        )
        for term, head_tf, body_tf, weight in posting_values(head, body)
    ]


def _backends():
    from .engines import wagtail_backends

    if getattr(_state, "hold_backends", False):
        return []  # rebuild(push=False): the caller fills the backend's index
    return wagtail_backends()


def write(scope: Q, entries: list[EntryData]) -> None:
    """Make the entries within ``scope`` exactly ``entries``."""
    with transaction.atomic():
        wanted = {e.key: e for e in entries}
        rows = SearchEntry.objects.all()
        if _backends():  # their documents carry the heading and text
            rows = rows.select_related("words")
        existing = {e.key: e for e in rows.filter(scope)}
        missing = [key for key in wanted if key not in existing]
        if missing:  # moved between scopes (e.g. an issue to another page)
            for found in rows.filter(key__in=missing):
                existing[found.key] = found
        gone = [e for key, e in existing.items() if key not in wanted]
        if gone:
            remove_entries(gone)
        postings: list[SearchPosting] = []
        changed: list[SearchEntry] = []
        fresh: list[tuple[SearchEntry, EntryData, object, object]] = []
        for key, data in wanted.items():
            row = data.row()
            digest = _digest(data)
            entry = existing.get(key)
            if entry is None:
                head, body = _counts(data)
                entry = SearchEntry(**row, digest=digest, length=sum(body.values()))
                fresh.append((entry, data, head, body))
                continue
            band = scoring.band(entry.kind, entry.number)
            for name, value in row.items():
                setattr(entry, name, value)
            if entry.digest != digest or scoring.band(entry.kind, entry.number) != band:
                SearchPosting.objects.filter(entry_id=entry.pk).delete()
                head, body = _counts(data)
                postings.extend(_posting_rows(entry, head, body))
                entry.length = sum(body.values())
                entry.digest = digest
                words, _created = SearchText.objects.update_or_create(
                    entry=entry, defaults=data.words()
                )
                entry.words = words
            entry.save()
            changed.append(entry)
        if fresh:
            SearchEntry.objects.bulk_create([f[0] for f in fresh], batch_size=500)
            texts = []
            for entry, data, head, body in fresh:
                postings.extend(_posting_rows(entry, head, body))
                entry.words = SearchText(entry=entry, **data.words())
                texts.append(entry.words)
                changed.append(entry)
            SearchText.objects.bulk_create(texts, batch_size=500)
        for start in range(0, len(postings), POSTING_BATCH):
            SearchPosting.objects.bulk_create(postings[start : start + POSTING_BATCH])
        _push(changed)


def _push(entries: list[SearchEntry]) -> None:
    """Copy entries to the Wagtail backend (Elasticsearch/OpenSearch). The
    database is the source of truth: an unreachable cluster is logged, never
    allowed to fail the save (``manage.py reindex`` catches the index up)."""
    for backend in _backends():
        for entry in entries:
            try:
                backend.add(entry)
            except Exception:  # noqa: BLE001 - any client or transport error
                logger.exception("Search backend: could not index %s", entry.key)


def remove_entries(entries: Iterable[SearchEntry]) -> None:
    entries = list(entries)
    ids = [e.pk for e in entries]
    SearchPosting.objects.filter(entry_id__in=ids).delete()
    SearchEntry.objects.filter(pk__in=ids).delete()
    for backend in _backends():
        for entry in entries:
            try:
                backend.delete(entry)
            except Exception:  # noqa: BLE001 - any client or transport error
                logger.exception("Search backend: could not remove %s", entry.key)


def remove(scope: Q) -> None:
    remove_entries(SearchEntry.objects.filter(scope))


def reindex_instance(instance) -> None:
    """Re-index what ``instance`` (a watched object) contributes."""
    for source in all_sources():
        found = source.entries_for(instance)
        if found is not None:
            scope, entries = found
            write(scope, entries)
            return


def reindex_documents(page_ids: Iterable[int]) -> None:
    from .sources.documents import DocumentSource

    page_ids = list(page_ids)
    if page_ids:
        write(*DocumentSource().entries_for_page_ids(page_ids))


def reindex_records(record_ids: Iterable[int]) -> None:
    from .sources.records import RecordSource

    record_ids = list(record_ids)
    for start in range(0, len(record_ids), 500):
        write(*RecordSource().entries_for_ids(record_ids[start : start + 500]))


# --- Deferring (documents.indexing.deferred_indexing) ------------------------------


def schedule(callback: Callable[[], None], key: tuple) -> None:
    """Run ``callback`` now, or once at the end of the deferring block."""
    from documents.indexing import at_block_end, is_deferring

    if not is_deferring():
        callback()
        return
    pending = getattr(_state, "pending", None)
    if pending is None:
        pending = _state.pending = {}
        at_block_end(_flush)
    pending.setdefault(key, callback)


def _flush() -> None:
    pending = getattr(_state, "pending", None) or {}
    _state.pending = None
    for callback in pending.values():
        callback()


def _discard_pending() -> None:
    _state.pending = None


_flush.discard = _discard_pending  # type: ignore[attr-defined]


# --- Rebuilding --------------------------------------------------------------------


def rebuild(
    progress: Callable[[str, int], None] | None = None,
    kinds: Iterable[str] | None = None,
    *,
    push: bool = True,
) -> int:
    """Re-index every source from scratch; returns the number of entries.

    ``progress(kind, n)`` is called after each batch with the number of entries
    of each kind in it. ``kinds`` limits the rebuild to entries of those kinds
    (:class:`~search.models.EntryKind`); entries of other kinds are left as they
    are. ``push=False`` leaves the Elasticsearch/OpenSearch index alone (the
    caller rebuilds it afterwards, :mod:`search.engines.elastic`)."""
    wanted = set(kinds) if kinds else None
    total = 0
    seen: set[str] = set()
    held = getattr(_state, "hold_backends", False)
    _state.hold_backends = held or not push
    try:
        for source in all_sources():
            if wanted is not None and not wanted & set(source.kinds):
                continue
            for batch in source.iter_all():
                if wanted is not None:
                    batch = [e for e in batch if e.kind in wanted]
                if not batch:
                    continue
                keys = [e.key for e in batch]
                write(Q(key__in=keys), batch)
                seen.update(keys)
                total += len(batch)
                if progress:
                    for kind, n in Counter(str(e.kind) for e in batch).items():
                        progress(kind, n)
        # Entries whose object is gone or no longer indexed.
        entries = SearchEntry.objects.all()
        if wanted is not None:
            entries = entries.filter(kind__in=wanted)
        stale_ids = [
            pk
            for pk, key in entries.values_list("pk", "key").iterator()
            if key not in seen
        ]
        for start in range(0, len(stale_ids), 500):
            remove_entries(
                SearchEntry.objects.filter(pk__in=stale_ids[start : start + 500])
            )
    finally:
        _state.hold_backends = held
    return total


# --- Called by services that change rows with QuerySet.update() ------------------


def documents_changed(page_ids: Iterable[int]) -> None:
    """Re-index documents changed without save() (now, or at the end of a
    deferring block)."""
    for page_id in set(page_ids):
        schedule(
            lambda page_id=page_id: reindex_documents([page_id]), ("page", page_id)
        )


def records_changed(record_ids: Iterable[int]) -> None:
    """Re-index records changed without save() (a destroyed one leaves)."""
    ids = sorted(set(record_ids))
    if ids:
        schedule(lambda: reindex_records(ids), ("records", tuple(ids)))
