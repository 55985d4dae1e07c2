"""Document numbering schemes: format, parse, normalise and sort document numbers.

Pure: no ORM access. Only :func:`get_scheme` reads Django settings
(``SHOUKONG_NUMBERING_SCHEME`` and ``SHOUKONG_SYSTEM_CODE``).

Controlled documents come in four tiers (:class:`Kind`): manuals (1), procedures
(2), work instructions (3) and forms (4). A scheme turns a kind, a sequence number
and, for some kinds, the parent document's number into a document number, and back.
Each number is drawn from a counter named by :meth:`Scheme.sequence_key`; sequences
start at 1.

Sequence numbers (both schemes)
-------------------------------
A sequence number is written with at least two digits, zero-padded: 1 → ``01``,
99 → ``99``. When the digits run out a digit is added: 100 → ``100``, 1000 →
``1000``. Numbers of three or more digits never have a leading zero, so every
sequence has exactly one canonical spelling. Existing numbers never change when a
sibling passes 99.

Scheme ``abcd`` (the default)
-----------------------------
=========================  ===================================  ================
Kind                       Number                               Example
=========================  ===================================  ================
manual (tier 1)            ``A`` + sequence                     A01, A02
procedure (tier 2)         ``B`` + sequence                     B01 … B99, B100
work instruction (tier 3)  ``C`` + procedure's seq + own seq    C0501
form (tier 4)              ``D`` + procedure's seq + own seq    D0509
=========================  ===================================  ================

Work instructions and forms hang under a procedure, and their sequences are
counted per procedure and per kind (``C0301`` and ``D0301`` can both exist).

**The rule for C and D numbers.** The two components — the parent procedure's
sequence *p* and the document's own sequence *s* — are written with the SAME width
``w = max(2, digits(p), digits(s))``, zero-padded. The digit string therefore always
has an even length and is read by splitting it in half:

=========  ========  =============
parent p   own s     number
=========  ========  =============
5          1         C0501
5          100       C005100
100        1         C100001
100        100       C100100
12         3456      C00123456
=========  ========  =============

Anything else is not canonical and is rejected by :meth:`Scheme.parse`:
``C005005`` (width 3 although both fit in 2 — the canonical number is ``C0505``),
``C10001`` (odd digit count), ``C0500`` and ``B00`` (sequence 0), ``B005`` and
``B5`` (wrong padding), ``b05`` (lower case; :meth:`Scheme.normalise` fixes case).

Scheme ``itsms``
----------------
``S`` is the system code (``SHOUKONG_SYSTEM_CODE``, default ``ITSMS``; upper-case
ASCII letters and digits only).

=========================  ==============================  =====================
Kind                       Number                          Example
=========================  ==============================  =====================
manual (tier 1)            ``S-M`` + sequence              ITSMS-M01
procedure (tier 2)         ``S-P`` + sequence              ITSMS-P05, ITSMS-P100
work instruction (tier 3)  ``S-WI`` + sequence             ITSMS-WI03
form / record template     parent number + ``-R`` + seq    ITSMS-P05-R02
=========================  ==============================  =====================

Manuals, procedures and work instructions each have one global sequence. A work
instruction hangs under a procedure in the library tree, but its number does not
contain the procedure's. A form hangs under a manual, procedure or work
instruction, embeds that parent's number, and is counted per parent
(``ITSMS-M01-R01``, ``ITSMS-WI03-R01``, ``ITSMS-P05-R100``). Only the configured
system code is accepted by :meth:`Scheme.parse`.

Parents
-------
``parent`` arguments are full, canonical document numbers of the same scheme. For a
kind whose number embeds its parent (:meth:`Scheme.embeds_parent`) the parent is
required; for the other kinds it is optional and, if given, only checked to be of a
kind allowed by :meth:`Scheme.parent_kinds`. Kinds that hang directly under the
library root (empty ``parent_kinds``) take no parent.
"""

from __future__ import annotations

import abc
import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar, Final

from django.conf import settings
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext


def _(message: str) -> str:
    """Translate ``message``; fall back to the source text when Django isn't ready.

    Called only when an error is raised, never at import time, so the module works
    (untranslated) without configured settings, e.g. in database-free unit tests.
    """
    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


def gettext_noop(message: str) -> str:
    """Mark ``message`` for ``makemessages`` without touching Django's settings."""
    return message


