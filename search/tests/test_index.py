"""Keeping the index in step: saves and deletes of issues, pages, records,
clauses, nonconformities and checklist findings re-index at once; inside
deferred_indexing each object once at the end (nothing if the block raises);
services that use QuerySet.update() call documents_changed / records_changed;
postings are rewritten only when the text changed."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import services as compliance_services
from compliance.models import Clause, Nonconformity
from documents import services as doc_services
from documents.access import document_set_access, document_set_aliases
from documents.indexing import deferred_indexing
from documents.models import DocumentPage
from documents.tests import factories as doc_factories
from records import services as record_services
from records.lifecycle import RecordStatus
from records.models import Record
from records.tests import factories as record_factories
from search import index, service
from search.models import SearchEntry, SearchPosting
from search.tests import factories as f

pytestmark = pytest.mark.django_db

lib = f.shared(f.build_library)

POSTINGS_TABLE = SearchPosting._meta.db_table


def keys_of(page) -> set[str]:
    return set(
        SearchEntry.objects.filter(
            document_id=page.pk, kind__in=["document", "form"]
        ).values_list("key", flat=True)
    )


def postings(key: str) -> dict[str, tuple[int, int]]:
    return {
        p.term: (p.head_tf, p.body_tf)
        for p in SearchPosting.objects.filter(entry__key=key)
    }


def found(user, q, **kwargs) -> list[str]:
    return [r.number for r in service.search(user, q, **kwargs).results]


@pytest.fixture
def writes(monkeypatch):
    """The scopes written by search.index.write, in order."""
    calls: list = []
    real = index.write

    def spy(scope, entries):
        calls.append(sorted(e.key for e in entries))
        return real(scope, entries)

    monkeypatch.setattr(index, "write", spy)
    return calls


class TestEntries:
    def test_an_issue_entry(self, lib):
        entry = f.entry(f.issue_key(lib.b05))
        assert entry.kind == "document"
        assert entry.number == "B05"
        assert entry.title == "文件控制程序"
        assert entry.issue_label == "A"
        assert entry.status == "effective" and entry.current
        assert entry.tier == 2
        assert entry.department.name == "行政部"
        assert entry.url == "/documents/B05/"
        assert entry.date == f.PUBLISH
        assert "销毁" in entry.text  # the extracted file text
        terms = postings(entry.key)
        assert terms["b05"][0] >= 1  # in the heading
        assert terms["发放"] == (0, 1)
        assert entry.length == sum(body for _head, body in terms.values())
        assert len(entry.digest) == 64

    def test_a_form_and_its_other_names(self, lib):
        entry = f.entry(f.issue_key(lib.d0201))
        assert entry.kind == "form" and entry.tier == 4
        assert "运行服务单" in entry.heading
        assert postings(entry.key)["服务"][0] >= 2

    def test_a_record_entry(self, lib):
        entry = f.entry(f"record:{lib.old_record.pk}")
        assert entry.kind == "record"
        assert entry.number == "D0201-2005031401"
        assert entry.title == "运维工作单"
        assert entry.document_id == lib.d0201.pk
        assert entry.date == date(2005, 3, 14)
        assert entry.department.name == "技术部"
        assert not entry.confidential
        assert f.entry(f"record:{lib.secret_record.pk}").confidential

    def test_nonconformity_finding_and_clause_entries(self, lib):
        nc = f.entry(f"nc:{lib.nc.pk}")
        assert nc.number == lib.nc.number and nc.clauses == " 8.5.1 "
        finding = f.entry(f"finding:{lib.finding.pk}")
        assert finding.kind == "finding" and finding.status == "nonconforming"
        assert finding.url.endswith(f"#item-{lib.finding.pk}")
        clause = f.entry(f"clause:{f.clause('8.5.1').pk}")
        assert clause.kind == "clause" and clause.number == "8.5.1"


class TestDocuments:
    def test_a_draft_then_its_issue(self, lib):
        page = f.document("问题管理程序", "B13", body="问题的识别与分析。", issue=False)
        assert keys_of(page) == {f"draft:{page.pk}"}
        draft = f.entry(f"draft:{page.pk}")
        assert draft.status == "draft" and draft.issue_label == ""

        doc_services.issue_create(user=None, document=page, publish_date=f.PUBLISH)
        assert keys_of(page) == {f.issue_key(page)}
        assert found(lib.people.staff, "问题的识别") == ["B13"]

    def test_editing_a_draft(self, lib):
        page = DocumentPage.objects.get(pk=lib.b11.pk).specific
        page.title = "容量与性能管理程序"
        page.save_revision(log_action=False)
        assert f.entry(f"draft:{page.pk}").title == "容量与性能管理程序"
        assert found(lib.people.controller, "性能") == ["B11"]

    def test_deleting_a_draft(self, lib):
        page = f.document("可用性管理程序", "B14", issue=False)
        assert keys_of(page) == {f"draft:{page.pk}"}
        DocumentPage.objects.get(pk=page.pk).delete()
        assert not SearchEntry.objects.filter(document_id=page.pk).exists()

    def test_a_new_issue_supersedes(self, lib):
        f.reissue(lib.b17, body="应急预案的编制、演练、评审与复盘。")
        a, b = f.issue_key(lib.b17, "A"), f.issue_key(lib.b17, "B")
        assert keys_of(lib.b17) == {a, b}
        assert f.entry(a).status == "superseded" and not f.entry(a).current
        assert f.entry(b).status == "effective" and f.entry(b).current
        assert found(lib.people.staff, "应急预案") == ["B17"]
        assert found(lib.people.staff, "复盘") == ["B17"]

    def test_a_pending_issue_takes_effect(self, lib):
        from documents.distribution import issue_activate

        b = lib.b07.issues.get(label="B")
        assert f.entry(f"issue:{b.pk}").status == "pending"
        b.effective_date = date(2026, 6, 1)
        b.save(update_fields=["effective_date"])
        issue_activate(user=None, issue=b, today=date(2026, 6, 1))
        assert f.entry(f"issue:{b.pk}").status == "effective"
        assert f.entry(f.issue_key(lib.b07, "A")).status == "superseded"

    def test_withdrawing(self, lib):
        from documents.changes import document_withdraw

        document_withdraw(user=lib.people.controller, document=lib.b17)
        entry = f.entry(f.issue_key(lib.b17))
        assert entry.status == "obsolete" and not entry.current
        assert found(lib.people.staff, "应急预案") == []

    def test_page_fields(self, lib):
        page = DocumentPage.objects.get(pk=lib.b17.pk)
        page.description = "突发事件的响应"
        page.save()
        assert "突发事件" in f.entry(f.issue_key(lib.b17)).text
        assert found(lib.people.staff, "突发事件") == ["B17"]

    def test_saves_that_change_nothing_shown_are_ignored(self, lib, writes):
        page = DocumentPage.objects.get(pk=lib.b17.pk)
        page.save(update_fields=["locked", "locked_at", "locked_by"])
        assert writes == []

    def test_aliases_and_access(self, lib, writes):
        p = lib.people
        document_set_aliases(user=p.controller, document=lib.b17, aliases="应急计划")
        assert "应急计划" in f.entry(f.issue_key(lib.b17)).heading
        assert found(p.staff, "应急计划") == ["B17"]
        document_set_access(user=p.controller, document=lib.b17, confidential=True)
        assert f.entry(f.issue_key(lib.b17)).confidential
        assert writes

    def test_clause_links(self, lib):
        clause = f.clause("8.5.1")
        p = lib.people
        compliance_services.document_link(
            user=p.controller, clause=clause, document=lib.b17
        )
        assert f.entry(f.issue_key(lib.b17)).clauses == " 8.5.1 "
        assert found(
            p.staff, "应急", filters=service.SearchFilters(clause="8.5.1")
        ) == ["B17"]
        compliance_services.document_unlink(
            user=p.controller, clause=clause, document=lib.b17
        )
        assert f.entry(f.issue_key(lib.b17)).clauses == ""


class TestExternalDocuments:
    def test_found_once_on_the_register(self, lib):
        from documents.models import ExternalDocumentPage

        external = doc_services.document_create(
            user=None,
            parent=doc_services.external_register(),
            page_class=ExternalDocumentPage,
            title="信息技术 安全技术 信息安全管理体系 要求",
            issuer="国家标准化管理委员会",
            reference="GB/T 22080-2016",
            department=doc_factories.department("行政部"),
            source_text="组织应确定与其目的相关的内外部事项。",
        )
        staff, controller = lib.people.staff, lib.people.controller
        # Not on the register yet: a draft, for those who may edit it.
        assert keys_of(external) == {f"draft:{external.pk}"}
        assert found(staff, "内外部事项") == []
        assert len(found(controller, "内外部事项")) == 1

        doc_services.external_document_register(user=None, document=external)
        assert keys_of(external) == {f"external:{external.pk}"}
        entry = f.entry(f"external:{external.pk}")
        assert entry.status == "external" and entry.current
        results = service.search(staff, "22080").results
        assert [r.number for r in results] == ["GB/T 22080-2016"]
        assert results[0].status == "external"
        assert not results[0].void
        assert found(staff, "内外部事项") == ["GB/T 22080-2016"]
        assert found(staff, "标准化管理委员会") == ["GB/T 22080-2016"]

        from documents.changes import document_withdraw

        document_withdraw(user=controller, document=external)
        entry = f.entry(f"external:{external.pk}")
        assert entry.status == "obsolete" and not entry.current
        assert found(staff, "22080") == []


class TestRecords:
    def test_a_new_record(self, lib):
        data = record_factories.work_order_data(gu_zhang_miao_shu="交换机端口故障")
        record = f.record(lib.people.staff, lib.d0201, data=data)
        entry = f.entry(f"record:{record.pk}")
        assert entry.number == record.number
        assert "交换机端口故障" in entry.text
        assert found(lib.people.staff, "交换机") == [record.number]

    def test_a_correction_is_searched(self, lib):
        staff = lib.people.staff
        record_services.record_correct(
            user=staff,
            record=lib.old_record,
            field="gu_zhang_miao_shu",
            value="显示器无信号",
            reason="记录错误",
        )
        assert "显示器无信号" in f.entry(f"record:{lib.old_record.pk}").text
        assert found(staff, "显示器") == [lib.old_record.number]

    def test_records_changed(self, lib):
        record = lib.old_record
        Record.objects.filter(pk=record.pk).update(confidential=True)
        assert not f.entry(f"record:{record.pk}").confidential
        index.records_changed([record.pk])
        assert f.entry(f"record:{record.pk}").confidential

    def test_a_destroyed_record_leaves_the_index(self, lib):
        p = lib.people
        record = lib.old_record
        request = record_services.disposal_request_create(
            user=p.staff, records=[record], method="shred", reason="保存期满"
        )
        assert f.entry(f"record:{record.pk}").status == RecordStatus.DISPOSAL_PENDING
        record_services.disposal_request_approve(user=p.tech_manager, request=request)
        record_services.disposal_request_approve(user=p.controller, request=request)
        record_services.disposal_execute(
            user=p.staff, request=request, witness=p.tech_manager
        )
        assert Record.objects.get(pk=record.pk).status == RecordStatus.DESTROYED
        assert not SearchEntry.objects.filter(key=f"record:{record.pk}").exists()
        assert found(p.controller, record.number) == []
        assert service.suggest(p.controller, record.number) == []


class TestCompliance:
    def test_a_clause(self, lib):
        clause = f.clause("8.5.1")
        key = f"clause:{clause.pk}"
        clause.title_zh = "变更与发布管理"
        clause.save()
        assert f.entry(key).title == "变更与发布管理"
        Clause.objects.filter(pk=clause.pk).update(is_active=False)
        Clause.objects.get(pk=clause.pk).save()
        assert not f.entry(key).current

    def test_a_nonconformity(self, lib):
        nc = Nonconformity.objects.get(pk=lib.nc.pk)
        nc.title = "紧急变更未走审批"
        nc.save()
        assert f.entry(f"nc:{nc.pk}").title == "紧急变更未走审批"
        nc.delete()
        assert not SearchEntry.objects.filter(key=f"nc:{nc.pk}").exists()

    def test_a_checklist_finding(self, lib):
        item = lib.finding
        key = f"finding:{item.pk}"
        item.result = "conforming"
        item.save()
        assert not SearchEntry.objects.filter(key=key).exists()
        item.result = "observation"
        item.evidence = "建议补充回退计划"
        item.save()
        entry = f.entry(key)
        assert entry.status == "observation" and "回退计划" in entry.text
        item.delete()
        assert not SearchEntry.objects.filter(key=key).exists()

    def test_a_pending_checklist_item_is_not_a_finding(self, lib):
        item = f.finding(lib.people.controller, result="pending")
        assert not SearchEntry.objects.filter(key=f"finding:{item.pk}").exists()


class TestDeferred:
    def test_each_object_once_at_the_end(self, lib, writes):
        with deferred_indexing():
            page = f.document("发布管理程序", "B15", body="发布的计划与部署。")
            f.reissue(page, body="发布的计划、部署与回退。")
            assert writes == []
            assert not SearchEntry.objects.filter(document_id=page.pk).exists()
        page_writes = [w for w in writes if any(k.startswith("issue:") for k in w)]
        assert len(page_writes) == 1
        assert keys_of(page) == {f.issue_key(page, "A"), f.issue_key(page, "B")}
        assert found(lib.people.staff, "回退") == ["B15"]

    def test_records_and_others_once(self, lib, writes):
        with deferred_indexing():
            record = f.record(lib.people.staff, lib.d0201)
            nc = Nonconformity.objects.get(pk=lib.nc.pk)
            for title in ("一", "二", "三"):
                nc.title = f"变更评审缺失{title}"
                nc.save()
            assert writes == []
        assert writes.count([f"record:{record.pk}"]) == 1
        assert writes.count([f"nc:{nc.pk}"]) == 1
        assert f.entry(f"nc:{nc.pk}").title == "变更评审缺失三"

    def test_nothing_when_the_block_raises(self, lib, writes):
        page = DocumentPage.objects.get(pk=lib.b17.pk)
        with pytest.raises(RuntimeError), deferred_indexing():
            page.description = "不应进入索引"
            page.save()
            raise RuntimeError
        assert writes == []
        assert "不应进入索引" not in f.entry(f.issue_key(lib.b17)).text
        # Nothing held back leaks into the next block.
        with deferred_indexing():
            pass
        assert writes == []

    def test_documents_changed_defers_too(self, lib, writes):
        with deferred_indexing():
            index.documents_changed([lib.b17.pk, lib.b17.pk, lib.b05.pk])
            assert writes == []
        assert len(writes) == 2


class TestUpdates:
    def test_documents_changed(self, lib):
        DocumentPage.objects.filter(pk=lib.b17.pk).update(confidential=True)
        assert not f.entry(f.issue_key(lib.b17)).confidential
        index.documents_changed([lib.b17.pk])
        assert f.entry(f.issue_key(lib.b17)).confidential

    def test_postings_rewritten_only_when_the_text_changed(self, lib):
        key = f.issue_key(lib.b05)
        before = postings(key)
        digest = f.entry(key).digest
        DocumentPage.objects.filter(pk=lib.b05.pk).update(confidential=True)
        with CaptureQueriesContext(connection) as queries:
            index.documents_changed([lib.b05.pk])
        assert f.entry(key).confidential and f.entry(key).digest == digest
        assert not [q for q in queries if POSTINGS_TABLE in q["sql"]]
        assert postings(key) == before

        DocumentPage.objects.filter(pk=lib.b05.pk).update(description="文件编号规则")
        with CaptureQueriesContext(connection) as queries:
            index.documents_changed([lib.b05.pk])
        assert f.entry(key).digest != digest
        assert [q for q in queries if POSTINGS_TABLE in q["sql"]]
        assert postings(key)["编号"] == (0, 1)
        assert set(before) < set(postings(key))


class TestRebuild:
    def test_rebuild_matches_the_live_index(self, lib):
        def snapshot():
            return {
                e.key: (
                    e.title,
                    e.status,
                    e.current,
                    e.confidential,
                    e.readers,
                    e.digest,
                )
                for e in SearchEntry.objects.all()
            }

        live = snapshot()
        SearchEntry.objects.create(
            key="issue:999999999",
            kind="document",
            object_pk=1,
            title="幽灵",
            status="effective",
        )
        seen: list[tuple[str, int]] = []
        total = index.rebuild(progress=lambda kind, n: seen.append((kind, n)))
        assert snapshot() == live
        assert total == len(live)
        by_kind: dict[str, int] = {}
        for kind, n in seen:
            by_kind[kind] = by_kind.get(kind, 0) + n
        live_kinds = SearchEntry.objects.values_list("kind", flat=True)
        assert by_kind == {k: list(live_kinds).count(k) for k in set(live_kinds)}
        assert sum(by_kind.values()) == total

    def test_rebuild_from_nothing(self, lib):
        SearchPosting.objects.all().delete()
        SearchEntry.objects.all().delete()
        index.rebuild()
        assert found(lib.people.staff, "发放")
        assert f.entry(f.issue_key(lib.b05)).number == "B05"
