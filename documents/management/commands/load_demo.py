"""``manage.py load_demo``: departments, roles, demo users and a demo document set."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from documents import demo


class Command(BaseCommand):
    help = (
        "Load the demo: departments, role groups, demo users and (unless "
        "--users-only) an issued ISO/IEC 20000-1 document set. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users-only",
            action="store_true",
            help="Only departments, role groups and demo users; no documents.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set the demo password again on demo users that already exist.",
        )

    def handle(self, *args, users_only=False, reset_passwords=False, **options):
        started = time.monotonic()
        try:
            report = demo.demo_load(
                users_only=users_only, reset_passwords=reset_passwords
            )
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self._print_changes(report, elapsed)
        self._print_logins(report)

    def _print_changes(self, report: demo.DemoReport, elapsed: float) -> None:
        write = self.stdout.write
        if not report.changed:
            write(
                self.style.SUCCESS(
                    f"Demo already loaded: nothing to change ({elapsed:.1f} s)."
                )
            )
            return
        lines = [
            ("Departments created", report.departments_created),
            ("Role groups created", report.groups_created),
            ("Users created", report.users_created),
            ("Users completed (group or department)", report.users_updated),
            ("Passwords reset", report.passwords_reset),
            ("Documents created", report.documents_created),
            ("Issues released", report.issues_created),
        ]
        if report.library_created:
            write("Library created.")
        for label, items in lines:
            if items:
                write(f"{label} ({len(items)}): {', '.join(items)}")
        write(self.style.SUCCESS(f"Demo loaded in {elapsed:.1f} s."))

    def _print_logins(self, report: demo.DemoReport) -> None:
        write = self.stdout.write
        password = demo.demo_password()
        kept = [
            u.username
            for u in demo.USERS
            if u.username not in report.users_created
            and u.username not in report.passwords_reset
        ]
        rows = [("username", "role", "department")] + [
            (u.username, u.role_label, u.department) for u in demo.USERS
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        rule = "-" * (sum(widths) + 6)
        write("")
        write("=" * len(rule))
        write("Shoukong demo")
        write("  Site:   http://127.0.0.1:8000/")
        write("  Admin:  http://127.0.0.1:8000/admin/")
        write(rule)
        for row in rows:
            write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
            if row is rows[0]:
                write(rule)
        write(rule)
        write(f"  Password (all users): {password}")
        write(f"  This is {demo.demo_password_source()}.")
        if kept:
            write(
                "  Users that already existed kept their password; run with "
                "--reset-passwords to set it again."
            )
        write("=" * len(rule))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
