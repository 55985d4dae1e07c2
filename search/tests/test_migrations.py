"""The search migrations keep an index that was already built: 0003 moves the
heading and text of each entry to SearchText, 0004 gives each posting its
impact and band, as search.index writes them today."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from search import scoring

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("search", "0002_entry_parent")]
AFTER = [("search", "0004_posting_impact")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_an_index_built_before_keeps_its_words_and_gets_impacts():
    try:
        old = migrate(BEFORE)
        Entry = old.get_model("search", "SearchEntry")
        Posting = old.get_model("search", "SearchPosting")
        Entry.objects.all().delete()
        document = Entry.objects.create(
            key="issue:1",
            kind="document",
            object_pk=1,
            number="B05",
            title="文件控制程序",
            status="effective",
            heading="B05\n文件控制程序",
            text="文件的发放与回收",
            length=700,
        )
        record = Entry.objects.create(
            key="record:1",
            kind="record",
            object_pk=1,
            number="D0501-2026112201",
            title="文件发放记录",
            status="kept",
            heading="文件发放记录",
            text="",
            length=0,
        )
        Posting.objects.create(term="文件", entry=document, head_tf=1, body_tf=3)
        Posting.objects.create(term="回收", entry=document, head_tf=0, body_tf=1)
        Posting.objects.create(term="发放", entry=record, head_tf=2, body_tf=0)

        new = migrate(AFTER)
        Text = new.get_model("search", "SearchText")
        Posting = new.get_model("search", "SearchPosting")
        words = {t.entry_id: (t.heading, t.text) for t in Text.objects.all()}
        assert words == {
            document.pk: ("B05\n文件控制程序", "文件的发放与回收"),
            record.pk: ("文件发放记录", ""),
        }
        found = {
            (p.term, p.entry_id): (p.impact, p.band) for p in Posting.objects.all()
        }
        expected = {
            ("文件", document.pk): (scoring.impact(1, 3, 700), scoring.NUMBERED),
            ("回收", document.pk): (scoring.impact(0, 1, 700), scoring.NUMBERED),
            ("发放", record.pk): (scoring.impact(2, 0, 0), scoring.OTHERS),
        }
        assert found.keys() == expected.keys()
        for key, (impact, band) in expected.items():
            assert found[key][0] == pytest.approx(impact, rel=1e-9)
            assert found[key][1] == band
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
