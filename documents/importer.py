"""Import an existing document register (文件目录清单) into the library.

Three steps, so that the management command and an admin upload view can share
them:

1. :func:`read_register` reads an ``.xlsx`` or ``.csv`` register into
   :class:`RegisterRow` objects (raw cell values keyed by field).
2. :func:`validate` checks every row against the register itself and the
   database, resolves and extracts the source files (in child processes, two at a
   time) and returns an :class:`ImportPlan` with *all* the errors it found. It
   never writes anything.
3. :func:`apply` creates the planned documents through :mod:`documents.services`
   in one transaction: all or nothing.

An import is idempotent: a row whose document is already in the library with the
same title, kind, parent, department and current issue is "unchanged"; one that
differs is an error (an import never edits an approved document).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import Storage
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page, ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from . import labels, numbering, permissions, services
from .extraction import (
    ExtractionError,
    ExtractionResult,
    extract_file_isolated,
    warning_message,
)
from .lifecycle import NUMBERED_KINDS, DocumentKind
from .models import (
    Department,
    DocumentNumber,
    DocumentPage,
    ExternalDocumentIndexPage,
    ExternalDocumentPage,
    FormPage,
    LibraryPage,
    ManualPage,
    OtherDocumentPage,
    ProcedurePage,
    WorkInstructionPage,
)

__all__ = [
    "ImportFailed",
    "ImportPlan",
    "ImportReport",
    "PlannedDocument",
    "RegisterError",
    "RegisterRow",
    "RowError",
    "RowOutcome",
    "apply",
    "read_register",
    "validate",
]

logger = logging.getLogger(__name__)

MAX_ROWS: Final = 10_000
HEADER_SEARCH_ROWS: Final = 10
EXTRACTION_WORKERS: Final = 2
REGISTER_SUFFIXES: Final = (".xlsx", ".csv")

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phase is ``"extract"`` or ``"import"``."""


# --- Errors ----------------------------------------------------------------------


class RegisterError(Exception):
    """The register as a whole cannot be read (format, encoding, headings)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem with one row (``row`` None: the register or the user)."""

    row: int | None
    label: str
    """The row's document number, or its title when it has no number."""
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        return _("Row %(row)s (%(number)s): %(reason)s") % {
            "row": self.row,
            "number": self.label or "-",
            "reason": self.reason,
        }


class ImportFailed(Exception):
    """The import was refused or rolled back; ``errors`` says why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


# --- Reading the register --------------------------------------------------------

# Field → accepted headings (compared after _heading_key: NFKC, case-folded,
# without spaces, punctuation or a bracketed remark).
HEADINGS: Final[dict[str, tuple[str, ...]]] = {
    name: tuple(words.split("|"))
    for name, words in {
        "number": "文件编号|编号|文档编号|文件号|number|no|doc no|document number"
        "|document no|file number",
        "title": "文件名称|文档名称|名称|文件名|标题|title|name|document name"
        "|document title",
        "tier": "文件层级|层级|文件类型|文档类型|文件级别|级别|类型|tier|type|level"
        "|kind|document type",
        "parent": "上级文件|上级文件编号|上级编号|所属文件|父文件|parent"
        "|parent number|parent document",
        "department": "编制部门|部门|归口部门|责任部门|主管部门|所属部门|department"
        "|dept|owning department",
        "version": "版本号|版本|版次|version|issue|revision|rev",
        "publish_date": "发布日期|发布时间|publish date|published|publication date"
        "|issue date|release date",
        "effective_date": "实施日期|生效日期|实施时间|生效时间|effective date"
        "|effective",
        "path": "文件路径|路径|源文件|附件|file|path|file path|source",
        "retention_period": "保存期限|保管期限|保存期|retention|retention period",
        "description": "内容说明|说明|描述|内容描述|description",
        "storage_location": "保管位置|存放位置|保存位置|存放地点|storage location"
        "|location",
        "issuer": "来源|出处|发布单位|发布机构|issuer|issued by",
        "counterparty": "相对方|合同方|对方单位|counterparty",
    }.items()
}
REQUIRED_FIELDS: Final = ("title", "tier", "department")


def _field_names() -> dict[str, str]:
    return {
        "number": _("number"),
        "title": _("title"),
        "tier": _("tier"),
        "parent": _("parent"),
        "department": _("department"),
        "version": _("version"),
        "publish_date": _("publish date"),
        "effective_date": _("effective date"),
        "path": _("file path"),
        "retention_period": _("retention period"),
        "description": _("description"),
        "storage_location": _("storage location"),
        "issuer": _("issuer"),
        "counterparty": _("counterparty"),
    }


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


_REMARK_RE: Final = re.compile(r"[（(【\[].*?[)）】\]]")
_HEADING_JUNK_RE: Final = re.compile(r"[\s*＊:：_\-.·/\\]+")


def _heading_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", _cell_text(value)).casefold()
    text = _REMARK_RE.sub("", text)
    return _HEADING_JUNK_RE.sub("", text)


_HEADING_OF: Final[dict[str, str]] = {
    _heading_key(heading): name
    for name, headings in HEADINGS.items()
    for heading in headings
}


@dataclass
class RegisterRow:
    """One data row of the register, as written (stripped text or a date)."""

    row: int
    """The row's number in the spreadsheet (the header row included)."""
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return _cell_text(self.values.get(name))

    def get(self, name: str) -> Any:
        return self.values.get(name)

    @property
    def label(self) -> str:
        return self.text("number") or self.text("title")


