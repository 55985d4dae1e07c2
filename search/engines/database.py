"""The embedded engine: BM25 over the postings table, in SQL.

A query (:func:`search.analysis.parse_query`) is a list of parts (words or
quoted phrases), each a list of slots (terms, or term prefixes). An entry
matches a part when it holds every slot of it (for a Chinese phrase: all its
character pairs); by default an entry must match every part (``match_all``),
otherwise at least one, ranked by how many it matches.

One SQL statement groups the postings of the query's terms by entry, restricted
through a join to the entries the caller allows (permissions and filters, a
``Q`` on :class:`~search.models.SearchEntry`), scores them with BM25 (a term in
the number, title or other names counts :data:`HEAD_WEIGHT` times one in the
text), lifts a document just above a form under it that the query names
only in part of its title (:data:`FAMILY_COVERAGE`), and returns one page of
entries with the total count (a window
function), so ranking never needs the matched rows in Python. The same
statement runs on SQLite and PostgreSQL, with the same results.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from ..analysis import ParsedQuery, Slot
from ..models import SearchEntry, SearchPosting

K1 = 1.2
B = 0.75
HEAD_WEIGHT = 6.0
# Multipliers of the score by kind and status: a document before a record of
# the same relevance, a current issue before a superseded one.
KIND_PRIOR = {
    "document": 1.0,
    "form": 1.0,
    "clause": 0.9,
    "nonconformity": 0.8,
    "finding": 0.8,
    "record": 0.7,
}
STATUS_PRIOR = {"pending": 0.95, "draft": 0.9, "superseded": 0.5, "obsolete": 0.5}
PREFIX_IDF = 1.0
# A form whose title holds every term of the query and is more than
# 1 / FAMILY_COVERAGE times as long as it lifts its parent document to
# FAMILY_LIFT times its own score.
FAMILY_COVERAGE = 0.5
FAMILY_LIFT = 1.01
# A form whose title holds the query and is at most that long: this much more.
WHOLE_TITLE = 1.05
# Figures of the whole index, re-read at most this often (seconds).
STATS_TTL = 300.0
_MAX_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    parts: int  # how many parts of the query it matches


@dataclass
class _Stats:
    at: float = -1e9
    entries: int = 0
    avg_length: float = 1.0


_stats = _Stats()


def index_stats() -> _Stats:
    now = time.monotonic()
    if now - _stats.at > STATS_TTL:
        from django.db.models import Avg

        found = SearchEntry.objects.aggregate(n=Count("pk"), avg=Avg("length"))
        _stats.entries = found["n"] or 0
        _stats.avg_length = float(found["avg"] or 1.0) or 1.0
        _stats.at = now
    return _stats


def forget_stats() -> None:
    """Read the index figures again at the next search (tests, reindex)."""
    _stats.at = -1e9
    _df_cache.clear()


def slot_q(slot: Slot) -> Q:
    if slot.prefix:
        return Q(term__gte=slot.term, term__lt=slot.term + _MAX_CHAR)
    return Q(term=slot.term)


def prefixed(q: Q, prefix: str = "entry__") -> Q:
    """``q`` (on SearchEntry) rewritten for a query on SearchPosting."""
    out = Q()
    out.connector = q.connector
    out.negated = q.negated
    children = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(prefixed(child, prefix))
        else:
            name, value = child
            children.append((prefix + name, value))
    out.children = children
    return out


# Document frequencies of terms, re-read at most every STATS_TTL seconds:
# {term: (read at, count)}. Bounded; the index changes slowly next to searches.
_df_cache: dict[str, tuple[float, int]] = {}
DF_CACHE_SIZE = 20000


def _document_frequencies(terms: list[str]) -> dict[str, int]:
    now = time.monotonic()
    found: dict[str, int] = {}
    wanted = []
    for term in terms:
        cached = _df_cache.get(term)
        if cached is not None and now - cached[0] <= STATS_TTL:
            found[term] = cached[1]
        else:
            wanted.append(term)
    if wanted:
        counted = dict(
            SearchPosting.objects.filter(term__in=wanted)
            .values("term")
            .annotate(n=Count("entry_id"))
            .values_list("term", "n")
        )
        if len(_df_cache) > DF_CACHE_SIZE:
            _df_cache.clear()
        for term in wanted:
            found[term] = counted.get(term, 0)
            _df_cache[term] = (now, found[term])
    return found


def _idf(slots: list[Slot]) -> dict[Slot, float]:
    stats = index_stats()
    n = max(stats.entries, 1)
    exact = [s.term for s in slots if not s.prefix]
    df = _document_frequencies(exact) if exact else {}
    out = {}
    for slot in slots:
        if slot.prefix:
            out[slot] = PREFIX_IDF
        else:
            d = df.get(slot.term, 0)
            out[slot] = math.log(1.0 + (n - d + 0.5) / (d + 0.5))
    return out


def _needed(n_parts: int, match_all: bool, min_parts: int | None) -> int:
    if min_parts is not None:
        return max(1, min(min_parts, n_parts))
    return n_parts if match_all else 1


class DatabaseEngine:
    name = "database"

    def _grouped(
        self,
        query: ParsedQuery,
        where: Q,
        match_all: bool = True,
        min_parts: int | None = None,
    ):
        """Matching entries (``entry_id``, ``score``, ``parts``, ``in_title``)."""
        slots = query.slots
        if not slots:
            return None
        idf = _idf(slots)
        slot_index = {slot: i for i, slot in enumerate(slots)}
        stats = index_stats()
        head = Cast("head_tf", FloatField())
        body = Cast("body_tf", FloatField())
        length = Cast("entry__length", FloatField())
        norm = Value(K1 * (1 - B)) + Value(K1 * B / stats.avg_length) * length
        weight = Case(
            *[When(slot_q(s), then=Value(idf[s])) for s in slots],
            default=Value(0.0),
            output_field=FloatField(),
        )
        score = weight * (
            Value(HEAD_WEIGHT * (K1 + 1)) * head / (head + Value(K1))
            + Value(K1 + 1) * body / (body + norm)
        )
        match = Q()
        for s in slots:
            match |= slot_q(s)
        postings = SearchPosting.objects.filter(match).filter(prefixed(where))
        n_parts = sum(
            1 for part in query.parts if any(s in slot_index for s in part.slots)
        )
        needed = _needed(n_parts, match_all, min_parts)
        exact = [s for s in slots if not s.prefix]
        if needed >= n_parts and len(exact) > 1:
            # Every term is needed: only entries holding the rarest one are
            # read (服务级别: those with 级别, not every entry with 服务).
            df = _document_frequencies([s.term for s in exact])
            rarest = min(exact, key=lambda s: (df.get(s.term, 0), s.term))
            postings = postings.filter(
                entry_id__in=SearchPosting.objects.filter(term=rarest.term).values(
                    "entry_id"
                )
            )
        score_sum = Sum(score, output_field=FloatField())
        if needed >= n_parts and len(exact) == len(slots):
            # Every term exact and needed: a posting per term and entry, so an
            # entry matches when it has one for each (no per-part counting).
            return (
                postings.values("entry_id")
                .annotate(
                    score=score_sum,
                    hits=Count("term"),
                    titled=Sum(
                        Case(
                            When(head_tf__gt=0, then=Value(1)),
                            default=Value(0),
                            output_field=IntegerField(),
                        )
                    ),
                )
                .filter(hits=len(slots))
                .annotate(
                    parts=Value(n_parts, output_field=IntegerField()),
                    in_title=Case(
                        When(titled=len(slots), then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    ),
                )
            )
        annotations = {"score": score_sum}
        parts = []
        for i, part in enumerate(query.parts):
            part_slots = [s for s in part.slots if s in slot_index]
            if not part_slots:
                continue
            annotations[f"p{i}"] = Count(
                Case(
                    *[When(slot_q(s), then=Value(slot_index[s])) for s in part_slots],
                    output_field=IntegerField(),
                ),
                distinct=True,
            )
            parts.append((f"p{i}", len(part_slots)))
        grouped = postings.values("entry_id").annotate(**annotations)
        matched = Value(0)
        for name, part_needed in parts:
            matched = matched + Case(
                When(**{name: part_needed}, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        # Whether the number/title/other names hold every term of the query.
        titled = Count(
            Case(
                *[
                    When(Q(head_tf__gt=0) & slot_q(s), then=Value(slot_index[s]))
                    for s in slots
                ],
                output_field=IntegerField(),
            ),
            distinct=True,
        )
        grouped = grouped.annotate(titled=titled).annotate(
            parts=matched,
            in_title=Case(
                When(titled=len(slots), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        return grouped.filter(parts__gte=needed)

    def _page_sql(self, grouped, *, exact_numbers, limit, offset, query_length=0):
        inner, params = grouped.values(
            "entry_id", "score", "parts", "in_title"
        ).query.sql_with_params()
        qn = connection.ops.quote_name
        table = qn(SearchEntry._meta.db_table)
        kind_case = " ".join("WHEN %s THEN %s" for _ in KIND_PRIOR)
        status_case = " ".join("WHEN %s THEN %s" for _ in STATUS_PRIOR)
        case_params: list = []
        for k, v in KIND_PRIOR.items():
            case_params += [k, v]
        status_params: list = []
        for k, v in STATUS_PRIOR.items():
            status_params += [k, v]
        numbers = list(exact_numbers)[:10] or [""]
        placeholders = ", ".join(["%s"] * len(numbers))
        # Then documents and forms whose number starts with the one typed
        # (D05 → D0501, D0503 before the records of those forms).
        starts = " OR ".join(["substr(r.number, 1, %s) = %s"] * len(numbers))
        start_params: list = []
        for number in numbers:
            start_params += [len(number), number]
        # A form whose title holds the query but is much longer (发放 in
        # 文件发放、回收记录) lifts the document it sits under, when that matches
        # too, just above itself: staff look for the procedure first. A form
        # named (almost) whole (受控文件清单) comes before both.
        longer_than = query_length / FAMILY_COVERAGE
        sql = (
            f"WITH t AS ({inner}),"
            f" r AS (SELECT t.entry_id, t.parts, e.kind, e.number,"
            f" e.document_id, e.parent_id,"
            f" CASE e.status {status_case} ELSE 1.0 END AS sp,"
            f" t.score * (CASE e.kind {kind_case} ELSE 1.0 END)"
            f" * (CASE WHEN e.kind = 'form' AND t.in_title = 1"
            f" AND LENGTH(e.title) <= %s THEN %s ELSE 1.0 END) AS base,"
            f" CASE WHEN e.kind = 'form' AND t.in_title = 1"
            f" AND LENGTH(e.title) > %s AND e.parent_id IS NOT NULL"
            f" THEN 1 ELSE 0 END AS lifts"
            f" FROM t INNER JOIN {table} e ON e.id = t.entry_id),"
            f" lift AS (SELECT r.parent_id AS pid, MAX(r.base) AS top FROM r"
            f" WHERE r.lifts = 1 GROUP BY r.parent_id)"
            f" SELECT r.entry_id,"
            f" CASE WHEN lift.top * %s > r.base THEN lift.top * %s * r.sp"
            f" ELSE r.base * r.sp END AS rank,"
            f" r.parts, COUNT(*) OVER () AS total"
            f" FROM r LEFT JOIN lift ON r.kind = 'document'"
            f" AND lift.pid = r.document_id"
            f" ORDER BY CASE WHEN r.number IN ({placeholders}) THEN 0"
            f" WHEN r.kind <> 'record' AND r.number <> '' AND ({starts}) THEN 1"
            f" ELSE 2 END,"
            f" r.parts DESC, rank DESC, r.entry_id"
            f" LIMIT %s OFFSET %s"
        )
        all_params = (
            tuple(params)
            + tuple(status_params)
            + tuple(case_params)
            + (longer_than, WHOLE_TITLE, longer_than)
            + (FAMILY_LIFT, FAMILY_LIFT)
            + tuple(numbers)
            + tuple(start_params)
            + (limit, offset)
        )
        return sql, all_params

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
        """Entries matching every part (``match_all``), at least one, or at
        least ``min_parts`` of them; those matching more parts first."""
        grouped = self._grouped(query, where, match_all, min_parts)
        if grouped is None:
            return [], 0
        try:
            sql, params = self._page_sql(
                grouped,
                exact_numbers=exact_numbers,
                limit=max(limit, 1),
                offset=offset,
                query_length=len("".join(query.text.split())),
            )
        except EmptyResultSet:  # ``where`` allows nothing (a user who sees nothing)
            return [], 0
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        hits = [Hit(int(r[0]), float(r[1] or 0.0), int(r[2])) for r in rows[:limit]]
        total = int(rows[0][3]) if rows else 0
        if not rows and offset:
            # Past the last page: count the matches on their own.
            total = grouped.count()
        return hits, total

    def facets(
        self,
        *,
        query: ParsedQuery,
        where: Q,
        field: str,
        match_all: bool = True,
        min_parts: int | None = None,
    ) -> dict:
        """How many matching entries have each value of ``field``."""
        grouped = self._grouped(query, where, match_all, min_parts)
        if grouped is None:
            return {}
        try:
            inner, params = grouped.values("entry_id").query.sql_with_params()
        except EmptyResultSet:
            return {}
        qn = connection.ops.quote_name
        table = qn(SearchEntry._meta.db_table)
        column = qn(SearchEntry._meta.get_field(field).column)
        sql = (
            f"SELECT e.{column}, COUNT(*) FROM ({inner}) t"
            f" INNER JOIN {table} e ON e.id = t.entry_id GROUP BY e.{column}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {value: count for value, count in cursor.fetchall()}


__all__ = ["DatabaseEngine", "Hit"]
