"""Wagtail rich text (or any HTML) to a list of simple blocks for reportlab.

The stdlib :class:`html.parser.HTMLParser` reads the HTML, so malformed markup
never raises: unclosed tags are closed at the end, stray end tags are ignored.
Text is escaped and only a fixed set of reportlab paragraph tags is emitted,
each opened and closed around one run of text, so the markup handed to
reportlab is always balanced. ``<script>``, ``<style>`` and similar are dropped
with their content; unknown tags are dropped and their text kept. Links keep
only ``http``, ``https`` and ``mailto`` targets.

Pure: no Django, no reportlab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from .errors import clean_text

__all__ = ["Block", "html_to_blocks", "text_to_blocks"]

_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS: Final = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "address",
        "dl",
        "dt",
        "dd",
        "center",
        "form",
        "fieldset",
        "legend",
        "details",
        "summary",
        "caption",
        "body",
        "html",
    }
)
_SKIPPED: Final = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "template",
        "noscript",
        "iframe",
        "object",
        "svg",
        "math",
        "select",
        "textarea",
        "button",
        "canvas",
        "video",
        "audio",
    }
)
_HEAD_CONTENT: Final = frozenset(
    {"title", "meta", "link", "style", "script", "base", "noscript", "template"}
)
_VOID: Final = frozenset(
    {"br", "hr", "img", "embed", "input", "meta", "link", "col", "area", "base", "wbr"}
)
# HTML inline tag -> reportlab paragraph tag.
_INLINE: Final = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "cite": "i",
    "var": "i",
    "dfn": "i",
    "u": "u",
    "ins": "u",
    "s": "strike",
    "strike": "strike",
    "del": "strike",
    "sup": "super",
    "sub": "sub",
}
_TAG_ORDER: Final = ("b", "i", "u", "strike", "super", "sub")
_SAFE_HREF: Final = re.compile(r"^(?:https?://|mailto:)[^\s<>\"]+$", re.IGNORECASE)
_SPACES: Final = re.compile(r"[ \t\r\n\f\v]+")
_UL_BULLETS: Final = ("●", "○", "■")
_MAX_CELL_COLUMNS: Final = 64


@dataclass(frozen=True)
class _Run:
    text: str  # "\n" is a line break
    tags: tuple[str, ...] = ()
    href: str | None = None


@dataclass
class Block:
    """One paragraph-level piece of the body.

    ``kind`` is ``"p"``, ``"h1"`` … ``"h6"``, ``"li"``, ``"pre"``, ``"hr"`` or
    ``"table"``. ``markup`` is reportlab paragraph markup and ``plain`` the same
    text without tags; a table has ``rows`` of ``(markup, plain, is_header)``.
    """

    kind: str
    markup: str = ""
    plain: str = ""
    depth: int = 0  # list nesting, 1 for a top-level item
    bullet: str = ""
    quote: int = 0  # blockquote nesting
    rows: list[list[tuple[str, str, bool]]] = field(default_factory=list)


def _markup(runs: list[_Run]) -> tuple[str, str]:
    """Reportlab markup and plain text of ``runs``; tags are balanced per run."""
    merged: list[_Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and run.text != "\n"
            and last.text != "\n"
            and (last.tags, last.href) == (run.tags, run.href)
        ):
            merged[-1] = _Run(last.text + run.text, run.tags, run.href)
        else:
            merged.append(run)
    parts: list[str] = []
    plain: list[str] = []
    for run in merged:
        if run.text == "\n":
            parts.append("<br/>")
            plain.append("\n")
            continue
        text = escape(run.text)
        for tag in reversed(run.tags):
            text = f"<{tag}>{text}</{tag}>"
        if run.href:
            text = f'<a href={quoteattr(run.href)} color="#1a4f9c">{text}</a>'
        parts.append(text)
        plain.append(run.text)
    return "".join(parts), "".join(plain)


def _trim(runs: list[_Run]) -> list[_Run]:
    """``runs`` without leading/trailing spaces and line breaks."""
    runs = list(runs)
    while runs and not runs[0].text.strip():
        runs.pop(0)
    while runs and not runs[-1].text.strip():
        runs.pop()
    if runs:
        first, last = runs[0], runs[-1]
        runs[0] = _Run(first.text.lstrip(), first.tags, first.href)
        last = runs[-1]
        runs[-1] = _Run(last.text.rstrip(), last.tags, last.href)
    return runs


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._runs: list[_Run] = []
        self._inline: dict[str, int] = {}
        self._links: list[str | None] = []
        self._skip: list[str] = []
        self._heading: str | None = None
        self._pre = 0
        self._quote = 0
        self._lists: list[list] = []  # [tag, next number]
        self._items: list[tuple[int, str]] = []  # (depth, bullet not yet shown)
        # The outermost table; nested tables are flattened into its cells.
        self._table_depth = 0
        self._rows: list[list[tuple[str, str, bool]]] = []
        self._row: list[tuple[str, str, bool]] | None = None
        self._cell: list[_Run] | None = None
        self._cell_header = False

    # -- text ------------------------------------------------------------------

    def _tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in _TAG_ORDER if self._inline.get(tag))

    def _target(self) -> list[_Run]:
        return self._cell if self._cell is not None else self._runs

    def _add(self, text: str) -> None:
        text = clean_text(text)
        if not text:
            return
        if self._pre:
            pieces = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
            for index, piece in enumerate(pieces):
                if index:
                    self._target().append(_Run("\n"))
                if piece:
                    # Keep runs of spaces: reportlab collapses ordinary ones.
                    piece = piece.replace("  ", " \u00a0")
                    self._target().append(_Run(piece, self._tags(), None))
            return
        text = _SPACES.sub(" ", text)
        target = self._target()
        if text == " " and (not target or target[-1].text in (" ", "\n")):
            return
        href = self._links[-1] if self._links else None
        target.append(_Run(text, self._tags(), href))

    def _break(self) -> None:
        self._target().append(_Run("\n"))

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    # -- blocks ----------------------------------------------------------------

    def _flush(self) -> None:
        runs = _trim(self._runs)
        self._runs = []
        if not runs:
            return
        markup, plain = _markup(runs)
        if self._heading:
            block = Block(self._heading, markup, plain)
        elif self._pre:
            block = Block("pre", markup, plain)
        elif self._items:
            depth, bullet = self._items[-1]
            self._items[-1] = (depth, "")
            block = Block("li", markup, plain, depth=depth, bullet=bullet)
        else:
            block = Block("p", markup, plain)
        block.quote = self._quote
        self.blocks.append(block)

    def _end_cell(self) -> None:
        if self._cell is None:
            return
        markup, plain = _markup(_trim(self._cell))
        if self._row is None:
            self._row = []
        if len(self._row) < _MAX_CELL_COLUMNS:
            self._row.append((markup, plain, self._cell_header))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row:
            self._rows.append(self._row)
        self._row = None

    def _end_table(self) -> None:
        self._end_row()
        if self._rows:
            self.blocks.append(Block("table", rows=self._rows, quote=self._quote))
        self._rows = []
        self._table_depth = 0

    def _in_cell(self) -> bool:
        return self._cell is not None

    def _cell_break(self) -> None:
        if self._cell and self._cell[-1].text != "\n":
            self._break()

    # -- tags ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip and self._skip[0] == "head" and tag not in _HEAD_CONTENT:
            self._skip.clear()  # an unclosed <head>: the body has started
        if self._skip:
            if tag == self._skip[-1] and tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _SKIPPED:
            self._skip.append(tag)
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag in _INLINE:
            key = _INLINE[tag]
            self._inline[key] = self._inline.get(key, 0) + 1
        elif tag == "a":
            href = attributes.get("href", "").strip()
            self._links.append(href if _SAFE_HREF.match(href) else None)
        elif tag == "br":
            self._break()
        elif tag in ("img", "embed"):
            alt = attributes.get("alt", "").strip()
            if alt:
                self._add(f"[{alt}]")
        elif tag == "table":
            self._start_table()
        elif tag in ("tr", "td", "th"):
            self._start_table_part(tag)
        elif self._in_cell():
            self._start_in_cell(tag)
        else:
            self._start_block(tag, attributes)

    def _start_table(self) -> None:
        if self._table_depth:
            self._table_depth += 1
            self._cell_break()
            return
        self._flush()
        self._heading = None
        self._table_depth = 1

    def _start_table_part(self, tag: str) -> None:
        if not self._table_depth:
            # A row or cell outside any table: a paragraph break.
            self._flush()
            return
        if self._table_depth > 1:
            if tag == "tr":
                self._cell_break()
            elif self._cell:
                self._add(" ")
            return
        if tag == "tr":
            self._end_row()
            self._row = []
        else:
            self._end_cell()
            self._cell = []
            self._cell_header = tag == "th"

    def _start_in_cell(self, tag: str) -> None:
        if tag in _BLOCKS or tag in _HEADINGS or tag in ("ul", "ol", "pre", "hr"):
            self._cell_break()
        elif tag == "li":
            self._cell_break()
            self._add("• ")

    def _start_block(self, tag: str, attributes: dict[str, str]) -> None:
        if tag in _HEADINGS:
            self._flush()
            self._heading = tag
        elif tag in _BLOCKS or tag == "hr":
            self._flush()
            self._heading = None
            if tag == "hr":
                self.blocks.append(Block("hr", quote=self._quote))
        elif tag == "pre":
            self._flush()
            self._heading = None
            self._pre += 1
        elif tag == "blockquote":
            self._flush()
            self._heading = None
            self._quote += 1
        elif tag in ("ul", "ol"):
            self._flush()
            self._heading = None
            start = attributes.get("start", "1").strip()
            number = int(start) if start.isdigit() and len(start) < 7 else 1
            self._lists.append([tag, number])
        elif tag == "li":
            self._flush()
            self._heading = None
            if not self._lists:
                self._lists.append(["ul", 1])
            kind, number = self._lists[-1]
            depth = len(self._lists)
            if kind == "ol":
                bullet = f"{number}."
                self._lists[-1][1] = number + 1
            else:
                bullet = _UL_BULLETS[(depth - 1) % len(_UL_BULLETS)]
            self._items.append((depth, bullet))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in _INLINE:
            key = _INLINE[tag]
            if self._inline.get(key):
                self._inline[key] -= 1
        elif tag == "a":
            if self._links:
                self._links.pop()
        elif tag == "table":
            if self._table_depth > 1:
                self._table_depth -= 1
                self._cell_break()
            elif self._table_depth == 1:
                self._end_table()
        elif tag in ("td", "th"):
            if self._table_depth == 1:
                self._end_cell()
        elif tag == "tr":
            if self._table_depth == 1:
                self._end_row()
        elif self._in_cell():
            if tag in _BLOCKS or tag in _HEADINGS or tag in ("ul", "ol", "li", "pre"):
                self._cell_break()
        else:
            self._end_block(tag)

    def _end_block(self, tag: str) -> None:
        if tag in _HEADINGS:
            self._flush()
            self._heading = None
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "pre":
            self._flush()
            self._pre = max(0, self._pre - 1)
        elif tag == "blockquote":
            self._flush()
            self._quote = max(0, self._quote - 1)
        elif tag == "li":
            self._flush()
            if self._items:
                self._items.pop()
        elif tag in ("ul", "ol"):
            self._flush()
            for index in range(len(self._lists) - 1, -1, -1):
                if self._lists[index][0] == tag:
                    del self._lists[index:]
                    break
            depth = len(self._lists)
            while self._items and self._items[-1][0] > depth:
                self._items.pop()

    def finish(self) -> list[Block]:
        self.close()
        self._skip.clear()
        if self._table_depth:
            self._end_table()
        self._flush()
        return self.blocks


def html_to_blocks(html: str) -> list[Block]:
    """The blocks of rich text ``html``. Never raises on malformed HTML."""
    converter = _Converter()
    converter.feed(str(html))
    return converter.finish()


def text_to_blocks(text: str) -> list[Block]:
    """One paragraph per non-blank line of plain ``text``."""
    blocks = []
    for line in clean_text(text).splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line:
            blocks.append(Block("p", escape(line), line))
    return blocks
