"""Issue (revision) letters of approved releases of a document.

Pure: no ORM access, no settings.

Issues are lettered in bijective base 26, like spreadsheet columns: the n-th issue
is ``A`` … ``Z`` (1–26), then ``AA`` … ``AZ``, ``BA`` … ``ZZ`` (27–702), then
``AAA`` (703) and so on. There is no zero digit, so every positive index has
exactly one label and every non-empty string of upper-case ASCII letters is a
label. Ordering labels by (length, text) is the same as ordering them by index.

Registers kept by hand often decorate the letter: ``A版``, ``版本A`` or, with an
amendment number, ``A/0``. :func:`normalise_label` reduces those to the bare letter.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Final

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext

_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LABEL_RE: Final = re.compile(r"[A-Z]+", re.ASCII)
_PREFIX_RE: Final = re.compile(r"^(?:版本|版)\s*")
_SUFFIX_RE: Final = re.compile(r"\s*(?:版|/\s*[0-9]+)$")


def _(message: str) -> str:
    """Translate ``message``; fall back to the source text when Django isn't ready."""
    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


class LabelError(ValueError):
    """Not a valid issue label or index. ``message`` is translated for humans."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _invalid_label(label: object) -> LabelError:
    return LabelError(
        _("“%(label)s” is not a valid issue letter (A–Z, AA, AB, …).")
        % {"label": label}
    )


def label_for_index(n: int) -> str:
    """The label of the ``n``-th issue: 1 → ``A``, 26 → ``Z``, 27 → ``AA``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise LabelError(
            _("An issue number must be a whole number of 1 or more, not %(n)r.")
            % {"n": n}
        )
    letters: list[str] = []
    while n:
        n, rem = divmod(n - 1, 26)
        letters.append(_LETTERS[rem])
    return "".join(reversed(letters))


def index_of_label(label: str) -> int:
    """The issue number of a canonical label: ``A`` → 1, ``AA`` → 27, ``ZZ`` → 702.

    Only upper-case ASCII letters are accepted; use :func:`normalise_label` first on
    user input.
    """
    if not is_valid_label(label):
        raise _invalid_label(label)
    index = 0
    for char in label:
        index = index * 26 + _LETTERS.index(char) + 1
    return index


def next_label(label: str | None) -> str:
    """The label after ``label``; ``None`` (no issue yet) → ``A``, ``Z`` → ``AA``."""
    if label is None:
        return _LETTERS[0]
    return label_for_index(index_of_label(label) + 1)


def is_valid_label(label: str) -> bool:
    """Whether ``label`` is a canonical label: one or more of ``A``–``Z``."""
    return isinstance(label, str) and _LABEL_RE.fullmatch(label) is not None


def normalise_label(raw: str) -> str:
    """Reduce user or register input to a canonical label, else raise LabelError.

    Applies NFKC (full-width → ASCII), strips whitespace, upper-cases, then removes
    a leading ``版本`` or ``版``, a trailing ``版`` and a trailing amendment suffix
    such as ``/0`` or ``/1``: ``" a "`` → ``A``, ``"A版"`` → ``A``, ``"版本B"`` →
    ``B``, ``"A/0"`` → ``A``, ``"ｂ／１"`` → ``B``.
    """
    if not isinstance(raw, str):
        raise _invalid_label(raw)
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    text = _PREFIX_RE.sub("", text)
    previous = None
    while text != previous:  # "A版/0" and "A/0版" both occur
        previous, text = text, _SUFFIX_RE.sub("", text)
    if not is_valid_label(text):
        raise _invalid_label(raw)
    return text


def label_sort_key(label: str) -> tuple[int, str]:
    """A key that orders labels by issue: ``Z`` before ``AA``.

    Input is normalised first; labels that can't be normalised sort after all
    valid ones (by their text). Never raises.
    """
    try:
        text = normalise_label(label)
    except LabelError:
        return (sys.maxsize, label if isinstance(label, str) else "")
    return (len(text), text)
