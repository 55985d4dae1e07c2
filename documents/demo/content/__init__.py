"""The demo content as data: users, and an ITSMS document set with its issues.

Titles and the document structure follow common practice for ISO/IEC 20000-1
document sets; every sentence was written for this demo and describes a fictitious
IT service company. :mod:`documents.demo.loading` loads it through the services.
"""

from __future__ import annotations

from collections.abc import Iterable

from .others import EXTERNAL, MANUAL, OTHER
from .procedures_b01_b07 import PROCEDURES_B01_B07
from .procedures_b08_b15 import PROCEDURES_B08_B15
from .schema import (
    ADMIN,
    CABINET,
    FILE_SERVER,
    MANAGEMENT,
    MARKET,
    TECH,
    TICKETS,
    DemoDocument,
    DemoExternal,
    DemoField,
    DemoIssue,
    DemoOther,
    DemoUser,
)
from .users import USERS

PROCEDURES: tuple[DemoDocument, ...] = (*PROCEDURES_B01_B07, *PROCEDURES_B08_B15)
DOCUMENTS: tuple[DemoDocument, ...] = (MANUAL, *PROCEDURES)


def iter_specs(specs: Iterable[DemoDocument] = DOCUMENTS) -> Iterable[DemoDocument]:
    """Every numbered demo document, parents before children."""
    for spec in specs:
        yield spec
        yield from iter_specs(spec.children)


__all__ = [
    "ADMIN",
    "CABINET",
    "DOCUMENTS",
    "EXTERNAL",
    "FILE_SERVER",
    "MANAGEMENT",
    "MANUAL",
    "MARKET",
    "OTHER",
    "PROCEDURES",
    "TECH",
    "TICKETS",
    "USERS",
    "DemoDocument",
    "DemoExternal",
    "DemoField",
    "DemoIssue",
    "DemoOther",
    "DemoUser",
    "iter_specs",
]
