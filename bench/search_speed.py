"""The speed part of bench/search.py (run there): generated documents and
records put into the search index in bulk, then queries timed through
``search.service.search``. See bench/search.py for what it prints."""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TARGET_MS = {"sqlite": 100.0, "postgresql": 50.0}
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


# --- The vocabulary of the generated documents --------------------------------------
#
# Words of the field, most frequent first: a document's text draws them with a
# Zipf-like weight (1 / rank), joined by the little words of Chinese prose.

VOCABULARY = """
管理 服务 文件 记录 要求 进行 部门 相关 负责 控制 信息 系统 过程 确认 审核 实施
客户 变更 评审 人员 计划 问题 事件 质量 报告 公司 规定 内容 处理 技术 资源 标准
组织 检查 执行 分析 需求 能力 风险 措施 安全 运行 数据 支持 目标 评价 方案 发布
配置 程序 职责 流程 文档 签字 审批 批准 编制 修订 发放 回收 归档 保存 销毁 借阅
版本 编号 登记 清单 培训 考核 供应商 合同 采购 验收 预算 核算 费用 成本 财务
设备 网络 机房 服务器 备份 恢复 监控 巡检 故障 维护 升级 测试 部署 上线 应急
预案 演练 连续性 可用性 容量 性能 指标 统计 趋势 改进 纠正 预防 不符合 内审 外审
管理评审 输入 输出 会议 纪要 通知 协议 服务级别 满意度 投诉 回访 调查 沟通 知识
经验 授权 账号 权限 密码 保密 信息安全 资产 台账 标识 状态 追溯 有效性 适宜性
充分性 持续 策划 识别 评估 应对 机遇 相关方 环境 法律 法规 合规 认证 体系 手册
方针 承诺 领导 岗位 任职 招聘 离职 档案 请求 工单 派单 响应 解决 关闭 升级处理
优先级 影响 紧急 重大 一般 审计 核查 抽样 证据 现场 远程 值班 交接 日志 告警
阈值 补丁 漏洞 病毒 防火墙 存储 虚拟化 数据库 中间件 应用 接口 开发 设计 转换
移交 试运行 验证 确认书 签收 交付 里程碑 进度 偏差 例外 报表 看板
""".split()

GLUE = "的 和 与 及 应 按 对 由 在 并 将 为 是 于 其 等 时 后 前 中".split()
TITLE_SUFFIXES = (
    "管理程序",
    "控制程序",
    "作业指导书",
    "管理制度",
    "操作规范",
    "实施细则",
    "工作指南",
)
FORM_SUFFIXES = ("记录表", "登记表", "申请单", "审批表", "检查表", "报告", "清单")
PUNCTUATION = "，，，。；、"


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


