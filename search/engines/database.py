"""The embedded engine: BM25 over the postings table, in SQL.

A query (:func:`search.analysis.parse_query`) is a list of parts (words or
quoted phrases), each a list of slots (terms, or term prefixes). An entry
matches a part when it holds every slot of it (for a Chinese phrase: all its
character pairs); by default an entry must match every part (``match_all``),
otherwise at least one, ranked by how many it matches.

One SQL statement groups the postings of the query's terms by entry, restricted
through a join to the entries the caller allows (permissions and filters, a
``Q`` on :class:`~search.models.SearchEntry`), scores them with BM25 (each
posting's impact, :mod:`search.scoring`: a term in the number, title or other
names counts :data:`HEAD_WEIGHT` times one in the text), lifts a document just
above a form under it that the query names only in part of its title
(:data:`FAMILY_COVERAGE`), and returns one page of entries with the total count
(a window function), so ranking never needs the matched rows in Python. The
same statement runs on SQLite and PostgreSQL, with the same results.

A common word is held by tens of thousands of entries (记录 by every record of
a form named …记录). When every term is needed and common, :meth:`_top_k`
reads the matches of each group of the order (documents and the like, then
records) best score first, straight from an index of the postings' impacts,
ranks only the best of them in full, and proves that no other entry could
enter the page; the total is then counted up to :data:`COUNT_CAP`. Otherwise,
or when the proof fails, every match is ranked.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from .. import scoring
from ..analysis import ParsedQuery, Slot
from ..models import SearchEntry, SearchPosting
from ..scoring import HEAD_WEIGHT
from . import AtLeast, tallied

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
# Top-k: when each needed term of a query is held by more than this many
# entries, the matches of each group of the order (documents and the like,
# then records) are read best first, up to BAND_READ + offset + limit of them,
# and only the best are ranked in full, if that provably gives the same page
# (see _top_k).
TOP_K_MIN_DF = 1000
BAND_READ = 2000
CANDIDATES = 40  # ranked in full beyond offset + limit, at first
# The total of a top-k page is counted up to this many (search.engines.AtLeast):
# paging stops at 1,000 results anyway (search.service.MAX_OFFSET).
COUNT_CAP = 1_000
# The most an entry's rank exceeds its score (before the kind and status
# multipliers, which are at most 1): a form named whole, a document lifted by
# its form. Only an entry holding every term in its heading is either.
MOST = WHOLE_TITLE * FAMILY_LIFT
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


_stats = _Stats()


def index_stats() -> _Stats:
    now = time.monotonic()
    if now - _stats.at > STATS_TTL:
        _stats.entries = SearchEntry.objects.count()
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


def _id_list(ids: set[int]) -> RawSQL:
    """``ids`` as one parameter (a JSON array on SQLite, an array on
    PostgreSQL): thousands of candidates, without a placeholder each."""
    ids = sorted(int(i) for i in ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def _holds(slot: Slot) -> Exists:
    """The posting's entry holds the (exact) term of ``slot`` too."""
    return Exists(
        SearchPosting.objects.filter(term=slot.term, entry_id=OuterRef("entry_id"))
    )


def _band_best(slots: list[Slot], idf, band: int, limit: int, where: Q | None = None):
    """The entries of ``band`` holding every (exact) term of ``slots``, best
    score first (then by id), at most ``limit`` of them: [(entry_id, score)].

    One pass over the terms' postings in the band, read from the impact index
    alone (no entry row): whom the caller allows is checked on these few
    after. With ``where``, only the entries it allows are read (through their
    rows: when it allows few of the best)."""
    postings = SearchPosting.objects.filter(band=band)
    if where is not None:
        postings = postings.filter(prefixed(where))
    if len(slots) == 1:  # the index's own order
        (slot,) = slots
        best = postings.filter(term=slot.term).order_by("-impact", "entry_id")
        return [
            (entry_id, idf[slot] * impact)
            for entry_id, impact in best.values_list("entry_id", "impact")[:limit]
        ]
    weight = Case(
        *[When(term=s.term, then=Value(idf[s])) for s in slots],
        default=Value(0.0),
        output_field=FloatField(),
    )
    return list(
        postings.filter(term__in=[s.term for s in slots])
        .values("entry_id")
        .annotate(
            score=Sum(weight * F("impact"), output_field=FloatField()),
            hits=Count("term"),
        )
        .filter(hits=len(slots))
        .order_by("-score", "entry_id")
        .values_list("entry_id", "score")[:limit]
    )