def read_register(path: str | Path) -> list[RegisterRow]:
    """Read an ``.xlsx`` (first sheet) or ``.csv`` register.

    Raises :class:`RegisterError` when the file can't be read or lacks a required
    column. Blank rows are skipped.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in REGISTER_SUFFIXES:
        raise RegisterError(
            _("%(name)s is not a register: use an .xlsx workbook or a .csv file.")
            % {"name": path.name}
        )
    if not path.is_file():
        raise RegisterError(_("%(path)s does not exist.") % {"path": path})
    table = _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)
    return _rows_from_table(table, path.name)


def _read_xlsx(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise RegisterError(
            _("%(name)s is not a readable .xlsx workbook (%(error)s).")
            % {"name": path.name, "error": exc.__class__.__name__}
        ) from exc
    try:
        if not workbook.worksheets:
            raise RegisterError(_("%(name)s has no worksheet.") % {"name": path.name})
        sheet = workbook.worksheets[0]
        numbered = enumerate(sheet.iter_rows(values_only=True), 1)
        limit = MAX_ROWS + HEADER_SEARCH_ROWS + 1
        rows = [(number, tuple(values)) for number, values in islice(numbered, limit)]
    finally:
        workbook.close()
    return iter(rows)


def _decode_csv(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RegisterError(
            _(
                "%(name)s is saved as UTF-16, which is not supported: save it as "
                "“CSV UTF-8” or as an .xlsx workbook."
            )
            % {"name": name}
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegisterError(
        _(
            "%(name)s is neither UTF-8 nor GBK/GB18030 text: save it as "
            "“CSV UTF-8” or as an .xlsx workbook."
        )
        % {"name": name}
    )


def _read_csv(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    text = _decode_csv(path.read_bytes(), path.name)
    if "\x00" in text:
        raise RegisterError(_("%(name)s is not a text file.") % {"name": path.name})
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = []
        for number, values in enumerate(reader, 1):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                break
            rows.append((number, tuple(values)))
    except csv.Error as exc:
        raise RegisterError(
            _("%(name)s is not a valid CSV file (%(error)s).")
            % {"name": path.name, "error": exc}
        ) from exc
    return iter(rows)


def _header_fields(values: tuple[Any, ...]) -> dict[int, str]:
    return {
        column: _HEADING_OF[key]
        for column, value in enumerate(values)
        if (key := _heading_key(value)) in _HEADING_OF
    }


def _rows_from_table(
    table: Iterable[tuple[int, tuple[Any, ...]]], name: str
) -> list[RegisterRow]:
    rows = list(table)
    head = rows[:HEADER_SEARCH_ROWS]
    header_index = next(
        (i for i, (_n, v) in enumerate(head) if "number" in _header_fields(v).values()),
        None,
    )
    if header_index is None:  # the number column is optional
        header_index = next(
            (i for i, (_n, v) in enumerate(head) if len(_header_fields(v)) >= 2), None
        )
    if header_index is None:
        raise RegisterError(
            _(
                "No heading row found in the first %(count)s rows of %(name)s; "
                "expected headings such as 文件编号, 文件名称, 文件层级, 编制部门."
            )
            % {"count": HEADER_SEARCH_ROWS, "name": name}
        )
    header_row, header_values = rows[header_index]
    columns = _header_fields(header_values)
    names = _field_names()
    seen: dict[str, int] = {}
    for column, field_name in columns.items():
        if field_name in seen:
            raise RegisterError(
                _(
                    "Columns “%(first)s” and “%(second)s” (row %(row)s) both give "
                    "the %(field)s."
                )
                % {
                    "first": _cell_text(header_values[seen[field_name]]),
                    "second": _cell_text(header_values[column]),
                    "row": header_row,
                    "field": names[field_name],
                }
            )
        seen[field_name] = column
    missing = [names[f] for f in REQUIRED_FIELDS if f not in seen]
    if missing:
        raise RegisterError(
            _(
                "%(name)s lacks required columns: %(missing)s (headings found in "
                "row %(row)s: %(found)s)."
            )
            % {
                "name": name,
                "missing": ", ".join(missing),
                "row": header_row,
                "found": ", ".join(_cell_text(v) for v in header_values if v) or "-",
            }
        )
    result: list[RegisterRow] = []
    for number, values in rows[header_index + 1 :]:
        row = RegisterRow(row=number)
        for column, field_name in columns.items():
            value = values[column] if column < len(values) else None
            if isinstance(value, str):
                value = " ".join(value.split())
            if value not in (None, ""):
                row.values[field_name] = value
        if row.values:
            result.append(row)
    if not result:
        raise RegisterError(
            _("%(name)s has headings but no documents.") % {"name": name}
        )
    if len(result) > MAX_ROWS:
        raise RegisterError(
            _("%(name)s has more than %(max)s rows; split it into smaller registers.")
            % {"name": name, "max": MAX_ROWS}
        )
    return result


# --- Interpreting cells ----------------------------------------------------------


def _value_key(value: str) -> str:
    return re.sub(r"[\s\-_·]+", "", unicodedata.normalize("NFKC", value).casefold())


_TIER_WORDS: Final[dict[DocumentKind, tuple[str, ...]]] = {
    kind: tuple(words.split("|"))
    for kind, words in {
        DocumentKind.MANUAL: "1|一级|一级文件|一阶|一阶文件|1级|1级文件|一层"
        "|一层文件|tier1|level1|manual|手册|管理手册|体系手册",
        DocumentKind.PROCEDURE: "2|二级|二级文件|二阶|二阶文件|2级|2级文件|二层"
        "|二层文件|tier2|level2|procedure|程序|程序文件",
        DocumentKind.INSTRUCTION: "3|三级|三级文件|三阶|三阶文件|3级|3级文件|三层"
        "|三层文件|tier3|level3|work instruction|instruction|wi|作业指导书|指导书"
        "|作业文件",
        DocumentKind.FORM: "4|四级|四级文件|四阶|四阶文件|4级|4级文件|四层"
        "|四层文件|tier4|level4|form|record|表单|表格|记录|记录表单|表单记录"
        "|记录表格",
        DocumentKind.EXTERNAL: "外来文件|外部文件|外来|external|external document",
        DocumentKind.OTHER: "其他|其它|其他文件|其它文件|other|合同|协议|contract"
        "|agreement",
    }.items()
}
_KIND_OF_WORD: Final[dict[str, DocumentKind]] = {
    _value_key(word): kind for kind, words in _TIER_WORDS.items() for word in words
}

PAGE_CLASS_OF_KIND: Final[dict[str, type[DocumentPage]]] = {
    DocumentKind.MANUAL: ManualPage,
    DocumentKind.PROCEDURE: ProcedurePage,
    DocumentKind.INSTRUCTION: WorkInstructionPage,
    DocumentKind.FORM: FormPage,
    DocumentKind.EXTERNAL: ExternalDocumentPage,
    DocumentKind.OTHER: OtherDocumentPage,
}

# Parents are created before their children; external and other documents last.
_KIND_ORDER: Final[dict[str, int]] = {
    DocumentKind.MANUAL: 0,
    DocumentKind.PROCEDURE: 0,
    DocumentKind.INSTRUCTION: 1,
    DocumentKind.FORM: 2,
    DocumentKind.EXTERNAL: 3,
    DocumentKind.OTHER: 3,
}


def parse_tier(value: str) -> DocumentKind | None:
    """The kind named by a register's tier cell, or None if unrecognised."""
    key = _value_key(value)
    kind = _KIND_OF_WORD.get(key)
    if kind is None and key.endswith("s"):  # "forms", "procedures"
        kind = _KIND_OF_WORD.get(key[:-1])
    return kind


