"""``manage.py documents_daily``: what falls due today; run it from cron daily.

Idempotent: a second run the same day changes nothing and sends nothing twice.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents import changes, distribution
from documents.management.base import DailyCommand


class Command(DailyCommand):
    help = gettext_lazy(
        "Make approved issues effective on their date (the previous issue becomes "
        "obsolete and its copies are recalled), report overdue recalls and e-mail "
        "reviews that fall due. Safe to run more than once a day."
    )

    def handle(self, *args, **options):
        today = self.run_date(options, timezone.localdate())
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
