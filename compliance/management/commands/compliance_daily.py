"""``manage.py compliance_daily``: remind the owners, department heads and
管理者代表 of corrective and preventive actions past their due date; run it
from cron daily.

Idempotent: each overdue action is mailed about at most once a day, however
many times the command runs (the reminder's key holds the day).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import nonconformities, notifications
from compliance.models import Nonconformity
from documents.management.base import DailyCommand


class Command(DailyCommand):
    help = gettext_lazy(
        "E-mail a reminder about each corrective or preventive action past its "
        "due date. Safe to run more than once a day."
    )

    def handle(self, *args, **options):
        today = self.run_date(options, nonconformities.company_today())
        overdue = Nonconformity.objects.overdue(today).for_listing()
        count = overdue.count()
        sent = notifications.overdue(nonconformities=overdue, today=today)
        self.stdout.write(
            self.style.SUCCESS(
                _("%(date)s: %(count)d overdue actions, %(sent)d reminders sent.")
                % {"date": today.isoformat(), "count": count, "sent": sent}
            )
        )
