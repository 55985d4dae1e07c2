"""Build small .docx / .pdf / hostile files in memory for the extraction tests.

Nothing here touches the network or files outside the test's own tmp_path.
PDFs are written by hand (reportlab is not a dependency): ``make_pdf`` emits a
tiny, valid PDF 1.7 file whose text uses either the standard Helvetica font
(ASCII) or a Type0/Identity-H font with a ToUnicode CMap, so that pypdf can
extract Chinese text without any embedded font program.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping

import docx
from docx.enum.section import WD_SECTION
from pypdf import PdfReader, PdfWriter

# --------------------------------------------------------------------- DOCX


def make_docx(
    paragraphs: Iterable[str] = ("文件控制程序",),
    *,
    table: list[list[str]] | None = None,
    merge: tuple[tuple[int, int], tuple[int, int]] | None = None,
    header: str | None = None,
    footer: str | None = None,
    extra_sections: int = 0,
    repeat_header: bool = False,
    nested_table: bool = False,
) -> bytes:
    """A .docx made with python-docx.

    ``merge`` merges the two cells ((row, col), (row, col)) of ``table`` after
    filling it, so the merged cell's text must appear once.  ``extra_sections``
    appends sections that all inherit (link to) the first section's header.
    """
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        rows, cols = len(table), max(len(r) for r in table)
        tbl = document.add_table(rows=rows, cols=cols)
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                tbl.cell(r, c).text = value
        if merge:
            (r1, c1), (r2, c2) = merge
            tbl.cell(r1, c1).merge(tbl.cell(r2, c2))
        if nested_table:
            inner = tbl.cell(0, 0).add_table(rows=1, cols=2)
            inner.cell(0, 0).text = "内表甲"
            inner.cell(0, 1).text = "内表乙"
        document.add_paragraph("表后段落")
    section = document.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    for i in range(extra_sections):
        new = document.add_section(WD_SECTION.NEW_PAGE)
        if repeat_header and header is not None:
            new.header.is_linked_to_previous = False
            new.header.paragraphs[0].text = header
        document.add_paragraph(f"第{i + 2}节正文")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rebuild_zip(
    data: bytes,
    *,
    replace: Mapping[str, bytes] | None = None,
    add: Iterable[tuple[str, bytes]] = (),
    drop: Iterable[str] = (),
) -> bytes:
    """Copy a zip, replacing / dropping members and appending ``add`` members.

    ``add`` is a sequence of pairs so that duplicate or odd names can be
    written on purpose.
    """
    replace = dict(replace or {})
    drop = set(drop)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename in drop:
                continue
            payload = replace.pop(info.filename, None)
            if payload is None:
                payload = src.read(info)
            dst.writestr(info.filename, payload)
        for name, payload in replace.items():
            dst.writestr(name, payload)
        for name, payload in add:
            dst.writestr(zipfile.ZipInfo(name), payload, zipfile.ZIP_DEFLATED)
    return out.getvalue()


DOCUMENT_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
    b'2006/main"><w:body><w:p><w:r><w:t>'
)
DOCUMENT_TAIL = b"</w:t></w:r></w:p></w:body></w:document>"


def document_xml(text: str) -> bytes:
    from xml.sax.saxutils import escape

    return DOCUMENT_HEAD + escape(text).encode() + DOCUMENT_TAIL


def make_docx_bomb(inflated_bytes: int, *, chunk: int = 1 << 20) -> bytes:
    """A .docx whose word/document.xml inflates to ``inflated_bytes`` of spaces.

    Written in chunks through ``ZipFile.open(name, "w")`` so the test never holds
    the inflated member in memory.
    """
    base = make_docx(["bomb"])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            if info.filename == "word/document.xml":
                continue
            dst.writestr(info.filename, src.read(info))
        with dst.open("word/document.xml", "w") as fh:
            fh.write(DOCUMENT_HEAD)
            block = b" " * chunk
            left = inflated_bytes
            while left > 0:
                fh.write(block[: min(chunk, left)])
                left -= chunk
            fh.write(DOCUMENT_TAIL)
    return out.getvalue()


def lie_about_size(data: bytes, member: str, claimed_size: int) -> bytes:
    """Patch the central directory so ``member`` claims ``claimed_size`` bytes.

    Only the central directory is changed (that is what ZipFile.infolist()
    reports); the local header and the compressed data stay truthful.
    """
    buf = bytearray(data)
    encoded = member.encode()
    pos = 0
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        if pos < 0:
            raise ValueError(f"{member} not in central directory")
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        name = bytes(buf[pos + 46 : pos + 46 + name_len])
        if name == encoded:
            uncompressed = struct.unpack_from("<I", buf, pos + 24)[0]
            if uncompressed == 0xFFFFFFFF:
                raise ValueError("zip64 member; build it smaller")
            struct.pack_into("<I", buf, pos + 24, claimed_size)
            return bytes(buf)
        pos += 46


def make_docm_as_docx() -> bytes:
    """A macro-enabled document (vbaProject.bin + macroEnabled type), named .docx."""
    base = make_docx(["宏文档"])
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml."
        b"document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    return rebuild_zip(
        base,
        replace={"[Content_Types].xml": types},
        add=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 60)],
    )


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_ole(*, encrypted_package: bool = False) -> bytes:
    """Enough of an OLE2 compound file to be recognised by its magic.

    With ``encrypted_package`` the directory holds an ``EncryptedPackage``
    stream name, as in a password-protected .docx saved by Word.
    """
    header = OLE_MAGIC + b"\0" * (512 - len(OLE_MAGIC))
    directory = bytearray(512)
    names = ["Root Entry", "WordDocument"]
    if encrypted_package:
        names = ["Root Entry", "EncryptionInfo", "EncryptedPackage"]
    for i, name in enumerate(names[:4]):
        raw = name.encode("utf-16-le") + b"\0\0"
        directory[i * 128 : i * 128 + len(raw)] = raw
    return header + bytes(directory) + b"\0" * 512


# ---------------------------------------------------------------------- PDF


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def _to_unicode_cmap(chars: Iterable[str]) -> bytes:
    codes = sorted({ord(c) for c in chars if ord(c) <= 0xFFFF})
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(codes), 100):
        block = codes[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{c:04X}> <{c:04X}>" for c in block)
        lines.append("endbfchar")
    lines += [
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines).encode("ascii")


def _page_stream(lines: list[str], cjk: bool) -> bytes:
    ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 760 Td"]
    for line in lines:
        if cjk:
            # Identity-H with CID == UTF-16 code unit; the ToUnicode CMap maps
            # each CID back to itself.
            ops.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj")
        else:
            ops.append(_pdf_string(line) + b" Tj")
        ops.append(b"T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdf(
    pages: list[list[str]],
    *,
    cjk: bool = False,
    compress: bool = True,
    raw_streams: list[bytes] | None = None,
) -> bytes:
    """A minimal PDF, one text line per list item, one list per page.

    ``raw_streams`` replaces the generated (already Flate-compressed) content
    streams, for hostile inputs.
    """
    objects: list[bytes] = []

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    def stream(payload: bytes, *, deflate: bool) -> bytes:
        if deflate:
            payload = zlib.compress(payload)
            head = b"<< /Length %d /Filter /FlateDecode >>" % len(payload)
        else:
            head = b"<< /Length %d >>" % len(payload)
        return head + b"\nstream\n" + payload + b"\nendstream"

    catalog = add(b"")  # placeholder, filled below
    pages_obj = add(b"")
    if cjk:
        chars = "".join("".join(p) for p in pages)
        cmap = add(stream(_to_unicode_cmap(chars), deflate=compress))
        descriptor = add(
            b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 "
            b"/FontBBox [0 -140 1000 860] /ItalicAngle 0 /Ascent 860 "
            b"/Descent -140 /CapHeight 700 /StemV 80 >>"
        )
        cid_font = add(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
            b"/Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 "
            b"/CIDToGIDMap /Identity >>" % descriptor
        )
        font = add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun "
            b"/Encoding /Identity-H /DescendantFonts [%d 0 R] "
            b"/ToUnicode %d 0 R >>" % (cid_font, cmap)
        )
    else:
        font = add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
            b"/Encoding /WinAnsiEncoding >>"
        )
    page_ids = []
    for index, lines in enumerate(pages):
        if raw_streams is not None:
            content = add(raw_streams[index])
        else:
            content = add(stream(_page_stream(lines, cjk), deflate=compress))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_obj, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        kids,
        len(page_ids),
    )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, catalog)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_pdf_flate_bomb(inflated_bytes: int) -> bytes:
    """One page whose content stream inflates to ``inflated_bytes`` of spaces."""
    comp = zlib.compressobj(1)
    block = b" " * (1 << 20)
    parts = []
    left = inflated_bytes
    while left > 0:
        parts.append(comp.compress(block[: min(len(block), left)]))
        left -= len(block)
    parts.append(comp.flush())
    payload = b"".join(parts)
    stream = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload)
        + payload
        + b"\nendstream"
    )
    return make_pdf([["bomb"]], raw_streams=[stream])


def encrypt_pdf(
    data: bytes, *, user_password: str, owner_password: str = "owner"
) -> bytes:
    """Encrypt an existing PDF with AES-256 (needs the cryptography package)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(
        user_password=user_password,
        owner_password=owner_password,
        algorithm="AES-256",
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


W_NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'mc:Ignorable="wps"'
)


def docx_with_body(body_xml: str, *, prolog: str = "") -> bytes:
    """A python-docx package whose document.xml body is ``body_xml``.

    ``prolog`` goes between the XML declaration and the root element (for a
    DOCTYPE).
    """
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"{prolog}<w:document {W_NAMESPACES}><w:body>{body_xml}</w:body>"
        "</w:document>"
    )
    return rebuild_zip(
        make_docx([]), replace={"word/document.xml": xml.encode("utf-8")}
    )
