"""Clause numbers: validation, parents, depth and a natural sort key.

Pure: no ORM access. ``8.10`` sorts after ``8.9``; a company requirement such
as ``QY-01`` sorts by its text.
"""

from __future__ import annotations

import re

__all__ = ["CLAUSE_RE", "depth", "is_valid", "parent_ref", "sort_key"]

# Dotted numbers (4, 8.5.1, 8.3.4.2, A.5.1) or a company code (QY-01, R7).
CLAUSE_RE = re.compile(r"[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+){0,7}")


def is_valid(ref_id: str) -> bool:
    return len(ref_id or "") <= 32 and bool(CLAUSE_RE.fullmatch(ref_id or ""))


def parent_ref(ref_id: str) -> str | None:
    """``8.5.1`` → ``8.5``; ``8`` → ``None``. Only dots make a hierarchy."""
    head, dot, _tail = ref_id.rpartition(".")
    return head if dot else None


def depth(ref_id: str) -> int:
    return ref_id.count(".") + 1


def _part_key(part: str) -> str:
    if part.isdigit():
        return f"1{int(part):06d}"
    return f"2{part.upper():<6}"


def sort_key(ref_id: str) -> str:
    """A string that orders clause numbers naturally."""
    return ".".join(_part_key(part) for part in re.split(r"[.-]", ref_id))[:96]