def _rarest(slots: list[Slot]) -> Slot:
    """The exact slot whose term the fewest entries hold."""
    df = _document_frequencies([s.term for s in slots])
    return min(slots, key=lambda s: (df.get(s.term, 0), s.term))


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
        only: set[int] | None = None,
    ):
        """Matching entries (``entry_id``, ``score``, ``parts``, ``in_title``),
        among the entries ``only`` when given."""
        slots = query.slots
        if not slots:
            return None
        idf = _idf(slots)
        slot_index = {slot: i for i, slot in enumerate(slots)}
        # BM25: each term's idf times its weight in the entry (search.scoring).
        weight = Case(
            *[When(slot_q(s), then=Value(idf[s])) for s in slots],
            default=Value(0.0),
            output_field=FloatField(),
        )
        score = weight * F("impact")
        # One IN for the exact terms: an index condition on (term, entry) for
        # PostgreSQL, where ORed equalities are not.
        exact = [s for s in slots if not s.prefix]
        match = Q(term__in=[s.term for s in exact]) if exact else Q()
        for s in slots:
            if s.prefix:
                match |= slot_q(s)
        postings = SearchPosting.objects.filter(match).filter(prefixed(where))
        n_parts = sum(
            1 for part in query.parts if any(s in slot_index for s in part.slots)
        )
        needed = _needed(n_parts, match_all, min_parts)
        if only is not None:
            postings = postings.filter(entry_id__in=_id_list(only))
        elif needed >= n_parts and len(exact) > 1:
            # Every term is needed: only entries holding the rarest one are
            # read (服务级别: those with 级别, not every entry with 服务).
            rarest = _rarest(exact)
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
        # The order: an entry whose number is the one typed; documents, forms
        # and the like whose number starts with it (D05 → D0501, D0503 before
        # the records of those forms), or when no number was typed, all of
        # them (a record comes after them); then the rest (_top_k mirrors it).
        numbers = list(exact_numbers)[:10]
        number_params: list = []
        if numbers:
            placeholders = ", ".join(["%s"] * len(numbers))
            starts = " OR ".join(["substr(r.number, 1, %s) = %s"] * len(numbers))
            number_params += numbers
            for number in numbers:
                number_params += [len(number), number]
            category = (
                f"CASE WHEN r.number IN ({placeholders}) THEN 0"
                f" WHEN r.kind <> 'record' AND r.number <> '' AND ({starts}) THEN 1"
                f" ELSE 2 END"
            )
        else:
            category = (
                "CASE WHEN r.kind <> 'record' AND r.number <> '' THEN 1 ELSE 2 END"
            )
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
            # Rounded: sums of the same weights in another order (another
            # plan) differ in the last bits, and must not reorder equal ranks.
            f" ROUND(CAST(CASE WHEN lift.top * %s > r.base THEN lift.top * %s * r.sp"
            f" ELSE r.base * r.sp END AS NUMERIC), 9) AS rank,"
            f" r.parts, COUNT(*) OVER () AS total, {category} AS cat"
            f" FROM r LEFT JOIN lift ON r.kind = 'document'"
            f" AND lift.pid = r.document_id"
            f" ORDER BY cat, r.parts DESC, rank DESC, r.entry_id"
            f" LIMIT %s OFFSET %s"
        )
        all_params = (
            tuple(params)
            + tuple(status_params)
            + tuple(case_params)
            + (longer_than, WHOLE_TITLE, longer_than)
            + (FAMILY_LIFT, FAMILY_LIFT)
            + tuple(number_params)
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
        if not exact_numbers and min_parts is None and match_all:
            found = self._top_k(query, where, offset=offset, limit=max(limit, 1))
            if found is not None:
                return found
        grouped = self._grouped(query, where, match_all, min_parts)
        if grouped is None:
            return [], 0
        rows = self._rows(
            grouped, query, exact_numbers=exact_numbers, limit=limit, offset=offset
        )
        hits = [Hit(int(r[0]), float(r[1] or 0.0), int(r[2])) for r in rows[:limit]]
        total = int(rows[0][3]) if rows else 0
        if not rows and offset:
            # Past the last page: count the matches on their own.
            total = grouped.count()
        return hits, total

    def _rows(self, grouped, query, *, exact_numbers=(), limit, offset) -> list:
        """(entry_id, rank, parts, total, order group) of one page."""
        try:
            sql, params = self._page_sql(
                grouped,
                exact_numbers=exact_numbers,
                limit=max(limit, 1),
                offset=offset,
                query_length=len("".join(query.text.split())),
            )
        except EmptyResultSet:  # ``where`` allows nothing (a user who sees nothing)
            return []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _top_k(self, query: ParsedQuery, where: Q, *, offset: int, limit: int):
        """The page of a query whose every term is needed and common, from the
        best matches alone; None when that page could differ from the one of
        all matches (the caller then ranks them all).

        The groups of the order (documents, forms, clauses… then records) come
        one after the other. In each, the matches are read best score first
        (:func:`_band_best`), and those ``where`` allows are kept. The page
        ends in the first group that fills it; there, only the best few are
        ranked in full. A match left out scores at most as much as the last
        one taken, and ranks at most :data:`MOST` times its score: when the
        last entry of the page ranks above that, none can enter it."""
        slots = query.slots
        if not slots or any(s.prefix for s in slots):
            return None
        df = _document_frequencies([s.term for s in slots])
        if min(df.values()) <= TOP_K_MIN_DF:
            return None  # the rarest term's entries are few: rank them all
        idf = _idf(slots)
        wanted = offset + limit
        read = BAND_READ + wanted
        cap = max(COUNT_CAP, wanted)
        ahead: list[int] = []  # every allowed match of the groups before
        for group in (scoring.NUMBERED, scoring.OTHERS):
            best = _band_best(slots, idf, group, read)
            allowed = set()
            if best:
                allowed = set(
                    SearchEntry.objects.filter(where)
                    .filter(pk__in=_id_list({entry_id for entry_id, _s in best}))
                    .values_list("pk", flat=True)
                )
            ranked = [(entry_id, s) for entry_id, s in best if entry_id in allowed]
            # None when every match of the group was read; otherwise the
            # highest score a match left out may have.
            unread = None if len(best) < read else best[-1][1]
            if len(ahead) + len(ranked) < wanted and unread is not None:
                # ``where`` allows few of the best (a filter on the kind, say):
                # the group again, only what it allows.
                best = ranked = _band_best(slots, idf, group, read, where)
                unread = None if len(best) < read else best[-1][1]
            if len(ahead) + len(ranked) < wanted:  # (every match was read)
                ahead += [entry_id for entry_id, _s in ranked]
                continue
            rows = self._cut(query, where, idf, ahead, ranked, unread, wanted)
            if rows is None:
                return None
            hits = [
                Hit(int(r[0]), float(r[1] or 0.0), int(r[2])) for r in rows[offset:]
            ]
            matches = len(ahead) + len(ranked)
            if matches > cap:
                total = AtLeast(cap)
            elif unread is None and group == scoring.OTHERS:
                total = matches
            else:
                total = self._count(query, where, cap=cap)
            return hits, total
        # Fewer matches than the page holds: all of them.
        rows = self._ranked(query, where, ahead, wanted)
        hits = [Hit(int(r[0]), float(r[1] or 0.0), int(r[2])) for r in rows[offset:]]
        return hits, len(ahead)

    def _cut(self, query, where, idf, ahead, ranked, unread, wanted):
        """The first ``wanted`` rows of the order, or None if they may hold an
        entry scoring at most ``unread`` (not read): ``ahead`` come first,
        then the page ends among ``ranked`` ((entry_id, score), best first)."""
        # Only an entry holding every term in its heading (impact ≥ HEAD_WEIGHT
        # each) may rank above its score (MOST).
        titled = HEAD_WEIGHT * sum(idf.values()) - 1e-6

        def most(score: float) -> float:
            return score * (MOST if score >= titled else 1.0) + 1e-8

        taken = min(len(ranked), wanted - len(ahead) + CANDIDATES)
        while True:
            ids = ahead + [entry_id for entry_id, _s in ranked[:taken]]
            rows = self._ranked(query, where, ids, wanted)
            if len(rows) < wanted:
                return None  # (the index changed meanwhile)
            last = float(rows[-1][1] or 0.0)
            # (ranks are rounded to 9 decimals: the margin in most())
            if unread is not None and most(unread) >= last:
                return None
            enough = taken
            while enough < len(ranked) and most(ranked[enough][1]) >= last:
                enough += 1
            if enough == taken:
                return rows
            # The entries that could still enter: the page's last entry can
            # only rise with them, so one more pass settles it.
            taken = enough

    def _ranked(self, query, where, ids: list[int], wanted: int) -> list:
        """The first ``wanted`` rows of the order among the entries ``ids``
        and the documents their forms may lift (FAMILY_LIFT)."""
        candidates = set(ids)
        parents = SearchEntry.objects.filter(
            pk__in=_id_list(candidates), kind="form", parent_id__isnull=False
        ).values_list("parent_id", flat=True)
        candidates.update(
            SearchEntry.objects.filter(where)
            .filter(kind="document", document_id__in=list(parents))
            .values_list("pk", flat=True)
        )
        grouped = self._grouped(query, where, only=candidates)
        if grouped is None:
            return []
        return self._rows(grouped, query, limit=wanted, offset=0)

    def _count(self, query: ParsedQuery, where: Q, cap: int = COUNT_CAP) -> int:
        """Entries holding every (exact) term of ``query`` that ``where`` allows,
        counted up to ``cap``."""
        slots = query.slots
        rarest = _rarest(slots)
        matches = SearchPosting.objects.filter(term=rarest.term).filter(prefixed(where))
        for other in slots:
            if other != rarest:
                matches = matches.filter(_holds(other))
        found = matches[: cap + 1].count()
        return AtLeast(cap) if found > cap else found

    def facets(
        self,
        *,
        query: ParsedQuery,
        where: Q,
        fields: tuple[str, ...],
        match_all: bool = True,
        min_parts: int | None = None,
    ) -> dict[str, dict]:
        """For each of ``fields``, how many matching entries have each value:
        ``{field: {value: count}}``, from one statement."""
        out: dict[str, dict] = {name: {} for name in fields}
        grouped = self._grouped(query, where, match_all, min_parts) if fields else None
        if grouped is None:
            return out
        try:
            inner, params = grouped.values("entry_id").query.sql_with_params()
        except EmptyResultSet:
            return out
        qn = connection.ops.quote_name
        table = qn(SearchEntry._meta.db_table)
        columns = ", ".join(
            f"e.{qn(SearchEntry._meta.get_field(name).column)}" for name in fields
        )
        sql = (
            f"SELECT {columns}, COUNT(*) FROM ({inner}) t"
            f" INNER JOIN {table} e ON e.id = t.entry_id GROUP BY {columns}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return tallied(fields, rows)


__all__ = ["DatabaseEngine", "Hit"]
