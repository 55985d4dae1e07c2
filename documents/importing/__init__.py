"""Import an existing document register (文件目录清单) into the library.

Three steps, so that the management command and an admin upload view can share
them:

1. :func:`read_register` reads an ``.xlsx`` or ``.csv`` register into
   :class:`RegisterRow` objects (raw cell values keyed by field).
2. :func:`validate` checks every row against the register itself and the
   database, resolves and extracts the source files (in child processes, two at a
   time) and returns an :class:`ImportPlan` with *all* the errors it found. It
   never writes anything.
3. :func:`apply` creates the planned documents through :mod:`documents.services`
   in one transaction: all or nothing.

The package's modules follow those steps: :mod:`.registers` (reading and
interpreting cells), :mod:`.validation`, :mod:`.applying`; :mod:`.plan` holds the
plan and the report, :mod:`.errors` what can go wrong.

An import is idempotent: a row whose document is already in the library with the
same title, kind, parent, department and current issue is "unchanged"; one that
differs is an error (an import never edits an approved document).
"""

from .applying import apply
from .errors import ImportFailed, RegisterError, RowError
from .plan import (
    CREATE,
    PAGE_CLASS_OF_KIND,
    UNCHANGED,
    ImportPlan,
    ImportReport,
    PlannedDocument,
    Progress,
    RowOutcome,
)
from .registers import (
    HEADER_SEARCH_ROWS,
    HEADINGS,
    MAX_ROWS,
    REGISTER_SUFFIXES,
    REQUIRED_FIELDS,
    RegisterRow,
    parse_date,
    parse_tier,
    read_register,
)
from .validation import EXTRACTION_WORKERS, validate

__all__ = [
    "CREATE",
    "EXTRACTION_WORKERS",
    "HEADER_SEARCH_ROWS",
    "HEADINGS",
    "MAX_ROWS",
    "PAGE_CLASS_OF_KIND",
    "REGISTER_SUFFIXES",
    "REQUIRED_FIELDS",
    "UNCHANGED",
    "ImportFailed",
    "ImportPlan",
    "ImportReport",
    "PlannedDocument",
    "Progress",
    "RegisterError",
    "RegisterRow",
    "RowError",
    "RowOutcome",
    "apply",
    "parse_date",
    "parse_tier",
    "read_register",
    "validate",
]