class Kind(enum.StrEnum):
    """Kinds of numbered documents; values match ``lifecycle.DocumentKind``."""

    MANUAL = "manual"  # tier 1
    PROCEDURE = "procedure"  # tier 2
    INSTRUCTION = "instruction"  # tier 3 (work instruction)
    FORM = "form"  # tier 4


TIER_OF_KIND: Final[dict[Kind, int]] = {
    Kind.MANUAL: 1,
    Kind.PROCEDURE: 2,
    Kind.INSTRUCTION: 3,
    Kind.FORM: 4,
}
KIND_OF_TIER: Final[dict[int, Kind]] = {
    tier: kind for kind, tier in TIER_OF_KIND.items()
}

# Source texts of the kinds' names, translated when an error message is built.
_KIND_NAMES: Final[dict[Kind, str]] = {
    Kind.MANUAL: gettext_noop("Manual"),
    Kind.PROCEDURE: gettext_noop("Procedure"),
    Kind.INSTRUCTION: gettext_noop("Work instruction"),
    Kind.FORM: gettext_noop("Form"),
}

SCHEMES: Final[tuple[str, ...]] = ("abcd", "itsms")
"""Names accepted by :func:`get_scheme`."""

DEFAULT_SCHEME: Final = "abcd"
DEFAULT_SYSTEM_CODE: Final = "ITSMS"

# Longer input is rejected before any int() conversion (Python limits int parsing
# to 4300 digits, and no real document number comes anywhere near this).
_MAX_NUMBER_LENGTH: Final = 100

# Dash look-alikes that NFKC leaves alone but people paste into number fields.
_DASHES: Final = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_WHITESPACE_RE: Final = re.compile(r"\s+")
_SYSTEM_CODE_RE: Final = re.compile(r"[A-Z0-9]+", re.ASCII)
_NATURAL_RE: Final = re.compile(r"([0-9]+)", re.ASCII)


class NumberingError(ValueError):
    """A document number, sequence, parent or scheme is not acceptable.

    ``message`` is a translated, human-readable explanation.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ParsedNumber:
    """The parts of a canonical document number."""

    kind: Kind
    seq: int
    """This document's own sequence (>= 1)."""
    parent: str | None
    """The parent's full number when the number embeds it (``B05``), else None."""


SortKey = tuple[int, tuple[int, ...], tuple[str | int, ...]]
"""Return type of :func:`sort_key`."""


def format_seq(seq: int) -> str:
    """Write a sequence number: two digits, growing a digit past 99 (5 → ``05``)."""
    return f"{_check_seq(seq):02d}"


def _check_seq(seq: object) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise NumberingError(
            _("A sequence number must be a whole number of 1 or more, not %(seq)r.")
            % {"seq": seq}
        )
    return seq


def _to_kind(kind: object) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise NumberingError(
            _("“%(kind)s” is not a kind of numbered document.") % {"kind": kind}
        ) from None


def _parse_seq(digits: str) -> int:
    """Read a single sequence written canonically (``05``, ``100``), else raise."""
    value = int(digits)
    if value < 1 or f"{value:02d}" != digits:
        raise ValueError(digits)
    return value


def _kind_name(kind: Kind) -> str:
    return _(_KIND_NAMES[kind])


def _invalid_number(number: object, scheme: str) -> NumberingError:
    return NumberingError(
        _(
            "“%(number)s” is not a valid document number "
            "(numbering scheme “%(scheme)s”)."
        )
        % {"number": number, "scheme": scheme}
    )


def _parts(parsed: ParsedNumber) -> tuple[Kind, int, str | None]:
    return parsed.kind, parsed.seq, parsed.parent


def _clean(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).translate(_DASHES).strip().upper()


def _natural_key(text: str) -> tuple[str | int, ...]:
    # re.split with a capturing group alternates text (even) and digits (odd), so
    # keys of different strings compare position by position without type errors.
    parts = _NATURAL_RE.split(text.casefold())
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


