"""``manage.py records_daily``: e-mail what became due for disposal and remind
whoever a disposal request waits for; run it from cron daily.

Idempotent: a second run the same day (or any later day) sends nothing twice.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.management.base import DailyCommand
from records import notifications, services


class Command(DailyCommand):
    help = gettext_lazy(
        "E-mail department managers and document control the records whose "
        "retention has ended, and remind the approvers of disposal requests that "
        "have waited too long. Safe to run more than once a day."
    )

    def handle(self, *args, **options):
        today = self.run_date(options, services.company_today())
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
