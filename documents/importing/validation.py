"""Checking a register against itself and the library; extracting source files.

:func:`validate` reports *all* the errors it finds and never writes anything.
"""

from __future__ import annotations

import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Final

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.models import Page

from records import retention

from .. import labels, numbering, permissions
from ..extraction import (
    ExtractionError,
    ExtractionResult,
    extract_file_isolated,
    warning_message,
)
from ..lifecycle import NUMBERED_KINDS, DocumentKind
from ..models import Department, DocumentNumber, DocumentPage, LibraryPage
from .errors import RowError
from .plan import CREATE, UNCHANGED, ImportPlan, PlannedDocument, Progress
from .registers import RegisterRow, field_names, parse_date, parse_tier

__all__ = ["EXTRACTION_WORKERS", "validate"]

EXTRACTION_WORKERS: Final = 2

# Parents are created before their children; external and other documents last.
_KIND_ORDER: Final[dict[str, int]] = {
    DocumentKind.MANUAL: 0,
    DocumentKind.PROCEDURE: 0,
    DocumentKind.INSTRUCTION: 1,
    DocumentKind.FORM: 2,
    DocumentKind.EXTERNAL: 3,
    DocumentKind.OTHER: 3,
}


class _RowChecker:
    """Collects the errors of one row."""

    def __init__(self, row: RegisterRow, errors: list[RowError]) -> None:
        self.row = row
        self.errors = errors
        self.failed = False

    def error(self, reason: str) -> None:
        self.failed = True
        self.errors.append(RowError(self.row.row, self.row.label, reason))


_FIELD_LIMITS: Final[dict[str, int]] = {
    "title": 255,
    "description": 500,
    "storage_location": 200,
    "retention_period": 100,
    "issuer": 200,
    "counterparty": 200,
    "reference": 100,
    "edition": 100,
}


def _resolve_file(raw: str, files_dir: Path) -> Path:
    """The file ``raw`` names inside ``files_dir``; ValueError if it escapes."""
    text = unicodedata.normalize("NFC", raw.strip()).replace("\\", "/")
    relative = PurePosixPath(text)
    if (
        not text
        or relative.is_absolute()
        or re.match(r"^[A-Za-z]:", text)
        or ".." in relative.parts
        or "\x00" in text
    ):
        raise ValueError(raw)
    root = files_dir.resolve()
    candidate = (root / Path(*relative.parts)).resolve()
    if not candidate.is_relative_to(root):
        raise ValueError(raw)
    return candidate


def _current_label(page: DocumentPage) -> str | None:
    issue = page.current_issue
    return issue.label if issue else None


