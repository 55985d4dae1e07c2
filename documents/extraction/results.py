"""What an extraction returns, the limits it runs under, and text clean-up."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass

from .errors import WARNING_NO_TEXT, WARNING_TEXT_TRUNCATED

__all__ = ["GiB", "ExtractionResult", "Limits", "MiB", "finish", "normalize_text"]

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class ExtractionResult:
    text: str
    kind: str  # "docx" or "pdf"
    sha256: str  # of the raw bytes
    size: int  # bytes
    pages: int | None  # pdf page count, None for docx
    warnings: tuple[str, ...] = ()  # WARNING_* codes


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * MiB
    # Total across zip members, enforced while streaming.
    max_uncompressed_bytes: int = 200 * MiB
    # Per member uncompressed/compressed, only for members above 1 MiB.
    max_member_ratio: int = 200
    max_members: int = 5000
    max_text_chars: int = 5_000_000
    timeout_seconds: int = 60
    memory_bytes: int = 1 * GiB
    max_pages: int = 5000

    @classmethod
    def from_settings(cls) -> Limits:
        """Limits from the ``SHOUKONG_EXTRACT_*`` settings (defaults otherwise)."""
        defaults = cls()
        try:
            from django.conf import settings
        except ImportError:  # pragma: no cover - Django is a dependency
            return defaults
        if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
            return defaults

        def setting(name: str, default: int) -> int:
            return int(getattr(settings, f"SHOUKONG_EXTRACT_{name}", default))

        return cls(
            max_file_bytes=setting("MAX_FILE_BYTES", defaults.max_file_bytes),
            max_uncompressed_bytes=setting(
                "MAX_UNCOMPRESSED_BYTES", defaults.max_uncompressed_bytes
            ),
            max_text_chars=setting("MAX_TEXT_CHARS", defaults.max_text_chars),
            timeout_seconds=setting("TIMEOUT_SECONDS", defaults.timeout_seconds),
            memory_bytes=setting("MEMORY_BYTES", defaults.memory_bytes),
        )


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b\ufeff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, unify line breaks, drop control chars, strip line ends, squeeze blanks."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL_CHARS.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


def finish(
    text: str,
    *,
    kind: str,
    data: bytes,
    pages: int | None,
    limits: Limits,
    warnings: list[str],
) -> ExtractionResult:
    text = normalize_text(text)
    if len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        if WARNING_TEXT_TRUNCATED not in warnings:
            warnings.append(WARNING_TEXT_TRUNCATED)
    if not text.strip():
        text = ""
        warnings.append(WARNING_NO_TEXT)
    return ExtractionResult(
        text=text,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=pages,
        warnings=tuple(dict.fromkeys(warnings)),
    )