class Scheme(abc.ABC):
    """A document numbering scheme. Instances are immutable and stateless."""

    name: ClassVar[str]

    # -- scheme-specific --------------------------------------------------------

    @abc.abstractmethod
    def _format(self, kind: Kind, seq: int, parent: ParsedNumber | None) -> str:
        """Format a number; ``kind``, ``seq`` and ``parent`` are already checked."""

    @abc.abstractmethod
    def _parse(self, number: str) -> ParsedNumber | None:
        """Read ``number`` leniently; None if it can't be a number of this scheme.

        :meth:`parse` rejects the result unless it formats back to ``number``.
        """

    @abc.abstractmethod
    def _sequence_key(self, kind: Kind, parent: str | None) -> str:
        """The counter name; ``parent`` is checked and set iff the kind embeds it."""

    @abc.abstractmethod
    def _sort_components(self, parsed: ParsedNumber) -> tuple[int, ...]:
        """Integers that order canonical numbers of this scheme naturally."""

    @abc.abstractmethod
    def parent_kinds(self, kind: Kind) -> frozenset[Kind]:
        """Kinds of page a document of ``kind`` may hang under in the library tree.

        Empty means directly under the library root.
        """

    @abc.abstractmethod
    def embeds_parent(self, kind: Kind) -> bool:
        """Whether numbers of ``kind`` contain their parent's number."""

    # -- shared -----------------------------------------------------------------

    def format(self, kind: Kind | str, seq: int, parent: str | None = None) -> str:
        """The canonical number of the ``seq``-th document of ``kind``.

        Raises :class:`NumberingError` for a bad kind, sequence or parent.
        """
        kind = _to_kind(kind)
        seq = _check_seq(seq)
        return self._format(kind, seq, self._check_parent(kind, parent))

    def parse(self, number: str) -> ParsedNumber:
        """Split a canonical number into its parts; raise for anything else.

        Use :meth:`normalise` first on user input.
        """
        if not isinstance(number, str) or len(number) > _MAX_NUMBER_LENGTH:
            raise _invalid_number(number, self.name)
        try:
            parsed = self._parse(number)
            # Canonical means: formatting the parts gives back exactly the input.
            if parsed is not None and self.format(*_parts(parsed)) == number:
                return parsed
        except ValueError:  # includes NumberingError (bad sequence or parent)
            pass
        raise _invalid_number(number, self.name)

    def is_valid(self, number: str) -> bool:
        """Whether ``number`` is a canonical number of this scheme."""
        try:
            self.parse(number)
        except NumberingError:
            return False
        return True

    def normalise(self, raw: str) -> str:
        """Clean user input: NFKC (full-width → ASCII), unify dashes, strip, upper.

        Returns the canonical number when the cleaned text (or the cleaned text with
        its inner whitespace removed) parses; otherwise the cleaned text. Never
        raises for a string. ``" b05 "`` → ``"B05"``, ``"ｉｔｓｍｓ－ｐ０５"`` →
        ``"ITSMS-P05"``.
        """
        cleaned = _clean(raw)
        for candidate in (cleaned, _WHITESPACE_RE.sub("", cleaned)):
            if self.is_valid(candidate):
                return candidate
        return cleaned

    def sequence_key(self, kind: Kind | str, parent: str | None) -> str:
        """The name of the counter a new number of ``kind`` under ``parent`` uses.

        ``parent`` is the parent page's number; it is ignored (after checking) for
        kinds whose number doesn't embed it.
        """
        kind = _to_kind(kind)
        checked = self._check_parent(kind, parent)
        embeds = checked is not None and self.embeds_parent(kind)
        return self._sequence_key(kind, parent if embeds else None)

    def sort_key(self, number: str) -> SortKey:
        """A key that orders numbers naturally (``B99`` < ``B100``).

        Input is normalised first; anything that still doesn't parse sorts after all
        valid numbers, in natural order among itself. Never raises for a string.
        """
        text = number if isinstance(number, str) else ""
        try:
            parsed = self.parse(self.normalise(text))
        except NumberingError:
            return (1, (), _natural_key(text.strip()))
        return (0, self._sort_components(parsed), ())

    def _check_parent(self, kind: Kind, parent: str | None) -> ParsedNumber | None:
        allowed = self.parent_kinds(kind)
        if parent is None:
            if self.embeds_parent(kind):
                raise NumberingError(
                    _("A document of kind “%(kind)s” needs a parent document number.")
                    % {"kind": _kind_name(kind)}
                )
            return None
        if not allowed:
            raise NumberingError(
                _(
                    "A document of kind “%(kind)s” has no parent document, "
                    "but “%(parent)s” was given."
                )
                % {"kind": _kind_name(kind), "parent": parent}
            )
        parsed = self.parse(parent)
        if parsed.kind not in allowed:
            raise NumberingError(
                _(
                    "A document of kind “%(kind)s” cannot be placed under "
                    "“%(parent)s” (kind “%(parent_kind)s”)."
                )
                % {
                    "kind": _kind_name(kind),
                    "parent": parent,
                    "parent_kind": _kind_name(parsed.kind),
                }
            )
        return parsed


