"""Benchmark: Chinese search — quality on the ITSMS 2022 corpus, speed at scale.

    python bench/search.py [--quick] [--db sqlite|postgres|both]
                           [--part all|quality|speed] [--docs N] [--records N]
                           [--queries N] [--pg-url URL] [--keep] [--rebuild]
                           [--explain] [--profile] [--show-all]

Each part runs in a child process of its own, on a throw-away database.

(a) Quality. A temporary SQLite database and media folder (like
    bench/import_corpus.py): ``migrate``, ``load_demo --users-only``,
    ``import_documents <register> --files <corpus>``, then the search index is
    rebuilt (``search.index.rebuild()``: the clauses loaded by the migrations
    compete for the answers too). The queries of ``bench/search_queries.json``
    (each with the document numbers that answer it) are run through
    ``search.service.search(staff, q)`` as the demo user ``staff`` (员工,
    技术部) and, as a baseline, through stock Wagtail search
    (``DocumentPage.objects.live().search(q)``, the Wagtail database backend,
    after ``update_index``). Prints top-1 accuracy (the first answer is one of
    the expected documents), recall@5 (the share of the expected documents in
    the first five answers) and the misses. Targets: top-1 ≥ 0.9, recall@5 ≥
    0.95.

(b) Speed (bench/search_speed.py). ``--docs`` documents and forms (default
    10,000; about 2,000 Chinese characters of text each, words of the field
    drawn from a Zipf-like vocabulary) and ``--records`` records (default
    200,000, written with ``bulk_create`` like bench/records.py) are put into
    the index through a bulk path of this bench (entries with ``bulk_create``,
    postings with ``executemany`` on SQLite or ``COPY`` on PostgreSQL; the
    terms are those of ``search.analysis``, the entries those the sources
    describe); the build is timed, and ``search.index.write()`` is timed on a
    sample for comparison. Then ``--queries`` queries of each class (2
    characters, 4 characters, several words) are run through
    ``search.service.search(user, q)`` as a superuser and as a member of staff
    (员工, 技术部: the permission rules are part of the query) — p50/p95/max of
    each. Targets: p95 ≤ 50 ms on PostgreSQL, ≤ 100 ms on SQLite.

PostgreSQL: a temporary database is created on the server of ``--pg-url``
(default: ``DATABASE_URL`` when it is a PostgreSQL URL, else
``SHOUKONG_BENCH_PG_URL``, else the development server
postgres://shoukong:shoukong@127.0.0.1:55433/shoukong) and dropped at the end;
the role needs CREATEDB. SQLite databases are kept in ``~/.cache/shoukong``
and copied for each run: the migrated one (shared with bench/records.py), the
corpus imported and indexed (a), and the speed run's index (b) — keyed by the
code that builds them (migrations, ``search/analysis.py``, ``index.py``,
``models.py``, ``sources/``, and for (a) the apps that import), so tuning the
ranking (``search/engines/``, ``search/service.py``) reruns only the queries.
``--rebuild`` builds them again, ``--no-cache`` neither reads nor keeps them.

Prints whether the targets are met; it is not a test: exits 0 unless a step
fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "itsms-2022"
DEFAULT_REGISTER = "文件目录清单.xlsx"
QUERIES_FILE = Path(__file__).resolve().parent / "search_queries.json"
DEV_PG_URL = "postgres://shoukong:shoukong@127.0.0.1:55433/shoukong"
TARGET_TOP1 = 0.9
TARGET_RECALL5 = 0.95
# --- Databases ---------------------------------------------------------------------


def pg_admin_url(options) -> str:
    if options.pg_url:
        return options.pg_url
    env = os.environ.get("DATABASE_URL", "")
    if env.startswith(("postgres://", "postgresql://")):
        return env
    return os.environ.get("SHOUKONG_BENCH_PG_URL") or DEV_PG_URL


class Database:
    """A throw-away database: a temporary PostgreSQL database on the server of
    ``admin_url``, or a SQLite file in ``workdir``."""

    def __init__(self, workdir: Path, admin_url: str | None, tag: str) -> None:
        self.admin_url = admin_url or ""
        self.postgres = bool(admin_url)
        self.name = None
        if self.postgres:
            self.name = f"shoukong_bench_search_{tag}_{os.getpid()}"
            parts = urlsplit(self.admin_url)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        else:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create(self, template: str | None = None) -> None:
        if self.postgres:
            with self._admin() as conn:
                extra = f' TEMPLATE "{template}"' if template else ""
                conn.execute(f'CREATE DATABASE "{self.name}"{extra}')

    def exists(self, name: str) -> bool:
        with self._admin() as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
        return found is not None

    def keep_as(self, name: str, stale_prefix: str) -> None:
        """Copy this database to ``name`` (dropping the databases whose names
        start with ``stale_prefix``: earlier copies of other code)."""
        from django.db import connections

        connections.close_all()
        with self._admin() as conn:
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [stale_prefix.replace("_", r"\_") + "%"],
            ).fetchall()
            for (old,) in stale:
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')

    def drop(self) -> None:
        if self.postgres:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 - Django may not be set up
                pass
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def describe(self) -> str:
        if self.postgres:
            parts = urlsplit(self.url)
            return f"PostgreSQL {parts.hostname}:{parts.port}/{self.name} (temporary)"
        return f"SQLite {self.url.removeprefix('sqlite:///')} (temporary)"


def sqlite_template() -> Path:
    """A migrated SQLite database, keyed by the migrations and the Django and
    Wagtail versions (the same file as bench/records.py's)."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('django')} {version('wagtail')}".encode())
    for path in sorted(REPO.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "shoukong" / f"bench-records-{digest.hexdigest()[:16]}.sqlite3"


def quality_cache(options, template: Path) -> Path:
    """Where the quality run's database (the corpus imported and indexed) is
    kept between runs: keyed by the migrations, the code that imports and
    indexes, and the register, so that tuning the ranking reuses it."""
    import hashlib

    digest = hashlib.sha256(template.name.encode())
    register = options.corpus.resolve() / options.register
    if register.is_file():
        digest.update(register.read_bytes())
    search = REPO / "search"
    paths = [search / "analysis.py", search / "index.py", search / "models.py"]
    paths += sorted((search / "sources").glob("*.py"))
    for app in ("documents", "compliance", "records"):
        paths += sorted(
            p
            for p in (REPO / app).rglob("*")
            if p.suffix in (".py", ".json") and "tests" not in p.parts
        )
    for path in paths:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return template.parent / f"bench-search-quality-{digest.hexdigest()[:16]}.sqlite3"


def save_template(template: Path) -> None:
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source = Path(connection.settings_dict["NAME"])
    connections.close_all()
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_suffix(f".partial{os.getpid()}")
    shutil.copyfile(source, partial)
    partial.replace(template)


def setup_django(workdir: Path, database: Database) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DATABASE_URL"] = database.url
    os.environ["SHOUKONG_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["SHOUKONG_RECORDS_ROOT"] = str(workdir / "records")
    os.environ["SHOUKONG_DEBUG"] = "0"  # no query log in memory
    os.environ["SHOUKONG_SEARCH_BACKEND"] = "database"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def migrate(database: Database, workdir: Path, *, cache: bool) -> str:
    """Migrate (from the cached SQLite template when there is one)."""
    from django.core.management import call_command

    started = time.perf_counter()
    template = None if database.postgres or not cache else sqlite_template()
    note = ""
    call_command("migrate", verbosity=0)
    if template is not None and not template.exists():
        save_template(template)
    elif template is not None:
        note = " (from the cached template)"
    return f"migrate {time.perf_counter() - started:.1f} s{note}"


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load_bench_module(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", Path(__file__).resolve().parent / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _score(found: list[str], query: dict) -> tuple[bool, float]:
    """(first answer accepted, share of the expected documents in the first 5)."""
    expect = query["expect"]
    first = query.get("first") or expect
    top1 = bool(found) and found[0] in first
    wanted = set(expect)
    recall = len(wanted & set(found[:5])) / min(len(wanted), 5)
    return top1, recall


def wagtail_index_pages() -> None:
    """Put every page model's pages into Wagtail's default search backend."""
    from wagtail.models import Page
    from wagtail.search.backends import get_search_backend
    from wagtail.search.index import get_indexed_models

    backend = get_search_backend()
    for model in get_indexed_models():
        if issubclass(model, Page) and not model._meta.abstract:
            objects = list(model.get_indexed_objects())
            if objects:
                backend.add_bulk(model, objects)


def import_and_index(corpus: Path, register: Path) -> None:
    """The demo users, the corpus imported, Shoukong's index rebuilt and the
    document pages in Wagtail's own backend (the baseline)."""
    import io

    from django.core.management import call_command

    from search import index

    quiet = io.StringIO()
    call_command("load_demo", users_only=True, stdout=quiet)
    started = time.perf_counter()
    call_command(
        "import_documents",
        str(register),
        files=str(corpus),
        no_progress=True,
        stdout=quiet,
    )
    imported = time.perf_counter() - started
    started = time.perf_counter()
    entries = index.rebuild()
    rebuilt = time.perf_counter() - started
    started = time.perf_counter()
    try:
        call_command("update_index", stdout=quiet, stderr=quiet)
    except Exception as exc:  # noqa: BLE001 - reported, then worked around
        print(
            f"    manage.py update_index failed ({exc.__class__.__name__}: {exc}); "
            "the baseline indexes the document pages itself"
        )
        wagtail_index_pages()
    wagtail_indexed = time.perf_counter() - started
    print(
        f"    import {imported:.1f} s; search.index.rebuild() {entries} entries "
        f"{rebuilt:.1f} s; Wagtail update_index (baseline) {wagtail_indexed:.1f} s"
    )


def run_quality(options) -> int:
    import json

    from django.contrib.auth import get_user_model

    from documents.models import DocumentPage
    from search import service

    corpus: Path = options.corpus.resolve()
    register = corpus / options.register
    if not register.is_file():
        print(f"    skipped: no register at {register}")
        return 0
    if options.from_cache:
        print(
            f"    corpus imported and indexed by an earlier run: {options.built_cache} "
            "(--rebuild imports it again)"
        )
    else:
        import_and_index(corpus, register)
        if options.built_cache is not None:
            save_template(options.built_cache)
            for stale in options.built_cache.parent.glob("bench-search-quality-*"):
                if stale != options.built_cache:
                    stale.unlink(missing_ok=True)
    staff = get_user_model().objects.get(username="staff")
    queries = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))["queries"]

    def shoukong(q: str) -> list[tuple[str, str]]:
        results = service.search(staff, q, per_page=10).results
        return [(r.number, f"{r.title} ({r.kind})") for r in results]

    def wagtail(q: str) -> list[tuple[str, str]]:
        try:
            pages = DocumentPage.objects.live().search(q)[:10]
            return [(p.number, p.title) for p in pages]
        except Exception as exc:  # noqa: BLE001 - a baseline failing is a miss
            return [("", f"error: {exc.__class__.__name__}")]

    print(
        f"\n    {len(queries)} queries (bench/search_queries.json); "
        "search.service.search(staff, q) as the demo user staff (员工, 技术部); "
        "baseline: DocumentPage.objects.live().search(q) (Wagtail database backend)"
    )
    figures = {}
    misses = []
    times = []
    answers: dict[str, dict[str, list]] = {}
    for name, run in (("Shoukong", shoukong), ("stock Wagtail", wagtail)):
        by_class: dict[str, list[tuple[bool, float]]] = {}
        for query in queries:
            started = time.perf_counter()
            found = run(query["q"])
            if name == "Shoukong":
                times.append((time.perf_counter() - started) * 1000)
            answers.setdefault(query["q"], {})[name] = found
            top1, recall = _score([n for n, _t in found], query)
            by_class.setdefault(query["class"], []).append((top1, recall))
            by_class.setdefault("all", []).append((top1, recall))
            if name == "Shoukong" and (not top1 or recall < 1):
                misses.append((query, found[:5], top1, recall))
        figures[name] = by_class
    print(f"    {'engine':14} {'class':14} {'queries':>7} {'top-1':>6} {'recall@5':>8}")
    for name, by_class in figures.items():
        for cls, scores in by_class.items():
            top1 = sum(t for t, _r in scores) / len(scores)
            recall = sum(r for _t, r in scores) / len(scores)
            print(f"    {name:14} {cls:14} {len(scores):7d} {top1:6.2f} {recall:8.2f}")
    print(
        f"    Shoukong query time on the corpus: p50 {percentile(times, 50):.1f} ms, "
        f"max {max(times):.1f} ms"
    )

    def shown(found) -> str:
        return "; ".join(f"{n or '-'} {t}" for n, t in found) or "nothing"

    if misses:
        print(
            "    misses of Shoukong ([what] query: expected first | expected in the "
            "first five → the first five answers):"
        )
    for query, found, top1, recall in misses:
        what = "first" if not top1 else f"recall@5 {recall:.2f}"
        first = "/".join(query.get("first") or query["expect"])
        print(
            f"      [{what}] {query['q']!r}: {first} | {'/'.join(query['expect'])} "
            f"→ {shown(found)}"
        )
    if options.show_all:
        print("    every query (Shoukong's first three | stock Wagtail's):")
        for q, found in answers.items():
            print(
                f"      {q!r}: {shown(found['Shoukong'][:3])} | "
                f"{shown(found['stock Wagtail'][:3])}"
            )
    scores = figures["Shoukong"]["all"]
    top1 = sum(t for t, _r in scores) / len(scores)
    recall = sum(r for _t, r in scores) / len(scores)
    ok = top1 >= TARGET_TOP1 and recall >= TARGET_RECALL5
    print(
        f"    targets top-1 ≥ {TARGET_TOP1}, recall@5 ≥ {TARGET_RECALL5}: "
        f"{'OK' if ok else 'NOT MET'} (top-1 {top1:.2f}, recall@5 {recall:.2f})"
    )
    return 0


# --- Children and main -------------------------------------------------------------


def child(options) -> int:
    workdir = Path(tempfile.mkdtemp(prefix=f"shoukong-bench-search-{options.child}-"))
    admin = pg_admin_url(options) if options.db == "postgres" else None
    database = Database(workdir, admin, options.child)
    template = None if database.postgres or options.no_cache else sqlite_template()
    options.built_cache = options.pg_cache = None
    options.from_cache = False
    speed = load_bench_module("search_speed") if options.child == "speed" else None
    options.save_template = save_template
    options.database = database
    options.cache_dir = sqlite_template().parent
    pg_template = None
    if speed is not None and not options.no_cache:
        key = speed.data_key(options, sqlite_template().name)
        sizes = f"{options.docs}_{options.records}"
        if database.postgres:
            options.pg_cache = f"shoukong_bench_search_cache_{sizes}_{key[:12]}"
            options.pg_cache_prefix = f"shoukong_bench_search_cache_{sizes}_"
            if database.exists(options.pg_cache) and not options.rebuild:
                pg_template = options.pg_cache
                options.from_cache = True
        else:
            cache = sqlite_template().parent
            options.built_cache = cache / f"bench-search-{sizes}-{key[:16]}.sqlite3"
            options.stale_caches = [
                p
                for p in cache.glob(f"bench-search-{sizes}-*.sqlite3")
                if p != options.built_cache
            ]
            if options.built_cache.exists() and not options.rebuild:
                shutil.copyfile(options.built_cache, workdir / "bench.sqlite3")
                options.from_cache = True
    if template is not None and options.child == "quality":
        options.built_cache = quality_cache(options, template)
        if options.built_cache.exists() and not options.rebuild:
            shutil.copyfile(options.built_cache, workdir / "bench.sqlite3")
            options.from_cache = True
    if template is not None and template.exists() and not options.from_cache:
        shutil.copyfile(template, workdir / "bench.sqlite3")
    try:
        database.create(template=pg_template)
        setup_django(workdir, database)
        print(f"database: {database.describe()}")
        print(f"    {migrate(database, workdir, cache=template is not None)}")
        if options.child == "quality":
            return run_quality(options)
        return speed.run_speed(options)
    finally:
        if options.keep:
            print(f"kept {database.describe()} and {workdir}")
        else:
            try:
                database.drop()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)


def pg_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5):
            return None
    except Exception as exc:  # noqa: BLE001 - reported
        return str(exc).strip().splitlines()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 documents, 20,000 records, 30 queries per class",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--part", choices=("all", "quality", "speed"), default="all")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--register", default=DEFAULT_REGISTER)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="SQLite: migrate from scratch and build the index again, without "
        "the databases kept in ~/.cache/shoukong",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="import the corpus / build the speed run's index again, instead of "
        "the databases kept by an earlier run",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of the slowest query"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="speed: print a profile of some searches (where Python spends)",
    )
    parser.add_argument(
        "--show-all",
        action="store_true",
        help="quality: print the first answers of every query",
    )
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--child", choices=("quality", "speed"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.quick:
        options.docs = min(options.docs, 1_000)
        options.records = min(options.records, 20_000)
        options.queries = min(options.queries, 30)
    if options.child:
        return child(options)

    passed = [a for a in sys.argv[1:] if not a.startswith("--db")]
    if "--db" in sys.argv:
        i = sys.argv.index("--db")
        passed = [a for j, a in enumerate(sys.argv[1:], 1) if j not in (i, i + 1)]
    runs = []
    if options.part in ("all", "quality"):
        runs.append(("quality", "sqlite"))
    if options.part in ("all", "speed"):
        for db in ("sqlite", "postgres"):
            if options.db in (db, "both"):
                runs.append(("speed", db))
    failed = []
    for part, db in runs:
        title = {"quality": "(a) quality", "speed": "(b) speed"}[part]
        print(f"\n=== {title} on {db} ===", flush=True)
        if db == "postgres":
            problem = pg_reachable(pg_admin_url(options))
            if problem:
                print(f"    skipped: PostgreSQL not reachable ({problem})")
                continue
        proc = subprocess.run(
            [sys.executable, __file__, *passed, "--db", db, "--child", part],
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # progress as it comes
            check=False,
        )
        if proc.returncode != 0:
            failed.append(f"{part} on {db}")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
