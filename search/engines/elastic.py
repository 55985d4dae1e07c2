"""The Elasticsearch / OpenSearch engine: Wagtail's search backend ranks, the
database decides what may be shown.

Selected with ``SHOUKONG_SEARCH_BACKEND=elasticsearch`` (or ``opensearch``; see
``config/settings/base.py``). Every :class:`~search.models.SearchEntry` is copied
into the backend's index by :func:`search.index.write` (and ``manage.py
reindex``); the postings of the embedded engine are kept as well, so the
embedded engine can answer whenever this one cannot.

How a search runs:

1. The parsed query (:func:`search.analysis.parse_query`) becomes Wagtail query
   objects: a part of one term is ``PlainText``, a longer part (a Chinese word
   of several character pairs, a code like ``itsms-p05``, a quoted phrase) a
   ``Phrase``; the parts are joined with ``And`` (``match_all``) or ``Or``.
   The query runs over Wagtail's catch-all text fields (``_all_text`` and one
   per boost: number ×10, title ×6, heading ×4), so the words of a query may
   sit in different fields of an entry; the index's default analyzer and the
   fields' own one is the CJK bigram analyzer (``shoukong_cjk``).
2. The caller's ``where`` (permissions and filters, a ``Q`` on SearchEntry) may
   hold lookups the index cannot answer (``readers__contains``,
   ``clauses__contains``, subqueries). Its part on indexed filter fields (kind,
   current, status, tier, department, document, object, restricted, date,
   number) is applied by the backend, loosened where needed: the backend never
   drops an entry ``where`` would keep, it may keep more.
3. The backend returns at most :attr:`WagtailBackendEngine.max_hits` entry ids,
   ranked. The full ``where`` is then applied in SQL to those ids, keeping the
   backend's order; entries whose number is one of ``exact_numbers`` come
   first. ``total`` is the number of permitted entries among those fetched:
   **it is capped** at ``max_hits`` (a search is not an export; then an
   :class:`~search.engines.AtLeast`), and an entry
   ``where`` rejects is never returned or counted.

A query of a lone Chinese character (its pairs are what the index holds), and
any search while the backend cannot be reached, is answered by the embedded
engine (:mod:`search.engines.database`) with the same ``where``.
"""

from __future__ import annotations

import enum
import logging
from datetime import date, datetime

from django.db.models import Count, Model, Q
from wagtail.search.query import And, Or, Phrase, PlainText

from ..analysis import ParsedQuery, QueryPart, is_han
from ..models import SearchEntry
from . import AtLeast, tallied
from .database import DatabaseEngine, Hit

logger = logging.getLogger(__name__)

# Fields of SearchEntry the index holds as FilterFields, and the lookups on
# them the backend applies.
FILTER_FIELDS = {
    "kind": "kind",
    "current": "current",
    "status": "status",
    "tier": "tier",
    "department": "department_id",
    "department_id": "department_id",
    "document_id": "document_id",
    "object_pk": "object_pk",
    "confidential": "confidential",
    "date": "date",
    "number": "number",
}
LOOKUPS = {"exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"}
_SCALARS = (str, int, float, bool, date, datetime)


class _Always:
    """No restriction (a ``Q`` that keeps everything)."""


class _Never:
    """Keeps nothing (e.g. ``pk__in=[]``, a source that shows nothing)."""


ALWAYS = _Always()
NEVER = _Never()


def _clean(value):
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Model):
        value = value.pk
    return value


def _leaf(name: str, value):
    """The backend's form of one lookup: a ``Q``, NEVER, or None (it cannot)."""
    field, _sep, lookup = name.partition("__")
    lookup = lookup or "exact"
    if field in ("pk", "id") and lookup == "in":
        try:
            if len(value) == 0:
                return NEVER
        except TypeError:
            pass
        return None
    attname = FILTER_FIELDS.get(field)
    if attname is None or lookup not in LOOKUPS:
        return None
    if lookup == "in":
        if not isinstance(value, (list, tuple, set, frozenset)):
            return None  # a subquery, an expression
        values = [_clean(v) for v in value]
        if not all(isinstance(v, _SCALARS) for v in values):
            return None
        if not values:
            return NEVER
        return Q(**{f"{attname}__in": values})
    if lookup == "range":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            return None
        values = [_clean(v) for v in value]
        if not all(isinstance(v, _SCALARS) for v in values):
            return None
        return Q(**{f"{attname}__range": tuple(values)})
    if lookup == "isnull":
        return Q(**{f"{attname}__isnull": bool(value)})
    value = _clean(value)
    if not isinstance(value, _SCALARS):
        return None  # None (IS NULL), F(), Subquery, ...
    if lookup == "exact":
        return Q(**{attname: value})
    return Q(**{f"{attname}__{lookup}": value})


