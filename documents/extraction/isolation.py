"""The resource limits and environment of the extraction child process.

:func:`documents.extraction.extract_file_isolated` runs
``python -m documents.extraction`` (see ``__main__.py``) with these.
"""

from __future__ import annotations

import os
from pathlib import Path

from .results import Limits, MiB

try:  # POSIX only; extract_file_isolated needs it.
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = [
    "PROJECT_ROOT",
    "WALL_CLOCK_GRACE_SECONDS",
    "child_env",
    "child_rlimits",
    "resource",
]

# Extra wall-clock seconds the child gets on top of its CPU budget
# (interpreter start-up, imports, I/O).
WALL_CLOCK_GRACE_SECONDS = 5
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def child_rlimits(limits: Limits) -> None:  # runs in the child, before exec
    if resource is None:  # pragma: no cover
        return
    memory = max(int(limits.memory_bytes), 64 * MiB)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(int(limits.timeout_seconds), 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must not import the project's settings (database, apps ...).
    env.pop("DJANGO_SETTINGS_MODULE", None)
    root = str(PROJECT_ROOT)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root + (os.pathsep + existing if existing else "")
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
