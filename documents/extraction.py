"""Hardened text extraction for uploaded controlled-document sources (.docx / .pdf).

Uploaded files are untrusted.  Everything here assumes a hostile input:

* the kind is taken from the magic bytes and must agree with the extension
  (:func:`sniff_kind`); executables, HTML, legacy OLE ``.doc`` files,
  password-protected OOXML packages and macro-enabled documents are refused;
* a ``.docx`` is a zip: before python-docx sees it, every member is *streamed*
  through the decompressor with a running total, a per-member compression-ratio
  check and a member-count limit (the central directory's sizes are never
  trusted), names are checked for ``..`` / absolute paths / case-folded
  duplicates, and XML members must not carry a DOCTYPE;
* a PDF is read by pypdf with its decompression limits tightened to ours, and
  encrypted PDFs are accepted only when the user password is empty;
* :func:`extract_file_isolated` runs the same code in a child process with
  ``RLIMIT_AS`` / ``RLIMIT_CPU`` and a wall-clock timeout, for the cases no
  in-process check can bound (pathological layouts, parser bugs).

Every refusal is an :class:`ExtractionError` whose ``code`` is a short machine
code and whose ``message`` is a translated, user-facing sentence.

The module is importable without Django being configured (the child process
configures minimal settings itself); it never touches the database.

Run as ``python -m documents.extraction PATH [--limits JSON] [--filename NAME]``
it prints one JSON object on stdout: the result, or ``{"error": code,
"message": ...}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import posixpath
import re
import signal
import stat
import subprocess
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

try:  # POSIX only; extract_file_isolated needs it.
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = [
    "ExtractionError",
    "ExtractionResult",
    "Limits",
    "WARNING_NO_TEXT",
    "WARNING_PAGE_ERRORS",
    "WARNING_TEXT_TRUNCATED",
    "extract_bytes",
    "extract_file",
    "extract_file_isolated",
    "join_pdf_lines",
    "message_for",
    "normalize_text",
    "sniff_kind",
    "squeeze_cjk_spaces",
    "warning_message",
]

MiB = 1024 * 1024
GiB = 1024 * MiB

# Warning codes carried in ExtractionResult.warnings.
WARNING_TEXT_TRUNCATED = "text_truncated"
WARNING_NO_TEXT = "no_text"
WARNING_PAGE_ERRORS = "page_errors"

ERROR_CODES = (
    "too_large",
    "empty",
    "unsupported_type",
    "type_mismatch",
    "corrupt",
    "encrypted",
    "bomb",
    "timeout",
    "macro",
)

# Members whose uncompressed size stays below this are exempt from the ratio
# check: small XML parts routinely compress 30-100x.
_RATIO_EXEMPT_BYTES = 1 * MiB
_CHUNK = 64 * 1024
# Bytes of each XML member searched for a DOCTYPE declaration.
_DOCTYPE_WINDOW = 4096
# Extra wall-clock seconds the child gets on top of its CPU budget
# (interpreter start-up, imports, I/O).
_WALL_CLOCK_GRACE_SECONDS = 5
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------- errors


def message_for(code: str) -> str:
    """The translated, user-facing message for an error ``code``.

    Translated at call time, so the text follows the active language; the
    parent process uses this to re-translate errors reported by the child.
    """
    from django.utils.translation import gettext as _

    messages = {
        "too_large": _(
            "The file is too large to process. Reduce its size or split it, "
            "then upload it again."
        ),
        "empty": _("The file is empty."),
        "unsupported_type": _(
            "Only Word (.docx) and PDF files are supported. Open legacy Word "
            "(.doc) files in Word and save them as .docx first."
        ),
        "type_mismatch": _(
            "The file's contents do not match its extension. Upload a genuine "
            ".docx or .pdf file."
        ),
        "corrupt": _("The file is damaged or not a valid .docx or .pdf file."),
        "encrypted": _(
            "The file is encrypted; remove the password and upload it again."
        ),
        "bomb": _(
            "The file expands to an unreasonable size when decompressed and "
            "was rejected."
        ),
        "timeout": _("Reading the file took too long and was stopped."),
        "macro": _(
            "Macro-enabled Word files are not accepted. Save the document as "
            "a plain .docx without macros and upload it again."
        ),
    }
    return messages.get(code) or _("The file could not be read.")


def warning_message(code: str) -> str:
    """Translated description of a warning code from ExtractionResult.warnings."""
    from django.utils.translation import gettext as _

    messages = {
        WARNING_TEXT_TRUNCATED: _("The text was truncated because it is very long."),
        WARNING_NO_TEXT: _(
            "No text was found in the file (is it a scanned PDF without a text layer?)."
        ),
        WARNING_PAGE_ERRORS: _("The text of some pages could not be read."),
    }
    return messages.get(code, code)


class ExtractionError(Exception):
    """A file that cannot be read safely.

    ``code`` is one of :data:`ERROR_CODES`; ``message`` is a translated,
    user-facing reason (defaults to :func:`message_for`).
    """

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = message if message is not None else message_for(code)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ExtractionError({self.code!r}, {self.message!r})"


# --------------------------------------------------------------- data types


@dataclass(frozen=True)
class ExtractionResult:
    text: str
    kind: str  # "docx" or "pdf"
    sha256: str  # of the raw bytes
    size: int  # bytes
    pages: int | None  # pdf page count, None for docx
    warnings: tuple[str, ...] = ()  # WARNING_* codes


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * MiB
    # Total across zip members, enforced while streaming.
    max_uncompressed_bytes: int = 200 * MiB
    # Per member uncompressed/compressed, only for members above 1 MiB.
    max_member_ratio: int = 200
    max_members: int = 5000
    max_text_chars: int = 5_000_000
    timeout_seconds: int = 60
    memory_bytes: int = 1 * GiB
    max_pages: int = 5000

    @classmethod
    def from_settings(cls) -> Limits:
        """Limits from the ``SHOUKONG_EXTRACT_*`` settings (defaults otherwise)."""
        defaults = cls()
        try:
            from django.conf import settings
        except ImportError:  # pragma: no cover - Django is a dependency
            return defaults
        if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
            return defaults

        def setting(name: str, default: int) -> int:
            return int(getattr(settings, f"SHOUKONG_EXTRACT_{name}", default))

        return cls(
            max_file_bytes=setting("MAX_FILE_BYTES", defaults.max_file_bytes),
            max_uncompressed_bytes=setting(
                "MAX_UNCOMPRESSED_BYTES", defaults.max_uncompressed_bytes
            ),
            max_text_chars=setting("MAX_TEXT_CHARS", defaults.max_text_chars),
            timeout_seconds=setting("TIMEOUT_SECONDS", defaults.timeout_seconds),
            memory_bytes=setting("MEMORY_BYTES", defaults.memory_bytes),
        )


# ------------------------------------------------------------------ sniffing

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Things that must never be accepted whatever follows them.
_FOREIGN_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O fat / Java class
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",
)
_MARKUP_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|body|script|svg|\?xml|!--|iframe)",
    re.IGNORECASE,
)
_CT_WORD_DOCUMENT = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_RT_OFFICE_DOCUMENT_SUFFIX = "/officeDocument"
_MAX_SMALL_PART = 2 * MiB  # [Content_Types].xml and _rels/.rels


def _extension(filename: str) -> str:
    base = re.split(r"[\\/]", str(filename))[-1]
    return os.path.splitext(base)[1].lower()


def _safe_xml_parser():
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _read_small_member(zf: zipfile.ZipFile, name: str) -> bytes | None:
    """Stream-read a small package part, refusing anything over 2 MiB."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
            if len(out) > _MAX_SMALL_PART:
                raise ExtractionError("bomb")
    return bytes(out)


