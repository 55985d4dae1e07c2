"""The only code that changes the state of documents, numbers and issues.

Every function here is keyword-only, checks permission through
:mod:`documents.permissions`, enforces the transition table of
:mod:`documents.lifecycle` and leaves one Wagtail log entry, so the admin, the API,
management commands and signal receivers all behave the same. ``user=None`` means
the system itself (a management command run by the operator).
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.log_actions import log
from wagtail.models import Collection, Page, Revision, Site

from search import index as search_index

from . import labels, numbering, permissions
from .lifecycle import (
    DOCUMENT_TRANSITIONS,
    ISSUE_TRANSITIONS,
    NUMBERED_KINDS,
    ChangeRequestStatus,
    DocumentKind,
    DocumentStatus,
    InvalidTransition,
    IssueStatus,
    ensure_transition,
)
from .models import (
    ChangeRequest,
    DocumentIssue,
    DocumentNumber,
    DocumentPage,
    ExternalDocumentIndexPage,
    LibraryPage,
    NumberSequence,
    Signature,
    form_schema,
)

User = AbstractBaseUser


# Set while issue_create publishes, so the page_published receiver knows the
# publish is already being issued.
_issuing: ContextVar[bool] = ContextVar("shoukong_issuing", default=False)


def is_issuing() -> bool:
    return _issuing.get()


class NumberUnavailable(numbering.NumberingError):
    """The number was assigned before (possibly to a deleted draft); never reused."""


# --- Library ---------------------------------------------------------------------


@transaction.atomic
def library_ensure() -> LibraryPage:
    """Create the library root (and the external register) once; idempotent."""
    library = LibraryPage.objects.first()
    if library is None:
        root = Page.get_first_root_node()
        library = LibraryPage(title=_("Controlled document library"), slug="library")
        root.add_child(instance=library)
        library.save_revision(log_action=False).publish(log_action=False)
        site = Site.objects.filter(is_default_site=True).first()
        old_root = site.root_page if site else None
        if site is None:
            site = Site(hostname="localhost", port=80, is_default_site=True)
        site.root_page = library
        site.site_name = "Shoukong"
        site.save()
        # Wagtail's starter "Welcome" page has no use here once unreferenced.
        if (
            old_root is not None
            and old_root.specific_class is Page
            and not old_root.get_children().exists()
        ):
            old_root.delete()
    if not ExternalDocumentIndexPage.objects.exists():
        register = ExternalDocumentIndexPage(
            title=_("External documents"), slug="external"
        )
        library.add_child(instance=register)
        register.save_revision(log_action=False).publish(log_action=False)
    return library


def external_register() -> ExternalDocumentIndexPage:
    library_ensure()
    return ExternalDocumentIndexPage.objects.get()


# --- Numbers ---------------------------------------------------------------------


def _locked_sequence(key: str) -> NumberSequence:
    """The counter ``key``, locked until the transaction ends."""
    try:
        with transaction.atomic():
            sequence, _created = (
                NumberSequence.objects.select_for_update().get_or_create(key=key)
            )
    except IntegrityError:
        # Another writer created the counter first; wait for its lock.
        sequence = NumberSequence.objects.select_for_update().get(key=key)
    return sequence


def number_sequence_next(key: str) -> int:
    """The next value of counter ``key``, under a row lock: gap-free and never
    twice, because the increment commits or rolls back with what it numbers.
    Call it inside the transaction that saves the numbered object."""
    sequence = _locked_sequence(key)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def _parent_number(parent: Page | None) -> str | None:
    if parent is None:
        return None
    return getattr(parent.specific, "number", None)


@transaction.atomic
def document_number_allocate(*, kind: str, parent_number: str | None = None) -> str:
    """Hand out the next number of a sequence; numbers are never reused."""
    scheme = numbering.get_scheme()
    number_kind = numbering.Kind(kind)
    key = scheme.sequence_key(number_kind, parent_number)
    sequence = _locked_sequence(key)
    in_ledger = (
        DocumentNumber.objects.filter(sequence_key=key).aggregate(top=Max("seq"))["top"]
        or 0
    )
    value = max(sequence.last_value, in_ledger) + 1
    number = scheme.format(number_kind, value, parent_number)
    sequence.last_value = value
    sequence.save(update_fields=["last_value"])
    DocumentNumber.objects.create(
        number=number, scheme=scheme.name, sequence_key=key, seq=value
    )
    return number


@transaction.atomic
def document_number_reserve(
    *, number: str, kind: str, parent_number: str | None = None
) -> str:
    """Take a number given from outside (an imported register); it must be new,
    well-formed for the kind and, where the scheme embeds it, name the parent."""
    scheme = numbering.get_scheme()
    number = scheme.normalise(number)
    parsed = scheme.parse(number)
    if parsed.kind != numbering.Kind(kind):
        raise numbering.NumberingError(
            _("%(number)s is not the number of a %(kind)s.")
            % {"number": number, "kind": DocumentKind(kind).label}
        )
    if scheme.embeds_parent(parsed.kind) and parsed.parent != parent_number:
        raise numbering.NumberingError(
            _("%(number)s belongs under %(expected)s, not under %(parent)s.")
            % {
                "number": number,
                "expected": parsed.parent,
                "parent": parent_number or "-",
            }
        )
    key = scheme.sequence_key(parsed.kind, parsed.parent)
    sequence = _locked_sequence(key)
    try:
        with transaction.atomic():
            DocumentNumber.objects.create(
                number=number, scheme=scheme.name, sequence_key=key, seq=parsed.seq
            )
    except IntegrityError as exc:
        raise NumberUnavailable(
            _("The number %(number)s has already been used and is never reused.")
            % {"number": number}
        ) from exc
    if parsed.seq > sequence.last_value:
        sequence.last_value = parsed.seq
        sequence.save(update_fields=["last_value"])
    return number


# --- Documents -------------------------------------------------------------------


def document_prepare_new(
    *, page: DocumentPage, parent: Page, number: str | None = None
) -> DocumentPage:
    """Fill in what a new document gets at creation: its number, slug and status.

    Used by the admin's page form (Wagtail's create view checks permission and
    logs the creation) and by :func:`document_create`.
    """
    kind = page.document_kind
    if kind in NUMBERED_KINDS and not page.number:
        parent_number = _parent_number(parent)
        scheme = numbering.get_scheme()
        embedded_parent = (
            parent_number if scheme.embeds_parent(numbering.Kind(kind)) else None
        )
        if number:
            page.number = document_number_reserve(
                number=number, kind=kind, parent_number=embedded_parent
            )
        else:
            page.number = document_number_allocate(
                kind=kind, parent_number=embedded_parent
            )
    if page.number:
        page.number_sort = numbering.sort_string(numbering.get_scheme(), page.number)
    if kind == DocumentKind.EXTERNAL:
        page.status = DocumentStatus.EXTERNAL
    if not page.slug:
        base = (page.number or "").lower()
        if not base:
            base = f"doc-{timezone.now():%Y%m%d%H%M%S%f}"
        page.slug = base
    return page


@transaction.atomic
def document_number_assign(*, user: User | None, page: DocumentPage) -> DocumentPage:
    """Give a numbered document without a number (a fresh copy) its number."""
    page = DocumentPage.objects.select_for_update().get(pk=page.pk).specific
    permissions.ensure_can_edit_document(user, page)
    if page.kind == DocumentKind.EXTERNAL and page.status == DocumentStatus.DRAFT:
        # Copies start without service fields; an external one is registered.
        DocumentPage.objects.filter(pk=page.pk).update(status=DocumentStatus.EXTERNAL)
        page.status = DocumentStatus.EXTERNAL
        search_index.documents_changed([page.pk])
    if page.number or not page.is_numbered:
        return page
    document_prepare_new(page=page, parent=page.get_parent())
    DocumentPage.objects.filter(pk=page.pk).update(
        number=page.number, number_sort=page.number_sort
    )
    log(
        instance=page,
        action="shoukong.documents.number",
        user=user,
        data={"number": page.number},
    )
    return page


@transaction.atomic
def document_create(
    *,
    user: User | None,
    parent: Page,
    page_class: type[DocumentPage],
    title: str,
    number: str | None = None,
    **fields: Any,
) -> DocumentPage:
    """Create a draft document under ``parent`` with its number assigned now
    (ISO/IEC 20000-1:2018 7.5.2: documents are identified)."""
    parent = parent.specific
    if not page_class.can_create_at(parent):
        raise ValidationError(
            _("A %(kind)s cannot be created under “%(parent)s”.")
            % {"kind": page_class._meta.verbose_name, "parent": parent.title}
        )
    permissions.ensure_can_create_document(user, parent)
    page = page_class(title=title, **fields)
    document_prepare_new(page=page, parent=parent, number=number)
    page.live = False
    page.has_unpublished_changes = True
    if user is not None:
        page.owner = user
    parent.add_child(instance=page)
    # Page.save() logs "wagtail.create" (as the owner) for new pages.
    page.save_revision(user=user, log_action=False)
    return page


@transaction.atomic
def document_attach_source(
    *,
    user: User | None,
    document: DocumentPage,
    filename: str,
    content: bytes,
    text: str,
    sha256: str | None = None,
) -> DocumentPage:
    """Attach the original .docx/.pdf and its extracted text to a document.

    The caller extracts the text first (``documents.extraction``), outside any
    transaction, so a bad file is refused before anything is written. The
    revision saved is ``document`` as given: pass the draft as it should stand
    (``get_latest_revision_as_object()`` for one edited only in revisions).
    """
    permissions.ensure_can_edit_document(user, document)
    digest = sha256 or hashlib.sha256(content).hexdigest()
    Document = get_document_model()
    stored = Document(
        title=filename,
        collection=_sources_collection(),
        uploaded_by_user=user,
    )
    stored.file.save(filename, ContentFile(content), save=False)
    # Wagtail keeps its own SHA-1 in file_hash; our SHA-256 stays on the page.
    stored._set_document_file_metadata()
    stored.save()
    document.source_file = stored
    document.source_text = text
    document.source_sha256 = digest
    if not document.live:
        document.save(update_fields=["source_file", "source_text", "source_sha256"])
    document.save_revision(user=user, log_action=False)
    log(
        instance=document,
        action="shoukong.documents.attach_source",
        user=user,
        data={"filename": filename, "sha256": digest, "characters": len(text)},
    )
    return document


def _sources_collection() -> Collection:
    name = "受控文件源文件"
    existing = Collection.objects.filter(name=name).first()
    if existing:
        return existing
    return Collection.get_first_root_node().add_child(name=name)


# --- External documents and issues ---------------------------------------------


@transaction.atomic
def external_document_register(
    *, user: User | None, document: DocumentPage
) -> DocumentPage:
    """Put an external document (外来文件) on the register: it is published for
    staff to read, never issued (ISO/IEC 20000-1:2018 7.5.3.2)."""
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    permissions.ensure_can_issue(user, document)
    if document.kind != DocumentKind.EXTERNAL:
        raise ValidationError(_("Only external documents are registered."))
    if document.status != DocumentStatus.EXTERNAL:
        raise InvalidTransition(
            document.status, DocumentStatus.EXTERNAL, _("Document status")
        )
    revision = document.get_latest_revision() or document.save_revision(
        user=user, log_action=False
    )
    if not document.live or document.has_unpublished_changes:
        revision.publish(user=user, skip_permission_checks=True, log_action=True)
    log(
        instance=document,
        action="shoukong.documents.register_external",
        user=user,
        data={"issuer": getattr(document, "issuer", "")},
    )
    return DocumentPage.objects.get(pk=document.pk).specific


@transaction.atomic
def issue_create(
    *,
    user: User | None,
    document: DocumentPage,
    publish_date: date,
    effective_date: date | None = None,
    label: str | None = None,
    change_summary: str = "",
    revision: Revision | None = None,
) -> DocumentIssue:
    """Release the document's current content as its next issue (A, B, …), which
    supersedes the one in force (ISO/IEC 20000-1:2018 7.5.3).

    ``revision`` is a revision Wagtail has just published (the admin, a workflow's
    last approval); without it the latest revision is published here.
    """
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    permissions.ensure_can_issue(user, document)
    if document.kind == DocumentKind.EXTERNAL:
        raise ValidationError(_("External documents are registered, not issued."))
    if document.status != DocumentStatus.CONTROLLED:
        ensure_transition(
            DOCUMENT_TRANSITIONS,
            document.status,
            DocumentStatus.CONTROLLED,
            label=_("Document status"),
        )
    if effective_date is not None and effective_date < publish_date:
        raise ValidationError(
            _("The effective date cannot be before the publish date.")
        )
    if revision is None:
        revision = document.get_latest_revision() or document.save_revision(
            user=user, log_action=False
        )
        if not document.live or document.has_unpublished_changes:
            token = _issuing.set(True)
            try:
                revision.publish(
                    user=user, skip_permission_checks=True, log_action=True
                )
            finally:
                _issuing.reset(token)
    # What is released is exactly the published revision's content.
    released = revision.as_object()

    # The planned effective date and the training gate come with the approved
    # revision; a date that passed while it was being signed means "at once".
    effective_date = effective_date or released.effective_on or publish_date
    effective_date = max(effective_date, publish_date)
    change_summary = change_summary or released.change_summary

    previous = document.issues.newest_first().first()
    if label is None:
        label = labels.next_label(previous.label if previous else None)
    else:
        label = labels.normalise_label(label)
        if previous and labels.index_of_label(label) <= labels.index_of_label(
            previous.label
        ):
            raise ValidationError(
                _("Issue %(label)s must come after issue %(previous)s.")
                % {"label": label, "previous": previous.label}
            )

    # An approved issue that never took effect is replaced by the newer one.
    for stale in document.issues.pending().select_for_update():
        ensure_transition(
            ISSUE_TRANSITIONS, stale.status, IssueStatus.OBSOLETE, label=_("Issue")
        )
        stale.status = IssueStatus.OBSOLETE
        stale.withdrawn_at = timezone.now()
        stale.save(update_fields=["status", "withdrawn_at"])
        from . import distribution

        # Its copies were handed out when it was approved: call them back.
        distribution.recalls_open(user=user, issue=stale, today=publish_date)

    issue = DocumentIssue.objects.create(
        document=document,
        label=label,
        status=IssueStatus.PENDING,
        publish_date=publish_date,
        effective_date=effective_date,
        title=released.title,
        body=str(released.body or ""),
        source_file=released.source_file,
        source_text=released.source_text,
        source_sha256=released.source_sha256,
        revision=revision,
        change_summary=change_summary,
        training_required=released.training_required,
        form_schema=(
            form_schema(released.form_fields.all())
            if hasattr(released, "form_fields")
            else []
        ),
        issued_by=user if user is not None and user.is_authenticated else None,
    )
    DocumentPage.objects.filter(pk=document.pk).update(status=DocumentStatus.CONTROLLED)
    search_index.documents_changed([document.pk])
    # The signatures on the released revision now name the issue they released,
    # and accepted change requests are done.
    Signature.objects.filter(
        document=document,
        revision=revision,
        issue__isnull=True,
        task_state__status="approved",
    ).update(issue=issue, issue_label=label)
    ChangeRequest.objects.filter(
        document=document, status=ChangeRequestStatus.ACCEPTED
    ).update(status=ChangeRequestStatus.ISSUED, resulting_issue=issue)
    log(
        instance=document,
        action="shoukong.documents.issue",
        user=user,
        data={
            "label": label,
            "publish_date": publish_date.isoformat(),
            "effective_date": effective_date.isoformat(),
            "training_required": issue.training_required,
            "superseded": previous.label if previous else None,
        },
    )
    from . import distribution

    distribution.issue_distribute(user=user, issue=issue)
    distribution.issue_activate(user=user, issue=issue, today=publish_date)
    issue.refresh_from_db()
    return issue
