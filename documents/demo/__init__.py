"""Demo content: departments, roles, demo users and an ITSMS document set.

The content is data (:mod:`.content`: :data:`USERS`, :data:`DOCUMENTS`, …) and
:mod:`.loading` loads it through the services only, so the demo goes through the
same numbering, issuing and audit trail as real use. Loading is idempotent: users
are found by username and documents by title under their parent, and what exists
already is left as it is.
"""

from .content import (
    DOCUMENTS,
    EXTERNAL,
    OTHER,
    USERS,
    DemoDocument,
    DemoIssue,
    DemoUser,
    iter_specs,
)
from .loading import (
    DemoError,
    DemoReport,
    demo_documents_ensure,
    demo_load,
    demo_password,
    demo_password_source,
    demo_users_ensure,
    organisation_ensure,
)

__all__ = [
    "DOCUMENTS",
    "EXTERNAL",
    "OTHER",
    "USERS",
    "DemoDocument",
    "DemoError",
    "DemoIssue",
    "DemoReport",
    "DemoUser",
    "demo_documents_ensure",
    "demo_load",
    "demo_password",
    "demo_password_source",
    "demo_users_ensure",
    "iter_specs",
    "organisation_ensure",
]