def _combine(items: list, connector: str):
    """AND / OR of translated children (Q, ALWAYS or NEVER)."""
    if connector == Q.AND:
        if any(item is NEVER for item in items):
            return NEVER
        items = [item for item in items if item is not ALWAYS]
        if not items:
            return ALWAYS
    else:
        if any(item is ALWAYS for item in items):
            return ALWAYS
        items = [item for item in items if item is not NEVER]
        if not items:
            return NEVER
    if len(items) == 1:
        return items[0]
    return Q(*items, _connector=connector)


def _negate(item):
    if item is ALWAYS:
        return NEVER
    if item is NEVER:
        return ALWAYS
    return ~item


def exact_filter(node):
    """``node`` (a ``Q`` or a lookup) as the backend can apply it exactly:
    a ``Q`` on filter fields, ALWAYS, NEVER; None if it cannot."""
    if not isinstance(node, Q):
        if isinstance(node, tuple) and len(node) == 2:
            return _leaf(*node)
        return None  # an expression (Exists(...), ...)
    items = []
    for child in node.children:
        item = exact_filter(child)
        if item is None:
            return None
        items.append(item)
    out = _combine(items, node.connector)
    return _negate(out) if node.negated else out


def backend_filter(node):
    """The widest condition the backend can apply that keeps every entry
    ``node`` keeps: a ``Q`` on filter fields, ALWAYS (no restriction), or NEVER.

    A lookup it cannot apply keeps everything; so does an OR with such a
    branch; a negation is applied only when its inside is applied exactly."""
    if not isinstance(node, Q):
        item = exact_filter(node)
        return ALWAYS if item is None else item
    if node.negated:
        plain = Q(*node.children, _connector=node.connector)
        item = exact_filter(plain)
        return ALWAYS if item is None else _negate(item)
    return _combine([backend_filter(child) for child in node.children], node.connector)


def part_query(part: QueryPart):
    """One part of the query: ``PlainText`` for one term, else ``Phrase``."""
    if len(part.slots) <= 1:
        return PlainText(part.text, operator="and")
    return Phrase(part.text)


def search_query(query: ParsedQuery, match_all: bool = True):
    """The Wagtail query object for ``query`` (None when it has no terms)."""
    parts = [part_query(part) for part in query.parts if part.slots]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return And(parts) if match_all else Or(parts)


def _needs_database(query: ParsedQuery) -> bool:
    """A lone Chinese character matches the pairs starting with it in the
    embedded engine; the index holds pairs only, so it would find nothing."""
    return any(slot.prefix and is_han(slot.term[:1]) for slot in query.slots)


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    try:
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        errors += [TransportError, ApiError]
    except ImportError:  # pragma: no cover - elasticsearch is a dependency
        pass
    try:
        from elasticsearch.exceptions import ElasticsearchException  # ES 7

        errors.append(ElasticsearchException)
    except ImportError:
        pass
    try:
        from opensearchpy.exceptions import OpenSearchException

        errors.append(OpenSearchException)
    except ImportError:
        pass
    return tuple(errors)


