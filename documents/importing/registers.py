"""Reading a register (.xlsx or .csv) and interpreting its cells.

The heading row is found among the first rows by its headings, in Chinese or
English (:data:`HEADINGS`); each data row becomes a :class:`RegisterRow` of raw
values keyed by field. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Final

from django.utils.translation import gettext as _

from ..lifecycle import DocumentKind
from .errors import RegisterError

__all__ = [
    "HEADER_SEARCH_ROWS",
    "HEADINGS",
    "MAX_ROWS",
    "REGISTER_SUFFIXES",
    "REQUIRED_FIELDS",
    "RegisterRow",
    "field_names",
    "parse_date",
    "parse_tier",
    "read_register",
]

MAX_ROWS: Final = 10_000
HEADER_SEARCH_ROWS: Final = 10
REGISTER_SUFFIXES: Final = (".xlsx", ".csv")

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


def field_names() -> dict[str, str]:
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
    names = field_names()
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
