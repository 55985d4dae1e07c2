"""Benchmark: record numbers from concurrent writers, and the records list.

    python bench/records.py [--records 200000] [--writers 8] [--allocations 10000]
                            [--iterations 200] [--quick] [--threads] [--keep]
                            [--explain]

Runs on a throw-away database. With ``DATABASE_URL`` pointing at PostgreSQL it
creates a temporary database on that server (the role needs CREATEDB) and drops
it at the end; without it, a temporary SQLite file — say so when quoting the
figures: SQLite serialises writers, so (a) then measures a queue, not a race.
A migrated SQLite database is kept in ``~/.cache/shoukong`` (keyed by the
migrations) and copied for the next run: migrating takes most of ``--quick``.

(a) Allocation. ``--writers`` processes (like a server's workers; threads of
    one process with ``--threads``), each with its own database connection,
    fill the same form (D0201) on the same day through
    ``records.services.record_create`` — the hottest counter there can be —
    ``--allocations`` records in all. Checks that the day's sequence is exactly
    1..N (no duplicate, no gap) and that every number is the one its sequence
    spells; prints the elapsed time and records per second.

(b) The records list. ``--records`` rows are written straight into the table
    with ``bulk_create`` (through the services they would take hours): 12 forms
    of 8 departments, dates over five years, numbers as the services give them
    (``D0201-2024031502``), a confidential form, some destroyed stubs and
    disposal requests pending, a few people named on records. Then times the
    list as the records page builds it (``records.views.listing``: its filter
    form, its query — ``Record.objects.visible_to(user)`` filtered by form /
    department / date range / status, ordered ``-record_date, -id`` — and its
    paginator: the first page of 50 rows plus the pager's count) for a member
    of staff and for 文控, ``--iterations`` mixed filters each. Prints
    p50/p95/max against the target (p95 ≤ 100 ms).

Exits 1 if (a) finds a duplicate or a gap, a writer fails, or a p95 is over the
target.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
PAGE_SIZE = 50
FORMS = (
    # number, title, retention wording, department
    ("D0201", "运维工作单", "5年", "技术部"),
    ("D0202", "变更申请单", "5年", "技术部"),
    ("D0203", "服务请求记录", "3年", "客服部"),
    ("D0301", "事件报告", "3年", "客服部"),
    ("D0302", "问题跟踪记录", "5年", "技术部"),
    ("D0401", "机房巡检表", "3年", "网络部"),
    ("D0402", "备份检查记录", "3年", "网络部"),
    ("D0501", "客户满意度调查表", "5年", "市场部"),
    ("D0601", "培训记录", "离职后1年", "人事部"),
    ("D0701", "管理评审记录", "永久", "管理层"),
    ("D0801", "供应商评价表", "5年", "财务部"),
    ("D0901", "内审检查表", "5年", "行政部"),
)
CONFIDENTIAL_FORM = "D0601"  # training records name people
DEPARTMENTS = (
    "管理层",
    "行政部",
    "技术部",
    "市场部",
    "客服部",
    "网络部",
    "人事部",
    "财务部",
)
PEOPLE = ("张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十")
FAULTS = ("打印机无法打印", "邮箱无法登录", "VPN 连接中断", "服务器磁盘告警")


# --- The database ----------------------------------------------------------------


class Database:
    """A throw-away database: a temporary PostgreSQL database on the server of
    ``DATABASE_URL``, or a SQLite file in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.admin_url = os.environ.get("DATABASE_URL", "")
        self.postgres = self.admin_url.startswith(("postgres://", "postgresql://"))
        self.name = None
        if self.postgres:
            self.name = f"shoukong_bench_records_{os.getpid()}"
            parts = urlsplit(self.admin_url)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        else:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create(self) -> None:
        if self.postgres:
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.postgres:
            from django.db import connections

            connections.close_all()
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def describe(self) -> str:
        if self.postgres:
            parts = urlsplit(self.url)
            return f"PostgreSQL {parts.hostname}:{parts.port}/{self.name} (temporary)"
        return f"SQLite {self.url.removeprefix('sqlite:///')} (temporary)"


