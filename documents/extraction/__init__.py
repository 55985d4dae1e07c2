"""Hardened text extraction for uploaded controlled-document sources (.docx / .pdf).

Uploaded files are untrusted.  Everything here assumes a hostile input:

* the kind is taken from the magic bytes and must agree with the extension
  (:func:`sniff_kind`); executables, HTML, legacy OLE ``.doc`` files,
  password-protected OOXML packages and macro-enabled documents are refused;
* a ``.docx`` is a zip: before python-docx sees it, every member is *streamed*
  through the decompressor with a running total, a per-member compression-ratio
  check and a member-count limit (the central directory's sizes are never
  trusted), names are checked for ``..`` / absolute paths / case-folded
  duplicates, and XML members must not carry a DOCTYPE;
* a PDF is read by pypdf with its decompression limits tightened to ours, and
  encrypted PDFs are accepted only when the user password is empty;
* :func:`extract_file_isolated` runs the same code in a child process with
  ``RLIMIT_AS`` / ``RLIMIT_CPU`` and a wall-clock timeout, for the cases no
  in-process check can bound (pathological layouts, parser bugs).

Every refusal is an :class:`ExtractionError` whose ``code`` is a short machine
code and whose ``message`` is a translated, user-facing sentence.

The package is importable without Django being configured (the child process
configures minimal settings itself); it never touches the database.

Run as ``python -m documents.extraction PATH [--limits JSON] [--filename NAME]``
it prints one JSON object on stdout: the result, or ``{"error": code,
"message": ...}``.

The package holds the entry points; the parts live in submodules:

``errors``     error and warning codes, their messages, :class:`ExtractionError`
``results``    :class:`ExtractionResult`, :class:`Limits`, text normalisation
``sniffing``   the kind of a file from its magic bytes
``docx``       zip validation and the text of a .docx
``pdf``        the text of a PDF and the re-flowing of its lines
``isolation``  the child process's resource limits and environment
``__main__``   the child process itself
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import subprocess
import sys

from .docx import _validate_zip as _validate_zip  # for the tests
from .docx import extract_docx
from .errors import (
    ERROR_CODES,
    WARNING_NO_TEXT,
    WARNING_PAGE_ERRORS,
    WARNING_TEXT_TRUNCATED,
    ExtractionError,
    message_for,
    warning_message,
)
from .isolation import (
    PROJECT_ROOT,
    WALL_CLOCK_GRACE_SECONDS,
    child_env,
    child_rlimits,
    resource,
)
from .pdf import extract_pdf, join_pdf_lines, squeeze_cjk_spaces
from .results import ExtractionResult, Limits, normalize_text
from .sniffing import sniff_kind

__all__ = [
    "ERROR_CODES",
    "ExtractionError",
    "ExtractionResult",
    "Limits",
    "WARNING_NO_TEXT",
    "WARNING_PAGE_ERRORS",
    "WARNING_TEXT_TRUNCATED",
    "extract_bytes",
    "extract_file",
    "extract_file_isolated",
    "join_pdf_lines",
    "message_for",
    "normalize_text",
    "sniff_kind",
    "squeeze_cjk_spaces",
    "warning_message",
]


def extract_bytes(
    data: bytes, filename: str, *, limits: Limits | None = None
) -> ExtractionResult:
    """Extract the text of an uploaded .docx or .pdf held in memory."""
    limits = limits or Limits.from_settings()
    data = bytes(data)
    if not data:
        raise ExtractionError("empty")
    if len(data) > limits.max_file_bytes:
        raise ExtractionError("too_large")
    kind = sniff_kind(data, filename)
    try:
        if kind == "docx":
            return extract_docx(data, limits)
        return extract_pdf(data, limits)
    except RecursionError as exc:
        raise ExtractionError("corrupt") from exc
    except MemoryError as exc:
        raise ExtractionError("bomb") from exc


def _checked_size(path: str, limits: Limits) -> None:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError("unsupported_type")
    if st.st_size > limits.max_file_bytes:
        raise ExtractionError("too_large")
    if st.st_size == 0:
        raise ExtractionError("empty")


def extract_file(
    path: str | os.PathLike,
    *,
    limits: Limits | None = None,
    filename: str | None = None,
) -> ExtractionResult:
    """Read ``path`` (refused before reading if over the size limit) and extract.

    ``filename`` overrides the name whose extension is checked (useful when an
    upload was saved under a temporary name).
    """
    limits = limits or Limits.from_settings()
    path = os.fspath(path)
    _checked_size(path, limits)
    with open(path, "rb") as fh:
        data = fh.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:  # grew after the stat
        raise ExtractionError("too_large")
    return extract_bytes(data, filename or os.path.basename(path), limits=limits)


def extract_file_isolated(
    path: str | os.PathLike,
    *,
    limits: Limits | None = None,
    filename: str | None = None,
) -> ExtractionResult:
    """Like :func:`extract_file`, in a resource-limited child process.

    The child runs ``python -m documents.extraction PATH`` under
    ``RLIMIT_AS = limits.memory_bytes`` and ``RLIMIT_CPU = timeout_seconds``,
    with a wall-clock timeout on top.  Errors come back by code and are
    re-translated here, in the caller's active language.
    """
    limits = limits or Limits.from_settings()
    path = os.fspath(path)
    _checked_size(path, limits)
    command = [
        sys.executable,
        "-m",
        "documents.extraction",
        os.path.abspath(path),
        "--limits",
        json.dumps(dataclasses.asdict(limits)),
    ]
    if filename:
        command += ["--filename", filename]
    try:
        proc = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.timeout_seconds + WALL_CLOCK_GRACE_SECONDS,
            preexec_fn=(lambda: child_rlimits(limits)) if resource else None,
            cwd=str(PROJECT_ROOT),
            env=child_env(),
            close_fds=True,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout") from exc
    return _parse_child_output(proc)


def _parse_child_output(proc: subprocess.CompletedProcess) -> ExtractionResult:
    payload = None
    stdout = proc.stdout or b""
    if stdout.strip():
        try:
            payload = json.loads(stdout.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
    if isinstance(payload, dict):
        if "error" in payload:
            code = str(payload["error"])
            if code not in ERROR_CODES:
                code = "corrupt"
            raise ExtractionError(code, message_for(code))
        try:
            return ExtractionResult(
                text=str(payload["text"]),
                kind=str(payload["kind"]),
                sha256=str(payload["sha256"]),
                size=int(payload["size"]),
                pages=None if payload["pages"] is None else int(payload["pages"]),
                warnings=tuple(str(w) for w in payload.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError):
            pass
    returncode = proc.returncode
    stderr = (proc.stderr or b"")[-4096:].decode("utf-8", "replace")
    if returncode == -getattr(signal, "SIGXCPU", 24):
        raise ExtractionError("timeout")
    if returncode < 0 or "MemoryError" in stderr or "memory" in stderr.lower():
        # Killed by a signal (RLIMIT_AS makes allocators abort) or out of memory.
        raise ExtractionError("bomb")
    from django.utils.translation import gettext as _

    raise RuntimeError(
        _("Text extraction failed (exit code %(code)s): %(detail)s")
        % {"code": returncode, "detail": stderr.strip()[-1000:]}
    )