@dataclass(frozen=True)
class AbcdScheme(Scheme):
    """``A01`` manuals, ``B05`` procedures, ``C0501`` instructions, ``D0501`` forms."""

    name: ClassVar[str] = "abcd"

    _LETTER: ClassVar[dict[Kind, str]] = {
        Kind.MANUAL: "A",
        Kind.PROCEDURE: "B",
        Kind.INSTRUCTION: "C",
        Kind.FORM: "D",
    }
    _KIND_OF_LETTER: ClassVar[dict[str, Kind]] = {v: k for k, v in _LETTER.items()}
    _PARENT_KINDS: ClassVar[dict[Kind, frozenset[Kind]]] = {
        Kind.MANUAL: frozenset(),
        Kind.PROCEDURE: frozenset(),
        Kind.INSTRUCTION: frozenset({Kind.PROCEDURE}),
        Kind.FORM: frozenset({Kind.PROCEDURE}),
    }
    _RE: ClassVar[re.Pattern[str]] = re.compile(r"([ABCD])([0-9]+)", re.ASCII)

    def parent_kinds(self, kind: Kind) -> frozenset[Kind]:
        return self._PARENT_KINDS[_to_kind(kind)]

    def embeds_parent(self, kind: Kind) -> bool:
        return bool(self.parent_kinds(kind))

    def _format(self, kind: Kind, seq: int, parent: ParsedNumber | None) -> str:
        letter = self._LETTER[kind]
        if parent is None:
            return letter + format_seq(seq)
        width = max(2, len(str(parent.seq)), len(str(seq)))
        return f"{letter}{parent.seq:0{width}d}{seq:0{width}d}"

    def _parse(self, number: str) -> ParsedNumber | None:
        match = self._RE.fullmatch(number)
        if match is None:
            return None
        letter, digits = match.groups()
        kind = self._KIND_OF_LETTER[letter]
        if not self.embeds_parent(kind):
            return ParsedNumber(kind, _parse_seq(digits), None)
        half, odd = divmod(len(digits), 2)
        if odd or half < 2:
            return None
        parent_seq, seq = int(digits[:half]), int(digits[half:])
        # Width and zero sequences are checked by the round trip in parse().
        return ParsedNumber(kind, seq, "B" + format_seq(parent_seq))

    def _sequence_key(self, kind: Kind, parent: str | None) -> str:
        letter = self._LETTER[kind]
        return letter if parent is None else f"{letter}:{parent}"

    def _sort_components(self, parsed: ParsedNumber) -> tuple[int, ...]:
        # Letter first, then the parent procedure's sequence, then the own sequence:
        # B99 < B100 < C0501 < C0599 < C005100 < C0601 < D0101.
        tier = TIER_OF_KIND[parsed.kind]
        if parsed.parent is None:
            return (tier, parsed.seq)
        return (tier, self.parse(parsed.parent).seq, parsed.seq)