def validate(
    rows: list[RegisterRow],
    files_dir: str | Path | None = None,
    *,
    register: str = "",
    user: Any = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Check every row and extract every new source file; write nothing.

    Returns the plan with all errors found (``plan.ok`` is False if any).
    ``user`` (None: the system) is checked for permission to create and issue.
    """
    return _Validator(rows, files_dir, register, user, progress).run()


@dataclass
class _RowFacts:
    """What pass 1 learned of a row, kept for the later passes."""

    kind: DocumentKind | None = None
    number: str | None = None
    parsed: numbering.ParsedNumber | None = None
    parent_number: str | None = None


class _Validator:
    def __init__(
        self,
        rows: list[RegisterRow],
        files_dir: str | Path | None,
        register: str,
        user: Any,
        progress: Progress | None,
    ) -> None:
        self.rows = rows
        self.files_root = Path(files_dir) if files_dir is not None else None
        self.user = user
        self.progress = progress
        self.plan = ImportPlan(register=register)
        self.errors = self.plan.errors
        self.scheme = numbering.get_scheme()
        self.names = field_names()
        self.departments = {d.name: d for d in Department.objects.all()}
        self.departments_by_code = {
            d.code.casefold(): d for d in self.departments.values() if d.code
        }
        self.first_row_of_number: dict[str, int] = {}
        self.kind_of_number: dict[str, DocumentKind] = {}

    def run(self) -> ImportPlan:
        self._check_setup()
        planned = [d for row in self.rows if (d := self._check_row(row)) is not None]
        valid = self._check_against_library(planned)
        self._check_files(valid)
        failed_rows = {e.row for e in self.errors}
        self.plan.documents = _ordered([d for d in valid if d.row not in failed_rows])
        self._check_issue_permission()
        self.errors.sort(key=lambda e: (e.row is not None, e.row or 0))
        return self.plan

    def _general_error(self, reason: str) -> None:
        self.errors.append(RowError(None, "", reason))

    # -- the register as a whole ------------------------------------------------

    def _check_setup(self) -> None:
        if self.files_root is not None and not self.files_root.is_dir():
            self._general_error(
                _("The files folder %(path)s does not exist.")
                % {"path": self.files_root}
            )
            self.files_root = None
        elif self.files_root is None and any(r.text("path") for r in self.rows):
            self.plan.warnings.append(
                _(
                    "The register names source files but no files folder was "
                    "given (--files): the documents are imported without them."
                )
            )
        if self.user is not None:
            library = LibraryPage.objects.first()
            if library is not None and not permissions.can_create_document(
                self.user, library
            ):
                self._general_error(
                    _("%(user)s may not create documents in the library.")
                    % {"user": self.user}
                )

    def _check_issue_permission(self) -> None:
        if self.user is None or not any(d.label for d in self.plan.to_create):
            return
        library = LibraryPage.objects.first()
        if (
            library is not None
            and not library.permissions_for_user(self.user).can_publish()
        ):
            self._general_error(
                _("%(user)s may not release issues of documents.") % {"user": self.user}
            )

    # -- pass 1: each row on its own ----------------------------------------------

    def _check_row(self, row: RegisterRow) -> PlannedDocument | None:
        check = _RowChecker(row, self.errors)
        title = row.text("title")
        if not title:
            check.error(_("the title is missing."))
        for name, limit in _FIELD_LIMITS.items():
            if len(row.text(name)) > limit:
                check.error(
                    _("the %(field)s is longer than %(limit)s characters.")
                    % {"field": self.names.get(name, name), "limit": limit}
                )
        facts = _RowFacts(kind=self._kind(row, check))
        department = self._department(row, check)
        if facts.kind in NUMBERED_KINDS:
            self._number(row, facts, check)
        self._parent(row, facts, check)
        publish, effective = self._dates(row, check)
        label, fields = self._issue_and_fields(row, facts.kind, publish, check)
        if check.failed or facts.kind is None or department is None:
            return None
        if facts.kind == DocumentKind.FORM:
            self._check_retention(row)
        external = facts.kind == DocumentKind.EXTERNAL
        document = PlannedDocument(
            source=row,
            kind=facts.kind,
            title=title,
            department=department,
            number=facts.number,
            parent_number=facts.parent_number,
            label=label,
            publish_date=None if external else publish,
            effective_date=None if external else (effective or publish),
            fields=fields,
        )
        if label is None and not external:
            document.notes.append(
                _("no publish date: imported as a draft without an issue.")
            )
        return document

    def _check_retention(self, row: RegisterRow) -> None:
        """A form's 保存期限 is how long its records are kept. Wording that
        cannot be read is imported as written, with a warning: until it is
        corrected, the records get the default retention."""
        text = row.text("retention_period")
        if not text:
            return
        try:
            retention.parse(text)
        except retention.RetentionParseError:
            reason = _(
                "the retention period “%(text)s” was not understood: its records "
                "will be kept for the default retention period (%(default)s). "
                "Write e.g. “3年”, “永久” or “离职后1年” to set it."
            ) % {
                "text": text,
                "default": settings.SHOUKONG_RECORDS_DEFAULT_RETENTION,
            }
            self.plan.warnings.append(str(RowError(row.row, row.label, reason)))

    def _kind(self, row: RegisterRow, check: _RowChecker) -> DocumentKind | None:
        tier = row.text("tier")
        if not tier:
            check.error(_("the tier is missing."))
            return None
        kind = parse_tier(tier)
        if kind is None:
            check.error(
                _(
                    "unknown tier “%(tier)s”; use 一级文件, 二级文件, 三级文件, "
                    "四级文件, 外来文件 or 其他."
                )
                % {"tier": tier}
            )
        return kind

    def _department(self, row: RegisterRow, check: _RowChecker) -> Department | None:
        name = row.text("department")
        if not name:
            check.error(_("the department is missing."))
            return None
        department = self.departments.get(name) or self.departments_by_code.get(
            name.casefold()
        )
        if department is None:
            check.error(
                _("unknown department “%(name)s”; known departments: %(known)s.")
                % {"name": name, "known": "、".join(self.departments) or "-"}
            )
        return department

    def _number(self, row: RegisterRow, facts: _RowFacts, check: _RowChecker) -> None:
        raw = row.text("number")
        if not raw:
            return  # assigned on import
        assert facts.kind is not None
        number = self.scheme.normalise(raw)
        try:
            facts.parsed = self.scheme.parse(number)
        except numbering.NumberingError as exc:
            check.error(exc.message)
            return
        if facts.parsed.kind != facts.kind:
            check.error(
                _("%(number)s is not the number of a %(kind)s.")
                % {"number": number, "kind": facts.kind.label}
            )
        facts.number = number
        if number in self.first_row_of_number:
            check.error(
                _("the number %(number)s is also used in row %(other)s.")
                % {"number": number, "other": self.first_row_of_number[number]}
            )
        else:
            self.first_row_of_number[number] = row.row
            self.kind_of_number[number] = facts.kind

    def _parent(self, row: RegisterRow, facts: _RowFacts, check: _RowChecker) -> None:
        kind, parsed = facts.kind, facts.parsed
        if kind is None:
            return
        parent: str | None = None
        if row.text("parent"):
            parent = self.scheme.normalise(row.text("parent"))
        elif parsed is not None and parsed.parent:
            parent = parsed.parent  # D0101 can only belong under B01
        allowed = (
            self.scheme.parent_kinds(numbering.Kind(kind))
            if kind in NUMBERED_KINDS
            else frozenset()
        )
        if parent and not allowed:
            check.error(
                _("a %(kind)s has no parent document, but %(parent)s was given.")
                % {"kind": kind.label, "parent": parent}
            )
            return
        if allowed and not parent:
            check.error(
                _("a %(kind)s needs a parent document (the 上级文件 column).")
                % {"kind": kind.label}
            )
            return
        if (
            parsed is not None
            and parent
            and self.scheme.embeds_parent(parsed.kind)
            and parsed.parent != parent
        ):
            check.error(
                _("%(number)s belongs under %(expected)s, not under %(parent)s.")
                % {"number": facts.number, "expected": parsed.parent, "parent": parent}
            )
        facts.parent_number = parent

    def _dates(
        self, row: RegisterRow, check: _RowChecker
    ) -> tuple[date | None, date | None]:
        found: dict[str, date | None] = {}
        for name in ("publish_date", "effective_date"):
            found[name] = None
            if row.get(name) is None:
                continue
            try:
                found[name] = parse_date(row.get(name))
            except ValueError:
                check.error(
                    _("“%(value)s” is not a date (write e.g. 2022-08-01).")
                    % {"value": row.text(name)}
                )
        publish, effective = found["publish_date"], found["effective_date"]
        if publish and effective and effective < publish:
            check.error(_("the effective date is before the publish date."))
        return publish, effective

    def _issue_and_fields(
        self,
        row: RegisterRow,
        kind: DocumentKind | None,
        publish: date | None,
        check: _RowChecker,
    ) -> tuple[str | None, dict[str, Any]]:
        """The label of the issue to create (None: none) and the page's fields."""
        version = row.text("version")
        fields: dict[str, Any] = {
            name: row.text(name)
            for name in ("description", "storage_location", "retention_period")
            if row.text(name)
        }
        if kind == DocumentKind.EXTERNAL:
            # Registered, not issued: the version is the external edition.
            fields["issuer"] = row.text("issuer")
            if not fields["issuer"]:
                check.error(
                    _("an external document needs its issuer or source (来源).")
                )
            if row.text("number"):
                fields["reference"] = row.text("number")
            edition = version or (publish.isoformat() if publish else "")
            if edition:
                fields["edition"] = edition
            return None, fields
        if kind == DocumentKind.OTHER:
            if row.text("number"):
                fields["reference"] = row.text("number")
            if row.text("counterparty"):
                fields["counterparty"] = row.text("counterparty")
        label = None
        if version or publish:
            try:
                label = labels.normalise_label(version) if version else "A"
            except labels.LabelError as exc:
                check.error(exc.message)
        return (label if publish else None), fields

    # -- pass 2: against the register and the library -------------------------------

    def _check_against_library(
        self, planned: list[PlannedDocument]
    ) -> list[PlannedDocument]:
        numbers = set(self.first_row_of_number)
        parents = {d.parent_number for d in planned if d.parent_number}
        self.existing = {
            p.number: p
            for p in DocumentPage.objects.filter(number__in=numbers | parents)
            .select_related("department")
            .with_issues()
        }
        self.in_ledger = set(
            DocumentNumber.objects.filter(number__in=numbers).values_list(
                "number", flat=True
            )
        )
        parent_paths = {p.path[: -Page.steplen] for p in self.existing.values()}
        self.number_at_path = dict(
            DocumentPage.objects.filter(path__in=parent_paths).values_list(
                "path", "number"
            )
        )
        self.unnumbered_seen: dict[tuple[str, str, str | None, str], int] = {}
        valid = []
        for document in planned:
            check = _RowChecker(document.source, self.errors)
            if document.parent_number:
                self._check_parent_exists(document, check)
            if document.number:
                self._check_numbered(document, check)
            else:
                self._check_unnumbered(document, check)
            if not check.failed:
                valid.append(document)
        return valid

    def _check_parent_exists(
        self, document: PlannedDocument, check: _RowChecker
    ) -> None:
        parent = document.parent_number
        assert parent is not None
        parent_kind = self.kind_of_number.get(parent)
        if parent_kind is None and parent in self.existing:
            parent_kind = DocumentKind(self.existing[parent].kind)
        if parent_kind is None:
            check.error(
                _(
                    "the parent document %(parent)s is neither in the register "
                    "nor in the library."
                )
                % {"parent": parent}
            )
        elif parent_kind not in self.scheme.parent_kinds(numbering.Kind(document.kind)):
            check.error(
                _("a %(kind)s cannot be placed under %(parent)s (a %(parent_kind)s).")
                % {
                    "kind": document.kind.label,
                    "parent": parent,
                    "parent_kind": DocumentKind(parent_kind).label,
                }
            )

    def _check_numbered(self, document: PlannedDocument, check: _RowChecker) -> None:
        number = document.number
        assert number is not None
        page = self.existing.get(number)
        if page is not None:
            parent_number = self.number_at_path.get(page.path[: -Page.steplen])
            self._compare(document, page, parent_number, number, check)
        elif number in self.in_ledger:
            check.error(
                _(
                    "the number %(number)s was used before (by a deleted draft) "
                    "and is never reused."
                )
                % {"number": number}
            )

    def _check_unnumbered(self, document: PlannedDocument, check: _RowChecker) -> None:
        key = (
            document.kind,
            document.title,
            document.parent_number,
            document.fields.get("reference", ""),
        )
        if key in self.unnumbered_seen:
            check.error(
                _("the same document is already listed in row %(other)s.")
                % {"other": self.unnumbered_seen[key]}
            )
            return
        self.unnumbered_seen[key] = document.row
        page = _find_unnumbered(document)
        if page is not None:
            self._compare(
                document, page, document.parent_number, f"“{document.title}”", check
            )

    def _compare(
        self,
        document: PlannedDocument,
        page: DocumentPage,
        parent_number: str | None,
        name: str,
        check: _RowChecker,
    ) -> None:
        """The same document: unchanged; a different one: an error."""
        differences = _differences(document, page, parent_number)
        if differences:
            check.error(
                _(
                    "%(document)s is already in the library with different details "
                    "(%(differences)s); an import does not change existing "
                    "documents."
                )
                % {"document": name, "differences": "; ".join(differences)}
            )
        else:
            document.action = UNCHANGED
            document.existing = page

    # -- pass 3: source files -------------------------------------------------------

    def _check_files(self, valid: list[PlannedDocument]) -> None:
        """Resolve every row's file; extract those of new documents.

        Files of rows with other errors are checked too, so that every problem
        is reported at once.
        """
        root = self.files_root
        if root is None:
            return
        by_row = {d.row: d for d in valid}
        jobs: list[PlannedDocument] = []
        for row in self.rows:
            raw = row.text("path")
            if not raw:
                continue
            check = _RowChecker(row, self.errors)
            try:
                path = _resolve_file(raw, root)
            except ValueError:
                check.error(
                    _("the file path “%(path)s” leads outside the files folder.")
                    % {"path": raw}
                )
                continue
            if not path.is_file():
                check.error(
                    _("the file “%(path)s” does not exist in %(folder)s.")
                    % {"path": raw, "folder": root}
                )
                continue
            document = by_row.get(row.row)
            if document is None:  # an invalid row: extract only to check
                document = PlannedDocument(
                    source=row,
                    kind=DocumentKind.OTHER,
                    title=row.text("title"),
                    department=Department(),
                )
            document.file = path
            if document.action == CREATE:
                jobs.append(document)
        _extract_all(jobs, self.errors, self.progress)


def _differences(
    document: PlannedDocument, page: DocumentPage, parent_number: str | None
) -> list[str]:
    """How an existing document differs from the row (empty: the same)."""
    differences = []
    if page.kind != document.kind:
        differences.append(
            _("kind %(old)s, not %(new)s")
            % {
                "old": DocumentKind(page.kind).label,
                "new": document.kind.label,
            }
        )
    if page.title != document.title:
        differences.append(
            _("title “%(old)s”, not “%(new)s”")
            % {"old": page.title, "new": document.title}
        )
    if (parent_number or None) != (document.parent_number or None):
        differences.append(
            _("parent %(old)s, not %(new)s")
            % {"old": parent_number or "-", "new": document.parent_number or "-"}
        )
    if page.department_id != document.department.pk:
        differences.append(
            _("department %(old)s, not %(new)s")
            % {
                "old": page.department.name if page.department else "-",
                "new": document.department.name,
            }
        )
    if document.kind != DocumentKind.EXTERNAL:
        current = _current_label(page)
        if current != document.label:
            differences.append(
                _("current issue %(old)s, not %(new)s")
                % {"old": current or "-", "new": document.label or "-"}
            )
    return differences


def _find_unnumbered(document: PlannedDocument) -> DocumentPage | None:
    """An existing document that an unnumbered row describes, if any."""
    candidates = (
        DocumentPage.objects.filter(kind=document.kind, title=document.title)
        .select_related("department")
        .with_issues()
    )
    if document.kind in NUMBERED_KINDS:
        parent = (
            DocumentPage.objects.filter(number=document.parent_number).first()
            if document.parent_number
            else LibraryPage.objects.first()
        )
        if parent is None:
            return None
        candidates = candidates.child_of(parent)
    else:
        reference = document.fields.get("reference", "")
        page_class = document.page_class
        ids = page_class.objects.filter(reference=reference).values("pk")
        candidates = candidates.filter(pk__in=ids)
    return candidates.order_by("path").first()


def _extract_all(
    jobs: list[PlannedDocument], errors: list[RowError], progress: Progress | None
) -> None:
    if not jobs:
        return
    # The active language is per thread: the workers report in the caller's.
    language = translation.get_language()

    def extract(document: PlannedDocument) -> ExtractionResult | RowError:
        with translation.override(language):
            return _extract_one(document)

    if progress:
        progress("extract", 0, len(jobs))
    with ThreadPoolExecutor(max_workers=EXTRACTION_WORKERS) as pool:
        for done, (document, result) in enumerate(
            zip(jobs, pool.map(extract, jobs), strict=True), 1
        ):
            if isinstance(result, RowError):
                errors.append(result)
            else:
                document.extraction = result
                document.notes.extend(warning_message(c) for c in result.warnings)
            if progress:
                progress("extract", done, len(jobs))


def _extract_one(document: PlannedDocument) -> ExtractionResult | RowError:
    assert document.file is not None
    row = document.source
    try:
        return extract_file_isolated(document.file)
    except ExtractionError as exc:
        reason = exc.message
    except Exception as exc:  # a crashed child, an unreadable file …
        reason = _("the text could not be extracted (%(error)s).") % {"error": exc}
    return RowError(
        row.row,
        row.label,
        _("%(file)s: %(reason)s") % {"file": row.text("path"), "reason": reason},
    )


def _ordered(documents: list[PlannedDocument]) -> list[PlannedDocument]:
    """Parents before children; explicit numbers before assigned ones; else
    register order (sorted() is stable)."""
    return sorted(
        documents,
        key=lambda d: (
            d.kind in NUMBERED_KINDS and d.number is None,
            _KIND_ORDER[d.kind],
        ),
    )
