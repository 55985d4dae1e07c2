"""``manage.py reindex``: the index rebuilt from the objects (after it was
emptied, again and again with the same result, for some kinds only, without
the entries of objects that are gone), its summary, and with the
Elasticsearch/OpenSearch engine the backend's index rebuilt from the table
(a recording stand-in for the backend: no server)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils import translation

from records.tests import factories as record_factories
from search import index
from search.models import SearchEntry, SearchPosting
from search.sources import EntryData

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def data(staff_user, procedure):
    """B05 (issued), B02 and the form D0201 (issued), one record of D0201, as
    the saves indexed them; and the clauses of the catalogue (loaded by a
    migration, indexed after migrate)."""
    form = record_factories.form()
    record = record_factories.record(staff_user, form)
    return {"procedure": procedure, "form": form, "record": record}


def clause_count() -> int:
    from compliance.models import Clause

    return Clause.objects.count()


def reindex(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reindex", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot(exclude=()) -> tuple[dict, list]:
    entries = {
        e.key: (e.kind, e.number, e.title, e.status, e.digest, e.length, e.readers)
        for e in SearchEntry.objects.exclude(kind__in=exclude)
    }
    postings = sorted(
        SearchPosting.objects.exclude(entry__kind__in=exclude).values_list(
            "term", "entry__key", "head_tf", "body_tf"
        )
    )
    return entries, postings


def stale(key: str, kind: str) -> SearchEntry:
    """An entry of an object that does not exist, with its postings."""
    index.write(
        Q(key=key),
        [
            EntryData(
                key=key,
                kind=kind,
                object_pk=999_999,
                title="已删除的对象",
                status="effective",
                heading="已删除的对象",
                text="发放与回收",
            )
        ],
    )
    return SearchEntry.objects.get(key=key)


def kinds() -> dict[str, int]:
    out: dict[str, int] = {}
    for kind in SearchEntry.objects.values_list("kind", flat=True):
        out[kind] = out.get(kind, 0) + 1
    return out


def test_rebuild_restores_an_emptied_index(data):
    """The same entries and postings as the saves wrote, and the clauses."""
    before = snapshot()
    assert kinds() == {
        "document": 2,
        "form": 1,
        "record": 1,
        "clause": clause_count(),
    }
    SearchPosting.objects.all().delete()
    SearchEntry.objects.all().delete()
    reindex("--quiet")
    assert snapshot() == before
    assert clause_count() > 0
    assert kinds() == {
        "document": 2,
        "form": 1,
        "record": 1,
        "clause": clause_count(),
    }


def test_rebuilding_twice_changes_nothing(data):
    reindex("--quiet")
    first = snapshot()
    ids = dict(SearchEntry.objects.values_list("key", "pk"))
    reindex("--quiet")
    assert snapshot() == first
    assert dict(SearchEntry.objects.values_list("key", "pk")) == ids


def test_entries_of_objects_that_are_gone_are_removed(data):
    reindex("--quiet")
    before = snapshot()
    gone = [stale("record:999999", "record"), stale("issue:999999", "document")]
    assert SearchPosting.objects.filter(entry__in=gone).exists()
    reindex("--quiet")
    assert snapshot() == before
    assert not SearchPosting.objects.filter(entry_id__in=[e.pk for e in gone]).exists()


def test_only_some_kinds(data):
    before = snapshot()
    SearchEntry.objects.filter(kind="record").delete()
    other = stale("issue:999999", "document")
    out, _err = reindex("--kind", "record")
    assert kinds() == {
        "document": 3,
        "form": 1,
        "record": 1,
        "clause": clause_count(),
    }
    assert SearchEntry.objects.filter(pk=other.pk).exists()  # not a record
    assert "Record (record): 1" in out
    assert "(document)" not in out
    reindex("--quiet", "--kind", "document,form")
    assert snapshot() == before


def test_the_summary(data):
    out, err = reindex()
    lines = out.splitlines()
    postings = SearchPosting.objects.count()
    assert lines[0].startswith("Search index rebuilt in ")
    entries = 4 + clause_count()
    assert lines[0].endswith(f": {entries} entries, {postings} postings.")
    assert "  Document (document): 2" in lines
    assert "  Form (form): 1" in lines
    assert "  Record (record): 1" in lines
    assert f"  Clause (clause): {clause_count()}" in lines
    assert "  Audit finding (finding): 0" in lines
    assert "Indexing" in err  # the progress bar


def test_quiet_prints_nothing(data):
    assert reindex("--quiet") == ("", "")


def test_an_unknown_kind_is_refused(db):
    with pytest.raises(CommandError, match="Unknown kind: page"):
        reindex("--kind", "record,page")


# --- With the Elasticsearch/OpenSearch engine ----------------------------------------


class FakeIndex:
    def __init__(self, name: str):
        self.name = name
        self.models: list = []
        self.items: list[str] = []
        self.deleted = False

    def add_model(self, model):
        self.models.append(model)

    def add_items(self, model, items):
        self.items.extend(item.key for item in items)

    def delete(self):
        self.deleted = True

    def __str__(self):
        return self.name


class FakeBackend:
    """Records what the command asks of a Wagtail search backend."""

    def __init__(self, fail: bool = False):
        self.live = FakeIndex("shoukong_search_searchentry")
        self.rebuilds: list = []
        self.added: list[str] = []
        self.bulk: list[str] = []
        self.deleted: list[int] = []
        backend = self

        class Rebuilder:
            def __init__(self, index):
                self.alias = index
                self.index = FakeIndex(index.name + "_new")
                self.finished = False
                backend.rebuilds.append(self)

            def start(self):
                if fail:
                    raise ConnectionError("connection refused")
                return self.index

            def finish(self):
                self.finished = True

        self.rebuilder_class = Rebuilder

    def get_index_for_model(self, model):
        return self.live

    def add(self, obj):
        self.added.append(obj.key)

    def add_bulk(self, model, objs):
        self.bulk.extend(obj.key for obj in objs)

    def delete(self, obj):
        self.deleted.append(obj.pk)


@pytest.fixture
def backend(data, settings, monkeypatch):
    fake = FakeBackend()
    settings.SHOUKONG_SEARCH_ENGINE = "elasticsearch"
    monkeypatch.setattr("search.engines.wagtail_backends", lambda: [fake])
    return fake


def test_the_backend_index_is_rebuilt_from_the_table(backend):
    SearchEntry.objects.filter(kind="record").delete()
    out, _err = reindex()
    (rebuild,) = backend.rebuilds
    assert rebuild.alias is backend.live and rebuild.finished
    assert rebuild.index.models == [SearchEntry]
    assert sorted(rebuild.index.items) == sorted(
        SearchEntry.objects.values_list("key", flat=True)
    )
    entries = 4 + clause_count()
    assert len(rebuild.index.items) == entries
    assert backend.added == []  # filled in bulk, not one by one
    assert f"shoukong_search_searchentry: {entries} entries." in out


def test_some_kinds_go_to_the_live_index(backend):
    record_key = SearchEntry.objects.get(kind="record").key
    gone = stale("record:999999", "record")
    backend.added.clear()
    out, _err = reindex("--kind", "record")
    assert backend.rebuilds == []
    assert backend.bulk == [record_key]
    assert backend.deleted == [gone.pk]
    assert backend.added == []
    assert "elasticsearch index shoukong_search_searchentry: 1 entry." in out


def test_a_backend_failure_is_reported(data, settings, monkeypatch):
    fake = FakeBackend(fail=True)
    settings.SHOUKONG_SEARCH_ENGINE = "elasticsearch"
    monkeypatch.setattr("search.engines.wagtail_backends", lambda: [fake])
    SearchEntry.objects.all().delete()
    with pytest.raises(CommandError, match="rebuilt in the database, but"):
        reindex("--quiet")
    # The table is rebuilt all the same.
    assert SearchEntry.objects.count() == 4 + clause_count()


def test_migrate_indexes_the_catalogue_when_no_clause_is_indexed(db):
    """The clauses come from a migration (no saves): migrate indexes them, once."""
    from search.apps import index_catalogue_after_migrate

    assert kinds() == {"clause": clause_count()}  # the test database's migrate
    SearchEntry.objects.filter(kind="clause").delete()
    call_command("migrate", verbosity=0)
    assert kinds() == {"clause": clause_count()}
    ids = set(SearchEntry.objects.values_list("pk", flat=True))
    index_catalogue_after_migrate(sender=None, verbosity=0)
    assert set(SearchEntry.objects.values_list("pk", flat=True)) == ids
    assert SearchEntry.objects.filter(kind="clause", number="8.5.1").exists()


def test_wagtail_update_index_runs(data):
    """Wagtail's own command (its database backend, for pages and the admin)
    works beside the search index; the entries stay out of that backend."""
    from wagtail.search.backends import get_search_backend

    call_command("update_index", stdout=StringIO(), stderr=StringIO())
    assert not list(get_search_backend().search("文件", SearchEntry))
