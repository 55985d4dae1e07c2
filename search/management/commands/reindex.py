"""``manage.py reindex [--kind KIND ...] [--quiet]``

Rebuilds the search index (:func:`search.index.rebuild`) from the documents,
records, clauses, nonconformities and findings, removing entries of objects
that are gone. With the Elasticsearch/OpenSearch engine the backend's index of
search entries is then created anew and filled from the rebuilt table (into a
new index switched in when complete, where the backend rebuilds atomically);
with ``--kind`` only those entries are copied into the live index.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError, CommandParser
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from documents.management.base import TranslatedCommand
from search import index
from search.engines import engine_name, uses_wagtail_backend
from search.models import EntryKind, SearchEntry, SearchPosting


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Rebuild the search index from the documents, records, clauses, "
        "nonconformities and audit findings (and the Elasticsearch/OpenSearch "
        "index when that engine is used)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            metavar="KIND",
            help=gettext_lazy(
                "Rebuild only entries of this kind (repeat, or separate with "
                "commas): document, form, record, clause, nonconformity, finding."
            ),
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help=gettext_lazy("Print nothing but errors (no progress, no summary)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = self._kinds(options["kind"])
        quiet = options["quiet"] or options["verbosity"] == 0
        wagtail = uses_wagtail_backend()
        if wagtail:
            from search.engines import elastic

            try:
                elastic.get_backend()
            except ImproperlyConfigured as error:
                raise CommandError(str(error)) from error
        labels = dict(EntryKind.choices)
        bar = tqdm(
            desc=_("Indexing"),
            unit=" " + _("entries"),
            file=getattr(self.stderr, "_out", self.stderr),
            disable=quiet,
            leave=False,
        )

        def progress(kind: str, n: int) -> None:
            bar.set_postfix_str(str(labels.get(kind, kind)), refresh=False)
            bar.update(n)

        scope = SearchEntry.objects.all()
        if kinds:
            scope = scope.filter(kind__in=kinds)
        before = set(scope.values_list("pk", flat=True)) if wagtail and kinds else set()
        started = time.monotonic()
        try:
            # With a backend, its index is filled below, in bulk.
            index.rebuild(progress, kinds or None, push=not wagtail)
        finally:
            bar.close()
        backend_line = ""
        if wagtail:
            backend_line = self._backend(scope, kinds, before, quiet)
        seconds = time.monotonic() - started
        if quiet:
            return
        self._summary(scope, kinds, seconds, labels)
        if backend_line:
            self.stdout.write(backend_line)

    def _kinds(self, values: list[str]) -> list[str]:
        valid = [kind for kind, _label in EntryKind.choices]
        kinds: list[str] = []
        for value in values:
            for kind in value.split(","):
                kind = kind.strip().lower()
                if not kind:
                    continue
                if kind not in valid:
                    raise CommandError(
                        _("Unknown kind: %(kind)s (kinds: %(kinds)s).")
                        % {"kind": kind, "kinds": ", ".join(valid)}
                    )
                if kind not in kinds:
                    kinds.append(kind)
        return kinds

    def _backend(self, scope, kinds, before: set[int], quiet: bool) -> str:
        """Fill the Elasticsearch/OpenSearch index; the line to print."""
        from search.engines import elastic

        bar = tqdm(
            desc=_("Copying to %(engine)s") % {"engine": engine_name()},
            unit=" " + _("entries"),
            file=getattr(self.stderr, "_out", self.stderr),
            disable=quiet,
            leave=False,
        )
        try:
            if kinds:
                after = set(scope.values_list("pk", flat=True))
                count = elastic.push_entries(scope, removed_ids=sorted(before - after))
                bar.update(count)
                name = str(elastic.get_backend().get_index_for_model(SearchEntry))
            else:
                name, count = elastic.rebuild_backend_index(progress=bar.update)
        except Exception as error:  # noqa: BLE001 - any failure of the server
            raise CommandError(
                _(
                    "The search index was rebuilt in the database, but the "
                    "%(engine)s index could not be: %(error)s. Searches are "
                    "answered by the embedded engine until it can be reached; "
                    "run the command again then."
                )
                % {"engine": engine_name(), "error": error}
            ) from error
        finally:
            bar.close()
        return ngettext(
            "%(engine)s index %(name)s: %(count)d entry.",
            "%(engine)s index %(name)s: %(count)d entries.",
            count,
        ) % {"engine": engine_name(), "name": name, "count": count}

    def _summary(self, scope, kinds, seconds: float, labels: dict) -> None:
        per_kind = dict(
            scope.values_list("kind").annotate(n=Count("pk")).order_by("kind")
        )
        postings = SearchPosting.objects.all()
        if kinds:
            postings = postings.filter(entry__kind__in=kinds)
        n_postings = postings.count()
        entries = sum(per_kind.values())
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Search index rebuilt in %(seconds).1f s: %(entries)d entry, "
                    "%(postings)d postings.",
                    "Search index rebuilt in %(seconds).1f s: %(entries)d entries, "
                    "%(postings)d postings.",
                    entries,
                )
                % {"seconds": seconds, "entries": entries, "postings": n_postings}
            )
        )
        for kind, label in labels.items():
            if kinds and kind not in kinds:
                continue
            self.stdout.write(
                _("  %(label)s (%(kind)s): %(count)d")
                % {"label": label, "kind": kind, "count": per_kind.get(kind, 0)}
            )
