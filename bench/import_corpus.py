"""Benchmark: import the ITSMS 2022 corpus into a fresh, throw-away SQLite database.

    python bench/import_corpus.py [--corpus DIR] [--register NAME] [--keep]

Creates a temporary database and media folder, migrates it and creates the
departments and roles (not timed), then times ``manage.py import_documents`` as
an operator runs it (Django start-up included), and a second, idempotent run.
Prints the figures; exits 1 if the first import fails or takes longer than the
target (30 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "itsms-2022"
DEFAULT_REGISTER = "文件目录清单.xlsx"
TARGET_SECONDS = 30.0

CHECK = """
from documents.models import DocumentPage, DocumentIssue
from wagtail.models import PageLogEntry
docs = DocumentPage.objects.all()
print("documents", docs.count())
print("with_text", docs.exclude(source_text="").count())
print("issues", DocumentIssue.objects.count())
print("log_entries", PageLogEntry.objects.count())
b05 = DocumentPage.objects.get(number="B05")
print("B05", b05.title, b05.current_issue.label, len(b05.source_text))
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    args: list[str], env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, proc


def must(step: str, result: tuple[float, subprocess.CompletedProcess]) -> float:
    seconds, proc = result
    if proc.returncode != 0:
        sys.stderr.write(f"{step} failed (exit {proc.returncode}):\n")
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(1)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--register", default=DEFAULT_REGISTER)
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary database and media"
    )
    options = parser.parse_args()
    corpus: Path = options.corpus.resolve()
    register = corpus / options.register
    if not register.is_file():
        sys.stderr.write(f"No register at {register}\n")
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="shoukong-bench-import-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        SHOUKONG_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_SETTINGS_MODULE=env.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
    )
    try:
        print(f"database: {workdir / 'bench.sqlite3'}")
        seconds = must("migrate", run(["migrate", "--noinput", "-v0"], env))
        print(f"migrate (not timed): {seconds:.1f} s")
        must(
            "setup",
            run(
                [
                    "shell",
                    "-c",
                    "from documents import roles; "
                    "roles.departments_ensure(); roles.roles_ensure()",
                ],
                env,
            ),
        )
        command = [
            "import_documents",
            str(register),
            "--files",
            str(corpus),
            "--no-progress",
        ]
        load = os.getloadavg()[0]
        cpu = children_cpu()
        first, proc = run(command, env)
        must("import", (first, proc))
        cpu = children_cpu() - cpu
        summary = proc.stdout.strip().splitlines()[-1]
        print(
            f"first import: {first:.1f} s wall, {cpu:.1f} s CPU (command and its "
            f"extraction processes; load average before: {load:.1f}) — {summary}"
        )
        second, proc = run(command, env)
        must("second import", (second, proc))
        print(
            f"second import: {second:.1f} s wall — "
            f"{proc.stdout.strip().splitlines()[-1]}"
        )
        _seconds, proc = run(["shell", "-c", CHECK], env)
        for line in proc.stdout.splitlines():
            if line and not line.endswith("(use -v 2 for details)."):
                print("  " + line)
        verdict = "OK" if first <= TARGET_SECONDS else "OVER TARGET"
        print(f"target ≤ {TARGET_SECONDS:.0f} s: {verdict} ({first:.1f} s)")
        return 0 if first <= TARGET_SECONDS else 1
    finally:
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
