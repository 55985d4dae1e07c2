"""``manage.py import_documents REGISTER [--files DIR] [--dry-run] [--user NAME]``

Imports an existing document register (.xlsx or .csv) into the library, all or
nothing. The logic lives in :mod:`documents.importing`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from documents import importing
from documents.management.base import TranslatedCommand


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import a document register (.xlsx or .csv: 文件编号, 文件名称, 文件层级, "
        "上级文件, 编制部门, 版本号, 发布日期, 文件路径 …) into the library. "
        "Everything is checked first; nothing is imported if any row is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("register", help=_("The register: an .xlsx or .csv file."))
        parser.add_argument(
            "--files",
            metavar="DIR",
            help=_("Folder the register's file paths are relative to."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the register and report; write nothing."),
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=_("Import as this user (default: the system)."),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("Hide the progress bar.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        register = Path(options["register"])
        files_dir = Path(options["files"]) if options["files"] else None
        dry_run: bool = options["dry_run"]
        user = self._user(options["user"])
        show_progress = not options["no_progress"] and self.stderr.isatty()

        try:
            rows = importing.read_register(register)
        except importing.RegisterError as exc:
            raise CommandError(exc.message) from exc

        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if not show_progress:
                return
            bar = bars.get(phase)
            if bar is None:
                description = (
                    _("Reading files") if phase == "extract" else _("Importing")
                )
                bar = bars[phase] = tqdm(
                    total=total, desc=description, file=self.stderr._out, leave=False
                )
            bar.n = done
            bar.refresh()
            if done >= total:
                bar.close()

        started = time.perf_counter()
        plan = importing.validate(
            rows, files_dir, register=register.name, user=user, progress=progress
        )
        for bar in bars.values():
            bar.close()
        validated = time.perf_counter()
        for warning in plan.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if not plan.ok:
            self._refuse(plan.errors)

        try:
            report = importing.apply(plan, user, dry_run=dry_run, progress=progress)
        except importing.ImportFailed as exc:
            self._refuse(exc.errors, rolled_back=True)
        finally:
            for bar in bars.values():
                bar.close()

        if options["verbosity"] >= 2:
            self.stderr.write(
                _(
                    "Checked in %(check).1f s, imported in %(apply).1f s "
                    "(CPU: %(cpu).1f s here, %(children).1f s extracting)."
                )
                % {
                    "check": validated - started,
                    "apply": time.perf_counter() - validated,
                    "cpu": time.process_time(),
                    "children": _children_cpu(),
                }
            )
        if not report.created:
            self.stdout.write(report.summary())
            return
        for outcome in report.outcomes:
            self.stdout.write(outcome.describe())
            for note in outcome.document.notes:
                if outcome.status != importing.UNCHANGED:
                    self.stdout.write("    " + note)
        style = self.style.WARNING if dry_run else self.style.SUCCESS
        self.stdout.write(style(report.summary()))
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist as exc:
            raise CommandError(
                _("There is no user “%(username)s”.") % {"username": username}
            ) from exc
        if not user.is_active:
            raise CommandError(
                _("The user “%(username)s” is inactive.") % {"username": username}
            )
        return user

    def _refuse(
        self, errors: list[importing.RowError], *, rolled_back: bool = False
    ) -> None:
        for error in errors:
            self.stderr.write(str(error))
        if rolled_back:
            message = _("The import failed and was rolled back: nothing was imported.")
        else:
            message = ngettext(
                "%(count)s problem found in the register: nothing was imported.",
                "%(count)s problems found in the register: nothing was imported.",
                len(errors),
            ) % {"count": len(errors)}
        raise CommandError(message)
