"""``manage.py documents_daily``: what falls due today; run it from cron daily.

Idempotent: a second run the same day changes nothing and sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents import changes, distribution


class Command(BaseCommand):
    help = gettext_lazy(
        "Make approved issues effective on their date (the previous issue becomes "
        "obsolete and its copies are recalled), report overdue recalls and e-mail "
        "reviews that fall due. Safe to run more than once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help=gettext_lazy("Run as of this day (YYYY-MM-DD); default today."),
        )

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    _("Not a date: %(value)s (use YYYY-MM-DD).")
                    % {"value": options["date"]}
                ) from error
        activated = distribution.issues_activate_due(today=today)
        for issue in activated:
            self.stdout.write(
                _("%(number)s issue %(label)s is now effective.")
                % {"number": issue.document.number, "label": issue.label}
            )
        overdue = distribution.recalls_notify_overdue(today=today)
        reviews = changes.reviews_notify_due(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(date)s: %(activated)d issues took effect, %(overdue)d overdue "
                    "recalls reported, %(reviews)d review reminders sent."
                )
                % {
                    "date": today.isoformat(),
                    "activated": len(activated),
                    "overdue": overdue,
                    "reviews": reviews,
                }
            )
        )
