"""The Elasticsearch/OpenSearch engine, without a server: the settings read
from the environment, the index settings and mapping (the CJK analyzer), the
request bodies compiled from parsed queries, the split of the permission ``Q``
between the backend and SQL, and that what the backend returns is filtered
again in SQL so that nothing outside ``where`` is returned or counted. The
backend's results are replaced by chosen lists of entries (never a client or
server stand-in); building a backend's client never connects."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.test import override_settings

from config.settings.base import search_settings
from search import index, service
from search.analysis import parse_query
from search.engines import elastic, get_engine, uses_wagtail_backend, wagtail_backends
from search.engines.database import DatabaseEngine
from search.engines.elastic import (
    ALWAYS,
    NEVER,
    WagtailBackendEngine,
    backend_filter,
)
from search.models import SearchEntry, SearchPosting, SearchText
from search.sources import EntryData

NOWHERE = "http://127.0.0.1:9"  # never contacted
ES_ENV = {"SHOUKONG_SEARCH_BACKEND": "elasticsearch", "SHOUKONG_SEARCH_URL": NOWHERE}


def es_config(**env) -> dict:
    return search_settings({**ES_ENV, **env})


def es_settings(**env):
    config = es_config(**env)
    return override_settings(
        SHOUKONG_SEARCH_ENGINE=config["engine"],
        WAGTAILSEARCH_BACKENDS=config["backends"],
    )


@pytest.fixture
def es():
    with es_settings():
        yield elastic.get_backend()


def versions(**found):
    """A stand-in for importlib.metadata.version: ``found`` by distribution."""

    def version(name):
        if name not in found:
            raise importlib.metadata.PackageNotFoundError(name)
        return found[name]

    return version


def clauses(body, name) -> list:
    """Every value under key ``name`` anywhere in ``body``."""
    out = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == name:
                out.append(value)
            out.extend(clauses(value, name))
    elif isinstance(body, list):
        for value in body:
            out.extend(clauses(value, name))
    return out


@pytest.fixture(autouse=True)
def empty_index(request):
    """Database tests start from an empty index (the catalogue's clauses are
    indexed after migrate; these tests make their own entries)."""
    wanted = {"db", "transactional_db"} & set(request.fixturenames)
    if wanted or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        SearchPosting.objects.all().delete()
        SearchEntry.objects.all().delete()
    yield


def make(key, **fields) -> SearchEntry:
    kind, _sep, object_pk = key.partition(":")
    kind = {"issue": "document"}.get(kind, kind)
    words = {"heading": fields.pop("heading", key), "text": fields.pop("text", "")}
    values = {
        "kind": kind,
        "object_pk": int(object_pk),
        "title": key,
        "status": "effective",
    }
    values.update(fields)
    entry = SearchEntry.objects.create(key=key, **values)
    SearchText.objects.create(entry=entry, **words)
    return entry


# --- Settings ------------------------------------------------------------------


def test_database_is_the_default_engine():
    config = search_settings({})
    assert config["engine"] == "database"
    assert config["backends"] == {
        "default": {"BACKEND": "wagtail.search.backends.database"}
    }


def test_elasticsearch_settings_from_the_environment():
    config = search_settings(
        {
            "SHOUKONG_SEARCH_BACKEND": " Elasticsearch ",
            "SHOUKONG_SEARCH_URL": "http://es1:9200, https://user:pw@es2:9200",
            "SHOUKONG_SEARCH_INDEX_PREFIX": "qms_",
            "SHOUKONG_SEARCH_TIMEOUT": "2.5",
        },
        versions(elasticsearch="9.5.1"),
    )
    backend = config["backends"]["default"]
    assert config["engine"] == "elasticsearch"
    assert backend["BACKEND"] == "wagtail.search.backends.elasticsearch9"
    assert backend["URLS"] == ["http://es1:9200", "https://user:pw@es2:9200"]
    assert backend["INDEX_PREFIX"] == "qms_"
    assert backend["TIMEOUT"] == 2.5
    assert backend["ATOMIC_REBUILD"] is True
    analyzers = backend["INDEX_SETTINGS"]["settings"]["analysis"]["analyzer"]
    cjk = {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["cjk_width", "lowercase", "cjk_bigram"],
    }
    assert analyzers["shoukong_cjk"] == cjk
    assert analyzers["default"] == cjk
    assert config["analyzer"] == "shoukong_cjk"


def test_the_backend_follows_the_installed_client():
    es8 = search_settings(ES_ENV, versions(elasticsearch="8.15.0"))
    assert es8["backends"]["default"]["BACKEND"].endswith(".elasticsearch8")
    env = {"SHOUKONG_SEARCH_BACKEND": "opensearch", "SHOUKONG_SEARCH_URL": NOWHERE}
    os3 = search_settings(env, versions(**{"opensearch-py": "3.2.0"}))
    assert os3["engine"] == "opensearch"
    assert os3["backends"]["default"]["BACKEND"] == (
        "wagtail.search.backends.opensearch3"
    )
    os2 = search_settings(env, versions(**{"opensearch-py": "2.8.0"}))
    assert os2["backends"]["default"]["BACKEND"].endswith(".opensearch2")


def test_the_old_variables_still_select_elasticsearch():
    config = search_settings(
        {
            "SHOUKONG_ELASTICSEARCH_URL": "http://legacy:9200",
            "SHOUKONG_ELASTICSEARCH_PREFIX": "old_",
        },
        versions(elasticsearch="9.5.1"),
    )
    assert config["engine"] == "elasticsearch"
    assert config["backends"]["default"]["URLS"] == ["http://legacy:9200"]
    assert config["backends"]["default"]["INDEX_PREFIX"] == "old_"
    # The new name wins over the old one.
    config = search_settings(
        {
            **ES_ENV,
            "SHOUKONG_ELASTICSEARCH_URL": "http://legacy:9200",
        }
    )
    assert config["backends"]["default"]["URLS"] == [NOWHERE]


def test_a_plugin_analyzer():
    config = es_config(SHOUKONG_SEARCH_ANALYZER="ik_max_word")
    analyzers = config["backends"]["default"]["INDEX_SETTINGS"]["settings"]
    analyzers = analyzers["analysis"]["analyzer"]
    assert config["analyzer"] == "ik_max_word"
    assert analyzers["default"] == {"type": "ik_max_word"}
    assert "shoukong_cjk" in analyzers  # numbers keep the built-in one


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHOUKONG_SEARCH_BACKEND": "solr"}, "SHOUKONG_SEARCH_BACKEND"),
        ({"SHOUKONG_SEARCH_BACKEND": "elasticsearch"}, "SHOUKONG_SEARCH_URL"),
        ({**ES_ENV, "SHOUKONG_SEARCH_URL": "es1:9200"}, "SHOUKONG_SEARCH_URL"),
        ({**ES_ENV, "SHOUKONG_SEARCH_URL": "ftp://es1"}, "SHOUKONG_SEARCH_URL"),
        ({**ES_ENV, "SHOUKONG_SEARCH_URL": "http://es1:99999"}, "SHOUKONG_SEARCH_URL"),
        ({**ES_ENV, "SHOUKONG_SEARCH_INDEX_PREFIX": "QMS"}, "INDEX_PREFIX"),
        ({**ES_ENV, "SHOUKONG_SEARCH_INDEX_PREFIX": "_x"}, "INDEX_PREFIX"),
        ({**ES_ENV, "SHOUKONG_SEARCH_ANALYZER": "ik max"}, "SHOUKONG_SEARCH_ANALYZER"),
        ({**ES_ENV, "SHOUKONG_SEARCH_ANALYZER": '{"a":1}'}, "ANALYZER"),
        ({**ES_ENV, "SHOUKONG_SEARCH_TIMEOUT": "soon"}, "SHOUKONG_SEARCH_TIMEOUT"),
        ({**ES_ENV, "SHOUKONG_SEARCH_TIMEOUT": "0"}, "SHOUKONG_SEARCH_TIMEOUT"),
        ({**ES_ENV, "SHOUKONG_SEARCH_TIMEOUT": "-3"}, "SHOUKONG_SEARCH_TIMEOUT"),
    ],
)
def test_wrong_values_are_refused(env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        search_settings(env, versions(elasticsearch="9.5.1"))


def test_a_missing_or_unsupported_client_is_named():
    env = {"SHOUKONG_SEARCH_BACKEND": "opensearch", "SHOUKONG_SEARCH_URL": NOWHERE}
    with pytest.raises(ImproperlyConfigured, match="pip install opensearch-py"):
        search_settings(env, versions(elasticsearch="9.5.1"))
    with pytest.raises(ImproperlyConfigured, match="pip install elasticsearch"):
        search_settings(ES_ENV, versions())
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        search_settings(ES_ENV, versions(elasticsearch="6.8.0"))


def test_opensearch_without_its_client_fails_clearly():
    """The opensearch engine, configured by hand, without opensearch-py."""
    try:
        importlib.metadata.version("opensearch-py")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:  # pragma: no cover - installed later
        pytest.skip("opensearch-py is installed")
    backends = {
        "default": {
            "BACKEND": "wagtail.search.backends.opensearch3",
            "URLS": [NOWHERE],
        }
    }
    with override_settings(
        SHOUKONG_SEARCH_ENGINE="opensearch", WAGTAILSEARCH_BACKENDS=backends
    ):
        with pytest.raises(ImproperlyConfigured, match="pip install opensearch-py"):
            elastic.get_backend()


# --- Index settings and mapping ---------------------------------------------------


def test_the_index_defines_the_cjk_analyzer(es):
    assert type(es).__module__ == "modelsearch.backends.elasticsearch9"
    analysis = es.settings["settings"]["analysis"]
    analyzer = analysis["analyzer"]["shoukong_cjk"]
    assert analyzer["tokenizer"] == "standard"
    assert analyzer["filter"] == ["cjk_width", "lowercase", "cjk_bigram"]
    # The catch-all fields Wagtail copies every text into use it too.
    assert analysis["analyzer"]["default"] == analyzer
    # Wagtail's own analyzers are kept (autocomplete).
    assert "edgengram_analyzer" in analysis["analyzer"]
    assert es.get_index_for_model(SearchEntry).name == "shoukong_search_searchentry"


def test_the_mapping_uses_the_cjk_analyzer(es):
    properties = es.mapping_class(SearchEntry).get_mapping()["properties"]
    for name in ("number", "title", "heading", "text"):
        assert properties[name]["type"] == "text"
        assert properties[name]["analyzer"] == "shoukong_cjk"
        assert properties[name]["search_analyzer"] == "shoukong_cjk"
    assert "_all_text_boost_10_0" in properties["number"]["copy_to"]
    assert "_all_text_boost_6_0" in properties["title"]["copy_to"]
    for name in ("kind", "status", "number"):
        assert properties[f"{name}_filter"] == {"type": "keyword"}
    assert properties["current_filter"] == {"type": "boolean"}
    assert properties["confidential_filter"] == {"type": "boolean"}
    assert properties["tier_filter"]["type"] == "integer"
    assert properties["department_id_filter"]["type"] in ("integer", "long")
    assert properties["date_filter"] == {"type": "date"}


@pytest.mark.django_db
def test_an_entry_as_the_index_stores_it(es):
    entry = make(
        "issue:1",
        number="B05",
        title="文件控制程序",
        heading="B05\n文件控制程序",
        text="文件的发放与回收",
        tier=2,
        date=date(2026, 1, 5),
    )
    document = es.mapping_class(SearchEntry).get_document(entry)
    assert document["pk"] == str(entry.pk)
    assert document["title"] == "文件控制程序"
    assert document["kind_filter"] == "document"
    assert document["current_filter"] is True
    assert document["tier_filter"] == 2
    assert document["date_filter"] == date(2026, 1, 5)


# --- Queries -------------------------------------------------------------------

DOCUMENTS = Q(kind__in=["document", "form"]) & Q(current=True)


def compiled(es, text, where=DOCUMENTS, match_all=True) -> dict:
    body = WagtailBackendEngine(es).compiled(parse_query(text), where, match_all)
    json.dumps(body, default=str)  # what the client will send is plain JSON
    return body


def test_two_characters_are_one_match(es):
    body = compiled(es, "发放")
    (match,) = clauses(body, "multi_match")
    assert match["query"] == "发放"
    assert match["operator"] == "and"
    assert "type" not in match
    assert "_all_text" in match["fields"]
    assert "_all_text_boost_10_0^10.0" in match["fields"]  # the number
    assert "_all_text_boost_6_0^6.0" in match["fields"]  # the title


def test_a_longer_chinese_word_is_a_phrase(es):
    (match,) = clauses(compiled(es, "应急预案"), "multi_match")
    assert match["query"] == "应急预案"
    assert match["type"] == "phrase"


def test_a_number_is_matched_as_typed(es):
    (match,) = clauses(compiled(es, "B05"), "multi_match")
    assert match["query"] == "b05"
    (match,) = clauses(compiled(es, "ITSMS-P05"), "multi_match")
    assert match == {**match, "query": "itsms-p05", "type": "phrase"}


def test_every_word_must_match_somewhere(es):
    body = compiled(es, "变更 管理")
    (dis_max,) = clauses(body, "dis_max")
    by_field = {}
    for query in dis_max["queries"]:
        musts = query["bool"]["must"]
        (field,) = {name for must in musts for name in must["match"]}
        by_field[field] = [must["match"][field]["query"] for must in musts]
    # The words may sit in different fields: _all_text holds them all.
    assert by_field["_all_text"] == ["变更", "管理"]
    assert by_field["_all_text_boost_6_0"] == ["变更", "管理"]


def test_some_words_when_not_all_match(es):
    body = compiled(es, "变更 管理", match_all=False)
    (dis_max,) = clauses(body, "dis_max")
    assert all("should" in query["bool"] for query in dis_max["queries"])


def test_a_quoted_phrase(es):
    (match,) = clauses(compiled(es, '"变更 管理"'), "multi_match")
    assert match == {**match, "query": "变更 管理", "type": "phrase"}


def test_filters_go_to_the_backend(es):
    where = (
        DOCUMENTS
        & Q(tier=2)
        & Q(department_id=3)
        & Q(status__in=["effective", "pending"])
        & Q(date__gte=date(2026, 1, 1), date__lte=date(2026, 12, 31))
        & Q(clauses__contains=" 8.5.1 ")  # not in the index: SQL only
    )
    body = compiled(es, "发放", where)
    filters = body["query"]["bool"]["filter"]
    assert {"match": {"_django_content_type": "search.SearchEntry"}} in filters
    text = json.dumps(filters, default=str)
    assert clauses(filters, "terms") == [
        {"kind_filter": ["document", "form"]},
        {"status_filter": ["effective", "pending"]},
    ]
    terms = clauses(filters, "term")
    assert {"current_filter": True} in terms
    assert {"tier_filter": 2} in terms
    assert {"department_id_filter": 3} in terms
    ranges = clauses(filters, "range")
    assert {"date_filter": {"gte": date(2026, 1, 1)}} in ranges
    assert {"date_filter": {"lte": date(2026, 12, 31)}} in ranges
    assert "8.5.1" not in text and "clauses" not in text


def test_a_query_without_terms_asks_nothing(es):
    assert compiled(es, " ,。! ") is None
    assert WagtailBackendEngine(es).compiled(parse_query("发放"), Q(pk__in=[])) is None


# --- What the backend may filter ----------------------------------------------------


def test_lookups_the_index_cannot_answer_are_loosened():
    readable = Q(confidential=False) | Q(readers__contains=" 3 ")
    assert backend_filter(readable) is ALWAYS
    assert backend_filter(Q(kind="document") & readable) == Q(kind="document")
    assert backend_filter(~Q(readers__contains=" 3 ")) is ALWAYS
    assert backend_filter(~Q(status="draft")) == ~Q(status="draft")
    assert backend_filter(Q(pk__in=[])) is NEVER
    assert backend_filter(Q(pk__in=[]) | Q(kind="clause")) == Q(kind="clause")
    assert backend_filter(Q(pk__in=[]) & Q(kind="clause")) is NEVER
    assert backend_filter(Q()) is ALWAYS
    subquery = SearchEntry.objects.values("document_id")
    assert backend_filter(Q(document_id__in=subquery)) is ALWAYS
    assert backend_filter(Q(url__isnull=False)) is ALWAYS
    assert backend_filter(Q(department__name="行政部")) is ALWAYS


@pytest.mark.django_db
def test_every_user_s_permissions_compile(controller, staff_user, es):
    """The permission Q of real users: the backend gets only indexed filter
    fields (the query compiles: no FilterFieldError), SQL gets the rest."""
    for user in (controller, staff_user):
        for obsolete in (False, True):
            where = service.visible_q(user)
            if not obsolete:
                where &= Q(current=True)
            body = compiled(es, "发放", where)
            if body is None:
                continue
            text = json.dumps(body, default=str)
            assert "readers" not in text and "clauses" not in text


# --- Results: the backend ranks, SQL decides -----------------------------------------


class Ranked:
    """The backend's search replaced by a chosen ranking: records the query
    object and queryset it is asked with and returns ``entries``."""

    def __init__(self, entries):
        self.entries = list(entries)
        self.calls = []

    def __call__(self, query, queryset, **kwargs):
        self.calls.append((query, queryset))
        return list(self.entries)


@pytest.fixture
def entries(db):
    return {
        "open": make("issue:1", department_id=901),
        "restricted": make("issue:2", department_id=902, confidential=True),
        "reader": make(
            "issue:3", department_id=902, confidential=True, readers=" 901 "
        ),
        "record": make("record:4", department_id=902, confidential=True),
        "clause": make("clause:5"),
        "old": make("issue:6", status="superseded", current=False),
        "b05": make("issue:7", number="B05"),
    }


# What a user of department 901 may see of documents (the rule's shape).
STAFF_OF_901 = (
    Q(kind__in=["document", "form"])
    & (Q(confidential=False) | Q(department_id=901) | Q(readers__contains=" 901 "))
    & Q(current=True)
)


def run(es, monkeypatch, ranking, where, text="发放", **kwargs):
    ranked = Ranked(ranking)
    monkeypatch.setattr(es, "search", ranked)
    engine = WagtailBackendEngine(es)
    hits, total = engine.search(query=parse_query(text), where=where, **kwargs)
    return engine, ranked, [h.entry_id for h in hits], total


def test_only_permitted_entries_are_returned_and_counted(es, entries, monkeypatch):
    e = entries
    ranking = [e["record"], e["restricted"], e["open"], e["old"], e["clause"]]
    ranking.append(e["reader"])
    engine, ranked, ids, total = run(es, monkeypatch, ranking, STAFF_OF_901)
    assert ids == [e["open"].pk, e["reader"].pk]  # the backend's order
    assert total == 2
    # The backend was asked with what it can filter.
    (query, queryset), *_ = ranked.calls
    body = es.query_compiler_class(queryset, query).get_query()
    assert clauses(body, "terms") == [{"kind_filter": ["document", "form"]}]
    assert "readers" not in json.dumps(body)
    facets = engine.facets(
        query=parse_query("发放"), where=STAFF_OF_901, fields=("kind", "department")
    )
    assert facets == {"kind": {"document": 2}, "department": {901: 1, 902: 1}}
    assert len(ranked.calls) == 1  # the facets reuse the search's answer


def test_paging_and_the_cap(es, entries, monkeypatch):
    e = entries
    ranking = [e["open"], e["restricted"], e["reader"], e["b05"]]
    where = Q(kind="document", current=True)
    _engine, _ranked, ids, total = run(
        es, monkeypatch, ranking, where, offset=1, limit=2
    )
    assert ids == [e["restricted"].pk, e["reader"].pk]
    assert total == 4
    monkeypatch.setattr(WagtailBackendEngine, "max_hits", 2)
    _engine, _ranked, ids, total = run(es, monkeypatch, ranking, where)
    assert ids == [e["open"].pk, e["restricted"].pk]
    assert total == 2  # capped: counted among what was fetched


def test_exact_numbers_come_first(es, entries, monkeypatch):
    e = entries
    where = Q(kind="document", current=True)
    ranking = [e["open"], e["b05"]]
    _engine, _ranked, ids, _total = run(
        es, monkeypatch, ranking, where, text="B05", exact_numbers=["B05"]
    )
    assert ids == [e["b05"].pk, e["open"].pk]
    # Also when the backend ranked it too low to be fetched; never when not
    # permitted.
    _engine, _ranked, ids, total = run(
        es, monkeypatch, [e["open"]], where, text="B05", exact_numbers=["B05"]
    )
    assert ids == [e["b05"].pk, e["open"].pk] and total == 2
    _engine, _ranked, ids, _total = run(
        es,
        monkeypatch,
        [e["open"]],
        where & Q(confidential=True),
        text="B05",
        exact_numbers=["B05"],
    )
    assert ids == []


def test_nothing_visible_asks_nothing(es, entries, monkeypatch):
    _engine, ranked, ids, total = run(
        es, monkeypatch, list(entries.values()), Q(pk__in=[]) & Q(current=True)
    )
    assert (ids, total, ranked.calls) == ([], 0, [])


def test_through_the_service(staff_user, entries, es, monkeypatch):
    """service.search with the engine selected: the staff user of 技术部 never
    sees the restricted issue the backend ranks first."""
    e = entries
    e["restricted"].title = "保密文件发放"
    e["restricted"].save()
    ranked = Ranked([e["restricted"], e["record"]])
    monkeypatch.setattr(es, "search", ranked)
    monkeypatch.setattr(elastic, "get_backend", lambda: es)
    assert isinstance(get_engine(), WagtailBackendEngine)
    results = service.search(staff_user, "发放", facets=("kind",))
    assert results.results == [] and results.total == 0
    assert results.facets == {"kind": {}}
    assert ranked.calls  # the backend was asked


def test_the_embedded_engine_answers_when_the_backend_cannot(db, monkeypatch):
    data = EntryData(
        key="clause:1",
        kind="clause",
        object_pk=1,
        title="变更管理",
        status="active",
        heading="变更管理",
        text="变更的评审",
    )
    index.write(Q(key="clause:1"), [data])  # database engine: postings only
    with es_settings():
        es = elastic.get_backend()

        def down(*args, **kwargs):
            raise ConnectionError("no route to the cluster")

        monkeypatch.setattr(es, "search", down)
        engine = WagtailBackendEngine(es)
        hits, total = engine.search(query=parse_query("变更"), where=Q(kind="clause"))
        assert total == 1 and hits[0].entry_id == SearchEntry.objects.get().pk
        facets = engine.facets(
            query=parse_query("变更"), where=Q(kind="clause"), fields=("kind",)
        )
        assert facets == {"kind": {"clause": 1}}
        # A lone character: the index holds pairs; the embedded engine answers.
        monkeypatch.setattr(es, "search", Ranked([]))
        hits, total = WagtailBackendEngine(es).search(
            query=parse_query("变"), where=Q(kind="clause")
        )
        assert total == 1
        assert DatabaseEngine().search(
            query=parse_query("变"), where=Q(kind="clause")
        ) == (hits, total)


# --- Writing entries --------------------------------------------------------------


class FakeBackend:
    """Records what is written to it."""

    def __init__(self):
        self.added = []
        self.deleted = []

    def add(self, obj):
        self.added.append(obj.key)

    def delete(self, obj):
        self.deleted.append(obj.pk)


def entry_data(key="record:1", text="打印机无法打印"):
    return EntryData(
        key=key,
        kind="record",
        object_pk=1,
        title="运维工作单",
        status="kept",
        text=text,
    )


@pytest.mark.django_db
def test_write_copies_entries_to_the_backend(monkeypatch):
    fake = FakeBackend()
    monkeypatch.setattr("wagtail.search.backends.get_search_backend", lambda *a: fake)
    with es_settings():
        assert wagtail_backends() == [fake]
        index.write(Q(key="record:1"), [entry_data()])
        assert fake.added == ["record:1"]
        index.write(Q(key="record:1"), [entry_data(text="打印机卡纸")])
        assert fake.added == ["record:1", "record:1"]
        pk = SearchEntry.objects.get().pk
        index.write(Q(key="record:1"), [])
        assert fake.deleted == [pk]
    assert not SearchEntry.objects.exists()
    assert not SearchPosting.objects.exists()


@pytest.mark.django_db
def test_the_database_engine_writes_to_no_backend(monkeypatch):
    def refuse(*args):
        raise AssertionError("no Wagtail backend with the database engine")

    monkeypatch.setattr("wagtail.search.backends.get_search_backend", refuse)
    index.write(Q(key="record:1"), [entry_data()])
    assert SearchEntry.objects.count() == 1


@pytest.mark.django_db
def test_the_wagtail_database_backend_never_holds_entries():
    make("clause:1")
    assert not uses_wagtail_backend()
    assert not SearchEntry.get_indexed_objects().exists()
    assert wagtail_backends() == []
    assert isinstance(get_engine(), DatabaseEngine)
    with es_settings():
        assert SearchEntry.get_indexed_objects().count() == 1
