"""People's names as Chinese readers write them.

Django's ``User.get_full_name`` joins "first last" with a space, which turns
张伟 (last name 张, first name 伟) into "伟 张" on every page, mail, report and
signature. :func:`full_name` puts the family name first and drops the space
when either part is written in CJK characters; other names keep Django's
order. ``DocumentsConfig.ready`` installs it as ``User.get_full_name``.
"""

from __future__ import annotations

import unicodedata


def _is_cjk(text: str) -> bool:
    return any(unicodedata.name(c, "").startswith("CJK UNIFIED") for c in text)


def full_name(user) -> str:
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if _is_cjk(first) or _is_cjk(last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