_DATE_RE: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE_RE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(value: Any) -> date:
    """A register date: ``2022-08-01``, ``2022/8/1``, ``2022年8月1日``, ``20220801``,
    an Excel date or an Excel serial number. Raises ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:  # Excel's serial range (up to 9999-12-31)
            converted = from_excel(value)
            if isinstance(converted, datetime):
                return converted.date()
            if isinstance(converted, date):
                return converted
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
    if match is None:
        raise ValueError(value)
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


# --- The plan --------------------------------------------------------------------

CREATE: Final = "create"
UNCHANGED: Final = "unchanged"


@dataclass
class PlannedDocument:
    """What one valid row will do."""

    source: RegisterRow
    kind: DocumentKind
    title: str
    department: Department
    action: str = CREATE
    """``"create"`` or ``"unchanged"``."""
    number: str | None = None
    """Canonical number from the register; None: assigned on creation."""
    parent_number: str | None = None
    label: str | None = None
    """The issue to create (None: imported as a draft, or external)."""
    publish_date: date | None = None
    effective_date: date | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    """Further page fields (description, retention period, issuer …)."""
    file: Path | None = None
    extraction: ExtractionResult | None = None
    existing: DocumentPage | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def page_class(self) -> type[DocumentPage]:
        return PAGE_CLASS_OF_KIND[self.kind]


@dataclass
class ImportPlan:
    register: str
    """The register's file name (recorded in the audit log)."""
    documents: list[PlannedDocument] = field(default_factory=list)
    """Valid rows, in the order they will be created."""
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> list[PlannedDocument]:
        return [d for d in self.documents if d.action == CREATE]

    @property
    def unchanged(self) -> list[PlannedDocument]:
        return [d for d in self.documents if d.action == UNCHANGED]


