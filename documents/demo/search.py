"""What the demo shows of search: other names staff call some documents by, one
restricted document, and an index that holds everything loaded.

Loaded through the services (:mod:`documents.access`), as document control
would set them; idempotent: a name or a restriction already in place is left
alone, and the index is rebuilt from what is there (only entries whose text
changed are written again).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from documents import access
from documents.models import Department, DocumentPage
from documents.models.pages import split_aliases

# Other names, by the demo document's title (numbers depend on the scheme).
ALIASES: tuple[tuple[str, str], ...] = (
    ("事件记录单", "事件工单、服务工单、运维工单"),
    ("变更申请单", "变更单、RFC"),
    ("配置项登记表", "CI登记表、CMDB登记表"),
    ("服务连续性和可用性管理程序", "应急管理程序、灾备管理程序"),
)

# A restricted document: the management review's input pack gathers every
# department's figures for top management; 行政部 (its owner) and 管理层 read
# it, other departments (staff of 技术部 among them) do not find it.
RESTRICTED_TITLE = "管理评审输入资料"
RESTRICTED_READERS = ("管理层",)


@dataclass
class SearchDemoReport:
    aliases_set: list[str] = field(default_factory=list)
    restricted: list[str] = field(default_factory=list)
    entries_indexed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.aliases_set or self.restricted)


def _page(title: str) -> DocumentPage | None:
    return DocumentPage.objects.filter(title=title).order_by("pk").first()


def demo_search_ensure() -> SearchDemoReport:
    """Aliases and the restricted document of the demo (documents loaded)."""
    report = SearchDemoReport()
    for title, aliases in ALIASES:
        page = _page(title)
        if page is None:
            continue
        wanted = split_aliases(aliases)
        missing = [name for name in wanted if name not in page.alias_list]
        if not missing:
            continue
        merged = "、".join(page.alias_list + missing)
        access.document_set_aliases(user=None, document=page, aliases=merged)
        report.aliases_set.append(f"{page.number or page.title}: {merged}")
    page = _page(RESTRICTED_TITLE)
    if page is not None and not page.confidential:
        readers = list(Department.objects.filter(name__in=RESTRICTED_READERS))
        access.document_set_access(
            user=None, document=page, confidential=True, reader_departments=readers
        )
        report.restricted.append(
            f"{page.number or page.title} ({', '.join(d.name for d in readers)})"
        )
    return report


def search_index_rebuild(report: SearchDemoReport | None = None) -> SearchDemoReport:
    """Rebuild the search index: entries of objects loaded without saving
    them one by one (clauses loaded by the migrations, rows of the demo)."""
    from search import index

    report = report or SearchDemoReport()
    report.entries_indexed = index.rebuild()
    return report
