"""Reading the text of a .docx, after streaming its zip through the limits.

Before python-docx sees the package, every member is *streamed* through the
decompressor with a running total, a per-member compression-ratio check and a
member-count limit (the central directory's sizes are never trusted); names are
checked for ``..`` / absolute paths / case-folded duplicates, and XML members
must not carry a DOCTYPE.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator

from .errors import ExtractionError
from .results import ExtractionResult, Limits, MiB, finish
from .sniffing import CHUNK, DOCTYPE_WINDOW, has_doctype

__all__ = ["extract_docx"]

# Members whose uncompressed size stays below this are exempt from the ratio
# check: small XML parts routinely compress 30-100x.
_RATIO_EXEMPT_BYTES = 1 * MiB

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
                    while chunk := fh.read(CHUNK):
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
                        if check_doctype and len(head) < DOCTYPE_WINDOW:
                            head += chunk[: DOCTYPE_WINDOW - len(head)]
                            if has_doctype(head):
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


def extract_docx(data: bytes, limits: Limits) -> ExtractionResult:
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
    return finish(
        "\n".join(blocks),
        kind="docx",
        data=data,
        pages=None,
        limits=limits,
        warnings=[],
    )
