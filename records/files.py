"""Checking a file uploaded as a record's evidence before it is stored.

Evidence is a scan, a photo, or a form filled in Office or on paper: PDF, Word
(.docx), Excel (.xlsx), JPEG, PNG or TIFF. The upload is untrusted, so:

* the display name is reduced to a safe base name (no directories, control or
  bidi characters, quotes or separators that could break a header);
* the kind is taken from the magic bytes and must agree with the extension;
  executables and markup (HTML, SVG, XML) are refused whatever their name;
* an Office file is a zip: only its central directory and
  ``[Content_Types].xml`` (read under a cap, parsed without DTD or entities)
  are looked at, so that a 20 MB upload is checked in milliseconds and nothing
  else is ever decompressed. Macro-enabled, password-protected (OLE-wrapped)
  and legacy OLE (.doc / .xls) files are refused.

Pure: no ORM, no storage, no network. See ``reliability.md`` 2.5-2.6.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

__all__ = [
    "ALLOWED_EXTENSIONS",
    "CONTENT_TYPES",
    "MACRO_EXTENSIONS",
    "REFUSAL_CODES",
    "CheckedUpload",
    "UploadRefused",
    "check_upload",
    "safe_filename",
]

MiB = 1024 * 1024

ALLOWED_EXTENSIONS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
}

# Macro-enabled Office formats: refused as "macro", not "unsupported_type", so
# the user is told to save without macros rather than in another format.
MACRO_EXTENSIONS = frozenset(
    {
        ".docm",
        ".dotm",
        ".xlsm",
        ".xltm",
        ".xlam",
        ".pptm",
        ".potm",
        ".ppsm",
        ".ppam",
        ".sldm",
    }
)

CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tiff": "image/tiff",
}

REFUSAL_CODES = (
    "empty",
    "too_large",
    "unsupported_type",
    "type_mismatch",
    "macro",
    "encrypted",
    "corrupt",
    "bad_name",
)

MAX_NAME_CHARS = 100
# A name of 100 CJK characters is 300 bytes of UTF-8; file systems and some
# proxies stop at 255 bytes per name (reliability.md 2.6, item 27).
MAX_NAME_BYTES = 255
MAX_EXTENSION_CHARS = 16
MAX_ZIP_MEMBERS = 10_000
MAX_CONTENT_TYPES_BYTES = 2 * MiB
# How far into the file "%PDF-" may start (Acrobat tolerates leading junk).
PDF_HEADER_WINDOW = 1024

# ------------------------------------------------------------------- refusal


class UploadRefused(ValueError):
    """An upload that is not accepted; ``code`` is one of :data:`REFUSAL_CODES`.

    ``str(exc)`` is a translated sentence fit to show the uploader.
    """

    def __init__(self, code: str, message: str | None = None):
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        self.code = code
        self.message = message if message is not None else _generic_message(code)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"UploadRefused({self.code!r}, {self.message!r})"


def _kind_label(kind: str) -> str:
    labels = {
        "pdf": _("PDF"),
        "docx": _("Word (.docx)"),
        "xlsx": _("Excel (.xlsx)"),
        "jpeg": _("JPEG"),
        "png": _("PNG"),
        "tiff": _("TIFF"),
    }
    return labels[kind]


def _accepted_types() -> str:
    return _("PDF, Word (.docx), Excel (.xlsx), JPEG, PNG or TIFF")


def _generic_message(code: str) -> str:
    messages = {
        "empty": _("The file is empty."),
        "too_large": _("The file is too large."),
        "unsupported_type": _(
            "This type of file is not accepted. Upload a %(types)s file."
        )
        % {"types": _accepted_types()},
        "type_mismatch": _("The file's contents do not match its extension."),
        "macro": _(
            "Files with macros are not accepted. Save the file without macros "
            "(as .docx or .xlsx) and upload it again."
        ),
        "encrypted": _(
            "The file is protected by a password. Remove the password and "
            "upload it again."
        ),
        "corrupt": _("The file is damaged or not a valid file of its type."),
        "bad_name": _(
            "The file name has no usable extension, so its type cannot be checked."
        ),
    }
    return messages[code]


def _refuse(code: str, name: str, kind: str | None = None) -> UploadRefused:
    """The refusal ``code`` for the file shown as ``name`` (expected ``kind``)."""
    params = {"name": name, "kind": _kind_label(kind) if kind else ""}
    if code == "unsupported_type":
        params["types"] = _accepted_types()
        message = _(
            "“%(name)s” is not an accepted type of file. Upload a %(types)s file."
        )
    elif code == "type_mismatch":
        message = _("“%(name)s” is not really a %(kind)s file.")
    elif code == "macro":
        message = _(
            "“%(name)s” contains macros, which are not accepted. Save it "
            "without macros (as .docx or .xlsx) and upload it again."
        )
    elif code == "encrypted":
        message = _(
            "“%(name)s” is protected by a password. Remove the password and "
            "upload it again."
        )
    elif code == "corrupt":
        message = _("“%(name)s” is damaged or is not a valid %(kind)s file.")
    else:
        return UploadRefused(code)
    return UploadRefused(code, message % params)


def _refuse_legacy_office(name: str) -> UploadRefused:
    return UploadRefused(
        "unsupported_type",
        _(
            "“%(name)s” is an old-format Office file (.doc or .xls). Open it in "
            "Word or Excel, save it as .docx or .xlsx, and upload it again."
        )
        % {"name": name},
    )


def _megabytes(size: int) -> str:
    """``size`` in MiB for a message: "20", "1.5", "0.001"."""
    value = size / MiB
    if value >= 10:
        return f"{value:.0f}"
    text = f"{value:.1f}" if value >= 0.1 else f"{value:.3g}"
    if "e" in text:
        text = f"{value:.6f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------- names

# Bidi embedding/override/isolate marks and the Arabic letter mark: they make
# "evil\u202efdp.exe" display as "evilexe.pdf".
_BIDI_CHARS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Characters that break Content-Disposition (RFD, CVE-2022-36359) or are not
# allowed in Windows file names.
_FORBIDDEN_CHARS = frozenset('";<>:*?|')
_EXTENSION_RE = re.compile(rf"\.[^\s.]{{1,{MAX_EXTENSION_CHARS}}}")


def _keep_char(char: str) -> bool:
    if char in _BIDI_CHARS or char in _FORBIDDEN_CHARS:
        return False
    # Cc: control characters (NUL, CR, LF, DEL, C1); Cs: lone surrogates,
    # which cannot be encoded and would crash whoever writes the name out.
    return unicodedata.category(char) not in ("Cc", "Cs")


def safe_filename(name: str) -> str:
    """The base name of ``name`` made safe to display and to put in a header.

    Raises ``UploadRefused("bad_name")`` when no extension is left.
    """
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(char for char in base if _keep_char(char))
    base = " ".join(base.split())
    # Windows drops trailing dots and spaces, so "x.pdf." is saved as "x.pdf".
    base = base.rstrip(". ")
    stem, dot, extension = base.rpartition(".")
    extension = dot + extension
    if not dot or not _EXTENSION_RE.fullmatch(extension):
        raise UploadRefused("bad_name")
    extension = extension.lower()
    stem = stem.strip(". ")
    room = MAX_NAME_CHARS - len(extension)
    stem = stem[:room]
    while len((stem + extension).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    return (stem or "file") + extension


# ------------------------------------------------------------------- content

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O universal (and Java class)
    b"\xfe\xed\xfa\xce",  # Mach-O, 32 and 64 bit, both byte orders
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",
)
_MARKUP_RE = re.compile(
    r"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|!--|iframe|object|embed)",
    re.IGNORECASE,
)
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def _looks_like_markup(head: bytes) -> bool:
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, errors="ignore")
            break
    else:
        text = head.decode("latin-1")
    return _MARKUP_RE.match(text) is not None


def _magic_kind(head: bytes) -> str | None:
    """ "zip", "ole", an image kind or "pdf" from the first bytes; else None."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return "pdf"
    return None


