"""What every Shoukong management command shares."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class TranslatedCommand(BaseCommand):
    """A command whose description and option help may be ``gettext_lazy``:
    argparse formats ``--help`` with ``re`` on plain strings only, so the lazy
    texts are made strings when the parser is built."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if parser.description is not None:
            parser.description = str(parser.description)
        for action in parser._actions:
            if action.help is not None:
                action.help = str(action.help)
        return parser


class DailyCommand(TranslatedCommand):
    """A daily run, ``--date YYYY-MM-DD`` to run as of another day."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help=_("Run as of this day (YYYY-MM-DD); default today.")
        )

    def run_date(self, options, default: date) -> date:
        if not options.get("date"):
            return default
        try:
            return date.fromisoformat(options["date"])
        except ValueError as error:
            raise CommandError(
                _("Not a date: %(value)s (use YYYY-MM-DD).")
                % {"value": options["date"]}
            ) from error