@dataclass
class RowOutcome:
    document: PlannedDocument
    status: str
    """``"created"``, ``"would_create"`` or ``"unchanged"``."""
    page: DocumentPage | None = None
    number: str | None = None
    issue_label: str | None = None
    characters: int = 0

    @property
    def row(self) -> int:
        return self.document.row

    def describe(self) -> str:
        """One line for the command's output, e.g. ``B05 文件控制程序: created
        (issue A, 4,067 characters of text)``."""
        number = self.number or self.document.number
        name = f"{number} {self.document.title}" if number else self.document.title
        if self.status == UNCHANGED:
            return _("%(document)s: unchanged") % {"document": name}
        details = []
        if self.issue_label:
            details.append(_("issue %(label)s") % {"label": self.issue_label})
        elif self.document.kind == DocumentKind.EXTERNAL:
            details.append(_("external document"))
        else:
            details.append(_("draft without an issue: no publish date"))
        if self.document.extraction is not None:
            details.append(
                _("%(count)s characters of text")
                % {"count": f"{len(self.document.extraction.text):,}"}
            )
        template = (
            _("%(document)s: would create (%(details)s)")
            if self.status == "would_create"
            else _("%(document)s: created (%(details)s)")
        )
        return template % {"document": name, "details": ", ".join(details)}


@dataclass
class ImportReport:
    register: str
    outcomes: list[RowOutcome]
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(o.status in ("created", "would_create") for o in self.outcomes)

    @property
    def unchanged(self) -> int:
        return sum(o.status == UNCHANGED for o in self.outcomes)

    @property
    def with_text(self) -> int:
        return sum(
            o.status != UNCHANGED
            and o.document.extraction is not None
            and bool(o.document.extraction.text.strip())
            for o in self.outcomes
        )

    def summary(self) -> str:
        if not self.created:
            return _(
                "Nothing to import: all %(count)s documents are already in the library."
            ) % {"count": self.unchanged}
        template = (
            _("would create %(created)s, unchanged %(unchanged)s, with text %(text)s")
            if self.dry_run
            else _("created %(created)s, unchanged %(unchanged)s, with text %(text)s")
        )
        return template % {
            "created": self.created,
            "unchanged": self.unchanged,
            "text": self.with_text,
        }


