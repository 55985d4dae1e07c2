"""``manage.py load_clauses [FILE ...]``: load clause catalogues.

Without a file, every catalogue shipped in ``compliance/catalogues/`` is
loaded (as migration 0002 does on a fresh database); with files, each of them.
Loading is idempotent: a second run reports that nothing changed. All the
files load together or not at all: a bad file stops the command with the
reason and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.catalogue import (
    MAX_CATALOGUE_BYTES,
    CatalogueResult,
    catalogue_load,
    catalogues_ensure,
)
from documents.management.base import TranslatedCommand


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _read(name: str) -> bytes:
    """The file's bytes, never more than one byte past the size limit (so a
    huge file is refused by the parser without being read whole)."""
    try:
        with Path(name).open("rb") as handle:
            return handle.read(MAX_CATALOGUE_BYTES + 1)
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(reason)s")
            % {"file": name, "reason": error.strerror or error}
        ) from None


def describe(result: CatalogueResult) -> str:
    """One line per standard: what the load did."""
    if not result.changed:
        return _("%(standard)s: nothing changed (%(unchanged)d clauses).") % {
            "standard": result.standard,
            "unchanged": result.unchanged,
        }
    line = _(
        "%(standard)s: %(created)d created, %(updated)d updated, "
        "%(unchanged)d unchanged, %(deactivated)d deactivated."
    ) % {
        "standard": result.standard,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "deactivated": result.deactivated,
    }
    if result.standard_created:
        line = _("%(line)s (new standard)") % {"line": line}
    return line


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load clause catalogues (numbers and short titles of a standard's "
        "clauses) from JSON files; without a file, load every shipped "
        "catalogue. Safe to run again: unchanged clauses are left alone and "
        "clauses missing from a file are kept, inactive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="*",
            metavar="FILE",
            help=gettext_lazy("A catalogue file (JSON, UTF-8)."),
        )

    def handle(self, *args, files, **options):
        try:
            with transaction.atomic():
                if files:
                    results = []
                    for name in files:
                        raw = _read(name)
                        try:
                            results.append(catalogue_load(raw))
                        except ValidationError as error:
                            raise CommandError(
                                _("%(file)s: %(reason)s")
                                % {"file": name, "reason": _message(error)}
                            ) from None
                else:
                    results = catalogues_ensure()
        except ValidationError as error:
            raise CommandError(_message(error)) from None
        for result in results:
            style = self.style.SUCCESS if result.changed else self.style.NOTICE
            self.stdout.write(style(describe(result)))
