"""``manage.py records_daily``: e-mail what became due for disposal and remind
whoever a disposal request waits for; run it from cron daily.

Idempotent: a second run the same day (or any later day) sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from records import notifications, services


class Command(BaseCommand):
    help = gettext_lazy(
        "E-mail department managers and document control the records whose "
        "retention has ended, and remind the approvers of disposal requests that "
        "have waited too long. Safe to run more than once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help=gettext_lazy("Run as of this day (YYYY-MM-DD); default today."),
        )

    def handle(self, *args, **options):
        today = services.company_today()
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    _("Not a date: %(value)s (use YYYY-MM-DD).")
                    % {"value": options["date"]}
                ) from error
        due = notifications.records_due_notify(today=today)
        reminders = notifications.disposal_reminders(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(date)s: %(due)d e-mails about records due for disposal, "
                    "%(reminders)d disposal reminders sent."
                )
                % {"date": today.isoformat(), "due": due, "reminders": reminders}
            )
        )
