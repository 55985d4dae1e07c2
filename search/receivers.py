"""Saves and deletes of what search finds re-index it (see :mod:`search.index`)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import index
from .sources import all_sources

# Page fields that never change what search shows: Wagtail rewrites them on
# every draft save, lock and move.
_IGNORED_PAGE_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "locked",
        "locked_at",
        "locked_by",
        "has_unpublished_changes",
        "path",
        "depth",
        "numchild",
        "url_path",
    }
)


def _watched() -> tuple:
    return tuple(model for source in all_sources() for model in source.watched)


def _key(instance) -> tuple:
    from documents.models import DocumentIssue, DocumentPage

    if isinstance(instance, DocumentPage):
        return ("page", instance.pk)
    if isinstance(instance, DocumentIssue):
        return ("page", instance.document_id)
    document_id = getattr(instance, "document_id", None)
    if document_id is not None and type(instance).__name__ == "ClauseDocumentLink":
        return ("page", document_id)
    return (type(instance)._meta.label_lower, instance.pk)


def _reindex_later(instance) -> None:
    key = _key(instance)
    if key[0] == "page":
        page_id = key[1]
        index.schedule(lambda: index.reindex_documents([page_id]), key)
    else:
        model, pk = type(instance), instance.pk

        def run():
            found = model._default_manager.filter(pk=pk).first()
            if found is None:
                _remove(model, pk)
            else:
                index.reindex_instance(found)

        index.schedule(run, key)


def _remove(model, pk) -> None:
    for source in all_sources():
        if model in source.watched:
            instance = model(pk=pk)
            found = source.entries_for(instance)
            if found is not None:
                scope, _entries = found
                index.remove(scope)
            return


def on_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not isinstance(instance, _watched()):
        return
    from documents.models import DocumentPage

    if (
        isinstance(instance, DocumentPage)
        and update_fields is not None
        and set(update_fields) <= _IGNORED_PAGE_FIELDS
    ):
        return
    _reindex_later(instance)


def on_delete(sender, instance, **kwargs):
    if not isinstance(instance, _watched()):
        return
    from documents.models import DocumentPage

    if isinstance(instance, DocumentPage):
        page_id = instance.pk
        index.schedule(lambda: index.reindex_documents([page_id]), ("page", page_id))
        return
    _reindex_later(instance)


def on_readers_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        from documents.models import DocumentPage

        if isinstance(instance, DocumentPage):
            page_id = instance.pk
            index.schedule(
                lambda: index.reindex_documents([page_id]), ("page", page_id)
            )


def connect() -> None:
    from documents.models import DocumentPage

    post_save.connect(on_save, dispatch_uid="search_on_save")
    post_delete.connect(on_delete, dispatch_uid="search_on_delete")
    m2m_changed.connect(
        on_readers_changed,
        sender=DocumentPage.reader_departments.through,
        dispatch_uid="search_readers",
    )
