"""Benchmark: compiling a management review's input pack and writing its report.

    python bench/reviews.py [--nonconformities 5000] [--months 36]
                            [--iterations 20] [--keep]

Creates a temporary SQLite database, migrates it and loads the full demo
(``load_demo``: documents, records, compliance, audits and reviews), then adds
``--nonconformities`` nonconformities in every status, spread over clauses,
departments and three years, and ``--months`` months of values for the
objectives and for ten more indicators. Then times:

* ``reviews.compilation.compile_pack`` for the demo's planned review,
  ``--iterations`` times: p50 / p95 / max and the number of queries (a fixed
  number whatever the rows);
* ``reviews.reports.report_docx`` of the demo's completed review (the report
  with its charts), five times;
* each chart on its own, five times.

Prints the figures and the peak memory of the process; exits 1 if the pack's
p95 is over 1 s or the report's p50 over 3 s.

The extra nonconformities go straight to the table with ``bulk_create`` (the
services would take minutes and the pack only reads the rows); numbers are
unique like the services' (``NC-2024-0001`` …).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACK_TARGET_S = 1.0
REPORT_TARGET_S = 3.0


def setup_django(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["SHOUKONG_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["SHOUKONG_RECORDS_ROOT"] = str(workdir / "records")
    # Production-like: no debug (which records every query).
    os.environ["SHOUKONG_DEBUG"] = "0"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def add_nonconformities(count: int, rng: random.Random) -> int:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from compliance.lifecycle import NonconformityStatus
    from compliance.models import Clause, Nonconformity, NonconformityGrade
    from documents.models import Department

    clauses = list(Clause.objects.filter(standard__ref_id="iso20000-1-2018"))
    departments = list(Department.objects.filter(is_active=True))
    grades = list(NonconformityGrade.objects.all())
    raiser = get_user_model().objects.filter(is_superuser=True).first()
    statuses = [s for s in NonconformityStatus.values]
    now = timezone.now()
    rows = []
    for i in range(count):
        raised = now - timedelta(days=rng.randint(0, 3 * 365))
        status = rng.choice(statuses)
        rows.append(
            Nonconformity(
                number=f"NC-B{raised.year}-{i:05d}",
                kind="corrective",
                source="staff_report",
                grade=rng.choice(grades),
                clause=rng.choice(clauses),
                department=rng.choice(departments),
                title=f"基准测试不符合项 {i}",
                facts="用于基准测试的不符合事实描述。",
                raised_by=raiser,
                raised_at=raised,
                status=status,
                due_date=(raised + timedelta(days=60)).date(),
                closed_at=now if status == NonconformityStatus.CLOSED else None,
            )
        )
    Nonconformity.objects.bulk_create(rows, batch_size=1000)
    return count


def add_measurements(months: int, rng: random.Random) -> int:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from reviews.models import Measurement, Objective
    from reviews.services import company_today, period_bounds

    user = get_user_model().objects.filter(is_superuser=True).first()
    for n in range(10):
        Objective.objects.get_or_create(
            code=f"bench-{n}",
            defaults={
                "name": f"基准指标{n}",
                "kind": "indicator",
                "frequency": "monthly",
            },
        )
    today = company_today().replace(day=1)
    rows = []
    for objective in Objective.objects.filter(frequency="monthly"):
        existing = set(objective.measurements.values_list("period_start", flat=True))
        for back in range(months):
            month = (today.year * 12 + today.month - 1) - back
            start, end = period_bounds("monthly", f"{month // 12}-{month % 12 + 1:02d}")
            if start in existing:
                continue
            rows.append(
                Measurement(
                    objective=objective,
                    period_start=start,
                    period_end=end,
                    value=Decimal(str(round(rng.uniform(85, 100), 1))),
                    recorded_by=user,
                    recorded_at=timezone.now(),
                )
            )
    Measurement.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def timed(fn, times: int) -> list[float]:
    figures = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        figures.append(time.perf_counter() - started)
    return figures


def percentile(figures: list[float], q: int) -> float:
    ordered = sorted(figures)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def describe(label: str, figures: list[float]) -> str:
    ordered = sorted(figures)
    p95 = percentile(figures, 95)
    return (
        f"{label}: p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nonconformities", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shoukong-bench-reviews-"))
    try:
        setup_django(workdir)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from reviews import charts, reports
        from reviews.compilation import compile_pack
        from reviews.models import Review
        from reviews.services import company_today

        print(f"database: {workdir / 'bench.sqlite3'}")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
        print(f"migrate + load_demo (not timed): {time.perf_counter() - started:.1f} s")
        rng = random.Random(2026)
        started = time.perf_counter()
        ncs = add_nonconformities(options.nonconformities, rng)
        values = add_measurements(options.months, rng)
        print(
            f"added {ncs} nonconformities and {values} measured values "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        planned = (
            Review.objects.exclude(status__in=("completed", "cancelled"))
            .order_by("-planned_date")
            .first()
        )
        completed = Review.objects.filter(status="completed").first()
        if planned is None or completed is None:
            print("the demo has no planned or no completed review", file=sys.stderr)
            return 1
        today = company_today()
        compile_pack(planned, today=today)  # warm caches
        with CaptureQueriesContext(connection) as queries:
            compile_pack(planned, today=today)
        pack_times = timed(
            lambda: compile_pack(planned, today=today), options.iterations
        )
        print(describe(f"compile_pack {planned.number}", pack_times))
        print(f"compile_pack queries: {len(queries.captured_queries)}")

        report_times = timed(lambda: reports.report_docx(completed), 5)
        print(describe(f"report_docx {completed.number} (with charts)", report_times))
        size = len(reports.report_docx(completed))
        print(f"report_docx size: {size / 1024:.0f} KiB")

        pack = completed.latest_pack()
        sections = {
            section.get("code"): section
            for section in (pack.data if pack is not None else {}).get("sections", [])
        }

        def rows(code: str) -> list:
            return sections.get(code, {}).get("rows", [])

        chart_calls = {
            "objective trends": lambda: charts.objective_trends_png(rows("objectives")),
            "nonconformities by clause": lambda: charts.nonconformities_png(
                sections.get("nonconformities", {})
            ),
            "audit coverage": lambda: charts.audit_coverage_png(
                sections.get("audits", {}).get("summary", {}).get("coverage", [])
            ),
            "open actions": lambda: charts.open_actions_png(rows("previous_actions")),
        }
        for label, call in chart_calls.items():
            print(describe(f"chart {label}", timed(call, 5)))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (RSS): {peak:.0f} MiB")

        p95 = percentile(pack_times, 95)
        failed = False
        if p95 > PACK_TARGET_S:
            print(f"FAIL: compile_pack p95 {p95:.2f} s > {PACK_TARGET_S} s")
            failed = True
        if statistics.median(report_times) > REPORT_TARGET_S:
            print(f"FAIL: report_docx p50 over {REPORT_TARGET_S} s")
            failed = True
        print("OK" if not failed else "over target")
        return 1 if failed else 0
    finally:
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