# --- Validation ------------------------------------------------------------------


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
        self.names = _field_names()
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

    def extract(document: PlannedDocument) -> ExtractionResult | RowError:
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


# --- Applying --------------------------------------------------------------------


def apply(
    plan: ImportPlan,
    user: Any = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the plan's new documents in one transaction (all or nothing).

    With ``dry_run`` nothing is written and the report says what would happen.
    Raises :class:`ImportFailed` if the plan has errors or a write fails (the
    transaction is then rolled back and stored source files are deleted).
    """
    if not plan.ok:
        raise ImportFailed(plan.errors)
    outcomes: list[RowOutcome] = []
    if dry_run or not plan.to_create:
        for document in plan.documents:
            if document.action == UNCHANGED:
                outcomes.append(_unchanged(document))
            else:
                outcomes.append(
                    RowOutcome(
                        document,
                        "would_create",
                        issue_label=document.label,
                        characters=len(document.extraction.text)
                        if document.extraction
                        else 0,
                    )
                )
        return ImportReport(plan.register, _register_order(outcomes), dry_run=dry_run)

    stored_files: list[tuple[Storage, str]] = []
    current: PlannedDocument | None = None
    try:
        with transaction.atomic():
            library = services.library_ensure()
            pages: dict[str, DocumentPage] = {}
            total = len(plan.to_create)
            done = 0
            if progress:
                progress("import", done, total)
            # Each new document is saved several times (created, source attached,
            # published); its references and search entry are updated once, at
            # the end.
            with disable_reference_index_auto_update(), _search_index_deferred():
                for document in plan.documents:
                    current = document
                    if document.action == UNCHANGED:
                        outcomes.append(_unchanged(document))
                        continue
                    outcomes.append(
                        _create(document, plan, user, library, pages, stored_files)
                    )
                    done += 1
                    if progress:
                        progress("import", done, total)
            current = None
            _update_reference_index(outcomes)
    except (
        PermissionDenied,
        ValidationError,
        numbering.NumberingError,
        labels.LabelError,
        DatabaseError,
        OSError,
        _SourceChanged,
    ) as exc:
        _delete_files(stored_files)
        reason = _reason(exc)
        if current is None:
            raise ImportFailed([RowError(None, "", reason)]) from exc
        raise ImportFailed(
            [RowError(current.row, current.source.label, reason)]
        ) from exc
    except BaseException:
        _delete_files(stored_files)
        raise
    return ImportReport(plan.register, _register_order(outcomes))


class _SourceChanged(Exception):
    pass


def _unchanged(document: PlannedDocument) -> RowOutcome:
    page = document.existing
    return RowOutcome(
        document, UNCHANGED, page=page, number=page.number if page else None
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermissionDenied):
        return _("permission denied.")
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, numbering.NumberingError | labels.LabelError):
        return exc.message
    if isinstance(exc, _SourceChanged):
        return str(exc)
    return _("the import failed and was rolled back (%(error)s).") % {"error": exc}


# Search indexing of the pages saved by an import, deferred per thread: a new
# document is saved three or four times and is indexed once instead.
_deferred = threading.local()
_swap_lock = threading.Lock()
_swap_users = 0
_swapped_models: list[type[models.Model]] = []


def _dispatch_uid(model: type[models.Model]) -> str:
    return f"shoukong.importer.search:{model._meta.label}"


def _deferring_post_save(sender: type[models.Model], instance: Any, **kwargs: Any):
    pending = getattr(_deferred, "pending", None)
    if pending is not None and not kwargs.get("raw", False):
        pending[(sender, instance.pk)] = None
        return
    from modelsearch.signal_handlers import post_save_signal_handler

    post_save_signal_handler(instance, **kwargs)


@contextmanager
def _search_index_deferred() -> Iterator[None]:
    """Within this thread, index each saved object once, when the block ends.

    The search backend's ``post_save`` receiver is swapped for one that defers
    in this thread and delegates in all others (the new receiver is connected
    before the old one is disconnected and vice versa, so no thread misses an
    update). If the receiver can't be found, nothing is swapped.
    """
    global _swap_users
    try:
        from modelsearch import index as search_index
        from modelsearch.signal_handlers import post_save_signal_handler
    except ImportError:  # pragma: no cover - Wagtail always ships it
        yield
        return
    if getattr(_deferred, "pending", None) is not None:  # nested: already deferring
        yield
        return
    with _swap_lock:
        if _swap_users == 0:
            _swapped_models.clear()
            for model in search_index.get_indexed_models():
                uid = _dispatch_uid(model)
                post_save.connect(
                    _deferring_post_save, sender=model, weak=False, dispatch_uid=uid
                )
                if post_save.disconnect(post_save_signal_handler, sender=model):
                    _swapped_models.append(model)
                else:
                    post_save.disconnect(sender=model, dispatch_uid=uid)
        _swap_users += 1
    _deferred.pending = {}
    try:
        yield
        pending = list(_deferred.pending)
        del _deferred.pending
        for model, pk in pending:
            instance = model._default_manager.filter(pk=pk).first()
            if instance is None:
                continue
            try:
                search_index.insert_or_update_object(instance)
            except Exception:  # as the task backend does: never fail the import
                logger.exception("Could not index %s %s", model._meta.label, pk)
    finally:
        if hasattr(_deferred, "pending"):
            del _deferred.pending
        with _swap_lock:
            _swap_users -= 1
            if _swap_users == 0:
                for model in _swapped_models:
                    post_save.connect(post_save_signal_handler, sender=model)
                    post_save.disconnect(
                        sender=model, dispatch_uid=_dispatch_uid(model)
                    )
                _swapped_models.clear()


def _update_reference_index(outcomes: list[RowOutcome]) -> None:
    ids = [o.page.pk for o in outcomes if o.status == "created" and o.page]
    for page in DocumentPage.objects.filter(pk__in=ids).specific():
        ReferenceIndex.create_or_update_for_object(page)
        if page.source_file_id:
            ReferenceIndex.create_or_update_for_object(page.source_file)


def _register_order(outcomes: list[RowOutcome]) -> list[RowOutcome]:
    return sorted(outcomes, key=lambda o: o.row)


def _delete_files(stored: list[tuple[Storage, str]]) -> None:
    for storage, name in stored:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - best effort
            pass


def _create(
    document: PlannedDocument,
    plan: ImportPlan,
    user: Any,
    library: LibraryPage,
    pages: dict[str, DocumentPage],
    stored_files: list[tuple[Storage, str]],
) -> RowOutcome:
    parent: Page
    if document.kind == DocumentKind.EXTERNAL:
        parent = ExternalDocumentIndexPage.objects.get()
    elif document.parent_number:
        parent = pages.get(document.parent_number) or DocumentPage.objects.get(
            number=document.parent_number
        )
    else:
        parent = library
    page = services.document_create(
        user=user,
        parent=parent,
        page_class=document.page_class,
        title=document.title,
        number=document.number,
        department=document.department,
        **document.fields,
    )
    if page.number:
        pages[page.number] = page
    if document.file is not None and document.extraction is not None:
        content = document.file.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest != document.extraction.sha256:
            raise _SourceChanged(
                _("%(file)s changed while the register was being imported.")
                % {"file": document.file.name}
            )
        services.document_attach_source(
            user=user,
            document=page,
            filename=document.file.name,
            content=content,
            text=document.extraction.text,
            sha256=digest,
        )
        if page.source_file is not None:
            stored = page.source_file.file
            stored_files.append((stored.storage, stored.name))
    issue_label = None
    if document.label and document.publish_date:
        issue = services.issue_create(
            user=user,
            document=page,
            publish_date=document.publish_date,
            effective_date=document.effective_date,
            label=document.label,
        )
        issue_label = issue.label
    log(
        instance=page,
        action="shoukong.documents.import",
        user=user,
        data={"register": plan.register, "row": document.row},
    )
    return RowOutcome(
        document,
        "created",
        page=page,
        number=page.number,
        issue_label=issue_label,
        characters=len(document.extraction.text) if document.extraction else 0,
    )
