"""Telling a .docx from a .pdf (and from everything else) by its bytes.

The kind is taken from the magic bytes and must agree with the extension.
Executables, HTML, legacy OLE ``.doc`` files, password-protected OOXML packages
and macro-enabled documents are refused. A zip is opened only as far as its
``[Content_Types].xml`` and ``_rels/.rels``, each read under a size cap and
parsed without DTDs or entities.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile
import zlib

from .errors import ExtractionError
from .results import MiB

__all__ = ["CHUNK", "DOCTYPE_WINDOW", "has_doctype", "sniff_kind"]

CHUNK = 64 * 1024
# Bytes of each XML member searched for a DOCTYPE declaration.
DOCTYPE_WINDOW = 4096

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Things that must never be accepted whatever follows them.
_FOREIGN_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O fat / Java class
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",
)
_MARKUP_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|body|script|svg|\?xml|!--|iframe)",
    re.IGNORECASE,
)
_CT_WORD_DOCUMENT = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_RT_OFFICE_DOCUMENT_SUFFIX = "/officeDocument"
_MAX_SMALL_PART = 2 * MiB  # [Content_Types].xml and _rels/.rels
_DOCTYPE_PATTERNS = (
    b"<!doctype",
    "<!doctype".encode("utf-16-le"),
    "<!doctype".encode("utf-16-be"),
)


def has_doctype(head: bytes) -> bool:
    lowered = head[:DOCTYPE_WINDOW].lower()
    return any(p in lowered for p in _DOCTYPE_PATTERNS)


def _extension(filename: str) -> str:
    base = re.split(r"[\\/]", str(filename))[-1]
    return os.path.splitext(base)[1].lower()


def _safe_xml_parser():
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _read_small_member(zf: zipfile.ZipFile, name: str) -> bytes | None:
    """Stream-read a small package part, refusing anything over 2 MiB."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            out += chunk
            if len(out) > _MAX_SMALL_PART:
                raise ExtractionError("bomb")
    return bytes(out)


def _parse_xml(data: bytes):
    from lxml import etree

    if has_doctype(data):
        raise ExtractionError("corrupt")
    try:
        return etree.fromstring(data, parser=_safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("corrupt") from exc


def _sniff_zip(data: bytes) -> str:
    """'docx' for a Word main document package; raise for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            for name in names:
                if posixpath.basename(name.replace("\\", "/")).casefold() == (
                    "vbaproject.bin"
                ):
                    raise ExtractionError("macro")
            types_xml = _read_small_member(zf, "[Content_Types].xml")
            if types_xml is None:
                raise ExtractionError("type_mismatch")
            types = _parse_xml(types_xml)
            overrides: dict[str, str] = {}
            for element in types:
                if not isinstance(element.tag, str):
                    continue
                content_type = element.get("ContentType", "")
                lowered = content_type.lower()
                if "macroenabled" in lowered or "vbaproject" in lowered:
                    raise ExtractionError("macro")
                if element.tag == f"{_CT_NS}Override":
                    overrides[element.get("PartName", "").lstrip("/")] = content_type
            main = "word/document.xml"
            rels_xml = _read_small_member(zf, "_rels/.rels")
            if rels_xml is not None:
                for rel in _parse_xml(rels_xml):
                    if not isinstance(rel.tag, str):
                        continue
                    if rel.get("Type", "").endswith(_RT_OFFICE_DOCUMENT_SUFFIX):
                        target = rel.get("Target", main).replace("\\", "/")
                        main = posixpath.normpath(target.lstrip("/"))
                        break
            if main not in names:
                raise ExtractionError("type_mismatch")
            main_type = overrides.get(main, "")
            if main_type == _CT_WORD_DOCUMENT:
                return "docx"
            if "wordprocessingml" in main_type:  # .dotx template, glossary ...
                raise ExtractionError("unsupported_type")
            raise ExtractionError("type_mismatch")  # .xlsx, .pptx, plain zip ...
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ExtractionError("corrupt") from exc
    except (zlib.error, ValueError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: zipfile's "password required" for encrypted members.
        raise ExtractionError("corrupt") from exc


def sniff_kind(data: bytes, filename: str) -> str:
    """Return "docx" or "pdf" from the magic bytes, checked against the extension.

    Raises :class:`ExtractionError` ("empty", "unsupported_type",
    "type_mismatch", "encrypted", "macro", "corrupt") otherwise.
    """
    if not data:
        raise ExtractionError("empty")
    ext = _extension(filename)
    if ext in (".docm", ".dotm"):
        raise ExtractionError("macro")
    if ext not in (".docx", ".pdf"):
        raise ExtractionError("unsupported_type")
    expected = ext[1:]
    head = bytes(data[:1024])
    if head.startswith(_FOREIGN_MAGIC) or _MARKUP_START.match(head):
        raise ExtractionError("type_mismatch")
    if head.startswith(_OLE_MAGIC):
        if expected == "docx":
            # A password-protected .docx is an OLE container holding an
            # EncryptedPackage stream; anything else is a legacy .doc.
            if _ENCRYPTED_PACKAGE in data:
                raise ExtractionError("encrypted")
            raise ExtractionError("unsupported_type")
        raise ExtractionError("type_mismatch")
    if head.startswith(_ZIP_MAGIC):
        if expected != "docx":
            raise ExtractionError("type_mismatch")
        return _sniff_zip(bytes(data))
    if b"%PDF-" in head:
        if expected != "pdf":
            raise ExtractionError("type_mismatch")
        return "pdf"
    raise ExtractionError("type_mismatch")
