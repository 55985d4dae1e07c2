"""Documents and forms: one entry per issue, and one per draft never issued.

An issue's entry carries the issue's own snapshot (title, body, extracted file
text) and the document's current metadata (number, department, other names,
who may read it, the clauses it answers). The effective issue and an approved
issue waiting for its effective date (已发布，待实施) are current; superseded and
obsolete issues are history (作废). A draft never issued has one entry, seen
only by those who may edit the page.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags

from documents import permissions
from documents.lifecycle import DocumentKind, DocumentStatus, IssueStatus
from documents.models import DocumentIssue, DocumentPage, ExternalDocumentPage

from ..models import EntryKind
from .base import NOTHING, EntryData, Source, batched

ISSUE = "issue"
DRAFT = "draft"
# An external document (外来文件) is registered, never issued: one entry for
# the page itself once it is on the register.
EXTERNAL_PAGE = "external"

# Entry statuses of documents (labels: search.labels).
EFFECTIVE = "effective"
PENDING = "pending"
SUPERSEDED = "superseded"
OBSOLETE = "obsolete"
EXTERNAL = "external"
DRAFT_STATUS = "draft"
CURRENT_STATUSES = (EFFECTIVE, PENDING, EXTERNAL, DRAFT_STATUS)
HISTORY_STATUSES = (SUPERSEDED, OBSOLETE)

_SPACE = re.compile(r"\s+")


def plain(value: str) -> str:
    """Text of rich-text HTML."""
    if not value:
        return ""
    text = html.unescape(strip_tags(value.replace("<", " <")))
    return _SPACE.sub(" ", text).strip()


def _entry_kind(page) -> str:
    return EntryKind.FORM if page.kind == DocumentKind.FORM else EntryKind.DOCUMENT


def _issue_status(page, issue) -> str:
    if (
        page.status == DocumentStatus.OBSOLETE
        and issue.status != IssueStatus.SUPERSEDED
    ):
        return OBSOLETE
    if issue.status == IssueStatus.EFFECTIVE:
        return EXTERNAL if page.kind == DocumentKind.EXTERNAL else EFFECTIVE
    return {
        IssueStatus.PENDING: PENDING,
        IssueStatus.SUPERSEDED: SUPERSEDED,
        IssueStatus.OBSOLETE: OBSOLETE,
    }.get(issue.status, OBSOLETE)


def _issue_url(page, issue, status) -> str:
    try:
        if page.number:
            if status in (EFFECTIVE, EXTERNAL):
                return reverse("documents:detail", kwargs={"number": page.number})
            return reverse(
                "documents:issue", kwargs={"number": page.number, "label": issue.label}
            )
    except NoReverseMatch:
        pass
    return page.get_url() or ""


def _heading(page, title: str) -> str:
    return "\n".join(filter(None, [page.number or "", title, page.other_names or ""]))


def _clauses(page_ids) -> dict[int, list[str]]:
    from compliance.models import ClauseDocumentLink

    found: dict[int, list[str]] = defaultdict(list)
    for document_id, ref_id in ClauseDocumentLink.objects.filter(
        document_id__in=page_ids
    ).values_list("document_id", "clause__ref_id"):
        found[document_id].append(ref_id)
    return found


def _parent_documents(pages) -> dict[int, int]:
    """{form page id: the document page it sits under} (forms under the
    tree's folders or the library root have none)."""
    from wagtail.models import Page

    steplen = Page.steplen
    paths = {
        p.pk: p.path[:-steplen]
        for p in pages
        if p.kind == DocumentKind.FORM and len(p.path) > steplen
    }
    if not paths:
        return {}
    by_path = dict(
        DocumentPage.objects.filter(path__in=set(paths.values())).values_list(
            "path", "pk"
        )
    )
    return {pk: by_path[path] for pk, path in paths.items() if path in by_path}


class DocumentSource(Source):
    kinds = (EntryKind.DOCUMENT, EntryKind.FORM)
    prefixes = (ISSUE, DRAFT, EXTERNAL_PAGE)

    @property
    def watched(self):
        from compliance.models import ClauseDocumentLink

        return (DocumentPage, DocumentIssue, ClauseDocumentLink)

    # --- building entries ------------------------------------------------------

    def _page_entries(
        self, page, issues, clauses, readers, external=None, parent_id=None
    ) -> list[EntryData]:
        entries: list[EntryData] = []
        common = {
            "kind": _entry_kind(page),
            "document_id": page.pk,
            "parent_id": parent_id,
            "number": page.number or "",
            "department_id": page.department_id,
            "tier": page.tier,
            "confidential": page.confidential,
            "readers": readers,
            "clauses": clauses,
        }
        for issue in issues:
            status = _issue_status(page, issue)
            entries.append(
                EntryData(
                    key=f"{ISSUE}:{issue.pk}",
                    object_pk=issue.pk,
                    title=issue.title or page.title,
                    issue_label=issue.label,
                    status=status,
                    current=status in CURRENT_STATUSES,
                    date=issue.publish_date,
                    effective_date=issue.effective_date,
                    url=_issue_url(page, issue, status),
                    heading=_heading(page, issue.title or page.title),
                    text="\n".join(
                        filter(
                            None,
                            [page.description, plain(issue.body), issue.source_text],
                        )
                    ),
                    **common,
                )
            )
        registered = page.kind == DocumentKind.EXTERNAL and page.live
        if registered and not issues:
            entries.append(self._external_entry(page, external or {}, common))
        elif not issues and (
            page.status == DocumentStatus.DRAFT or page.kind == DocumentKind.EXTERNAL
        ):
            draft = page
            if page.has_unpublished_changes and page.latest_revision_id:
                draft = page.get_latest_revision_as_object()
            try:
                url = reverse("wagtailadmin_pages:edit", args=[page.pk])
            except NoReverseMatch:  # pragma: no cover - admin always mounted
                url = ""
            title = draft.draft_title or draft.title
            entries.append(
                EntryData(
                    key=f"{DRAFT}:{page.pk}",
                    object_pk=page.pk,
                    title=title,
                    status=DRAFT_STATUS,
                    current=True,
                    url=url,
                    heading=_heading(page, title),
                    text="\n".join(
                        filter(
                            None,
                            [draft.description, plain(draft.body), draft.source_text],
                        )
                    ),
                    **common,
                )
            )
        return entries

    def _external_entry(self, page, details: dict, common: dict) -> EntryData:
        """A registered external document: searched while on the register,
        作废 once withdrawn."""
        status = OBSOLETE if page.status == DocumentStatus.OBSOLETE else EXTERNAL
        reference = details.get("reference") or ""
        heading = "\n".join(
            filter(None, [_heading(page, page.title), reference, details.get("issuer")])
        )
        return EntryData(
            key=f"{EXTERNAL_PAGE}:{page.pk}",
            object_pk=page.pk,
            title=page.title,
            status=status,
            current=status == EXTERNAL,
            date=details.get("received_on"),
            url=page.get_url() or "",
            heading=heading,
            text="\n".join(
                filter(None, [page.description, plain(page.body), page.source_text])
            ),
            **{**common, "number": page.number or reference},
        )

    def _entries_for_pages(self, pages) -> list[EntryData]:
        pages = list(pages)
        if not pages:
            return []
        ids = [p.pk for p in pages]
        issues: dict[int, list] = defaultdict(list)
        for issue in DocumentIssue.objects.filter(document_id__in=ids).order_by(
            "issued_at", "id"
        ):
            issues[issue.document_id].append(issue)
        clauses = _clauses(ids)
        readers: dict[int, list[int]] = defaultdict(list)
        through = DocumentPage.reader_departments.through
        for page_id, department_id in through.objects.filter(
            documentpage_id__in=ids
        ).values_list("documentpage_id", "department_id"):
            readers[page_id].append(department_id)
        external = {
            row["pk"]: row
            for row in ExternalDocumentPage.objects.filter(
                pk__in=[p.pk for p in pages if p.kind == DocumentKind.EXTERNAL]
            ).values("pk", "reference", "issuer", "received_on")
        }
        parents = _parent_documents(pages)
        out: list[EntryData] = []
        for page in pages:
            out.extend(
                self._page_entries(
                    page,
                    issues[page.pk],
                    clauses[page.pk],
                    readers[page.pk],
                    external.get(page.pk),
                    parents.get(page.pk),
                )
            )
        return out

    def entries_for(self, instance):
        from compliance.models import ClauseDocumentLink

        if isinstance(instance, DocumentIssue):
            page_id = instance.document_id
        elif isinstance(instance, ClauseDocumentLink):
            page_id = instance.document_id
        elif isinstance(instance, DocumentPage):
            page_id = instance.pk
        else:
            return None
        return self.entries_for_page_ids([page_id])

    def entries_for_page_ids(self, page_ids):
        pages = DocumentPage.objects.filter(pk__in=page_ids)
        scope = Q(document_id__in=list(page_ids), kind__in=self.kinds)
        return scope, self._entries_for_pages(pages)

    def iter_all(self) -> Iterator[list[EntryData]]:
        ids = DocumentPage.objects.order_by("pk").values_list("pk", flat=True)
        for batch in batched(ids.iterator(), 100):
            yield self._entries_for_pages(DocumentPage.objects.filter(pk__in=batch))

    # --- who sees what ------------------------------------------------------------

    def visible_q(self, user) -> Q:
        if not permissions.can_view_library(user):
            return NOTHING
        released = ~Q(status=DRAFT_STATUS)
        if not permissions.reads_restricted(user):
            readable = Q(confidential=False)
            department = permissions.department_of(user)
            if department is not None:
                readable |= Q(department_id=department.pk) | Q(
                    readers__contains=f" {department.pk} "
                )
            released &= readable
        if not permissions.can_see_history(user):
            released &= Q(status__in=CURRENT_STATUSES)
        visible = released
        editable = _editable_page_ids(user)
        if editable is not None:
            visible |= Q(status=DRAFT_STATUS, document_id__in=editable)
        return Q(kind__in=self.kinds) & visible

    def verify(self, user, entries) -> set[int]:
        released = {e.document_id for e in entries if e.status != DRAFT_STATUS}
        drafts = {e.document_id for e in entries if e.status == DRAFT_STATUS}
        readable = set(
            DocumentPage.objects.visible_to(user)
            .filter(pk__in=released)
            .values_list("pk", flat=True)
        )
        editable: set[int] = set()
        if drafts:
            ids = _editable_page_ids(user)
            if ids is not None:
                editable = set(ids.filter(pk__in=drafts).values_list("pk", flat=True))
        history = permissions.can_see_history(user)
        allowed = set()
        for entry in entries:
            if entry.status == DRAFT_STATUS:
                ok = entry.document_id in editable
            else:
                ok = entry.document_id in readable and (
                    history or entry.status in CURRENT_STATUSES
                )
            if ok:
                allowed.add(entry.pk)
        return allowed


def _editable_page_ids(user):
    """Pages ``user`` may edit (a queryset of ids), or None for none at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    from wagtail.permission_policies.pages import PagePermissionPolicy

    policy = PagePermissionPolicy()
    if not policy.user_has_permission(user, "change"):
        return None
    pages = policy.instances_user_has_any_permission_for(user, ["change"])
    return DocumentPage.objects.filter(pk__in=pages.values("pk")).values("pk")