class TextMaker:
    """Documents of the field: titles and about ``chars`` characters of text."""

    def __init__(self, rng: random.Random, chars: int = 2000) -> None:
        self.rng = rng
        self.chars = chars
        self.words = VOCABULARY
        cumulative = 0.0
        self.cum = []
        for w in zipf_weights(len(self.words)):
            cumulative += w
            self.cum.append(cumulative)

    def _words(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def title(self, form: bool) -> str:
        head = "".join(self.rng.sample(self.words[:160], self.rng.choice((1, 2))))
        suffix = self.rng.choice(FORM_SUFFIXES if form else TITLE_SUFFIXES)
        return head + suffix

    def text(self) -> str:
        out: list[str] = []
        size = 0
        rng = self.rng
        while size < self.chars:
            words = self._words(rng.randint(4, 9))
            sentence = []
            for i, word in enumerate(words):
                sentence.append(word)
                if i < len(words) - 1 and rng.random() < 0.45:
                    sentence.append(rng.choice(GLUE))
            piece = "".join(sentence) + rng.choice(PUNCTUATION)
            out.append(piece)
            size += len(piece)
        return "".join(out)


# Bump when the generated data change (vocabulary, shapes of the entries).
DATA_VERSION = 1


def data_key(options, migrations: str) -> str:
    """The key of the speed run's index kept between runs: the migrations, the
    code that makes entries and terms, and the run's sizes, so that tuning the
    engine (search/engines/, search/service.py) reuses it and a change to the
    analysis or the index builds it again."""
    import hashlib

    digest = hashlib.sha256(migrations.encode())
    digest.update(
        f"{DATA_VERSION} {options.docs} {options.records} {options.chars} "
        f"{options.seed} {' '.join(VOCABULARY)}".encode()
    )
    search = REPO / "search"
    paths = [search / "analysis.py", search / "index.py", search / "models.py"]
    paths += sorted((search / "sources").glob("*.py"))
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load_bench_module(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- (b) Speed: building the index -------------------------------------------------


def make_user(username: str, department: str | None, role: str | None, **extra):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from documents.models import Department, StaffProfile

    user = get_user_model().objects.create_user(
        username=username, password="pw", **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    if department:
        StaffProfile.objects.create(
            user=user, department=Department.objects.get_or_create(name=department)[0]
        )
    return user


def document_entries(options, rng: random.Random, pages: dict) -> list:
    """EntryData of ``options.docs`` generated documents and forms: numbers of
    the A/B/C/D scheme, 8 departments, tiers 1-4, some restricted, some
    superseded issues (history) and approved issues not yet effective."""
    from documents.models import Department
    from search.sources import EntryData

    maker = TextMaker(rng, chars=options.chars)
    departments = list(Department.objects.filter(name__in=DEPARTMENTS))
    out = []
    today = date.today()
    for i in range(options.docs):
        form = rng.random() < 0.45
        tier = 4 if form else rng.choices((1, 2, 3), weights=(1, 10, 30))[0]
        letter = "ABCD"[tier - 1]
        number = f"{letter}{i:04d}" if tier > 2 else f"{letter}{i:05d}"
        department = rng.choice(departments)
        restricted = rng.random() < 0.05
        readers = rng.sample([d.pk for d in departments], 2) if restricted else ()
        roll = rng.random()
        status = "effective"
        if roll < 0.15:
            status = "superseded"
        elif roll < 0.18:
            status = "obsolete"
        elif roll < 0.21:
            status = "pending"
        title = maker.title(form)
        published = today - timedelta(days=rng.randrange(5 * 365))
        out.append(
            EntryData(
                key=f"issue:{1_000_000 + i}",
                kind="form" if form else "document",
                object_pk=1_000_000 + i,
                document_id=rng.choice(pages["form" if form else "document"]),
                number=number,
                title=title,
                issue_label=rng.choice("ABCDE"),
                status=status,
                current=status in ("effective", "pending"),
                department_id=department.pk,
                tier=tier,
                confidential=restricted,
                readers=readers,
                clauses=rng.sample(("7.5.3", "8.5.1", "8.2", "9.2", "10.1"), 2),
                date=published,
                effective_date=published + timedelta(days=7),
                url=f"/documents/{number}/",
                heading=f"{number}\n{title}",
                text=maker.text(),
            )
        )
    return out


class BulkWriter:
    """Entries and their postings straight into the tables, in batches."""

    def __init__(self) -> None:
        from django.db import connection

        from search.models import SearchEntry, SearchPosting

        self.connection = connection
        self.vendor = connection.vendor
        self.entries_table = SearchEntry._meta.db_table
        self.postings_table = SearchPosting._meta.db_table
        self.postings = 0
        self.analyse_s = 0.0
        self.write_s = 0.0

    def write(self, batch: list) -> None:
        from search import analysis, scoring
        from search.index import _digest, posting_values
        from search.models import SearchEntry, SearchText

        started = time.perf_counter()
        entries, counts = [], []
        for data in batch:
            head = analysis.term_counts(data.heading)
            body = analysis.term_counts(data.text)
            entries.append(
                SearchEntry(
                    **data.row(), digest=_digest(data), length=sum(body.values())
                )
            )
            counts.append((head, body))
        analysed = time.perf_counter()
        SearchEntry.objects.bulk_create(entries, batch_size=1000)
        SearchText.objects.bulk_create(
            [
                SearchText(entry=entry, **data.words())
                for entry, data in zip(entries, batch, strict=True)
            ],
            batch_size=1000,
        )
        rows = []
        for entry, (head, body) in zip(entries, counts, strict=True):
            pk = entry.pk
            band = scoring.band(entry.kind, entry.number)
            for term, head_tf, body_tf, weight in posting_values(head, body):
                rows.append((term, pk, head_tf, body_tf, weight, band))
        rows.sort()
        self._postings(rows)
        self.postings += len(rows)
        self.analyse_s += analysed - started
        self.write_s += time.perf_counter() - analysed

    def drop_foreign_keys(self) -> list[tuple[str, str]]:
        """PostgreSQL: drop the postings' foreign keys; their definitions."""
        if self.vendor != "postgresql":
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [self.postings_table],
            )
            found = cursor.fetchall()
            for name, _definition in found:
                cursor.execute(
                    f'ALTER TABLE {self.postings_table} DROP CONSTRAINT "{name}"'
                )
        return found

    def add_foreign_keys(self, found: list[tuple[str, str]]) -> float:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            for name, definition in found:
                cursor.execute(
                    f'ALTER TABLE {self.postings_table} ADD CONSTRAINT "{name}" '
                    f"{definition}"
                )
        return time.perf_counter() - started

    def _postings(self, rows: list[tuple]) -> None:
        columns = "term, entry_id, head_tf, body_tf, impact, band"
        self.connection.ensure_connection()
        raw = self.connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cursor:
                with cursor.copy(
                    f"COPY {self.postings_table} ({columns}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            raw.executemany(
                f"INSERT INTO {self.postings_table} ({columns})"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )


def keep_index(options, figures: dict) -> None:
    """Keep the database just built for the next runs (SQLite: a file in
    ~/.cache/shoukong; PostgreSQL: a database copied from this one)."""
    cache = options.cache_dir
    if options.built_cache is not None:
        options.save_template(options.built_cache)
        options.built_cache.with_suffix(".json").write_text(json.dumps(figures))
        for stale in getattr(options, "stale_caches", []):
            stale.unlink(missing_ok=True)
            stale.with_suffix(".json").unlink(missing_ok=True)
        kept = options.built_cache
    elif options.pg_cache is not None:
        options.database.keep_as(options.pg_cache, options.pg_cache_prefix)
        cache.mkdir(parents=True, exist_ok=True)
        (cache / f"{options.pg_cache}.json").write_text(json.dumps(figures))
        kept = f"database {options.pg_cache}"
    else:
        return
    print(f"    kept for the next runs: {kept} (--rebuild builds it again)")


def cached_index(options) -> dict:
    """The users and figures of an index built by an earlier run."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    figures = {}
    kept = options.built_cache or options.pg_cache
    if options.built_cache is not None:
        path = options.built_cache.with_suffix(".json")
    else:
        path = options.cache_dir / f"{options.pg_cache}.json"
    if path.exists():
        figures = json.loads(path.read_text())
    print(
        f"    index from {kept} (--rebuild builds it again), built by an earlier run:"
    )
    for line in figures.get("lines", []):
        print(f"    {line}")
    return {
        "superuser": users.get(username="bench-admin"),
        "staff": users.get(username="bench-staff"),
        "figures": figures,
    }


def build_index(options, rng: random.Random) -> dict:
    """The forms, records and users of the run, and the index; returns what
    the timing needs."""
    from django.contrib.auth.models import Group  # noqa: F401
    from django.db import connection, transaction

    from documents import roles
    from documents.models import Department, DocumentPage
    from search import index
    from search.models import SearchEntry, SearchPosting
    from search.sources.records import RecordSource

    records_bench = load_bench_module("records")
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(text)
        print(f"    {text}")

    roles.departments_ensure()
    roles.roles_ensure()
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)
    started = time.perf_counter()
    forms = records_bench.make_forms(
        len(records_bench.FORMS) if options.records >= 20_000 else 4
    )
    records_options = argparse.Namespace(records=options.records)
    built = records_bench.build_records(records_options, forms, rng)
    # The pages real documents point at: every result is checked against them.
    pages = {
        "form": [f["page"].pk for f in forms],
        "document": list(
            DocumentPage.objects.exclude(kind="form").values_list("pk", flat=True)
        ),
    }
    superuser = make_user("bench-admin", None, None, is_superuser=True, is_staff=True)
    say(
        f"{built['created']} records (bulk_create), {len(forms)} forms, users: "
        f"{time.perf_counter() - started:.1f} s (not timed)"
    )
    started = time.perf_counter()
    docs = document_entries(options, rng, pages)
    say(
        f"generated {len(docs)} documents, "
        f"{sum(len(d.text) for d in docs) / max(len(docs), 1):.0f} characters of "
        f"text each: {time.perf_counter() - started:.1f} s (not timed)"
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -500000")
    # What the signals indexed while the forms were made: written again below.
    SearchPosting.objects.all().delete()
    SearchEntry.objects.all().delete()
    writer = BulkWriter()
    started = time.perf_counter()
    # PostgreSQL checks the postings' deferred foreign key row by row at
    # COMMIT (minutes for millions of rows): dropped for the load and added
    # back after it, checked in one pass (as pg_restore does).
    foreign_keys = writer.drop_foreign_keys()
    with transaction.atomic():
        for start in range(0, len(docs), 200):
            writer.write(docs[start : start + 200])
    docs_s = time.perf_counter() - started
    source = RecordSource()
    records_n = 0
    from search.sources.documents import DocumentSource

    with transaction.atomic():
        for batch in source.iter_all():
            writer.write(batch)
            records_n += len(batch)
        # The real forms and procedures, as the sources describe them.
        for batch in DocumentSource().iter_all():
            writer.write(batch)
    fk_s = writer.add_foreign_keys(foreign_keys)
    with connection.cursor() as cursor:
        # As autovacuum leaves a PostgreSQL table after a bulk insert: the
        # visibility map set (index-only scans) and the planner's figures.
        cursor.execute(
            "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
        )
    total_s = time.perf_counter() - started
    entries = SearchEntry.objects.count()
    say(
        f"index build (bulk path): {entries} entries, {writer.postings} postings "
        f"in {total_s:.1f} s (documents {docs_s:.1f} s; analysis "
        f"{writer.analyse_s:.1f} s, writing {writer.write_s:.1f} s"
        + (f"; foreign key added back {fk_s:.1f} s" if foreign_keys else "")
        + ")"
    )
    # The service's own path, on a sample, for comparison.
    sample = TextMaker(random.Random(7), chars=options.chars)
    from search.sources import EntryData

    n = 100
    sample_entries = [
        EntryData(
            key=f"issue:{9_000_000 + i}",
            kind="document",
            object_pk=9_000_000 + i,
            document_id=pages["document"][0],
            number=f"Z{i:04d}",
            title=sample.title(False),
            status="effective",
            heading=f"Z{i:04d}",
            text=sample.text(),
        )
        for i in range(n)
    ]
    from django.db.models import Q

    started = time.perf_counter()
    index.write(Q(key__in=[e.key for e in sample_entries]), sample_entries)
    per_doc = (time.perf_counter() - started) / n
    index.remove(Q(key__in=[e.key for e in sample_entries]))
    say(
        f"search.index.write() on {n} documents: {per_doc * 1000:.1f} ms each "
        f"(~{per_doc * options.docs:.0f} s for {options.docs} documents)"
    )
    from search.engines import database as engine_module

    engine_module.forget_stats()
    return {
        "figures": {"lines": lines},
        "superuser": superuser,
        "staff": built["staff"],
        "entries": entries,
        "postings": writer.postings,
        "records": records_n,
    }


# --- (b) Speed: the queries --------------------------------------------------------


def query_classes(rng: random.Random, n: int, texts: list[str]) -> dict:
    """``n`` queries per class over the whole range of word frequencies: words
    of two characters; phrases of four (the vocabulary's, and two words
    standing side by side in the generated texts); two or three words."""
    two = [w for w in VOCABULARY if len(w) == 2]
    sample = "\n".join(texts)
    fours = [w for w in VOCABULARY if len(w) == 4]
    tried = 0
    while len(fours) < n and tried < 20_000:
        tried += 1
        a, b = rng.sample(two[:150], 2)
        if a + b in sample and a + b not in fours:
            fours.append(a + b)

    def spread(words: list[str]) -> list[str]:
        if len(words) <= n:
            return (words * (n // max(len(words), 1) + 1))[:n]
        step = len(words) / n
        return [words[int(i * step)] for i in range(n)]

    multi = []
    for _ in range(n):
        k = rng.choice((2, 2, 3))
        multi.append(" ".join(rng.sample(VOCABULARY[:150], k)))
    return {
        "2 characters": spread(two),
        "4 characters": fours[:n],
        "several words": multi,
    }


def time_queries(user, queries: list[str], *, facets=()) -> tuple[list[float], list]:
    """Times (ms) of ``queries``, and (ms, query, total) of each, slowest first."""
    from search import service

    times = []
    runs = []
    for q in queries:
        started = time.perf_counter()
        result = service.search(user, q, facets=facets)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        runs.append((elapsed, q, result.total))
    runs.sort(reverse=True)
    return times, runs


def run_speed(options) -> int:
    from django.db import connection

    rng = random.Random(options.seed)
    print(
        f"    load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(other work on the machine slows every figure)"
    )
    if options.from_cache:
        built = cached_index(options)
    else:
        built = build_index(options, rng)
        keep_index(options, built["figures"])
    target = TARGET_MS[connection.vendor]
    classes = query_classes(
        random.Random(options.seed + 1),
        options.queries,
        [TextMaker(random.Random(i), chars=options.chars).text() for i in range(50)],
    )
    gc.collect()
    gc.freeze()
    users = (
        ("superuser", built["superuser"]),
        ("staff (员工, 技术部)", built["staff"]),
    )
    # Warm up: caches of the engine (index figures) and of the database.
    for _label, user in users:
        time_queries(user, [qs[0] for qs in classes.values()])
    print(
        f"\n    queries: search.service.search(user, q), {options.queries} per class;"
        f" target p95 ≤ {target:.0f} ms"
    )
    print(
        f"    {'user':22} {'class':14} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'hits p50':>8}  slowest"
    )
    over = []
    worst: list = []
    for label, user in users:
        for name, queries in classes.items():
            times, slowest = time_queries(user, queries)
            hits = [t for _e, _q, t in slowest]
            p95 = percentile(times, 95)
            flag = ""
            if p95 > target:
                over.append(f"{label} / {name}")
                flag = "  OVER"
            print(
                f"    {label:22} {name:14} {percentile(times, 50):7.1f} {p95:7.1f} "
                f"{max(times):7.1f} {int(statistics.median(hits)):8d}  "
                + ", ".join(f"{q} {e:.0f} ms" for e, q, _t in slowest[:2])
                + flag
            )
            worst.extend((e, q, label) for e, q, _t in slowest[:3])
    # The search page asks for facets too (kind, department, tier).
    for label, user in users:
        queries = [q for qs in classes.values() for q in qs[:10]]
        times, _slowest = time_queries(
            user, queries, facets=("kind", "department", "tier")
        )
        print(
            f"    {label:22} {'page+facets':14} {percentile(times, 50):7.1f} "
            f"{percentile(times, 95):7.1f} {max(times):7.1f}  (information)"
        )
    # Where the time goes (information): the SQL statements of each search.
    print(
        f"\n    {'where the time goes':37} {'total':>7} {'sql':>7} {'ranking':>7} "
        f"{'stmts':>5}   (p50 ms, superuser; ranking = the slowest statement)"
    )
    for name, queries in classes.items():
        total, sql, top, count = breakdown(built["superuser"], queries)
        print(f"    {name:37} {total:7.1f} {sql:7.1f} {top:7.1f} {count:5.0f}")
    if options.profile:
        profile(built["superuser"], [q for qs in classes.values() for q in qs[:5]])
    worst.sort(reverse=True)
    if options.explain and worst:
        explain(worst[0][1], built["superuser"])
    started = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    print(
        "    machine reference: sum of 10^6 squares in pure Python: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms (~50 ms on a current "
        f"laptop); load average now {os.getloadavg()[0]:.1f}"
    )
    verdict = "OK" if not over else "OVER TARGET: " + "; ".join(over)
    print(f"    target p95 ≤ {target:.0f} ms ({connection.vendor}): {verdict}")
    return 0


def breakdown(user, queries: list[str]) -> tuple[float, float, float, float]:
    """p50 of: the whole search, its SQL, its slowest statement; statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search import service

    totals, sqls, tops, counts = [], [], [], []
    for q in queries:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            service.search(user, q)
            totals.append((time.perf_counter() - started) * 1000)
        times = [float(c["time"]) * 1000 for c in captured.captured_queries] or [0]
        sqls.append(sum(times))
        tops.append(max(times))
        counts.append(len(captured.captured_queries))
    return (
        statistics.median(totals),
        statistics.median(sqls),
        statistics.median(tops),
        statistics.median(counts),
    )


def profile(user, queries: list[str]) -> None:
    """cProfile of ``queries`` (superuser): Shoukong's own functions first."""
    import cProfile
    import io
    import pstats

    from search import service

    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        service.search(user, q)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(str(REPO / "search"), 25)
    print(f"\n    profile of {len(queries)} searches (cumulative, search/ only):")
    for line in out.getvalue().splitlines():
        if line.strip() and "function calls" not in line and "Ordered by" not in line:
            print("      " + line.strip()[:150])


def explain(q: str, user) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search import service

    with CaptureQueriesContext(connection) as captured:
        service.search(user, q)
    slow = sorted(
        captured.captured_queries, key=lambda c: float(c["time"]), reverse=True
    )[:1]
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    for query in slow:
        print(f"    plan of the slowest statement of {q!r} ({query['time']} s):")
        print("      " + query["sql"][:400] + "…")
        with connection.cursor() as cursor:
            cursor.execute(prefix + query["sql"])
            for line in cursor.fetchall():
                print("      " + " ".join(str(c) for c in line))