def _parse_xml(data: bytes):
    from lxml import etree

    if _has_doctype(data):
        raise ExtractionError("corrupt")
    try:
        return etree.fromstring(data, parser=_safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("corrupt") from exc


def _sniff_zip(data: bytes) -> str:
    """'docx' for a Word main document package; raise for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            for name in names:
                if posixpath.basename(name.replace("\\", "/")).casefold() == (
                    "vbaproject.bin"
                ):
                    raise ExtractionError("macro")
            types_xml = _read_small_member(zf, "[Content_Types].xml")
            if types_xml is None:
                raise ExtractionError("type_mismatch")
            types = _parse_xml(types_xml)
            overrides: dict[str, str] = {}
            for element in types:
                if not isinstance(element.tag, str):
                    continue
                content_type = element.get("ContentType", "")
                lowered = content_type.lower()
                if "macroenabled" in lowered or "vbaproject" in lowered:
                    raise ExtractionError("macro")
                if element.tag == f"{_CT_NS}Override":
                    overrides[element.get("PartName", "").lstrip("/")] = content_type
            main = "word/document.xml"
            rels_xml = _read_small_member(zf, "_rels/.rels")
            if rels_xml is not None:
                for rel in _parse_xml(rels_xml):
                    if not isinstance(rel.tag, str):
                        continue
                    if rel.get("Type", "").endswith(_RT_OFFICE_DOCUMENT_SUFFIX):
                        target = rel.get("Target", main).replace("\\", "/")
                        main = posixpath.normpath(target.lstrip("/"))
                        break
            if main not in names:
                raise ExtractionError("type_mismatch")
            main_type = overrides.get(main, "")
            if main_type == _CT_WORD_DOCUMENT:
                return "docx"
            if "wordprocessingml" in main_type:  # .dotx template, glossary ...
                raise ExtractionError("unsupported_type")
            raise ExtractionError("type_mismatch")  # .xlsx, .pptx, plain zip ...
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ExtractionError("corrupt") from exc
    except (zlib.error, ValueError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: zipfile's "password required" for encrypted members.
        raise ExtractionError("corrupt") from exc


def sniff_kind(data: bytes, filename: str) -> str:
    """Return "docx" or "pdf" from the magic bytes, checked against the extension.

    Raises :class:`ExtractionError` ("empty", "unsupported_type",
    "type_mismatch", "encrypted", "macro", "corrupt") otherwise.
    """
    if not data:
        raise ExtractionError("empty")
    ext = _extension(filename)
    if ext in (".docm", ".dotm"):
        raise ExtractionError("macro")
    if ext not in (".docx", ".pdf"):
        raise ExtractionError("unsupported_type")
    expected = ext[1:]
    head = bytes(data[:1024])
    if head.startswith(_FOREIGN_MAGIC) or _MARKUP_START.match(head):
        raise ExtractionError("type_mismatch")
    if head.startswith(_OLE_MAGIC):
        if expected == "docx":
            # A password-protected .docx is an OLE container holding an
            # EncryptedPackage stream; anything else is a legacy .doc.
            if _ENCRYPTED_PACKAGE in data:
                raise ExtractionError("encrypted")
            raise ExtractionError("unsupported_type")
        raise ExtractionError("type_mismatch")
    if head.startswith(_ZIP_MAGIC):
        if expected != "docx":
            raise ExtractionError("type_mismatch")
        return _sniff_zip(bytes(data))
    if b"%PDF-" in head:
        if expected != "pdf":
            raise ExtractionError("type_mismatch")
        return "pdf"
    raise ExtractionError("type_mismatch")


# ------------------------------------------------------------ normalisation

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b\ufeff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, unify line breaks, drop control chars, strip line ends, squeeze blanks."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL_CHARS.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


def _finish(
    text: str,
    *,
    kind: str,
    data: bytes,
    pages: int | None,
    limits: Limits,
    warnings: list[str],
) -> ExtractionResult:
    text = normalize_text(text)
    if len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        if WARNING_TEXT_TRUNCATED not in warnings:
            warnings.append(WARNING_TEXT_TRUNCATED)
    if not text.strip():
        text = ""
        warnings.append(WARNING_NO_TEXT)
    return ExtractionResult(
        text=text,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=pages,
        warnings=tuple(dict.fromkeys(warnings)),
    )


# --------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_W_P = f"{_W}p"
_W_TBL = f"{_W}tbl"
_W_TR = f"{_W}tr"
_W_TC = f"{_W}tc"
_W_T = f"{_W}t"
_W_TXBX = f"{_W}txbxContent"
_W_SDT_CONTENT = f"{_W}sdtContent"
_MC_FALLBACK = f"{_MC}Fallback"
_RUN_BREAKS = {f"{_W}br", f"{_W}cr"}
_RUN_TABS = {f"{_W}tab", f"{_W}ptab"}
# Subtrees that hold no visible text of their own (properties, deleted or
# moved-away revisions, field codes are w:instrText and simply not collected).
_SKIP_IN_PARAGRAPH = {
    f"{_W}pPr",
    f"{_W}rPr",
    f"{_W}del",
    f"{_W}moveFrom",
    _MC_FALLBACK,
}
# Block-level wrappers whose children are again paragraphs / tables.
_BLOCK_WRAPPERS = {
    f"{_W}sdt",
    _W_SDT_CONTENT,
    f"{_W}customXml",
    f"{_W}ins",
    f"{_W}moveTo",
    f"{_W}smartTag",
    f"{_MC}AlternateContent",
    f"{_MC}Choice",
}
_XML_NAME = re.compile(r"\.(?:xml|rels|vml)$", re.IGNORECASE)
_DOCTYPE_PATTERNS = (
    b"<!doctype",
    "<!doctype".encode("utf-16-le"),
    "<!doctype".encode("utf-16-be"),
)


def _has_doctype(head: bytes) -> bool:
    lowered = head[:_DOCTYPE_WINDOW].lower()
    return any(p in lowered for p in _DOCTYPE_PATTERNS)


def _check_member_name(name: str) -> None:
    normalised = name.replace("\\", "/")
    if (
        not normalised
        or "\x00" in normalised
        or normalised.startswith("/")
        or re.match(r"^[A-Za-z]:", normalised)
        or ".." in normalised.split("/")
    ):
        raise ExtractionError("corrupt")


def _validate_zip(data: bytes, limits: Limits) -> None:
    """Stream every member through the decompressor under the limits.

    Sizes from the central directory are never trusted: totals are counted
    on the bytes actually produced.  (zipfile itself stops a member at the
    declared size and then fails the CRC check, so a directory that
    under-states a member is reported as "corrupt".)
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_members:
                raise ExtractionError("bomb")
            seen: set[str] = set()
            for info in infos:
                _check_member_name(info.filename)
                key = info.filename.replace("\\", "/").casefold()
                if key in seen:
                    raise ExtractionError("corrupt")
                seen.add(key)
                if info.flag_bits & 0x1:
                    raise ExtractionError("encrypted")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ExtractionError("corrupt")
                if posixpath.basename(key) == "vbaproject.bin":
                    raise ExtractionError("macro")
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                member_total = 0
                check_doctype = bool(_XML_NAME.search(info.filename))
                head = b""
                with zf.open(info) as fh:
                    while chunk := fh.read(_CHUNK):
                        member_total += len(chunk)
                        total += len(chunk)
                        if total > limits.max_uncompressed_bytes:
                            raise ExtractionError("bomb")
                        if (
                            member_total > _RATIO_EXEMPT_BYTES
                            and member_total
                            > limits.max_member_ratio * max(info.compress_size, 1)
                        ):
                            raise ExtractionError("bomb")
                        if check_doctype and len(head) < _DOCTYPE_WINDOW:
                            head += chunk[: _DOCTYPE_WINDOW - len(head)]
                            if _has_doctype(head):
                                raise ExtractionError("corrupt")
    except ExtractionError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ExtractionError("corrupt") from exc
    except (zlib.error, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ExtractionError("corrupt") from exc


def _paragraph_text(p, extras: list[str]) -> str:
    """Visible text of a w:p, in order; text boxes go to ``extras``."""
    parts: list[str] = []
    stack: list[Iterator] = [iter(p)]
    while stack:
        try:
            el = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_IN_PARAGRAPH:
            continue
        if tag == _W_T:
            if el.text:
                parts.append(el.text)
        elif tag in _RUN_TABS:
            parts.append("\t")
        elif tag in _RUN_BREAKS:
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
        elif tag == _W_TXBX:
            extras.extend(_block_texts(el))
        elif tag == _W_P or tag == _W_TBL:  # malformed nesting: treat as block
            extras.extend(_block_texts([el]))
        else:
            stack.append(iter(el))
    return "".join(parts)


def _table_text(tbl) -> str:
    rows: list[str] = []
    for tr in _children(tbl, _W_TR):
        cells: list[str] = []
        for tc in _children(tr, _W_TC):
            tc_pr = tc.find(f"{_W}tcPr")
            if tc_pr is not None:
                v_merge = tc_pr.find(f"{_W}vMerge")
                if v_merge is not None and v_merge.get(f"{_W}val") != "restart":
                    continue  # continuation of a vertically merged cell
                h_merge = tc_pr.find(f"{_W}hMerge")
                if h_merge is not None and h_merge.get(f"{_W}val") != "restart":
                    continue  # legacy horizontal merge continuation
            text = "\n".join(t for t in (s.strip() for s in _block_texts(tc)) if t)
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _children(parent, tag: str) -> Iterator:
    """Children with ``tag``, looking through sdt/customXml wrappers."""
    for el in parent:
        if el.tag == tag:
            yield el
        elif el.tag in _BLOCK_WRAPPERS:
            yield from _children(el, tag)


def _block_texts(container) -> list[str]:
    """Texts of the paragraphs and tables of a body-like container, in order."""
    out: list[str] = []
    stack: list[Iterator] = [iter(container)]
    while stack:
        try:
            el = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        tag = el.tag
        if tag == _W_P:
            extras: list[str] = []
            out.append(_paragraph_text(el, extras))
            out.extend(extras)
        elif tag == _W_TBL:
            out.append(_table_text(el))
        elif tag in _BLOCK_WRAPPERS:
            stack.append(iter(el))
        # everything else (sectPr, bookmarks, w:sdtPr, mc:Fallback ...) skipped
    return out


def _header_footer_texts(document) -> tuple[list[str], list[str]]:
    """Distinct header and footer texts of all sections, in section order.

    Read straight from the w:headerReference / w:footerReference elements so
    that nothing is added to the document (python-docx's Section.header would
    create a definition for sections that have none).
    """
    headers: list[str] = []
    footers: list[str] = []
    seen_parts: set[int] = set()
    seen_text: set[str] = set()
    related = document.part.related_parts
    body = document.element.body
    for sect_pr in body.iter(f"{_W}sectPr"):
        for ref in sect_pr:
            if ref.tag == f"{_W}headerReference":
                target = headers
            elif ref.tag == f"{_W}footerReference":
                target = footers
            else:
                continue
            part = related.get(ref.get(_R_ID))
            element = getattr(part, "element", None)
            if element is None or id(part) in seen_parts:
                continue
            seen_parts.add(id(part))
            text = "\n".join(t for t in _block_texts(element) if t.strip()).strip()
            if text and text not in seen_text:
                seen_text.add(text)
                target.append(text)
    return headers, footers


def _extract_docx(data: bytes, limits: Limits) -> ExtractionResult:
    _validate_zip(data, limits)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        body_blocks = _block_texts(document.element.body)
        headers, footers = _header_footer_texts(document)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError("bomb") from exc
    except Exception as exc:  # python-docx / lxml raise many kinds
        raise ExtractionError("corrupt") from exc
    blocks = [*headers, *body_blocks, *footers]
    return _finish(
        "\n".join(blocks),
        kind="docx",
        data=data,
        pages=None,
        limits=limits,
        warnings=[],
    )


# ---------------------------------------------------------------------- PDF

_CJK_CHARS = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_CJK_PUNCT = (
    "\u3001-\u303f\uff01-\uff60\uffe0-\uffe6\ufe30-\ufe4f"
    "\u2018\u2019\u201c\u201d\u2026\u2014\u2015\u00b7\u2027"
)
_CJK_ANY = f"[{_CJK_CHARS}{_CJK_PUNCT}]"
_IS_CJK = re.compile(_CJK_ANY)
# Up to two (ideographic) spaces between CJK characters are layout artefacts;
# longer runs usually separate table columns and are kept.
_CJK_GAP = re.compile(rf"(?<={_CJK_ANY})[ \u3000\u00a0]{{1,2}}(?={_CJK_ANY})")
_SENTENCE_END = set("。！？；：!?;:")
_CLOSERS = set("”’）)》」』】〕〉］]")
_OPENERS_AND_COMMAS = set("，、,（(“‘《「『【〔〈［[")
_LEADING_CONTINUATION = set("，。、；：！？）》」』】〕〉”’,.;:!?)]％%")
_HEADING_START = re.compile(
    r"""^(?:
        第[一二三四五六七八九十百千零〇两\d]+[章节条款部分篇]
      | [（(][一二三四五六七八九十百\d]{1,3}[）)]
      | [一二三四五六七八九十百]{1,3}[、．.]
      | \d{1,3}(?:\.\d{1,3})*(?:[、．]|\.(?!\d)|\s)
      | \d{1,3}(?:\.\d{1,3})+
      | [a-zA-Z][.)）、．]
      | [①-⑳⑴-⒇⒈-⒛]
      | [•●○■□◆◇▪►▶※√✓\ue000-\uf8ff]
      | (?:附录|附件|附表|表|图)\s*[\dA-Z一二三四五六七八九十]
    )""",
    re.VERBOSE,
)
# Symbol/Wingdings bullets extracted as private-use characters ("\uf0a7").
_PUA_BULLET = re.compile(r"^[\ue000-\uf8ff]\s*")
_SHORT_HEADING_WIDTH = 30  # display columns (a CJK character is 2)
_SHORT_LINE_MIN_LINES = 3
_SHORT_LINE_MIN_REFERENCE = 40
_SHORT_LINE_RATIO = 0.7
# Kangxi radicals that badly-subset fonts map glyphs to (⽂ for 文 ...).
_KANGXI = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for cp in (*range(0x2F00, 0x2FD6), *range(0x2E80, 0x2EF4))
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def squeeze_cjk_spaces(line: str) -> str:
    """Remove spaces a PDF extractor put between two CJK characters.

    ``"文 件 控 制"`` → ``"文件控制"``; ``"审核    批准"`` (3+ spaces, a column
    gap) and ``"IT 服务"`` are left alone.
    """
    return _CJK_GAP.sub("", line)


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip("".join(_CLOSERS))
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _separator(prev: str, nxt: str) -> str:
    a, b = prev[-1], nxt[0]
    if _IS_CJK.match(a) or _IS_CJK.match(b):
        return ""
    if b in ".,;:!?)]}%" or a in "/([{":
        return ""
    if a == "." and len(prev) > 1 and prev[-2].isdigit() and b.isdigit():
        return ""  # a clause number broken after its dot: "4.1.\n3"
    if a == "-" and len(prev) > 1 and prev[-2].isalpha() and b.isalpha():
        return ""  # keep the hyphen, drop the line break: "well-\nknown"
    return " "


def _prepare_page(lines: list[str]) -> tuple[list[str], list[int], float]:
    """Cleaned lines, their display widths, and the "short line" threshold.

    The threshold is 0 (never short) unless the page has enough lines and a
    long enough full measure for line length to mean anything.
    """
    split: list[str] = []
    for chunk in lines:
        split.extend(chunk.splitlines() or [""])
    cleaned = [_PUA_BULLET.sub("• ", squeeze_cjk_spaces(s).strip()) for s in split]
    cleaned = [s.strip() for s in cleaned]
    widths = [_width(s) for s in cleaned]
    content = [w for w in widths if w]
    reference = max(content, default=0)
    if len(content) >= _SHORT_LINE_MIN_LINES and reference >= _SHORT_LINE_MIN_REFERENCE:
        return cleaned, widths, _SHORT_LINE_RATIO * reference
    return cleaned, widths, 0.0


def _reflow(pages: list[list[str]]) -> str:
    out: list[str] = []
    prev = ""
    prev_width = 0
    prev_threshold = 0.0
    for page in pages:
        cleaned, widths, threshold = _prepare_page(page)
        for line, width in zip(cleaned, widths, strict=True):
            if not line:
                prev = ""  # a blank line: the next line starts a paragraph
                continue
            if not out:
                out.append(line)
            elif not prev:
                out.append("\n\n" + line)
            elif _keep_break(prev, prev_width, line, prev_threshold):
                out.append("\n" + line)
            else:
                out.append(_separator(prev, line) + line)
            prev, prev_width, prev_threshold = line, width, threshold
    return "".join(out)


def join_pdf_lines(lines: list[str]) -> str:
    """Re-flow the visual lines of PDF text into paragraphs.

    * spaces between two CJK characters inside a line are removed
      (:func:`squeeze_cjk_spaces`);
    * a line ending in a CJK character/punctuation followed by one starting
      with CJK is concatenated directly; ASCII letters/digits on both sides
      are joined with one space;
    * the line break is kept after sentence-final punctuation (。！？；：),
      before headings and numbered items (第…章/条, 1. / 1、 / 4.2.1, （一）,
      一、, a), bullets ...), after a short heading-like line, and - when
      there are enough lines to measure (3+ lines, the longest at least 20
      CJK characters wide) - after a line clearly shorter than the longest
      one (the last line of a paragraph);
    * a line starting with closing punctuation (，。；）…) always joins;
    * blank lines are kept as paragraph breaks.
    """
    return _reflow([lines])


def _keep_break(prev: str, prev_width: int, line: str, threshold: float) -> bool:
    if line[0] in _LEADING_CONTINUATION:
        return False
    if _ends_sentence(prev):
        return True
    if prev[-1] == "." and line[0].isascii() and line[0].isupper():
        return True  # an ASCII sentence ending at the end of the line
    if _HEADING_START.match(line):
        return True
    if prev[-1] in _OPENERS_AND_COMMAS:
        return False
    if _HEADING_START.match(prev) and prev_width <= _SHORT_HEADING_WIDTH:
        return True
    return prev_width < threshold


def _pdf_page_lines(raw: str) -> list[str]:
    return raw.translate(_KANGXI).splitlines()


def _pypdf_limits(limits: Limits):
    import pypdf

    apply = getattr(pypdf, "apply_configuration", None)
    get = getattr(pypdf, "get_configuration", None)
    if apply is None or get is None:  # pragma: no cover - older pypdf
        return nullcontext()
    current = get()
    cap = max(1, limits.max_uncompressed_bytes)
    overrides = {}
    for field in (
        "zlib_maximum_output_length",
        "lzw_maximum_output_length",
        "run_length_maximum_output_length",
        "array_based_stream_maximum_output_length",
        "brotli_maximum_output_length",
        "jbig2_maximum_output_length",
        "image_maximum_buffer_size",
    ):
        value = getattr(current, field, None)
        if isinstance(value, int):
            overrides[field] = min(value, cap) if value > 0 else cap
    return apply(**overrides)


def _extract_pdf(data: bytes, limits: Limits) -> ExtractionResult:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    warnings: list[str] = []
    with _pypdf_limits(limits):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except Exception as exc:  # unsupported handler, bad data ...
                    raise ExtractionError("encrypted") from exc
                if not decrypted:
                    raise ExtractionError("encrypted")
            page_count = len(reader.pages)
        except ExtractionError:
            raise
        except LimitReachedError as exc:
            raise ExtractionError("bomb") from exc
        except FileNotDecryptedError as exc:
            raise ExtractionError("encrypted") from exc
        except MemoryError as exc:
            raise ExtractionError("bomb") from exc
        except Exception as exc:
            raise ExtractionError("corrupt") from exc
        if page_count > limits.max_pages:
            raise ExtractionError("too_large")

        pages: list[list[str]] = []
        chars = 0
        failed = 0
        for index in range(page_count):
            try:
                raw = reader.pages[index].extract_text() or ""
            except LimitReachedError as exc:
                raise ExtractionError("bomb") from exc
            except FileNotDecryptedError as exc:
                raise ExtractionError("encrypted") from exc
            except MemoryError as exc:
                raise ExtractionError("bomb") from exc
            except Exception:
                # One unreadable page (pypdf bug, odd font, runaway recursion)
                # should not make the whole document unusable; it is reported
                # as a warning and breaks the paragraph flow.
                failed += 1
                pages.append([""])
                continue
            pages.append(_pdf_page_lines(raw))
            chars += len(raw)
            if chars > limits.max_text_chars:
                warnings.append(WARNING_TEXT_TRUNCATED)
                break
    if page_count and failed == page_count:
        raise ExtractionError("corrupt")
    if failed:
        warnings.append(WARNING_PAGE_ERRORS)
    # Pages are re-flowed together so that a paragraph running over a page
    # break stays whole.
    return _finish(
        _reflow(pages),
        kind="pdf",
        data=data,
        pages=page_count,
        limits=limits,
        warnings=warnings,
    )


# ------------------------------------------------------------ entry points


def extract_bytes(
    data: bytes, filename: str, *, limits: Limits | None = None
) -> ExtractionResult:
    """Extract the text of an uploaded .docx or .pdf held in memory."""
    limits = limits or Limits.from_settings()
    data = bytes(data)
    if not data:
        raise ExtractionError("empty")
    if len(data) > limits.max_file_bytes:
        raise ExtractionError("too_large")
    kind = sniff_kind(data, filename)
    try:
        if kind == "docx":
            return _extract_docx(data, limits)
        return _extract_pdf(data, limits)
    except RecursionError as exc:
        raise ExtractionError("corrupt") from exc
    except MemoryError as exc:
        raise ExtractionError("bomb") from exc


def _checked_size(path: str, limits: Limits) -> None:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError("unsupported_type")
    if st.st_size > limits.max_file_bytes:
        raise ExtractionError("too_large")
    if st.st_size == 0:
        raise ExtractionError("empty")


def extract_file(
    path: str | os.PathLike,
    *,
    limits: Limits | None = None,
    filename: str | None = None,
) -> ExtractionResult:
    """Read ``path`` (refused before reading if over the size limit) and extract.

    ``filename`` overrides the name whose extension is checked (useful when an
    upload was saved under a temporary name).
    """
    limits = limits or Limits.from_settings()
    path = os.fspath(path)
    _checked_size(path, limits)
    with open(path, "rb") as fh:
        data = fh.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:  # grew after the stat
        raise ExtractionError("too_large")
    return extract_bytes(data, filename or os.path.basename(path), limits=limits)


def _child_rlimits(limits: Limits) -> None:  # runs in the child, before exec
    if resource is None:  # pragma: no cover
        return
    memory = max(int(limits.memory_bytes), 64 * MiB)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(int(limits.timeout_seconds), 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must not import the project's settings (database, apps ...).
    env.pop("DJANGO_SETTINGS_MODULE", None)
    root = str(_PROJECT_ROOT)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root + (os.pathsep + existing if existing else "")
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def extract_file_isolated(
    path: str | os.PathLike,
    *,
    limits: Limits | None = None,
    filename: str | None = None,
) -> ExtractionResult:
    """Like :func:`extract_file`, in a resource-limited child process.

    The child runs ``python -m documents.extraction PATH`` under
    ``RLIMIT_AS = limits.memory_bytes`` and ``RLIMIT_CPU = timeout_seconds``,
    with a wall-clock timeout on top.  Errors come back by code and are
    re-translated here, in the caller's active language.
    """
    limits = limits or Limits.from_settings()
    path = os.fspath(path)
    _checked_size(path, limits)
    command = [
        sys.executable,
        "-m",
        "documents.extraction",
        os.path.abspath(path),
        "--limits",
        json.dumps(dataclasses.asdict(limits)),
    ]
    if filename:
        command += ["--filename", filename]
    try:
        proc = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.timeout_seconds + _WALL_CLOCK_GRACE_SECONDS,
            preexec_fn=(lambda: _child_rlimits(limits)) if resource else None,
            cwd=str(_PROJECT_ROOT),
            env=_child_env(),
            close_fds=True,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout") from exc
    return _parse_child_output(proc)


def _parse_child_output(proc: subprocess.CompletedProcess) -> ExtractionResult:
    payload = None
    stdout = proc.stdout or b""
    if stdout.strip():
        try:
            payload = json.loads(stdout.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
    if isinstance(payload, dict):
        if "error" in payload:
            code = str(payload["error"])
            if code not in ERROR_CODES:
                code = "corrupt"
            raise ExtractionError(code, message_for(code))
        try:
            return ExtractionResult(
                text=str(payload["text"]),
                kind=str(payload["kind"]),
                sha256=str(payload["sha256"]),
                size=int(payload["size"]),
                pages=None if payload["pages"] is None else int(payload["pages"]),
                warnings=tuple(str(w) for w in payload.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError):
            pass
    returncode = proc.returncode
    stderr = (proc.stderr or b"")[-4096:].decode("utf-8", "replace")
    if returncode == -getattr(signal, "SIGXCPU", 24):
        raise ExtractionError("timeout")
    if returncode < 0 or "MemoryError" in stderr or "memory" in stderr.lower():
        # Killed by a signal (RLIMIT_AS makes allocators abort) or out of memory.
        raise ExtractionError("bomb")
    raise RuntimeError(
        f"text extraction child failed (exit {returncode}): {stderr.strip()[-1000:]}"
    )


# --------------------------------------------------------------- child main


def _child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m documents.extraction")
    parser.add_argument("path")
    parser.add_argument("--limits", default=None, help="Limits as JSON")
    parser.add_argument("--filename", default=None)
    args = parser.parse_args(argv)

    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)

    import logging
    import warnings

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the JSON answer
    try:
        if args.limits:
            fields = {f.name for f in dataclasses.fields(Limits)}
            given = json.loads(args.limits)
            limits = Limits(**{k: int(v) for k, v in given.items() if k in fields})
        else:
            limits = Limits()
        result = extract_file(args.path, limits=limits, filename=args.filename)
        payload = dataclasses.asdict(result)
        payload["warnings"] = list(result.warnings)
    except ExtractionError as exc:
        payload = {"error": exc.code, "message": exc.message}
    except MemoryError:
        payload = {"error": "bomb", "message": ""}
    except RecursionError:
        payload = {"error": "corrupt", "message": ""}
    except OSError as exc:
        payload = {"error": "corrupt", "message": str(exc)}
    try:
        out.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        out.flush()
    except MemoryError:
        os.write(1, b'{"error": "bomb", "message": ""}')
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
