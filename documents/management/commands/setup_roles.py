"""``manage.py setup_roles``: the default departments and the role groups."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from documents import demo, roles
from documents.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create the default departments and the role groups with their "
        "permissions. Idempotent: safe to run again after upgrades."
    )

    def handle(self, *args, **options):
        report = demo.DemoReport()
        demo.organisation_ensure(report)
        write = self.stdout.write
        if report.library_created:
            write(_("Library created."))
        if report.departments_created:
            write(
                _("Departments created: %(names)s")
                % {"names": ", ".join(report.departments_created)}
            )
        else:
            write(_("Departments: all present."))
        if report.groups_created:
            write(
                _("Role groups created: %(names)s")
                % {"names": ", ".join(report.groups_created)}
            )
        else:
            write(_("Role groups: all present."))
        write(
            self.style.SUCCESS(
                ngettext(
                    "Permissions granted to %(count)s role group: %(names)s.",
                    "Permissions granted to %(count)s role groups: %(names)s.",
                    len(roles.ROLES),
                )
                % {"count": len(roles.ROLES), "names": ", ".join(roles.ROLES)}
            )
        )