@dataclass(frozen=True)
class ItsmsScheme(Scheme):
    """``ITSMS-M01``, ``ITSMS-P05``, ``ITSMS-WI03`` and ``ITSMS-P05-R02``."""

    name: ClassVar[str] = "itsms"

    system_code: str = DEFAULT_SYSTEM_CODE

    _CODE: ClassVar[dict[Kind, str]] = {
        Kind.MANUAL: "M",
        Kind.PROCEDURE: "P",
        Kind.INSTRUCTION: "WI",
    }
    _KIND_OF_CODE: ClassVar[dict[str, Kind]] = {v: k for k, v in _CODE.items()}
    _PARENT_KINDS: ClassVar[dict[Kind, frozenset[Kind]]] = {
        Kind.MANUAL: frozenset(),
        Kind.PROCEDURE: frozenset(),
        Kind.INSTRUCTION: frozenset({Kind.PROCEDURE}),
        Kind.FORM: frozenset({Kind.MANUAL, Kind.PROCEDURE, Kind.INSTRUCTION}),
    }
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        r"(?P<code>M|P|WI)(?P<seq>[0-9]+)(?:-R(?P<form>[0-9]+))?", re.ASCII
    )

    def __post_init__(self) -> None:
        code = self.system_code
        if not isinstance(code, str) or not _SYSTEM_CODE_RE.fullmatch(_clean(code)):
            raise NumberingError(
                _("“%(code)s” is not a valid system code: use letters A–Z and digits.")
                % {"code": code}
            )
        object.__setattr__(self, "system_code", _clean(code))

    def parent_kinds(self, kind: Kind) -> frozenset[Kind]:
        return self._PARENT_KINDS[_to_kind(kind)]

    def embeds_parent(self, kind: Kind) -> bool:
        return _to_kind(kind) is Kind.FORM

    def _format(self, kind: Kind, seq: int, parent: ParsedNumber | None) -> str:
        if kind is Kind.FORM:
            assert parent is not None  # guaranteed by _check_parent()
            parent_number = self._format(parent.kind, parent.seq, None)
            return f"{parent_number}-R{format_seq(seq)}"
        return f"{self.system_code}-{self._CODE[kind]}{format_seq(seq)}"

    def _parse(self, number: str) -> ParsedNumber | None:
        prefix = self.system_code + "-"
        if not number.startswith(prefix):
            return None
        match = self._RE.fullmatch(number, len(prefix))
        if match is None:
            return None
        kind = self._KIND_OF_CODE[match["code"]]
        seq = _parse_seq(match["seq"])
        if match["form"] is None:
            return ParsedNumber(kind, seq, None)
        parent = f"{prefix}{match['code']}{format_seq(seq)}"
        return ParsedNumber(Kind.FORM, _parse_seq(match["form"]), parent)

    def _sequence_key(self, kind: Kind, parent: str | None) -> str:
        if kind is Kind.FORM:
            return f"R:{parent}"
        return f"{self.system_code}-{self._CODE[kind]}"

    def _sort_components(self, parsed: ParsedNumber) -> tuple[int, ...]:
        # As written: a form follows its parent (ITSMS-P05 < ITSMS-P05-R01 <
        # ITSMS-P06); M < P < WI matches the tiers.
        if parsed.parent is None:
            return (TIER_OF_KIND[parsed.kind], parsed.seq)
        parent = self.parse(parsed.parent)
        return (
            TIER_OF_KIND[parent.kind],
            parent.seq,
            TIER_OF_KIND[Kind.FORM],
            parsed.seq,
        )


def get_scheme(name: str | None = None, *, system_code: str | None = None) -> Scheme:
    """The numbering scheme called ``name``.

    ``name`` defaults to ``settings.SHOUKONG_NUMBERING_SCHEME`` (``"abcd"``) and, for
    the ``itsms`` scheme, ``system_code`` to ``settings.SHOUKONG_SYSTEM_CODE``
    (``"ITSMS"``). Settings are read only for arguments left as None. Raises
    :class:`NumberingError` for an unknown name or a bad system code.
    """
    if name is None:
        name = getattr(settings, "SHOUKONG_NUMBERING_SCHEME", DEFAULT_SCHEME)
    key = name.strip().lower() if isinstance(name, str) else name
    if key == AbcdScheme.name:
        return AbcdScheme()
    if key == ItsmsScheme.name:
        if system_code is None:
            system_code = getattr(settings, "SHOUKONG_SYSTEM_CODE", DEFAULT_SYSTEM_CODE)
        return ItsmsScheme(system_code)
    raise NumberingError(
        _("Unknown numbering scheme “%(name)s”; choose one of: %(choices)s.")
        % {"name": name, "choices": ", ".join(SCHEMES)}
    )


def sort_string(scheme: Scheme, number: str) -> str:
    """:func:`sort_key` as a string that sorts the same way in SQL.

    Each numeric component is written with ten digits, so ``B99`` (``0`` +
    ``0000000002`` + ``0000000099``) comes before ``B100``. Numbers that don't
    parse start with ``1`` and keep their cleaned text.
    """
    flag, components, _natural = scheme.sort_key(number)
    if flag:
        return "1" + _clean(number if isinstance(number, str) else "")[:100]
    return "0" + "".join(f"{c:010d}" for c in components)


def sort_key(scheme: Scheme, number: str) -> SortKey:
    """A key for ``sorted(numbers, key=...)`` that orders numbers naturally.

    ``B99`` sorts before ``B100`` and ``C0599`` before ``C005100``; input that isn't
    a number of ``scheme`` (even after :meth:`Scheme.normalise`) sorts after every
    valid number. Never raises for a string.
    """
    return scheme.sort_key(number)
