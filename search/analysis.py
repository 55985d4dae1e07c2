"""Text analysis for search: the same rules when indexing and when querying.

Stock full-text engines keep a run of Chinese characters as one token, so 发放
never matches 文件的发放与回收. Here text is cut into terms that any search
engine can match exactly:

* a run of Chinese characters becomes its overlapping character pairs
  (受控文件 → 受控 控文 文件); a lone character stays one term. A query of
  two characters is then one term, and a longer phrase is found where all its
  pairs are (see :mod:`search.engines.database`);
* letters and digits form words (``sla``, ``b05``, ``2026112201``); a code
  joined by ``-``, ``.``, ``/`` or ``_`` is also kept whole (``itsms-p05``,
  ``d0201-2026112201``, ``8.5.1``), and its parts of two characters or more
  become words of their own (``itsms``, ``p05``);
* everything is NFKC-normalised first (full-width ＳＬＡ and Ｂ０５ are SLA and
  B05; compatibility ideographs become the usual ones) and lower-cased. No other
  folding: Chinese characters are never changed.

Nothing else is a term: punctuation, emoji, control characters and the syntax
characters of SQL and FTS engines (``" * : ( ) NEAR OR``) are separators or
plain words, so no query can reach an engine's own query language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# Han ideographs: Extension A, the unified block, compatibility ideographs (NFKC
# maps most of them into the unified block) and the supplementary planes.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN_RE = re.compile(
    rf"(?P<han>[{_HAN}]+)|(?P<word>[0-9a-z]+(?:[-_./][0-9a-z]+)*)",
)
_SPLIT_RE = re.compile(r"[-_./]")
_HAN_RE = re.compile(rf"[{_HAN}]")

# Longest term kept (longer words are cut): bounded index rows and query terms.
MAX_TERM_LENGTH = 40
# Longest query, in characters after clean-up; the rest is dropped with a notice.
MAX_QUERY_LENGTH = 200
# Most distinct terms a query is matched on (the first ones are kept).
MAX_QUERY_TERMS = 32

_QUOTES = "\"'“”‘’「」『』«»‹›`"
_QUOTE_TRANS = str.maketrans({c: '"' for c in _QUOTES})


def normalise(text: str) -> str:
    """NFKC, lower case, control and format characters turned into spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch
        for ch in text
    )


def is_han(ch: str) -> bool:
    return bool(_HAN_RE.match(ch))


def _word_terms(word: str) -> Iterator[str]:
    word = word[:MAX_TERM_LENGTH]
    if not _SPLIT_RE.search(word):
        yield word
        return
    yield word
    for part in _SPLIT_RE.split(word):
        if len(part) >= 2:
            yield part


def _han_terms(run: str) -> Iterator[str]:
    if len(run) == 1:
        yield run
        return
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def terms(text: str, *, normalised: bool = False) -> Iterator[str]:
    """The terms of ``text``, in order, with repetitions."""
    if not normalised:
        text = normalise(text)
    for match in _TOKEN_RE.finditer(text):
        han = match.group("han")
        if han:
            yield from _han_terms(han)
        else:
            yield from _word_terms(match.group("word"))


def term_counts(text: str) -> Counter[str]:
    return Counter(terms(text))


# --- Queries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One thing a result must contain: an exact term, or (``prefix``) any term
    starting with it (the last word being typed, a lone Chinese character)."""

    term: str
    prefix: bool = False


@dataclass(frozen=True)
class QueryPart:
    """A word or quoted phrase of the query, as typed (normalised)."""

    text: str
    slots: tuple[Slot, ...]


@dataclass
class ParsedQuery:
    raw: str
    text: str = ""  # cleaned, normalised, cut to MAX_QUERY_LENGTH
    parts: list[QueryPart] = field(default_factory=list)
    truncated: bool = False
    too_many_terms: bool = False

    @property
    def slots(self) -> list[Slot]:
        """Distinct slots over all parts, in order, at most MAX_QUERY_TERMS."""
        seen: dict[Slot, None] = {}
        for part in self.parts:
            for slot in part.slots:
                seen.setdefault(slot, None)
        return list(seen)[:MAX_QUERY_TERMS]

    @property
    def is_empty(self) -> bool:
        return not self.slots

    @property
    def phrases(self) -> list[str]:
        """The parts' texts, longest first (for highlighting)."""
        return sorted({p.text for p in self.parts if p.text}, key=len, reverse=True)


def _split_parts(text: str) -> list[str]:
    """Whitespace-separated words; a quoted stretch is one part."""
    parts: list[str] = []
    for i, chunk in enumerate(text.translate(_QUOTE_TRANS).split('"')):
        if i % 2:  # inside quotes
            chunk = " ".join(chunk.split())
            if chunk:
                parts.append(chunk)
        else:
            parts.extend(chunk.split())
    return parts


def _part_slots(part: str, *, last: bool) -> tuple[Slot, ...]:
    found = list(dict.fromkeys(terms(part, normalised=True)))
    if not found:
        return ()
    slots = [Slot(t) for t in found]
    only = found[0]
    if len(found) == 1 and len(only) == 1 and is_han(only):
        # A lone character: every pair starting with it.
        slots = [Slot(only, prefix=True)]
    elif last and not _HAN_RE.search(part[-1:]) and len(found[-1]) >= 2:
        # The word still being typed: b0 → b05, serv → service.
        last_term = found[-1]
        if not part.endswith(" ") and not is_han(last_term[0]):
            slots[-1] = Slot(last_term, prefix=True)
    return tuple(slots)


def parse_query(raw: str | None, *, prefix_last: bool = True) -> ParsedQuery:
    """Read a query as typed. Never raises: whatever ``raw`` holds, the result
    is a query of at most MAX_QUERY_TERMS plain terms (possibly none)."""
    raw = raw if isinstance(raw, str) else ""
    text = " ".join(normalise(raw).split())
    query = ParsedQuery(raw=raw)
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH]
        query.truncated = True
    query.text = text
    pieces = _split_parts(text)
    for i, piece in enumerate(pieces):
        slots = _part_slots(piece, last=prefix_last and i == len(pieces) - 1)
        if slots:
            query.parts.append(QueryPart(piece, slots))
    total = len({s for p in query.parts for s in p.slots})
    query.too_many_terms = total > MAX_QUERY_TERMS
    return query


def join_text(values: Iterable[object]) -> str:
    """Plain text from values of any kind (None and blanks dropped)."""
    out = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = join_text(value)
        elif isinstance(value, dict):
            value = join_text(value.values())
        value = str(value).strip()
        if value:
            out.append(value)
    return "\n".join(out)