# ---------------------------------------------------------------- OOXML zips

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MAIN_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml."
    "document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml."
    "sheet.main+xml": "xlsx",
}
# Content types of macro-carrying parts: VBA projects, macro-enabled main
# parts, Excel 4.0 (XLM) macro sheets.
_MACRO_TYPE_MARKERS = ("macroenabled", "vbaproject", "macrosheet")
_MACRO_MEMBER_RE = re.compile(r"(?:^|/)(?:vbaproject[^/]*\.bin|macrosheets/)")
_DOCTYPE_PATTERNS = tuple(
    "<!doctype".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


def _bad_member_name(name: str) -> bool:
    if "\\" in name or "\x00" in name or name.startswith("/"):
        return True
    if re.match(r"[A-Za-z]:", name):  # C:evil, C:/evil
        return True
    return ".." in name.split("/")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _parse_content_types(raw: bytes):
    """The root of ``[Content_Types].xml``; None if it carries a DOCTYPE or is bad."""
    from lxml import etree

    if any(pattern in raw.lower() for pattern in _DOCTYPE_PATTERNS):
        return None
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(raw, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype or root.tag != f"{_CT_NS}Types":
        return None
    return root


def _check_zip(data: bytes, expected: str, name: str) -> None:
    """Refuse a .docx/.xlsx zip that is damaged, hostile or of the other kind."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise _refuse("corrupt", name, expected)
            members: dict[str, zipfile.ZipInfo] = {}
            for info in infos:
                folded = info.filename.casefold()
                # Part names are case-insensitive (ECMA-376 part 2): a
                # case-folded duplicate is read differently by different tools.
                if (
                    _bad_member_name(info.filename)
                    or _is_symlink(info)
                    or folded in members
                ):
                    raise _refuse("corrupt", name, expected)
                members[folded] = info
            if any(info.flag_bits & 0x1 for info in infos):
                raise _refuse("encrypted", name)
            if any(_MACRO_MEMBER_RE.search(folded) for folded in members):
                raise _refuse("macro", name)
            types_info = members.get("[content_types].xml")
            if types_info is None:  # a plain zip, not an Office package
                raise _refuse("type_mismatch", name, expected)
            with zf.open(types_info) as fh:
                raw = fh.read(MAX_CONTENT_TYPES_BYTES + 1)
            if len(raw) > MAX_CONTENT_TYPES_BYTES:
                raise _refuse("corrupt", name, expected)
    except UploadRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,  # bad member headers
        NotImplementedError,  # unsupported compression method
        RuntimeError,  # a member needs a password
    ) as exc:
        raise _refuse("corrupt", name, expected) from exc

    root = _parse_content_types(raw)
    if root is None:
        raise _refuse("corrupt", name, expected)
    found: set[str] = set()
    for element in root:
        if not isinstance(element.tag, str):
            continue
        content_type = element.get("ContentType", "").strip()
        lowered = content_type.lower()
        if any(marker in lowered for marker in _MACRO_TYPE_MARKERS):
            raise _refuse("macro", name)
        kind = _MAIN_CONTENT_TYPES.get(lowered)
        if kind is None or element.tag != f"{_CT_NS}Override":
            continue
        part = element.get("PartName", "").lstrip("/").casefold()
        if part in members:
            found.add(kind)
    if found != {expected}:
        raise _refuse("type_mismatch", name, expected)


# ---------------------------------------------------------------------- API


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "pdf", "docx", "xlsx", "jpeg", "png" or "tiff"
    filename: str  # safe display name
    content_type: str  # canonical MIME type of the kind
    size: int  # bytes
    sha256: str  # hex digest of the bytes


def check_upload(*, data: bytes, filename: str, max_bytes: int) -> CheckedUpload:
    """Accept ``data`` uploaded as ``filename`` as record evidence, or refuse it.

    Raises :class:`UploadRefused`; reads at most the zip's central directory and
    a 2 MiB ``[Content_Types].xml``, never the rest of a document.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    data = bytes(data)
    name = safe_filename(filename)
    size = len(data)
    if size == 0:
        raise UploadRefused("empty")
    if size > max_bytes:
        raise UploadRefused(
            "too_large",
            _("The file is larger than %(limit)s MB.")
            % {"limit": _megabytes(max_bytes)},
        )
    extension = name[name.rindex(".") :]
    if extension in MACRO_EXTENSIONS:
        raise _refuse("macro", name)
    expected = ALLOWED_EXTENSIONS.get(extension)
    if expected is None:
        raise _refuse("unsupported_type", name)

    head = data[:PDF_HEADER_WINDOW]
    if head.startswith(_EXECUTABLE_MAGIC) or _looks_like_markup(head):
        raise _refuse("type_mismatch", name, expected)
    found = _magic_kind(head)
    if found == "ole":
        if expected not in ("docx", "xlsx"):
            raise _refuse("type_mismatch", name, expected)
        # Office saves a password-protected .docx/.xlsx as an OLE container
        # holding an EncryptedPackage stream; any other OLE file is a legacy
        # .doc/.xls (which may also carry VBA macros).
        if _ENCRYPTED_PACKAGE in data:
            raise _refuse("encrypted", name)
        raise _refuse_legacy_office(name)
    if found == "zip":
        if expected not in ("docx", "xlsx"):
            raise _refuse("type_mismatch", name, expected)
        _check_zip(data, expected, name)
    elif found != expected:
        raise _refuse("type_mismatch", name, expected)

    return CheckedUpload(
        kind=expected,
        filename=name,
        content_type=CONTENT_TYPES[expected],
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )
