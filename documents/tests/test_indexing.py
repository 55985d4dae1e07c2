"""documents.indexing: search and reference indexing deferred to the end of a block."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from django_tasks import task, task_backends
from modelsearch import index as modelsearch_index
from wagtail.models import Page, ReferenceIndex

from documents import services
from documents.demo.loading import (
    DemoReport,
    demo_documents_ensure,
    organisation_ensure,
)
from documents.indexing import deferred_indexing, is_deferring
from documents.models import DocumentPage
from documents.tests import factories

pytestmark = pytest.mark.django_db

TITLE = "Quarterly Backup Verification"


@pytest.fixture
def indexed(monkeypatch) -> Counter:
    """Counts the search-index updates, per ``(model label, pk)``."""
    calls: Counter = Counter()
    original = modelsearch_index.insert_or_update_object

    def spy(instance):
        calls[(instance._meta.label, instance.pk)] += 1
        return original(instance)

    monkeypatch.setattr(modelsearch_index, "insert_or_update_object", spy)
    return calls


def times_indexed(calls: Counter, obj) -> int:
    return calls[(obj._meta.label, obj.pk)]


def found(words: str) -> list[int]:
    return [page.pk for page in DocumentPage.objects.search(words)]


def references_from(page) -> bool:
    return ReferenceIndex.get_references_for_object(page).exists()


def create_and_issue(title: str = TITLE) -> DocumentPage:
    """A new document saved several times: created, source attached, issued."""
    page = factories.document("procedure", title)
    services.document_attach_source(
        user=None,
        document=page,
        filename="backup.pdf",
        content=b"%PDF-1.4 not really",
        text="Restore tests every quarter.",
    )
    services.issue_create(user=None, document=page, publish_date=date(2026, 1, 5))
    return DocumentPage.objects.get(pk=page.pk).specific


def test_without_deferral_a_new_page_is_indexed_on_every_save(library, indexed):
    page = create_and_issue()
    assert times_indexed(indexed, page) > 1
    assert found("backup verification") == [page.pk]
    assert references_from(page)


def test_a_page_saved_in_the_block_is_indexed_once_at_the_end(library, indexed):
    with deferred_indexing():
        page = create_and_issue()
        assert times_indexed(indexed, page) == 0
        assert found("backup verification") == []
        assert not references_from(page)
    assert times_indexed(indexed, page) == 1
    assert found("backup verification") == [page.pk]
    assert found("quarterly") == [page.pk]
    # The admin's page search searches all pages.
    assert [p.pk for p in Page.objects.search("backup verification")] == [page.pk]


def test_every_indexed_model_is_indexed_at_the_end(library, indexed):
    with deferred_indexing():
        page = create_and_issue()
        source = page.source_file
        assert times_indexed(indexed, source) == 0
    assert times_indexed(indexed, source) == 1
    # "backup.pdf" is one token (a file name) to PostgreSQL, two to SQLite.
    assert list(type(source).objects.search("backup.pdf")) == [source]


def test_references_are_indexed_at_the_end(library):
    with deferred_indexing():
        page = create_and_issue()
        assert not ReferenceIndex.get_references_for_object(page.source_file).exists()
        assert not ReferenceIndex.get_references_to(page.source_file).exists()
    assert references_from(page)
    # The page's reference to its source file is recorded.
    assert ReferenceIndex.get_references_to(page.source_file).exists()


def test_nothing_is_indexed_when_the_block_raises(library, indexed):
    with pytest.raises(RuntimeError), deferred_indexing():
        page = create_and_issue()
        raise RuntimeError("stop")
    assert times_indexed(indexed, page) == 0
    assert found("backup verification") == []
    assert not references_from(page)
    # Saves after the block are indexed at once again.
    page.save_revision(user=None)
    assert times_indexed(indexed, page) == 1


def test_blocks_nest_and_the_outer_one_indexes(library, indexed):
    with deferred_indexing():
        with deferred_indexing():
            page = create_and_issue()
        assert is_deferring()
        assert times_indexed(indexed, page) == 0
    assert not is_deferring()
    assert times_indexed(indexed, page) == 1


def test_an_object_deleted_in_the_block_is_skipped(library, indexed):
    with deferred_indexing():
        page = factories.document("procedure", TITLE)
        pk = page.pk
        page.delete()
    assert indexed[("documents.ProcedurePage", pk)] == 0
    assert found("backup verification") == []


def test_other_threads_are_not_deferred(library):
    seen = {}

    def look():
        seen["deferring"] = is_deferring()
        seen["backend"] = type(task_backends["default"]).__name__

    with deferred_indexing():
        assert type(task_backends["default"]).__name__ == "_HoldingBackend"
        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
    assert seen == {"deferring": False, "backend": "ImmediateBackend"}
    assert type(task_backends["default"]).__name__ == "ImmediateBackend"


def test_the_demo_documents_are_indexed_once_each(indexed):
    report = DemoReport()
    organisation_ensure(report)
    demo_documents_ensure(report)
    pages = list(DocumentPage.objects.specific())
    assert len(pages) == len(report.documents_created) > 40
    assert {times_indexed(indexed, page) for page in pages} == {1}
    assert all(references_from(page) for page in pages)


ran: list[str] = []


@task()
def note(word: str) -> None:
    ran.append(word)


def test_other_tasks_run_at_once():
    ran.clear()
    with deferred_indexing():
        note.enqueue("now")
        assert ran == ["now"]
