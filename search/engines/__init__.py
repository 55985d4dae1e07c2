"""The engines that answer a query: the embedded one (``database``, BM25 over
:class:`~search.models.SearchPosting` in SQL, SQLite or PostgreSQL) by default, or
Elasticsearch / OpenSearch through Wagtail's search backends, chosen with
``SHOUKONG_SEARCH_BACKEND`` (see ``config/settings/base.py``)."""

from __future__ import annotations

from django.conf import settings

DATABASE = "database"


class AtLeast(int):
    """A total counted up to a cap: at least this many entries match (as
    Elasticsearch's ``"relation": "gte"``). Nobody pages through thousands of
    results, and counting them all is most of the cost of a common word."""


def tallied(fields: tuple[str, ...], rows) -> dict[str, dict]:
    """The facets ``{field: {value: count}}`` of rows (value of each of
    ``fields``…, count), counted by every combination of values."""
    out: dict[str, dict] = {name: {} for name in fields}
    for *values, count in rows:
        for name, value in zip(fields, values, strict=True):
            out[name][value] = out[name].get(value, 0) + count
    return out


WAGTAIL_ENGINES = ("elasticsearch", "opensearch")


def engine_name() -> str:
    return getattr(settings, "SHOUKONG_SEARCH_ENGINE", DATABASE) or DATABASE


def uses_wagtail_backend() -> bool:
    return engine_name() in WAGTAIL_ENGINES


def wagtail_backends() -> list:
    """The Wagtail backends entries are written to (none for the embedded engine)."""
    if not uses_wagtail_backend():
        return []
    from wagtail.search.backends import get_search_backend

    return [get_search_backend(getattr(settings, "SHOUKONG_SEARCH_ALIAS", "default"))]


def get_engine():
    if uses_wagtail_backend():
        from .elastic import WagtailBackendEngine

        return WagtailBackendEngine()
    from .database import DatabaseEngine

    return DatabaseEngine()
