"""A font that draws Chinese in generated and stamped PDFs, on any machine.

The font is chosen once per configured value and cached:

1. the setting ``SHOUKONG_PDF_FONT``, read lazily: a path to a TrueType
   ``.ttf``/``.ttc``, or a ``(path, subfont_index)`` pair for a collection;
2. otherwise a well-known TrueType CJK font installed on the machine
   (WenQuanYi Zen Hei/Micro Hei, Droid Sans Fallback, AR PL UMing/UKai, the
   TrueType builds of Noto Sans/Serif SC, and the usual Windows/macOS fonts);
3. otherwise reportlab's built-in CID font ``STSong-Light``, which needs no file.
   It is not embedded: viewers substitute a Song/Ming face of their own, and
   text extraction still reads the characters back.

A TrueType font is embedded (subset). reportlab cannot embed fonts with
PostScript (CFF) outlines (``.otf`` and the ``NotoSansCJK``/``SourceHanSans``
collections): those are recognised by their header and skipped. Every font
that was tried and rejected is listed in :func:`font_info` under ``problems``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import _

__all__ = [
    "CID_FALLBACK_FONT",
    "SETTING",
    "PdfFont",
    "discover_system_fonts",
    "font_info",
    "get_font",
    "reset_font_cache",
]

logger = logging.getLogger(__name__)

SETTING: Final = "SHOUKONG_PDF_FONT"
CID_FALLBACK_FONT: Final = "STSong-Light"

# In order of preference: (file name, subfont index). Names are matched without
# regard to case, anywhere under the font folders below.
_KNOWN_FONTS: Final[tuple[tuple[str, int], ...]] = (
    ("wqy-zenhei.ttc", 0),
    ("wqy-microhei.ttc", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
    ("uming.ttc", 0),
    ("ukai.ttc", 0),
    ("gbsn00lp.ttf", 0),
    ("gkai00mp.ttf", 0),
    ("NotoSansSC-Regular.ttf", 0),
    ("NotoSansSC[wght].ttf", 0),
    ("NotoSerifSC-Regular.ttf", 0),
    ("NotoSerifSC[wght].ttf", 0),
    ("SourceHanSansSC-Regular.ttf", 0),
    ("msyh.ttc", 0),
    ("simhei.ttf", 0),
    ("simsun.ttc", 0),
    ("Deng.ttf", 0),
    ("Arial Unicode.ttf", 0),
)
# Where Debian puts them, checked first so that the usual case needs no walk.
_DEBIAN_PATHS: Final = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_FONT_DIRS: Final = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
_MAX_WALKED_FILES: Final = 50_000
# A font that lacks these cannot draw the control marks and the footer.
_REQUIRED_CHARS: Final = "受控文件非作废持有人版本实施日期"
_BEYOND_BMP: Final = re.compile("[\U00010000-\U0010ffff]")
_GETA: Final = "\u3013"  # 〓, the typesetter's mark for a missing character


@dataclass(frozen=True)
class PdfFont:
    """A registered reportlab font (``name``) and where it came from."""

    name: str
    path: str | None
    subfont_index: int
    embedded: bool
    source: str  # "setting", "system" or "builtin"
    problems: tuple[str, ...] = field(default=())


class _Unusable(Exception):
    """This font file cannot be used; the message says why (translated)."""


_lock = threading.Lock()
_cache: dict[Any, PdfFont] = {}


def reset_font_cache() -> None:
    """Forget the chosen font (the next call chooses again). For tests."""
    with _lock:
        _cache.clear()


def _configured_font() -> tuple[str, int] | None:
    """The ``SHOUKONG_PDF_FONT`` setting as ``(path, index)``, or None if unset."""
    try:
        from django.conf import settings

        value = getattr(settings, SETTING, None)
    except Exception:  # settings not configured: a pure use outside Django
        return None
    if value is None or value == "":
        return None
    if isinstance(value, str | os.PathLike):
        return os.fspath(value), 0
    if isinstance(value, Sequence) and len(value) == 2:
        path, index = value
        try:
            return os.fspath(path), int(index)
        except (TypeError, ValueError):
            pass
    # An unusable value is reported by get_font() as a problem.
    return str(value), -1


def discover_system_fonts() -> list[tuple[str, int]]:
    """Well-known TrueType CJK fonts on this machine, best first."""
    found: dict[str, str] = {}
    wanted = {name.lower() for name, _index in _KNOWN_FONTS}
    for path in _DEBIAN_PATHS:
        if os.path.isfile(path):
            found.setdefault(os.path.basename(path).lower(), path)
    if not found:
        walked = 0
        for root in _FONT_DIRS:
            base = os.path.expanduser(root)
            if not os.path.isdir(base):
                continue
            for dirpath, _dirs, files in os.walk(base):
                walked += len(files)
                for name in files:
                    if name.lower() in wanted:
                        found.setdefault(name.lower(), os.path.join(dirpath, name))
                if walked > _MAX_WALKED_FILES:
                    break
    return [
        (found[name.lower()], index)
        for name, index in _KNOWN_FONTS
        if name.lower() in found
    ]


def _outline_tag(path: str, index: int) -> bytes:
    """The sfnt version tag of font ``index`` in ``path`` (b"OTTO" means CFF)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] != b"ttcf":
            return head[:4]
        count = int.from_bytes(head[8:12], "big")
        if not 0 <= index < count:
            raise _Unusable(
                _("%(path)s has no font number %(index)s (it has %(count)s).")
                % {"path": path, "index": index, "count": count}
            )
        fh.seek(12 + 4 * index)
        fh.seek(int.from_bytes(fh.read(4), "big"))
        return fh.read(4)