def sqlite_template() -> Path:
    """Where a migrated SQLite database is kept between runs: keyed by the
    project's migrations and the Django and Wagtail versions, so a change to
    any of them makes a new one."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('django')} {version('wagtail')}".encode())
    for path in sorted(REPO.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "shoukong" / f"bench-records-{digest.hexdigest()[:16]}.sqlite3"


def save_template(template: Path) -> None:
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source = Path(connection.settings_dict["NAME"])
    connections.close_all()
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_suffix(".partial")
    shutil.copyfile(source, partial)
    partial.replace(template)


def setup_django(workdir: Path, database: Database) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DATABASE_URL"] = database.url
    os.environ["SHOUKONG_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["SHOUKONG_RECORDS_ROOT"] = str(workdir / "records")
    # Production-like: no debug (which keeps every query in memory).
    os.environ["SHOUKONG_DEBUG"] = "0"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


# --- Helpers ---------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def make_user(username: str, department: str | None, role: str | None):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from documents.models import Department, StaffProfile

    user = get_user_model().objects.create_user(username=username, password="pw")
    if role:
        user.groups.add(Group.objects.get(name=role))
    if department:
        StaffProfile.objects.create(
            user=user, department=Department.objects.get_or_create(name=department)[0]
        )
    return user


def make_forms(count: int) -> list:
    """Effective forms with the work order's fields, and their records-list
    entries (created here: the first fills of a new form racing each other
    fail, see tests/test_records_concurrency.py)."""
    from records import retention, services
    from records.models import RecordType
    from records.tests import factories

    made = []
    for number, title, wording, department in FORMS[:count]:
        page = factories.form(
            number, title, retention_period=wording, dept_name=department
        )
        record_type = services.record_type_ensure(form=page)
        if number == CONFIDENTIAL_FORM:
            RecordType.objects.filter(pk=record_type.pk).update(confidential=True)
            record_type.refresh_from_db()
        made.append(
            {
                "page": page,
                "issue": page.issues.effective().get(),
                "type": record_type,
                "rule": record_type.retention_class.rule,
                "event": record_type.retention_class.kind
                == retention.RetentionKind.EVENT,
            }
        )
    return made


# --- (a) Allocation ----------------------------------------------------------------


def _fill(user_pk: int, form_pk: int, on: date, count: int, barrier):
    """One writer: ``count`` records through the service; returns the numbers,
    the latency of each call (ms) and the error that stopped it, if any."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from documents.models import DocumentPage
    from records import services
    from records.tests import factories

    numbers: list[str] = []
    times: list[float] = []
    error = None
    try:
        user = get_user_model().objects.get(pk=user_pk)
        form = DocumentPage.objects.get(pk=form_pk)
        barrier.wait(timeout=120)
        for _ in range(count):
            started = time.perf_counter()
            record = services.record_create(
                user=user, form=form, data=factories.work_order_data(), record_date=on
            )
            times.append((time.perf_counter() - started) * 1000)
            numbers.append(record.number)
    except BaseException as exc:  # noqa: BLE001 - reported by the caller
        error = repr(exc)
    finally:
        connection.close()
    return numbers, times, error


def _fill_process(queue, *args) -> None:
    queue.put(_fill(*args))


