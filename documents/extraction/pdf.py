"""Reading the text of a PDF with pypdf, and re-flowing its lines.

pypdf's decompression limits are tightened to ours; encrypted PDFs are accepted
only when the user password is empty. One unreadable page is a warning, not a
failure. The visual lines are re-flowed into paragraphs
(:func:`join_pdf_lines`), with CJK-aware joining.
"""

from __future__ import annotations

import io
import re
import unicodedata
from contextlib import nullcontext

from .errors import WARNING_PAGE_ERRORS, WARNING_TEXT_TRUNCATED, ExtractionError
from .results import ExtractionResult, Limits, finish

__all__ = ["extract_pdf", "join_pdf_lines", "squeeze_cjk_spaces"]

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


def extract_pdf(data: bytes, limits: Limits) -> ExtractionResult:
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
    return finish(
        _reflow(pages),
        kind="pdf",
        data=data,
        pages=page_count,
        limits=limits,
        warnings=warnings,
    )