def get_backend():
    """The Wagtail backend SearchEntry lives in; a clear error when its client
    library is missing."""
    from django.core.exceptions import ImproperlyConfigured
    from wagtail.search.backends import InvalidSearchBackendError

    from . import engine_name, wagtail_backends

    try:
        backends = wagtail_backends()
    except (InvalidSearchBackendError, ImportError) as error:
        if engine_name() == "opensearch":
            raise ImproperlyConfigured(
                "SHOUKONG_SEARCH_BACKEND=opensearch needs the OpenSearch client: "
                f"pip install opensearch-py ({error})"
            ) from error
        raise ImproperlyConfigured(
            f"The search backend cannot be loaded: {error}. Check "
            "SHOUKONG_SEARCH_BACKEND and install its client (pip install "
            "elasticsearch, or opensearch-py)."
        ) from error
    if not backends:
        raise ImproperlyConfigured(
            "SHOUKONG_SEARCH_BACKEND is not elasticsearch or opensearch: there is "
            "no search backend index to use."
        )
    return backends[0]


class WagtailBackendEngine:
    name = "wagtail"
    #: Most entries fetched from the backend per search: the results and the
    #: total never reach past them.
    max_hits = 500

    def __init__(self, backend=None):
        self._backend = backend
        self._last: tuple | None = None

    @property
    def backend(self):
        if self._backend is None:
            self._backend = get_backend()
        return self._backend

    # --- Building -------------------------------------------------------------

    def build(self, query: ParsedQuery, where: Q, match_all: bool = True):
        """``(query object, queryset)`` for the backend, or None when nothing
        can match (no terms, or ``where`` keeps nothing)."""
        query_obj = search_query(query, match_all)
        if query_obj is None:
            return None
        condition = backend_filter(where)
        if condition is NEVER:
            return None
        queryset = SearchEntry.objects.only("pk")
        if condition is not ALWAYS:
            queryset = queryset.filter(condition)
        return query_obj, queryset

    def compiled(self, query: ParsedQuery, where: Q, match_all: bool = True):
        """The request body the backend would send (``{"query": ...}``), or
        None: what a search asks the server, without asking it."""
        built = self.build(query, where, match_all)
        if built is None:
            return None
        query_obj, queryset = built
        compiler = self.backend.query_compiler_class(queryset, query_obj)
        return {"query": compiler.get_query()}

    # --- Searching ------------------------------------------------------------

    def _ranked(self, query_obj, queryset) -> list[tuple[int, float]]:
        """``(entry id, score)`` from the backend, best first."""
        results = self.backend.search(query_obj, queryset)
        annotate = getattr(results, "annotate_score", None)
        if annotate is not None:
            results = annotate("_score")
        return [
            (int(entry.pk), float(getattr(entry, "_score", 0.0) or 0.0))
            for entry in results[: self.max_hits]
        ]

    def _permitted(
        self, query: ParsedQuery, where: Q, exact_numbers, match_all: bool
    ) -> list[tuple[int, float]] | None:
        """The permitted matches, ranked; None: the embedded engine answers.

        The last answer is kept, so the facets of a search cost no second
        request (``exact_numbers=None``: whichever the search had)."""
        key = (query, where, match_all)
        if self._last is not None and self._last[0] == key:
            numbers, found = self._last[1:]
            if exact_numbers is None or tuple(exact_numbers) == numbers:
                return found
        numbers = tuple(exact_numbers or ())
        found = None
        if not _needs_database(query):
            found = self._fetch(query, where, numbers, match_all)
        self._last = (key, numbers, found)
        return found

    def _fetch(self, query, where, numbers, match_all):
        built = self.build(query, where, match_all)
        if built is None:
            return []
        try:
            ranked = self._ranked(*built)
        except _transport_errors() as error:
            logger.warning(
                "The search backend failed (%s); the embedded engine answers.", error
            )
            return None
        return self._filtered(ranked, where, numbers)

    def _filtered(self, ranked, where: Q, exact_numbers) -> list[tuple[int, float]]:
        """``ranked`` less what ``where`` rejects (in SQL), exact numbers first."""
        ids = [pk for pk, _score in ranked]
        allowed = (
            set(
                SearchEntry.objects.filter(where)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            if ids
            else set()
        )
        numbers = [n for n in exact_numbers if n][:10]
        exact: set[int] = set()
        if numbers:
            exact = set(
                SearchEntry.objects.filter(where)
                .filter(number__in=numbers)
                .values_list("pk", flat=True)[: self.max_hits]
            )
        scores = dict(ranked)
        first = [pk for pk in ids if pk in exact]
        first += sorted(exact - set(first))
        rest = [pk for pk in ids if pk in allowed and pk not in exact]
        return [(pk, scores.get(pk, 0.0)) for pk in first + rest]

    def search(
        self,
        *,
        query: ParsedQuery,
        where: Q,
        exact_numbers=(),
        offset: int = 0,
        limit: int = 20,
        match_all: bool = True,
        min_parts: int | None = None,
    ) -> tuple[list[Hit], int]:
        """``min_parts`` (see the database engine) is answered by the
        backend as any part (``Or``), best first."""
        found = self._permitted(query, where, exact_numbers, match_all)
        if found is None:
            return DatabaseEngine().search(
                query=query,
                where=where,
                exact_numbers=exact_numbers,
                offset=offset,
                limit=limit,
                match_all=match_all,
                min_parts=min_parts,
            )
        parts = len(query.parts) if match_all else 0
        page = found[offset : offset + max(limit, 0)]
        total = len(found)
        if total >= self.max_hits:
            total = AtLeast(total)
        return [Hit(pk, score, parts) for pk, score in page], total

    def facets(
        self,
        *,
        query: ParsedQuery,
        where: Q,
        fields: tuple[str, ...],
        match_all: bool = True,
        min_parts: int | None = None,
    ) -> dict[str, dict]:
        """For each of ``fields``, how many permitted matches (of those
        fetched) have each value."""
        found = self._permitted(query, where, None, match_all)
        if found is None:
            return DatabaseEngine().facets(
                query=query,
                where=where,
                fields=fields,
                match_all=match_all,
                min_parts=min_parts,
            )
        if not found or not fields:
            return {name: {} for name in fields}
        attnames = [SearchEntry._meta.get_field(name).attname for name in fields]
        rows = (
            SearchEntry.objects.filter(pk__in=[pk for pk, _score in found])
            .values_list(*attnames)
            .annotate(n=Count("pk"))
            .order_by()
        )
        return tallied(fields, rows)


# --- Rebuilding the backend's index (manage.py reindex) ---------------------------


def rebuild_backend_index(progress=None, chunk_size: int = 500) -> tuple[str, int]:
    """Create the backend's index of SearchEntry anew and fill it from the
    table: into a new index switched in when complete (an alias) when the backend
    rebuilds atomically, else into the emptied index. ``progress(n)`` after
    each chunk. Returns the index name and the number of entries."""
    backend = get_backend()
    index = backend.get_index_for_model(SearchEntry)
    rebuilder_class = getattr(backend, "rebuilder_class", None)
    if rebuilder_class is None:
        return str(index), 0
    rebuilder = rebuilder_class(index)
    target = rebuilder.start()
    count = 0
    try:
        target.add_model(SearchEntry)
        last = 0
        while True:
            chunk = list(
                SearchEntry.objects.filter(pk__gt=last).order_by("pk")[:chunk_size]
            )
            if not chunk:
                break
            target.add_items(SearchEntry, chunk)
            count += len(chunk)
            last = chunk[-1].pk
            if progress:
                progress(len(chunk))
        rebuilder.finish()
    except BaseException:
        if target is not index:  # a new index: leave the live one alone
            try:
                target.delete()
            except Exception:  # noqa: BLE001 - the first error matters
                logger.exception("Could not delete the unfinished index %s", target)
        raise
    return str(index), count


def push_entries(queryset, removed_ids=(), chunk_size: int = 500) -> int:
    """Copy the entries of ``queryset`` into the backend's live index and delete
    the entries ``removed_ids`` from it (``manage.py reindex --kind``). Returns
    the number of entries copied."""
    backend = get_backend()
    count = 0
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:chunk_size])
        if not chunk:
            break
        backend.add_bulk(SearchEntry, chunk)
        count += len(chunk)
        last = chunk[-1].pk
    for pk in removed_ids:
        backend.delete(SearchEntry(pk=pk))
    return count


__all__ = [
    "ALWAYS",
    "NEVER",
    "WagtailBackendEngine",
    "backend_filter",
    "exact_filter",
    "get_backend",
    "push_entries",
    "rebuild_backend_index",
    "search_query",
]
