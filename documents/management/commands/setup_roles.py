"""``manage.py setup_roles``: the default departments and the role groups."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from documents import demo, roles


class Command(BaseCommand):
    help = (
        "Create the default departments and the role groups with their "
        "permissions. Idempotent: safe to run again after upgrades."
    )

    def handle(self, *args, **options):
        report = demo.DemoReport()
        demo.organisation_ensure(report)
        write = self.stdout.write
        if report.library_created:
            write("Library created.")
        if report.departments_created:
            write(f"Departments created: {', '.join(report.departments_created)}")
        else:
            write("Departments: all present.")
        if report.groups_created:
            write(f"Role groups created: {', '.join(report.groups_created)}")
        else:
            write("Role groups: all present.")
        write(
            self.style.SUCCESS(
                f"Permissions granted to {len(roles.ROLES)} role groups: "
                f"{', '.join(roles.ROLES)}."
            )
        )
