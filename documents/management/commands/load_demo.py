"""``manage.py load_demo``: departments, roles, demo users and a demo document set."""

from __future__ import annotations

import os
import time
import unicodedata

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents import demo
from documents.demo.search import (
    SearchDemoReport,
    demo_search_ensure,
    search_index_rebuild,
)
from documents.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load the demo: departments, role groups, demo users, the function "
        "allocation matrix and process owners and (unless --users-only) an "
        "issued ISO/IEC 20000-1 document set with records filled from its "
        "forms, clause links, nonconformities, internal audits and management "
        "reviews. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users-only",
            action="store_true",
            help=_("Only departments, role groups and demo users; no documents."),
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=_("Set the demo password again on demo users that already exist."),
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=_("Load the demo even with production settings."),
        )

    def handle(self, *args, users_only=False, reset_passwords=False, **options):
        # The demo creates a superuser with a known password: never by accident
        # on a production site.
        module = settings.SETTINGS_MODULE or os.environ.get(
            "DJANGO_SETTINGS_MODULE", ""
        )
        if module.endswith(".production") and not options.get("allow_production"):
            raise CommandError(
                _(
                    "Refusing to load demo users with production settings; "
                    "pass --allow-production if you really mean it."
                )
            )
        started = time.monotonic()
        records_report = audits_report = reviews_report = None
        search_report = SearchDemoReport()
        try:
            # Documents, records, compliance, audits and reviews load together or
            # not at all.
            with transaction.atomic():
                report = demo.demo_load(
                    users_only=users_only, reset_passwords=reset_passwords
                )
                if not users_only:
                    # The records demo fills the demo forms issued just above.
                    from records.demo import demo_records_ensure

                    records_report = demo_records_ensure()
                # The matrix and process owners come with the users; the
                # clause links and nonconformities with the documents.
                from compliance.demo import demo_compliance_ensure

                compliance_report = demo_compliance_ensure(users_only=users_only)
                if not users_only:
                    # The audits use the documents, the records' forms, the
                    # matrix and the process owners loaded just above.
                    from audits.demo import demo_audits_ensure

                    audits_report = demo_audits_ensure()
                    # The reviews' packs count the audits, nonconformities and
                    # documents above; their records use the B14 forms.
                    from reviews.demo import demo_reviews_ensure

                    reviews_report = demo_reviews_ensure()
                    # Other names and a restricted document, for search.
                    search_report = demo_search_ensure()
                # Everything loaded above is found by search, the clauses
                # loaded by the migrations too.
                search_report = search_index_rebuild(search_report)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self._print_changes(
            report,
            elapsed,
            records_report,
            compliance_report,
            audits_report,
            reviews_report,
            search_report,
        )
        self._print_logins(report)

    def _print_changes(
        self,
        report: demo.DemoReport,
        elapsed: float,
        records_report=None,
        compliance_report=None,
        audits_report=None,
        reviews_report=None,
        search_report=None,
    ) -> None:
        write = self.stdout.write
        seconds = f"{elapsed:.1f}"
        records_changed = records_report is not None and records_report.changed
        compliance_changed = compliance_report is not None and compliance_report.changed
        audits_changed = audits_report is not None and audits_report.changed
        reviews_changed = reviews_report is not None and reviews_report.changed
        search_changed = search_report is not None and search_report.changed
        for extra in (audits_report, reviews_report):
            if extra is not None:
                for warning in extra.warnings:
                    write(self.style.WARNING(warning))
        if not any(
            [
                report.changed,
                records_changed,
                compliance_changed,
                audits_changed,
                reviews_changed,
                search_changed,
            ]
        ):
            write(
                self.style.SUCCESS(
                    _("Demo already loaded: nothing to change (%(seconds)s s).")
                    % {"seconds": seconds}
                )
            )
            return
        lines = [
            (_("Departments created"), report.departments_created),
            (_("Role groups created"), report.groups_created),
            (_("Users created"), report.users_created),
            (_("Users completed (group or department)"), report.users_updated),
            (_("Passwords reset"), report.passwords_reset),
            (_("Documents created"), report.documents_created),
            (_("Issues released"), report.issues_created),
        ]
        if records_changed:
            lines += [
                (_("Records filed"), records_report.records_created),
                (_("Retention events entered"), records_report.events_entered),
                (
                    _("Disposal requests created"),
                    records_report.disposal_requests_created,
                ),
            ]
        if compliance_changed:
            lines += [
                (_("Clause catalogues loaded"), compliance_report.catalogues_loaded),
                (
                    _("Function allocation matrix rows filled"),
                    compliance_report.matrix_rows_set,
                ),
                (_("Processes created"), compliance_report.processes_created),
                (
                    _("Processes completed (owner or clauses)"),
                    compliance_report.processes_completed,
                ),
                (_("Clause-document links created"), compliance_report.links_created),
                (
                    _("Nonconformities entered"),
                    compliance_report.nonconformities_created,
                ),
            ]
        if audits_changed:
            lines += [
                (
                    _("Audit programmes created"),
                    audits_report.programmes_created,
                ),
                (
                    _("Audit programmes approved"),
                    audits_report.programmes_approved,
                ),
                (_("Audits planned"), audits_report.audits_created),
                (_("Audits carried forward"), audits_report.audits_advanced),
                (_("Audit records filed"), audits_report.records_filed),
            ]
        if reviews_changed:
            lines += [
                (
                    _("Performance indicators created"),
                    reviews_report.objectives_created,
                ),
                (
                    _("Objective values entered"),
                    reviews_report.measurements_entered,
                ),
                (_("Management reviews created"), reviews_report.reviews_created),
                (_("Review decisions recorded"), reviews_report.outputs_added),
                (_("Review records filed"), reviews_report.records_filed),
            ]
        if search_changed:
            lines += [
                (_("Other names set"), search_report.aliases_set),
                (_("Documents restricted"), search_report.restricted),
            ]
        if report.library_created:
            write(_("Library created."))
        for label, items in lines:
            if items:
                write(
                    _("%(label)s (%(count)s): %(items)s")
                    % {"label": label, "count": len(items), "items": ", ".join(items)}
                )
        if search_report is not None and search_report.entries_indexed:
            write(
                _("Search index rebuilt: %(count)s entries.")
                % {"count": search_report.entries_indexed}
            )
        write(
            self.style.SUCCESS(
                _("Demo loaded in %(seconds)s s.") % {"seconds": seconds}
            )
        )

    def _print_logins(self, report: demo.DemoReport) -> None:
        write = self.stdout.write
        password = demo.demo_password()
        kept = [
            u.username
            for u in demo.USERS
            if u.username not in report.users_created
            and u.username not in report.passwords_reset
        ]
        rows = [(_("username"), _("role"), _("department"))] + [
            (u.username, u.role_label, u.department) for u in demo.USERS
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        rule = "-" * (sum(widths) + 6)
        # Labels padded to one display width, so the URLs line up in any language.
        site, admin = _("Site:"), _("Admin:")
        label_width = max(_width(site), _width(admin)) + 1
        write("")
        write("=" * len(rule))
        write(_("Shoukong demo"))
        write(f"  {_pad(site, label_width)}http://127.0.0.1:8000/")
        write(f"  {_pad(admin, label_width)}http://127.0.0.1:8000/admin/")
        write(rule)
        for row in rows:
            cells = [_pad(cell, w) for cell, w in zip(row, widths, strict=True)]
            write(("  " + "  ".join(cells)).rstrip())
            if row is rows[0]:
                write(rule)
        write(rule)
        write("  " + _("Password (all users): %(password)s") % {"password": password})
        write("  " + demo.demo_password_source())
        if kept:
            write(
                "  "
                + _(
                    "Users that already existed kept their password; run with "
                    "--reset-passwords to set it again."
                )
            )
        write("=" * len(rule))


def _width(text: str) -> int:
    """Display width: wide and fullwidth (CJK) characters take two columns."""
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