def run_writers(options, jobs: list[tuple]) -> tuple[float, list]:
    """Run ``_fill(*job)`` for each job at once, in processes (like a server's
    workers; the default) or in threads of this process (``--threads``: one
    interpreter lock for all). Returns the elapsed seconds and the results."""
    from django.db import connections

    connections.close_all()  # never share a connection with a child
    if options.threads:
        barrier = threading.Barrier(len(jobs) + 1)
        results: list = []
        lock = threading.Lock()

        def run(job) -> None:
            result = _fill(*job, barrier)
            with lock:
                results.append(result)

        workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for worker in workers:
            worker.start()
        barrier.wait(timeout=120)
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started, results

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(jobs) + 1)
    queue = context.Queue()
    workers = [
        context.Process(target=_fill_process, args=(queue, *job, barrier))
        for job in jobs
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    results = [queue.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return elapsed, results


def bench_allocation(options, forms: list) -> bool:
    from documents import roles
    from records import numbering, services
    from records.models import Record

    form = forms[0]["page"]
    writers = [
        make_user(f"writer{i}", "技术部", roles.STAFF) for i in range(options.writers)
    ]
    on = services.company_today()
    share = [
        options.allocations // options.writers
        + (1 if i < options.allocations % options.writers else 0)
        for i in range(options.writers)
    ]
    elapsed, results = run_writers(
        options,
        [
            (user.pk, form.pk, on, count)
            for user, count in zip(writers, share, strict=True)
        ],
    )
    numbers = [n for result in results for n in result[0]]
    latencies = [t for result in results for t in result[1]] or [0.0]
    errors = [result[2] for result in results if result[2]]

    rows = list(
        Record.objects.filter(form=form, record_date=on)
        .order_by("day_seq")
        .values_list("day_seq", "number")
    )
    seqs = [seq for seq, _number in rows]
    expected = list(range(1, options.allocations + 1))
    duplicates = [n for n, c in Counter(numbers).items() if c > 1]
    misspelt = [
        number
        for seq, number in rows
        if number != numbering.format_record_number(form.number, on, seq)
    ]
    ok = (
        not errors
        and not duplicates
        and not misspelt
        and seqs == expected
        and len(numbers) == options.allocations
    )
    print(
        f"\n(a) allocation: {options.allocations} records of {form.number} dated "
        f"{on.isoformat()}, {options.writers} concurrent writers "
        f"({'threads' if options.threads else 'processes'}, one connection each, "
        "services.record_create)"
    )
    print(
        f"    elapsed {elapsed:.1f} s, {len(numbers) / elapsed:.0f} records/s; "
        f"per record p50 {percentile(latencies, 50):.1f} ms, "
        f"p95 {percentile(latencies, 95):.1f} ms, max {max(latencies):.1f} ms"
    )
    print(
        f"    numbers {rows[0][1] if rows else '-'} … {rows[-1][1] if rows else '-'}; "
        f"duplicates: {len(duplicates)}, "
        f"gaps: {len(set(expected) - set(seqs))}, "
        f"misspelt: {len(misspelt)}, writer errors: {len(errors)}"
    )
    for error in errors[:3]:
        print(f"    error: {error}"[:300])
    print(f"    check: {'OK' if ok else 'FAILED'}")
    return ok


# --- (b) The records list ----------------------------------------------------------


def build_records(options, forms: list, rng: random.Random) -> dict:
    """Write ``--records`` rows straight into the table; return what the
    timing loop needs."""
    from django.contrib.auth.models import Permission
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from documents.models import Department
    from records import numbering, retention, services
    from records.lifecycle import DisposalMethod, DisposalStatus, RecordStatus
    from records.models import (
        DisposalRequest,
        Record,
        RecordUserObjectPermission,
    )

    departments = {d.name: d for d in Department.objects.filter(name__in=DEPARTMENTS)}
    today = services.company_today()
    first_day = today - timedelta(days=5 * 365)
    span = (today - first_day).days
    clerk = make_user("bench-clerk", "技术部", None)
    disposal = DisposalRequest.objects.create(
        reference="XH-2025-001",
        department=departments["技术部"],
        status=DisposalStatus.EXECUTED,
        method=DisposalMethod.SHRED,
        requested_by=clerk,
        executed_on=today - timedelta(days=300),
        executor=clerk,
        witness_name="王师傅",
    )
    # Numbers already given (by the allocation run) are not given again.
    counters: dict[tuple[int, date], int] = defaultdict(int)
    for row in Record.objects.values("form_id", "record_date").annotate(
        last=Max("day_seq")
    ):
        counters[(row["form_id"], row["record_date"])] = row["last"] or 0
    weights = [6, 3, 5, 4, 2, 3, 2, 1, 2, 1, 1, 1][: len(forms)]
    now = timezone.now()
    batch: list[Record] = []
    created = 0
    dept_names = list(departments)
    with transaction.atomic():
        for _ in range(options.records):
            form = rng.choices(forms, weights=weights)[0]
            page = form["page"]
            on = first_day + timedelta(days=rng.randrange(span + 1))
            key = (page.pk, on)
            counters[key] += 1
            seq = counters[key]
            home = page.department.name
            department = departments[
                home if rng.random() < 0.85 else rng.choice(dept_names)
            ]
            subject = rng.choice(PEOPLE) if form["event"] else ""
            event_on = (
                on + timedelta(days=400) if subject and rng.random() < 0.3 else None
            )
            if event_on and event_on > today:
                event_on = None
            until = retention.end_date(form["rule"], start=on, event_on=event_on)
            status = RecordStatus.ACTIVE
            destroyed = until is not None and until <= today and rng.random() < 0.5
            if destroyed:
                status = RecordStatus.DESTROYED
            elif until is not None and until <= today and rng.random() < 0.1:
                status = RecordStatus.DISPOSAL_PENDING
            batch.append(
                Record(
                    number=numbering.format_record_number(page.number, on, seq),
                    form_id=page.pk,
                    form_issue_id=form["issue"].pk,
                    record_date=on,
                    day_seq=seq,
                    department=department,
                    confidential=form["type"].confidential,
                    schema=form["issue"].form_schema,
                    data={}
                    if destroyed
                    else {
                        "bao_gao_ren": rng.choice(PEOPLE),
                        "gu_zhang_miao_shu": rng.choice(FAULTS),
                        "you_xian_ji": rng.choice("高中低"),
                    },
                    retention_class_id=form["type"].retention_class_id,
                    retention_subject="" if destroyed else subject,
                    retention_event_on=event_on,
                    retention_until=until,
                    status=status,
                    created_by=clerk,
                    created_by_name=rng.choice(PEOPLE),
                    destroyed_at=now if destroyed else None,
                    disposal=disposal if destroyed else None,
                )
            )
            if len(batch) >= 2000:
                Record.objects.bulk_create(batch)
                created += len(batch)
                batch = []
        Record.objects.bulk_create(batch)
        created += len(batch)

    # A few people named on records of other departments.
    from documents import roles

    staff = make_user("bench-staff", "技术部", roles.STAFF)
    controller = make_user("bench-controller", "行政部", roles.DOCUMENT_CONTROLLER)
    view = Permission.objects.get(
        content_type__app_label="records", codename="view_record"
    )
    named = list(
        Record.objects.exclude(department=departments["技术部"])
        .order_by("?")
        .values_list("pk", flat=True)[:100]
    )
    RecordUserObjectPermission.objects.bulk_create(
        RecordUserObjectPermission(user=staff, permission=view, content_object_id=pk)
        for pk in named
    )
    return {
        "created": created,
        "first_day": first_day,
        "today": today,
        "staff": staff,
        "controller": controller,
        "forms": [f["page"].number for f in forms],
        "departments": list(departments.values()),
    }


def list_paginator(user, filters: dict, *, today):
    """The paginator the records page builds for ``filters``: the view's own
    (``records.views.listing``: its query, and its paginator with the capped
    count) when it is there, else the query the page is specified to run."""
    from django.core.paginator import Paginator

    try:
        from records.views import listing
    except ImportError:  # pragma: no cover - before the views exist
        from records.models import Record

        queryset = (
            Record.objects.visible_to(user)
            .for_listing()
            .order_by("-record_date", "-id")
        )
        lookups = {
            "form": "form__number",
            "department": "department",
            "date_from": "record_date__gte",
            "date_to": "record_date__lte",
            "status": "status",
        }
        queryset = queryset.filter(**{lookups[k]: v for k, v in filters.items()})
        return Paginator(queryset, PAGE_SIZE)
    data = {
        k: (
            v.pk
            if hasattr(v, "pk")
            else v.isoformat()
            if hasattr(v, "isoformat")
            else v
        )
        for k, v in filters.items()
    }
    form = listing.RecordFilters(data)
    queryset = listing.filtered_records(user, form, today=today)
    row_paginator = getattr(listing, "RowPaginator", None)
    if row_paginator is None:
        return Paginator(queryset, PAGE_SIZE)
    return row_paginator(queryset, PAGE_SIZE, sparse=getattr(form, "sparse", False))


def random_filters(rng: random.Random, built: dict) -> tuple[str, dict]:
    from records.lifecycle import RecordStatus

    def window() -> dict:
        days = rng.choice((7, 30, 90, 365))
        end = built["today"] - timedelta(days=rng.randrange(5 * 365 - days))
        return {"date_from": end - timedelta(days=days), "date_to": end}

    kind = rng.choice(
        (
            "none",
            "form",
            "department",
            "dates",
            "status",
            "form+dates",
            "department+dates+status",
            "form+department+status",
        )
    )
    filters: dict = {}
    if "form" in kind:
        filters["form"] = rng.choice(built["forms"])
    if "department" in kind:
        filters["department"] = rng.choice(built["departments"])
    if "dates" in kind:
        filters.update(window())
    if "status" in kind:
        filters["status"] = rng.choices(
            (
                RecordStatus.ACTIVE,
                RecordStatus.DESTROYED,
                RecordStatus.DISPOSAL_PENDING,
            ),
            weights=(6, 2, 1),
        )[0]
    return kind, filters


def bench_listing(options, built: dict, rng: random.Random) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(
        f"\n(b) records list: {built['created']} records, "
        f"{built['first_day'].isoformat()} … {built['today'].isoformat()}, "
        f"{len(built['forms'])} forms, {len(built['departments'])} departments; "
        f"first page of {PAGE_SIZE} + count, {options.iterations} mixed filters each"
    )
    print(
        f"    {'user':26} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'count p95':>9} {'page p95':>8} {'matches':>8}"
    )
    over = []
    slowest: dict = {"total": 0.0}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for label, user in (
        ("staff (员工, 技术部)", built["staff"]),
        ("document control (文控)", built["controller"]),
    ):
        plans = [random_filters(rng, built) for _ in range(options.iterations)]
        for _kind, filters in plans[:10]:  # warm up
            paginator = list_paginator(user, filters, today=built["today"])
            list(paginator.get_page(1).object_list)
        totals, count_times, page_times, matches = [], [], [], []
        for kind, filters in plans:
            started = time.perf_counter()
            paginator = list_paginator(user, filters, today=built["today"])
            built_at = time.perf_counter()
            page = paginator.get_page(1)  # runs the count
            counted_at = time.perf_counter()
            # Rows are what the page renders: model instances with their joins,
            # or the dicts of records.views.listing.LIST_VALUES.
            rows = list(page.object_list)
            done = time.perf_counter()
            assert len(rows) <= PAGE_SIZE
            total = (done - started) * 1000
            totals.append(total)
            count_times.append((counted_at - built_at) * 1000)
            page_times.append((done - counted_at) * 1000)
            matches.append(page.paginator.count)
            by_kind[kind].append(total)
            if total > slowest["total"]:
                slowest = {
                    "total": total,
                    "count": (counted_at - built_at) * 1000,
                    "page": (done - counted_at) * 1000,
                    "label": label,
                    "filters": filters,
                }
        p95 = percentile(totals, 95)
        flag = ""
        if p95 > TARGET_MS:
            over.append(label)
            flag = "  OVER TARGET"
        print(
            f"    {label:26} {percentile(totals, 50):7.1f} {p95:7.1f} "
            f"{max(totals):7.1f} {percentile(count_times, 95):9.1f} "
            f"{percentile(page_times, 95):8.1f} "
            f"{int(statistics.median(matches)):8d}{flag}"
        )
    print(
        f"    {'by filter (both users)':26} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for kind, times in sorted(by_kind.items()):
        print(
            f"    {kind:26} {percentile(times, 50):7.1f} "
            f"{percentile(times, 95):7.1f} {max(times):7.1f}"
        )
    shown = {k: str(v) for k, v in slowest.get("filters", {}).items()}
    if "label" in slowest:
        print(
            f"    slowest: {slowest['total']:.1f} ms (count {slowest['count']:.1f}, "
            f"page {slowest['page']:.1f}), {slowest['label']}, filters {shown}"
        )
    if options.explain and "filters" in slowest:
        # The queries the page ran (count, then rows), as sent, explained.
        user = built["staff" if slowest["label"].startswith("staff") else "controller"]
        with CaptureQueriesContext(connection) as captured:
            paginator = list_paginator(user, slowest["filters"], today=built["today"])
            list(paginator.get_page(1).object_list)
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if connection.vendor == "postgresql"
            else "EXPLAIN QUERY PLAN "
        )
        for query in captured.captured_queries[-2:]:
            print(f"    plan of: {query['sql'][:160]}…")
            with connection.cursor() as cursor:
                cursor.execute(prefix + query["sql"])
                for line in cursor.fetchall():
                    print("      " + " ".join(str(c) for c in line))
    verdict = "OK" if not over else "OVER TARGET: " + ", ".join(over)
    print(f"    target p95 ≤ {TARGET_MS:.0f} ms: {verdict}")
    return not over


# --- Main --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--allocations", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small numbers (5,000 records, 200 allocations, 4 writers, 40 "
        "iterations): a smoke run",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="writers as threads of one process (default: one process each)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="SQLite: migrate from scratch, without the migrated template kept "
        "in ~/.cache/shoukong",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of the slowest query"
    )
    parser.add_argument("--seed", type=int, default=20261122)
    options = parser.parse_args()
    if options.quick:
        options.records = min(options.records, 5_000)
        options.allocations = min(options.allocations, 200)
        options.writers = min(options.writers, 4)
        options.iterations = min(options.iterations, 40)
    if options.allocations < options.writers or options.writers < 1:
        parser.error("--allocations must be at least --writers (at least 1)")

    workdir = Path(tempfile.mkdtemp(prefix="shoukong-bench-records-"))
    database = Database(workdir)
    template = None if database.postgres or options.no_cache else sqlite_template()
    from_template = template is not None and template.exists()
    if from_template:
        shutil.copyfile(template, workdir / "bench.sqlite3")
    try:
        database.create()
        setup_django(workdir, database)
        from django.core.management import call_command
        from django.db import connection

        from documents import roles

        print(f"database: {database.describe()}")
        if not database.postgres:
            print(
                "    (SQLite: writers queue on one lock; set DATABASE_URL to a "
                "PostgreSQL server for the real race)"
            )
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        if template is not None and not from_template:
            save_template(template)
        migrated = time.perf_counter()
        roles.departments_ensure()
        roles.roles_ensure()
        from documents.models import Department

        for name in DEPARTMENTS:
            Department.objects.get_or_create(name=name)
        forms = make_forms(len(FORMS) if options.records >= 20_000 else 4)
        print(
            f"migrate {migrated - started:.1f} s"
            f"{' (from the cached template)' if from_template else ''}, "
            f"roles and {len(forms)} forms "
            f"{time.perf_counter() - migrated:.1f} s (not timed)"
        )

        allocation_ok = bench_allocation(options, forms)

        rng = random.Random(options.seed)
        started = time.perf_counter()
        built = build_records(options, forms, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"\nbuilt {built['created']} records with bulk_create "
            f"in {time.perf_counter() - started:.1f} s (not timed)"
        )
        gc.collect()
        gc.freeze()
        listing_ok = bench_listing(options, built, rng)

        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        print(
            "\nmachine reference: sum of 10^6 squares in pure Python: "
            f"{(time.perf_counter() - started) * 1000:.0f} ms "
            "(~50 ms on a current laptop)"
        )
        return 0 if allocation_ok and listing_ok else 1
    finally:
        if options.keep:
            print(f"kept {database.describe()} and {workdir}")
        else:
            try:
                database.drop()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