def _register_truetype(path: str, index: int) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if index < 0:
        raise _Unusable(
            _(
                "The setting %(setting)s must be a font file path or a "
                "(path, font number) pair."
            )
            % {"setting": SETTING}
        )
    if not os.path.isfile(path):
        raise _Unusable(_("The font file %(path)s does not exist.") % {"path": path})
    try:
        tag = _outline_tag(path, index)
    except OSError as exc:
        raise _Unusable(
            _("The font file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": exc}
        ) from exc
    if tag == b"OTTO":
        raise _Unusable(
            _(
                "%(path)s has PostScript (CFF) outlines, which cannot be embedded; "
                "use a TrueType font."
            )
            % {"path": path}
        )
    digest = hashlib.sha1(f"{path}\0{index}".encode()).hexdigest()[:10]
    name = f"ShoukongCJK-{digest}"
    try:
        font = TTFont(name, path, subfontIndex=index)
    except Exception as exc:  # TTFError, struct errors, MemoryError ...
        raise _Unusable(
            _("The font file %(path)s cannot be used: %(error)s")
            % {"path": path, "error": exc}
        ) from exc
    glyphs = font.face.charToGlyph
    if any(ord(char) not in glyphs for char in _REQUIRED_CHARS):
        raise _Unusable(
            _("The font %(path)s has no Chinese characters.") % {"path": path}
        )
    pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(
        name, normal=name, bold=name, italic=name, boldItalic=name
    )
    return name


def _bmp_only(text: Any) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _BEYOND_BMP.sub(_GETA, text)


def _register_cid() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    class BmpCIDFont(UnicodeCIDFont):
        """The built-in font, with characters beyond U+FFFF drawn as 〓.

        The font is addressed in UCS-2: a character beyond the Basic
        Multilingual Plane (an emoji, a rare CJK Extension B character) would
        be sent as two surrogate codes and drawn as a wrong glyph.
        """

        def formatForPdf(self, text: Any) -> Any:  # noqa: N802 - reportlab's
            return super().formatForPdf(_bmp_only(text))

        def stringWidth(  # noqa: N802 - reportlab's name
            self, text: Any, size: float, encoding: Any = None
        ) -> float:
            return super().stringWidth(_bmp_only(text), size, encoding)

    name = CID_FALLBACK_FONT
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(BmpCIDFont(name))
        pdfmetrics.registerFontFamily(
            name, normal=name, bold=name, italic=name, boldItalic=name
        )
    return name


def _choose(
    configured: tuple[str, int] | None, candidates: Iterable[tuple[str, int]]
) -> PdfFont:
    problems: list[str] = []
    tries: list[tuple[str, int, str]] = []
    if configured is not None:
        tries.append((*configured, "setting"))
    tries.extend((path, index, "system") for path, index in candidates)
    for path, index, source in tries:
        try:
            name = _register_truetype(path, index)
        except _Unusable as exc:
            problems.append(str(exc))
            log = logger.warning if source == "setting" else logger.info
            log("PDF font skipped: %s", exc)
            continue
        return PdfFont(name, path, index, True, source, tuple(problems))
    return PdfFont(_register_cid(), None, 0, False, "builtin", tuple(problems))


def get_font() -> PdfFont:
    """The font for generated and stamped PDFs, registered with reportlab."""
    configured = _configured_font()
    with _lock:
        font = _cache.get(configured)
        if font is None:
            font = _choose(configured, discover_system_fonts())
            _cache[configured] = font
    return font


def font_info() -> dict[str, Any]:
    """What :func:`get_font` chose, for a system check or a diagnostic page.

    ``name`` (reportlab font name), ``path`` (None for the built-in font),
    ``subfont_index``, ``embedded``, ``source`` (``"setting"``, ``"system"`` or
    ``"builtin"``) and ``problems`` (why other fonts were skipped).
    """
    font = get_font()
    return {
        "name": font.name,
        "path": font.path,
        "subfont_index": font.subfont_index,
        "embedded": font.embedded,
        "source": font.source,
        "problems": list(font.problems),
    }
