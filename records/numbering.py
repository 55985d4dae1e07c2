"""Record numbers: format, recognise and split the numbers of filled-in forms.

Pure: no ORM access, no settings. Callers pass the form's number (the document
number of the form template, from ``documents.numbering``) and the values drawn
from the counters named by :func:`day_sequence_key` and
:func:`related_sequence_key`. Every record is identified by a unique number
(ISO/IEC 20000-1:2018 7.5.3 — control of documented information).

Sequence numbers
----------------
Written like document sequences: at least two digits, zero-padded, growing a
digit past 99 (1 → ``01``, 99 → ``99``, 100 → ``100``, 1000 → ``1000``). Three
or more digits never start with a zero, so each sequence has one spelling.

Numbers
-------
=========================  =================  ======================================
Record                     Number             Example
=========================  =================  ======================================
unrelated, 1st of a day    form-yyyymmdd+seq  D0201-2026112201
unrelated, 2nd that day                       D0201-2026112202
unrelated, next day        counter restarts   D0201-2026112301
unrelated, 100th of a day  seq grows a digit  D0201-20261122100
related, 1st of its form   form-source        D0302-D0201-2026112201
related, 2nd of its form   form-02-source     D0302-02-D0201-2026112201
related, 3rd of its form   form-03-source     D0302-03-D0201-2026112201
chain                      form-source        D0503-D0302-D0201-2026112201
hyphenated form            same rules         ITSMS-P05-R02-2026112201
… related                                     ITSMS-P05-R03-ITSMS-P05-R02-2026112201
=========================  =================  ======================================

An unrelated record's seq counts per form per calendar day (counter
:func:`day_sequence_key`). A related record — one that exists because of another
record, its *source* — embeds the source's full number; its ordinal counts per
form per source (counter :func:`related_sequence_key`) and is written only from
2 on.

**Why the ordinal goes right after the form number.** A suffix at the end would
be ambiguous in chains: ``D0503-D0302-D0201-2026112201-02`` could be the 2nd
D0503 of ``D0302-D0201-2026112201`` or the 1st D0503 of the 2nd D0302
(``D0302-D0201-2026112201-02``). Written after the form number, the ordinal
belongs to the form just before it: the 2nd D0503 of the 1st D0302 is
``D0503-02-D0302-D0201-2026112201``, the 1st D0503 of the 2nd D0302 is
``D0503-D0302-02-D0201-2026112201``. An ordinal is all digits and a form number
starts with a letter, so the two never look alike.

Form numbers may contain hyphens (``ITSMS-P05-R02``), so nothing here splits a
number on ``-`` to find its form: the functions take the form number as an
argument. :func:`split_unrelated` only splits off the last segment.

Limits
------
A number is at most :data:`MAX_NUMBER_LENGTH` characters, and a chain of related
records is at most :data:`MAX_CHAIN_DEPTH` deep (a record related to an
unrelated record has depth 1). Longer numbers and deeper chains are refused with
:class:`RecordNumberError`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from typing import Final

from django.utils.translation import gettext

MAX_NUMBER_LENGTH: Final = 200
"""Longest record number accepted or produced."""

MAX_CHAIN_DEPTH: Final = 8
"""Deepest chain of related records (a record related to an unrelated one: 1)."""

MAX_KEY_LENGTH: Final = 255
"""Longest sequence key returned by the ``*_sequence_key`` functions."""

_DAY_KEY_PREFIX: Final = "record:"
_RELATED_KEY_PREFIX: Final = "record-rel:"
# Marks a hashed key. Keys are otherwise built from canonical (upper-case) numbers,
# so the lower-case marker cannot occur in a key that was not hashed.
_HASH_MARKER: Final = "sha1:"

# A form number: upper-case ASCII letters and digits in hyphen-separated segments,
# starting with a letter (D0201, ITSMS-P05-R02).
_FORM_RE: Final = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*", re.ASCII)
# Anything that ends like a record: ...-<8-digit date><seq of 2+ digits>.
_RECORD_SHAPE_RE: Final = re.compile(
    r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]{10,}", re.ASCII
)

# Dash look-alikes that NFKC leaves alone but people paste into number fields
# (U+FF0D and U+FE63 are folded by NFKC already; listed for clarity).
_DASHES: Final = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
# Characters that are invisible in a number field: zero-width space, (non-)joiners,
# word joiner, byte order mark, soft hyphen.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WHITESPACE_RE: Final = re.compile(r"\s+")
_ASCII_UPPER: Final = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


class RecordNumberError(ValueError):
    """A record number, form number, sequence or chain is not acceptable.

    ``message`` is a translated, human-readable explanation.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_sequence(value: int) -> str:
    """Write a sequence or ordinal: two digits, growing a digit past 99 (5 → ``05``).

    Raises :class:`RecordNumberError` unless ``value`` is an int of 1 or more.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordNumberError(
            gettext(
                "A sequence number must be a whole number of 1 or more, not %(value)r."
            )
            % {"value": value}
        )
    return f"{value:02d}"


def format_record_number(form_number: str, on: date, seq: int) -> str:
    """The number of the ``seq``-th unrelated record of ``form_number`` made ``on``.

    ``format_record_number("D0201", date(2026, 11, 22), 1)`` →
    ``"D0201-2026112201"``. Raises :class:`RecordNumberError` for a form number
    that is not canonical, a bad sequence or a number longer than
    :data:`MAX_NUMBER_LENGTH`.
    """
    _check_form(form_number)
    number = f"{form_number}-{_date_digits(on)}{format_sequence(seq)}"
    _check_length(number)
    return number


def format_related_number(
    form_number: str, source_number: str, ordinal: int = 1, *, depth: int = 1
) -> str:
    """The number of the ``ordinal``-th record of ``form_number`` made because of
    the record ``source_number``.

    ``depth`` is the new record's depth in its chain: 1 when the source is an
    unrelated record, the source's depth + 1 otherwise. Ordinal 1 is not written:
    ``("D0302", "D0201-2026112201")`` → ``"D0302-D0201-2026112201"``, ordinal 2 →
    ``"D0302-02-D0201-2026112201"``.

    Raises :class:`RecordNumberError` for a non-canonical form or source number, a
    bad ordinal, ``depth`` outside 1..:data:`MAX_CHAIN_DEPTH`, or a number longer
    than :data:`MAX_NUMBER_LENGTH`.
    """
    _check_form(form_number)
    _check_source(source_number)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise RecordNumberError(
            gettext("A chain depth must be a whole number of 1 or more, not %(depth)r.")
            % {"depth": depth}
        )
    if depth > MAX_CHAIN_DEPTH:
        raise RecordNumberError(
            gettext(
                "Related records can be chained at most %(max)d deep; "
                "this record would be at depth %(depth)d."
            )
            % {"max": MAX_CHAIN_DEPTH, "depth": depth}
        )
    ordinal_text = format_sequence(ordinal)  # checks ordinal; 1 is not written
    ordinal_part = "" if ordinal == 1 else f"{ordinal_text}-"
    number = f"{form_number}-{ordinal_part}{source_number}"
    _check_length(number)
    return number


def day_sequence_key(form_number: str, on: date) -> str:
    """The counter for unrelated records of ``form_number`` made ``on``.

    ``("D0201", date(2026, 11, 22))`` → ``"record:D0201:20261122"``. See
    :func:`related_sequence_key` for keys that would pass :data:`MAX_KEY_LENGTH`.
    """
    _check_form(form_number)
    return _key(_DAY_KEY_PREFIX, f"{form_number}:{_date_digits(on)}")


def related_sequence_key(form_number: str, source_number: str) -> str:
    """The counter for records of ``form_number`` related to ``source_number``.

    ``("D0302", "D0201-2026112201")`` → ``"record-rel:D0302:D0201-2026112201"``.
    A key that would be longer than :data:`MAX_KEY_LENGTH` (255) characters is
    written as the prefix, ``sha1:`` and the SHA-1 hex digest of the part after
    the prefix (``"record-rel:sha1:3f…"``, 56 characters). The digest is stable,
    so the same form and source always name the same counter; the lower-case
    ``sha1:`` can't occur in an unhashed key, which is built from upper-case
    numbers.
    """
    _check_form(form_number)
    _check_source(source_number)
    return _key(_RELATED_KEY_PREFIX, f"{form_number}:{source_number}")


def normalise(number: str) -> str:
    """Clean a typed or pasted record number; does not validate.

    NFKC (full-width ``Ｄ０２０１`` → ``D0201``, ideographic space → space), dash
    look-alikes (U+FF0D, U+2212, U+2013, U+2014, U+2010 …) → ``-``, ALL whitespace
    and zero-width characters removed (a record number has none, and pasted ones
    often have some around their hyphens), ASCII letters upper-cased.
    ``" ｄ０２０１－２０２６１１２２０１ "`` → ``"D0201-2026112201"``.
    """
    text = unicodedata.normalize("NFKC", number).translate(_DASHES)
    text = _WHITESPACE_RE.sub("", text.translate(_INVISIBLE))
    return text.translate(_ASCII_UPPER)


def looks_like_record_number(text: str) -> bool:
    """Whether ``text``, once normalised, has the shape of a record number.

    The shape: hyphen-separated segments of ``A-Z`` and ``0-9``, the first
    starting with a letter, the last being at least ten digits (a date and a
    sequence), at most :data:`MAX_NUMBER_LENGTH` characters. Related chains
    (``D0302-02-D0201-2026112201``) have that shape too. Meant for search and the
    API, to tell a record number from free text; it does not check that the date
    exists (use :func:`split_unrelated` for that).
    """
    cleaned = normalise(text)
    return len(cleaned) <= MAX_NUMBER_LENGTH and bool(
        _RECORD_SHAPE_RE.fullmatch(cleaned)
    )


def split_unrelated(number: str) -> tuple[str, date, int] | None:
    """Split ``<prefix>-<yyyymmdd><seq>`` into ``(prefix, date, seq)``, else None.

    ``"D0201-2026112201"`` → ``("D0201", date(2026, 11, 22), 1)``. The last
    segment must be a real calendar date followed by a canonically written
    sequence (``01``, ``100``; not ``1``, ``001`` or ``00``). ``number`` must be
    canonical (use :func:`normalise` on user input).

    For a related number the prefix is everything before the last hyphen,
    chain included: ``"D0302-02-D0201-2026112201"`` →
    ``("D0302-02-D0201", date(2026, 11, 22), 1)``. Telling the form from the chain
    needs the form number, which only the caller knows.
    """
    if not isinstance(number, str) or len(number) > MAX_NUMBER_LENGTH:
        return None
    if not _RECORD_SHAPE_RE.fullmatch(number):
        return None
    prefix, _sep, last = number.rpartition("-")
    try:
        on = date(int(last[:4]), int(last[4:6]), int(last[6:8]))
    except ValueError:
        return None
    seq_digits = last[8:]
    seq = int(seq_digits)
    if seq < 1 or format_sequence(seq) != seq_digits:
        return None
    return prefix, on, seq


# -- helpers --------------------------------------------------------------------


def _date_digits(on: date) -> str:
    # Not strftime("%Y"): it doesn't zero-pad years before 1000 on every platform.
    return f"{on.year:04d}{on.month:02d}{on.day:02d}"


def _check_form(form_number: str) -> None:
    if not isinstance(form_number, str) or not _FORM_RE.fullmatch(form_number):
        raise RecordNumberError(
            gettext("“%(form)s” is not a valid form number.") % {"form": form_number}
        )


def _check_source(source_number: str) -> None:
    # Every record number, related or not, ends in an unrelated record's date and
    # sequence, so a source number must split.
    if split_unrelated(source_number) is None:
        raise RecordNumberError(
            gettext("“%(number)s” is not a valid record number.")
            % {"number": source_number}
        )


def _check_length(number: str) -> None:
    if len(number) > MAX_NUMBER_LENGTH:
        raise RecordNumberError(
            gettext(
                "A record number can have at most %(max)d characters; "
                "this one would have %(length)d."
            )
            % {"max": MAX_NUMBER_LENGTH, "length": len(number)}
        )


def _key(prefix: str, body: str) -> str:
    key = prefix + body
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()
    return f"{prefix}{_HASH_MARKER}{digest}"
