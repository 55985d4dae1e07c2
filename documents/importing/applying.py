"""Creating the planned documents through the services, all or nothing."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import Storage
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page

from .. import labels, numbering, services
from ..indexing import deferred_indexing
from ..lifecycle import DocumentKind
from ..models import DocumentPage, LibraryPage
from .errors import ImportFailed, RowError
from .plan import (
    UNCHANGED,
    ImportPlan,
    ImportReport,
    PlannedDocument,
    Progress,
    RowOutcome,
)

__all__ = ["apply"]


def apply(
    plan: ImportPlan,
    user: Any = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the plan's new documents in one transaction (all or nothing).

    With ``dry_run`` nothing is written and the report says what would happen.
    Raises :class:`ImportFailed` if the plan has errors or a write fails (the
    transaction is then rolled back and stored source files are deleted).
    """
    if not plan.ok:
        raise ImportFailed(plan.errors)
    outcomes: list[RowOutcome] = []
    if dry_run or not plan.to_create:
        for document in plan.documents:
            if document.action == UNCHANGED:
                outcomes.append(_unchanged(document))
            else:
                outcomes.append(
                    RowOutcome(
                        document,
                        "would_create",
                        issue_label=document.label,
                        characters=len(document.extraction.text)
                        if document.extraction
                        else 0,
                    )
                )
        return ImportReport(plan.register, _register_order(outcomes), dry_run=dry_run)

    stored_files: list[tuple[Storage, str]] = []
    current: PlannedDocument | None = None
    try:
        with transaction.atomic():
            library = services.library_ensure()
            pages: dict[str, DocumentPage] = {}
            total = len(plan.to_create)
            done = 0
            if progress:
                progress("import", done, total)
            # Each new document is saved several times (created, source attached,
            # published); its references and search entry are updated once, at
            # the end.
            with deferred_indexing():
                for document in plan.documents:
                    current = document
                    if document.action == UNCHANGED:
                        outcomes.append(_unchanged(document))
                        continue
                    outcomes.append(
                        _create(document, plan, user, library, pages, stored_files)
                    )
                    done += 1
                    if progress:
                        progress("import", done, total)
                current = None
    except (
        PermissionDenied,
        ValidationError,
        numbering.NumberingError,
        labels.LabelError,
        DatabaseError,
        OSError,
        _SourceChanged,
    ) as exc:
        _delete_files(stored_files)
        reason = _reason(exc)
        if current is None:
            raise ImportFailed([RowError(None, "", reason)]) from exc
        raise ImportFailed(
            [RowError(current.row, current.source.label, reason)]
        ) from exc
    except BaseException:
        _delete_files(stored_files)
        raise
    return ImportReport(plan.register, _register_order(outcomes))


class _SourceChanged(Exception):
    pass


def _unchanged(document: PlannedDocument) -> RowOutcome:
    page = document.existing
    return RowOutcome(
        document, UNCHANGED, page=page, number=page.number if page else None
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermissionDenied):
        return _("permission denied.")
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, numbering.NumberingError | labels.LabelError):
        return exc.message
    if isinstance(exc, _SourceChanged):
        return str(exc)
    return _("the import failed and was rolled back (%(error)s).") % {"error": exc}


def _register_order(outcomes: list[RowOutcome]) -> list[RowOutcome]:
    return sorted(outcomes, key=lambda o: o.row)


def _delete_files(stored: list[tuple[Storage, str]]) -> None:
    for storage, name in stored:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - best effort
            pass


def _create(
    document: PlannedDocument,
    plan: ImportPlan,
    user: Any,
    library: LibraryPage,
    pages: dict[str, DocumentPage],
    stored_files: list[tuple[Storage, str]],
) -> RowOutcome:
    parent: Page
    if document.kind == DocumentKind.EXTERNAL:
        parent = services.external_register()
    elif document.parent_number:
        parent = pages.get(document.parent_number) or DocumentPage.objects.get(
            number=document.parent_number
        )
    else:
        parent = library
    page = services.document_create(
        user=user,
        parent=parent,
        page_class=document.page_class,
        title=document.title,
        number=document.number,
        department=document.department,
        **document.fields,
    )
    if page.number:
        pages[page.number] = page
    if document.file is not None and document.extraction is not None:
        content = document.file.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest != document.extraction.sha256:
            raise _SourceChanged(
                _("%(file)s changed while the register was being imported.")
                % {"file": document.file.name}
            )
        services.document_attach_source(
            user=user,
            document=page,
            filename=document.file.name,
            content=content,
            text=document.extraction.text,
            sha256=digest,
        )
        if page.source_file is not None:
            stored = page.source_file.file
            stored_files.append((stored.storage, stored.name))
    issue_label = None
    if document.kind == DocumentKind.EXTERNAL:
        services.external_document_register(user=user, document=page)
    elif document.label and document.publish_date:
        issue = services.issue_create(
            user=user,
            document=page,
            publish_date=document.publish_date,
            effective_date=document.effective_date,
            label=document.label,
        )
        issue_label = issue.label
    log(
        instance=page,
        action="shoukong.documents.import",
        user=user,
        data={"register": plan.register, "row": document.row},
    )
    return RowOutcome(
        document,
        "created",
        page=page,
        number=page.number,
        issue_label=issue_label,
        characters=len(document.extraction.text) if document.extraction else 0,
    )
