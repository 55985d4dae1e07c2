"""``manage.py compliance_daily``: remind the owners, department heads and
管理者代表 of corrective and preventive actions past their due date; run it
from cron daily.

Idempotent: each overdue action is mailed about at most once a day, however
many times the command runs (the reminder's key holds the day).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from compliance import nonconformities, notifications
from compliance.models import Nonconformity


class Command(BaseCommand):
    help = (
        "E-mail a reminder about each corrective or preventive action past its "
        "due date. Safe to run more than once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help=("Run as of this day (YYYY-MM-DD); default today."),
        )

    def handle(self, *args, **options):
        today = nonconformities.company_today()
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    _("Not a date: %(value)s (use YYYY-MM-DD).")
                    % {"value": options["date"]}
                ) from error
        overdue = Nonconformity.objects.overdue(today).for_listing()
        count = overdue.count()
        sent = notifications.overdue(nonconformities=overdue, today=today)
        self.stdout.write(
            self.style.SUCCESS(
                _("%(date)s: %(count)d overdue actions, %(sent)d reminders sent.")
                % {"date": today.isoformat(), "count": count, "sent": sent}
            )
        )
