"""The embedded engine's top-k path (the best matches of each group of the
order, read from the impact index, and only the best of those ranked in full)
gives exactly the page and total of ranking every match. The index is
written directly (search.index.write); the thresholds are lowered so that the
path runs on a few dozen entries. SQLite and PostgreSQL alike."""

from __future__ import annotations

import random

import pytest
from django.db.models import Q

from search import index
from search.analysis import parse_query
from search.engines import AtLeast, database
from search.engines.database import DatabaseEngine, forget_stats
from search.sources import EntryData

pytestmark = pytest.mark.django_db

WORDS = ["服务", "记录", "管理", "变更", "事件", "评审", "报告", "客户", "配置", "发布"]


def text(rng: random.Random, n: int) -> str:
    return "，".join(rng.choice(WORDS) + rng.choice(WORDS) for _ in range(n))


@pytest.fixture
def entries():
    rng = random.Random(20261123)
    data = []
    for i in range(1, 31):  # documents, each with a form under it
        data.append(
            EntryData(
                key=f"issue:{i}",
                kind="document",
                object_pk=i,
                document_id=i,
                number=f"B{i:02d}",
                title=rng.choice(WORDS) + rng.choice(WORDS) + "程序",
                status=rng.choice(["effective", "effective", "pending"]),
                current=i % 7 != 0,
                text=text(rng, rng.randint(5, 60)),
            )
        )
        data.append(
            EntryData(
                key=f"form:{i}",
                kind="form",
                object_pk=100 + i,
                document_id=100 + i,
                parent_id=i,
                number=f"D{i:02d}01",
                title=rng.choice(WORDS) + rng.choice(WORDS) + "登记记录",
                status="effective",
                text=text(rng, rng.randint(1, 10)),
            )
        )
    for i in range(1, 61):
        data.append(
            EntryData(
                key=f"record:{i}",
                kind="record",
                object_pk=i,
                document_id=100 + rng.randint(1, 30),
                number=f"D0101-20261122{i:02d}",
                title=rng.choice(WORDS) + "记录",
                status="kept",
                text=text(rng, rng.randint(1, 8)),
            )
        )
    for i in range(1, 11):
        data.append(
            EntryData(
                key=f"clause:{i}",
                kind="clause",
                object_pk=i,
                number=f"8.{i}",
                title=rng.choice(WORDS) + rng.choice(WORDS),
                status="active",
                text=text(rng, 3),
            )
        )
    index.write(Q(pk__in=[]), data)
    forget_stats()
    yield data
    forget_stats()


def answer(query, where, offset, limit, *, top_k: bool, monkeypatch, band_read=2):
    with monkeypatch.context() as m:
        m.setattr(database, "TOP_K_MIN_DF", 0 if top_k else 10**9)
        m.setattr(database, "CANDIDATES", 1)
        m.setattr(database, "BAND_READ", band_read)
        hits, total = DatabaseEngine().search(
            query=parse_query(query), where=where, offset=offset, limit=limit
        )
    return [(h.entry_id, round(h.score, 9)) for h in hits], total


QUERIES = [
    "服务",
    "记录",
    "管理评审",
    "服务 记录",
    "变更 事件 报告",
    "登记记录",
    "客户",
]
WHERES = [
    Q(current=True),
    Q(),
    Q(kind__in=["document", "form"], current=True),
    Q(kind="record"),
    Q(kind="clause") | Q(kind="document", status="pending"),
    Q(pk__in=[]),
]


def test_the_same_page_and_total_as_scoring_every_match(entries, monkeypatch):
    accepted = []
    real = DatabaseEngine._top_k

    def spy(self, *args, **kwargs):
        found = real(self, *args, **kwargs)
        accepted.append(found is not None)
        return found

    monkeypatch.setattr(DatabaseEngine, "_top_k", spy)
    for query in QUERIES:
        for where in WHERES:
            for offset, limit in ((0, 1), (0, 3), (0, 10), (4, 5), (200, 20)):
                args = (query, where, offset, limit)
                expected = answer(*args, top_k=False, monkeypatch=monkeypatch)
                # Groups read in part (only the 2 best matches and the page),
                # and read whole.
                for band_read in (2, 1000):
                    found = answer(
                        *args, top_k=True, monkeypatch=monkeypatch, band_read=band_read
                    )
                    assert found == expected, (*args, band_read)
    # The path answered many of them itself, and gave up on others.
    assert accepted.count(True) >= 20
    assert accepted.count(False) >= 5


def test_prefixes_and_rare_terms_take_the_full_path(entries, monkeypatch):
    calls = []
    monkeypatch.setattr(database, "_band_best", lambda *a, **k: calls.append(a) or [])
    engine = DatabaseEngine()
    engine.search(query=parse_query("B0"), where=Q())  # a prefix
    assert not calls
    hits, total = engine.search(query=parse_query("服务"), where=Q())
    assert not calls  # fewer entries than TOP_K_MIN_DF hold it
    assert total > 0 and hits


def test_a_large_total_is_counted_up_to_the_cap(entries, monkeypatch):
    monkeypatch.setattr(database, "CANDIDATES", 1)
    monkeypatch.setattr(database, "COUNT_CAP", 3)
    query = parse_query("记录")
    full = answer("记录", Q(), 0, 2, top_k=False, monkeypatch=monkeypatch)
    assert full[1] > 3 and not isinstance(full[1], AtLeast)
    monkeypatch.setattr(database, "TOP_K_MIN_DF", 0)
    hits, total = DatabaseEngine().search(query=query, where=Q(), limit=2)
    assert isinstance(total, AtLeast) and total == 3
    assert [(h.entry_id, round(h.score, 9)) for h in hits] == full[0]
    # Under the cap, the count is exact.
    monkeypatch.setattr(database, "COUNT_CAP", 10_000)
    hits, total = DatabaseEngine().search(query=query, where=Q(), limit=2)
    assert total == full[1] and not isinstance(total, AtLeast)


def test_facets_of_several_fields_in_one_statement(entries, django_assert_num_queries):
    from search.models import SearchEntry

    engine = DatabaseEngine()
    query = parse_query("记录")
    where = Q(current=True)
    ids = [h.entry_id for h in engine.search(query=query, where=where, limit=500)[0]]
    matched = SearchEntry.objects.filter(pk__in=ids)
    with django_assert_num_queries(1):  # (document frequencies are kept)
        facets = engine.facets(query=query, where=where, fields=("kind", "tier"))
    assert facets["kind"] == {
        kind: matched.filter(kind=kind).count()
        for kind in set(matched.values_list("kind", flat=True))
    }
    assert sum(facets["tier"].values()) == len(ids)
    assert engine.facets(query=query, where=Q(pk__in=[]), fields=("kind",)) == {
        "kind": {}
    }
