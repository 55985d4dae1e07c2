"""Snippets: the words around the first match, with the matches marked."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .analysis import ParsedQuery, is_han, normalise

SNIPPET_CHARS = 120


def _needles(query: ParsedQuery) -> list[str]:
    """What to mark: the parts as typed, then their terms, longest first."""
    found: dict[str, None] = {}
    for phrase in query.phrases:
        found.setdefault(phrase, None)
    for slot in query.slots:
        if len(slot.term) >= 2 or is_han(slot.term):
            found.setdefault(slot.term, None)
    return sorted(found, key=len, reverse=True)


def _fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded for matching (:func:`normalise`), and for each folded
    character the index in ``text`` of the character it comes from; ``None``
    when folding kept the length (the same index). Folding may change the
    length (…… → ......, ™ → tm): the text shown is always ``text`` itself,
    never its folded form."""
    folded = normalise(text)
    if len(folded) == len(text):
        return folded, None
    pieces: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = normalise(ch)
        pieces.append(piece)
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Where ``needles`` match ``text`` (folded), as spans of ``text``."""
    spans: list[tuple[int, int]] = []
    if not needles or not text:
        return spans
    folded, origin = _fold(text)
    pattern = re.compile("|".join(re.escape(n) for n in needles))
    for match in pattern.finditer(folded):
        s, e = match.start(), match.end()
        if e <= s:
            continue
        if origin is not None:
            s, e = origin[s], origin[e - 1] + 1
        spans.append((s, e))
    return spans


def _mark(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out = []
    pos = start
    for s, e in spans:
        s, e = max(s, pos), min(e, end)
        if e <= s:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, query: ParsedQuery) -> SafeString:
    """``text`` (a title), escaped, with every match marked."""
    shown = " ".join((text or "").split())
    return mark_safe(_mark(shown, _spans(shown, _needles(query)), 0, len(shown)))


def snippet(text: str, query: ParsedQuery, width: int = SNIPPET_CHARS) -> SafeString:
    """About ``width`` characters of ``text`` around its first match, escaped,
    matches marked; the start of the text when nothing matches.

    Long texts (a manual's extracted text) are searched with ``str.find`` and
    only the window is folded and marked."""
    text = text or ""
    if not text.strip():
        return mark_safe("")
    needles = _needles(query)
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text
    best = None
    for needle in needles:  # longest first: the first one found wins
        at = lowered.find(needle)
        if at >= 0:
            best = at
            break
    if best is None:
        # Full-width or otherwise folded text: look in the folded start.
        head, origin = _fold(text[:2000])
        for needle in needles:
            at = head.find(needle)
            if at >= 0:
                best = at if origin is None else origin[at]
                break
    start = 0 if best is None else max(0, best - width // 3)
    window = " ".join(text[start : start + width * 2].split())
    shown = window[:width]
    body = _mark(shown, _spans(shown, needles), 0, len(shown))
    prefix = "…" if start > 0 else ""
    more = len(shown) < len(window) or start + width * 2 < len(text)
    suffix = "…" if more else ""
    return mark_safe(f"{prefix}{body}{suffix}")
