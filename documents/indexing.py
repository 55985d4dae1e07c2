"""Deferred indexing: within a block, index each saved object once, at the end.

Creating a controlled document saves its page three or four times (created, a
revision, the source attached, published), and each save makes Wagtail and
modelsearch update the page's reference-index rows and its search entry. A bulk
writer (the register import, the demo loader) wraps its work in
:func:`deferred_indexing` instead::

    with transaction.atomic(), deferred_indexing():
        ...  # create documents through the services

Within the block, *in the current thread only*, the automatic search-index and
reference-index updates of saved objects are held back; each touched object is
remembered once. When the block ends without an exception, each is indexed
once, exactly as the libraries would have done it. When it ends with one,
nothing more is indexed: the caller's transaction is expected to roll the saves
back (``manage.py update_index`` and ``rebuild_references_index`` repair an
index otherwise). Blocks nest: an inner block joins the outer one. Deletes are
never held back (the libraries clean up after them at once, as usual).

How, and why this way
---------------------

Both libraries update their index from a ``post_save`` receiver that does no
work itself: it *enqueues a task* on the django-tasks backend (an immediate one
unless ``TASKS`` says otherwise):

* modelsearch 1.3.2 (``modelsearch.signal_handlers.post_save_signal_handler``)
  enqueues ``modelsearch.tasks.insert_or_update_object_task``; and
* Wagtail 8.0 (``wagtail.signal_handlers.update_reference_index_on_save``)
  enqueues ``wagtail.tasks.update_reference_index_task``.

Within the block this thread's handle of that backend
(``django_tasks.task_backends[alias]``, per-thread like
``django.db.connections``) is a thin stand-in that records those two tasks'
arguments (``app_label, model_name, pk``), dropping duplicates, and passes every
other task to the real backend. On exit the real backend is put back and each
recorded task is enqueued once, so the libraries' own task code does the
indexing with the libraries' own rules: the specific instance, only objects in
``get_indexed_objects()``, every backend whose ``AUTO_UPDATE`` is on, a child
model's references recorded under its ParentalKey parent, errors handled the
backend's way. Objects deleted before the end of the block are skipped.
Nothing global changes: no receiver is disconnected, no setting is overridden,
other threads see the real backend throughout.

Considered and not used:

* modelsearch has no per-thread switch. Setting ``AUTO_UPDATE: False`` on the
  search backend and indexing from our own receivers would have to mirror
  modelsearch's rules for every indexed model, and it breaks more than it
  fixes: ``index.insert_or_update_object()`` and ``remove_object()`` skip
  backends with ``AUTO_UPDATE`` off, so direct calls become silent no-ops
  (Wagtail's image form re-indexes an image that way after saving its tags);
  ``config/settings/production.py`` replaces ``WAGTAILSEARCH_BACKENDS`` for
  Elasticsearch, where the flag would be missing (double indexing, no
  deferral); and modelsearch's receivers would still run a task per save that
  loads the object only to index nothing.
* Wagtail's own per-thread switch for references,
  ``wagtail.signal_handlers.disable_reference_index_auto_update()``, drops the
  updates instead of deferring them, so we would need receivers of our own to
  collect the saved objects (mirroring Wagtail's tracked models, ParentalKey
  handling and raw saves). It also switches off the clean-up after deletes
  (leaving rows for deleted objects) and is not re-entrant: a nested use
  clears the flag on its way out and the outer one then fails with
  ``AttributeError``. Holding back the task covers references with the same
  rule as search and mirrors nothing.

The stand-in depends on the libraries enqueuing those two tasks from
``post_save`` (true of the pinned modelsearch 1.3.2 and Wagtail 8.0.1). Should a
later version stop doing so, saves are simply indexed at once again, as without
the block; ``documents/tests/test_indexing.py`` notices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.local import Local
from django.apps import apps

__all__ = ["at_block_end", "deferred_indexing", "is_deferring"]

_state = Local()

_Key = tuple[Callable[..., Any], tuple[Any, ...], tuple[tuple[str, Any], ...]]


def _held_tasks() -> tuple[Any, ...]:
    """The index-update tasks the libraries enqueue from ``post_save``."""
    from modelsearch.tasks import insert_or_update_object_task
    from wagtail.tasks import update_reference_index_task

    return (insert_or_update_object_task, update_reference_index_task)


class _HoldingBackend:
    """Stands in for one task backend in one thread while indexing is deferred.

    Records the held tasks (once per distinct arguments) and hands every other
    task, and every other attribute, to the real backend.
    """

    def __init__(
        self, backend: Any, held: frozenset[Callable[..., Any]], pending: dict
    ) -> None:
        self._backend = backend
        self._held = held
        self._pending = pending

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        if task.func not in self._held:
            return self._backend.enqueue(task, args, kwargs)
        key = (task.func, tuple(args), tuple(sorted(kwargs.items())))
        self._pending.setdefault(key, task)
        # The libraries' post_save receivers, the only callers of these
        # tasks, discard the result.
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def at_block_end(callback: Callable[[], None]) -> None:
    """Call ``callback`` once when the current deferring block ends without an
    exception, after the held tasks (other indexes, e.g. :mod:`search.index`,
    defer their own work this way). Outside a block: call it now."""
    callbacks = getattr(_state, "callbacks", None)
    if not is_deferring() or callbacks is None:
        callback()
        return
    callbacks.append(callback)


def is_deferring() -> bool:
    """Whether the current thread is inside :func:`deferred_indexing`."""
    return getattr(_state, "pending", None) is not None


@contextmanager
def deferred_indexing() -> Iterator[None]:
    """Within this thread, index each object saved in the block once, at the end.

    See the module's documentation. Nothing is indexed if the block raises.
    """
    if is_deferring():  # nested: the outer block indexes
        yield
        return
    from django_tasks import task_backends

    tasks = _held_tasks()
    held = frozenset(task.func for task in tasks)
    pending: dict[_Key, Any] = {}
    swapped: list[tuple[str, Any, _HoldingBackend]] = []
    callbacks: list[Callable[[], None]] = []
    try:
        for alias in dict.fromkeys(task.backend for task in tasks):
            backend = task_backends[alias]
            stand_in = _HoldingBackend(backend, held, pending)
            task_backends[alias] = stand_in
            swapped.append((alias, backend, stand_in))
        _state.pending = pending
        _state.callbacks = callbacks
        yield
    except BaseException:
        for callback in callbacks:
            # Each registrant forgets what it held (nothing more is indexed).
            discard = getattr(callback, "discard", None)
            if discard is not None:
                discard()
        raise
    finally:
        _state.pending = None
        _state.callbacks = None
        for alias, backend, stand_in in reversed(swapped):
            # override_settings(TASKS=...) in the block resets the handler.
            if task_backends[alias] is stand_in:
                task_backends[alias] = backend
    _enqueue_once(pending)
    for callback in callbacks:
        callback()


def _enqueue_once(pending: dict[_Key, Any]) -> None:
    """Enqueue each held task once, skipping objects deleted meanwhile."""
    gone = _deleted({_object(args) for _func, args, _kwargs in pending})
    for (_func, args, kwargs), task in pending.items():
        if _object(args) not in gone:
            task.enqueue(*args, **dict(kwargs))


def _object(args: tuple[Any, ...]) -> tuple[str, str, str] | None:
    """``(app_label, model_name, pk)`` from the tasks' arguments."""
    if len(args) != 3:
        return None
    app_label, model_name, pk = args
    return (str(app_label), str(model_name), str(pk))


def _deleted(
    objects: set[tuple[str, str, str] | None],
) -> set[tuple[str, str, str] | None]:
    """The objects no longer in the database (one query per model)."""
    pks: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for obj in objects:
        if obj is not None:
            pks[obj[:2]].add(obj[2])
    gone: set[tuple[str, str, str] | None] = set()
    for (app_label, model_name), wanted in pks.items():
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        found = model._base_manager.filter(pk__in=wanted).values_list("pk", flat=True)
        gone.update(
            (app_label, model_name, pk) for pk in wanted - {str(pk) for pk in found}
        )
    return gone
