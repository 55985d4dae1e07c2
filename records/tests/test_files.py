"""records.files: evidence uploads are checked by their bytes, not their names."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
import warnings
import zipfile

import openpyxl
import pytest
from django.utils import translation
from PIL import Image

from documents.tests.filefactories import (
    lie_about_size,
    make_docm_as_docx,
    make_docx,
    make_docx_bomb,
    make_ole,
    make_pdf,
    rebuild_zip,
)
from records.files import (
    ALLOWED_EXTENSIONS,
    MAX_CONTENT_TYPES_BYTES,
    MAX_ZIP_MEMBERS,
    CheckedUpload,
    UploadRefused,
    check_upload,
    safe_filename,
)

MiB = 1024 * 1024
LIMIT = 20 * MiB

# ----------------------------------------------------------------- builders


def image_bytes(fmt: str, **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 0, 0)).save(out, format=fmt, **save_options)
    return out.getvalue()


def make_xlsx(value: str = "记录") -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def content_types(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("[Content_Types].xml")


def with_content_types(data: bytes, xml: bytes) -> bytes:
    return rebuild_zip(data, replace={"[Content_Types].xml": xml})


def zip_of(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" on purpose
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, payload in members:
                zf.writestr(info, payload)
    return out.getvalue()


def docx_plus(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    """A real .docx with extra members appended (possibly odd or duplicate)."""
    with zipfile.ZipFile(io.BytesIO(make_docx())) as zf:
        originals = [(info.filename, zf.read(info)) for info in zf.infolist()]
    return zip_of(originals + list(members))


def xlsm_as_xlsx() -> bytes:
    xlsx = make_xlsx()
    types = content_types(xlsx).replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return rebuild_zip(
        xlsx,
        replace={"[Content_Types].xml": types},
        add=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 60)],
    )


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
TIFF = image_bytes("TIFF")
# Big-endian TIFF header (Pillow writes the byte order of the machine).
TIFF_MM = b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32
XLSX = make_xlsx()
DOCX = make_docx(["检验记录"])
PDF = make_pdf([["Record"]])
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Acrobat accepts junk before the header; so do we, within 1 KiB.
PDF_AFTER_JUNK = b"\x00" * 1000 + MINIMAL_PDF

# ---------------------------------------------------------- accepted files


@pytest.mark.parametrize(
    ("data", "filename", "kind", "content_type"),
    [
        (PDF, "记录.pdf", "pdf", "application/pdf"),
        (MINIMAL_PDF, "scan.PDF", "pdf", "application/pdf"),
        (PDF_AFTER_JUNK, "scan.pdf", "pdf", "application/pdf"),
        (
            DOCX,
            "表单.docx",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            XLSX,
            "台账.xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (JPEG, "photo.jpg", "jpeg", "image/jpeg"),
        (JPEG, "photo.JPEG", "jpeg", "image/jpeg"),
        (PNG, "screen.png", "png", "image/png"),
        (TIFF, "fax.tif", "tiff", "image/tiff"),
        (TIFF_MM, "fax.TIFF", "tiff", "image/tiff"),
    ],
)
def test_accepts_genuine_files(data, filename, kind, content_type):
    checked = check_upload(data=data, filename=filename, max_bytes=LIMIT)

    assert checked == CheckedUpload(
        kind=kind,
        filename=safe_filename(filename),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert checked.filename.endswith(os.path.splitext(filename)[1].lower())


def test_every_allowed_extension_has_a_tested_kind():
    assert set(ALLOWED_EXTENSIONS.values()) == {
        "pdf",
        "docx",
        "xlsx",
        "jpeg",
        "png",
        "tiff",
    }


@pytest.mark.parametrize("wrap", [bytearray, memoryview])
def test_accepts_bytes_like_data(wrap):
    checked = check_upload(data=wrap(PNG), filename="a.png", max_bytes=LIMIT)

    assert checked.sha256 == hashlib.sha256(PNG).hexdigest()


# --------------------------------------------------------------------- size


def test_empty_file_is_refused():
    with pytest.raises(UploadRefused) as refused:
        check_upload(data=b"", filename="scan.pdf", max_bytes=LIMIT)

    assert refused.value.code == "empty"


def test_exactly_the_limit_is_accepted_and_one_byte_more_is_not():
    data = MINIMAL_PDF + b"\n" * (LIMIT - len(MINIMAL_PDF))

    assert check_upload(data=data, filename="a.pdf", max_bytes=LIMIT).size == LIMIT
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(data=data + b"\n", filename="a.pdf", max_bytes=LIMIT)

    assert refused.value.code == "too_large"
    assert str(refused.value) == "The file is larger than 20 MB."


@pytest.mark.parametrize(
    ("max_bytes", "shown"),
    [(20 * MiB, "20"), (MiB + MiB // 2, "1.5"), (10 * MiB + 1, "10")],
)
def test_too_large_message_shows_the_limit_in_mb(max_bytes, shown):
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(data=b"x" * (max_bytes + 1), filename="a.pdf", max_bytes=max_bytes)

    assert str(refused.value) == f"The file is larger than {shown} MB."


# -------------------------------------------------------------- extensions


@pytest.mark.parametrize(
    ("filename", "code"),
    [
        ("setup.exe", "unsupported_type"),
        ("page.html", "unsupported_type"),
        ("logo.svg", "unsupported_type"),
        ("old.doc", "unsupported_type"),
        ("old.xls", "unsupported_type"),
        ("bundle.zip", "unsupported_type"),
        ("binary.xlsb", "unsupported_type"),
        ("form.docm", "macro"),
        ("sheet.xlsm", "macro"),
        ("template.dotm", "macro"),
        ("template.xltm", "macro"),
        ("slides.PPTM", "macro"),
    ],
)
def test_extension_outside_the_list_is_refused(filename, code):
    # Whatever the bytes: a genuine PDF named .exe is still refused.
    with pytest.raises(UploadRefused) as refused:
        check_upload(data=PDF, filename=filename, max_bytes=LIMIT)

    assert refused.value.code == code


# --------------------------------------------------------- hostile content

SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<html><script>alert(1)</script></html>", "invoice.pdf"),
        (b"  \n<!DOCTYPE html><html>%PDF-1.7</html>", "polyglot.pdf"),
        (SVG_WITH_SCRIPT, "logo.png"),
        (b'<?xml version="1.0"?>' + SVG_WITH_SCRIPT, "logo.png"),
        (b"\xef\xbb\xbf<svg onload=alert(1)>", "logo.jpg"),
        ("<html><body>hi</body></html>".encode("utf-16"), "page.pdf"),
        (b"<script>alert(1)</script>", "x.tif"),
        (b"MZ\x90\x00" + b"\x00" * 100, "form.docx"),
        (b"MZ\x90\x00" + b"%PDF-1.7" + b"\x00" * 100, "form.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "photo.png"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 100, "scan.tiff"),
        (b"#!/bin/sh\nrm -rf /\n", "scan.pdf"),
        (b"just some text", "scan.pdf"),
        (PNG, "photo.jpg"),
        (JPEG, "scan.pdf"),
        (PDF, "photo.png"),
        (b"\x00" * 1024 + MINIMAL_PDF, "late-header.pdf"),
        (XLSX, "form.docx"),
        (DOCX, "sheet.xlsx"),
        (DOCX, "scan.pdf"),
        (PDF, "form.docx"),
        (make_ole(), "scan.pdf"),
        (zip_of([("readme.txt", b"hi")]), "form.docx"),
    ],
)
def test_contents_that_do_not_match_the_extension_are_refused(data, filename):
    with pytest.raises(UploadRefused) as refused:
        check_upload(data=data, filename=filename, max_bytes=LIMIT)

    assert refused.value.code == "type_mismatch"


def test_mismatch_message_names_the_file_and_the_expected_kind():
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(data=b"<html></html>", filename="../x.pdf", max_bytes=LIMIT)

    assert str(refused.value) == "“x.pdf” is not really a PDF file."


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (make_docm_as_docx(), "form.docx"),
        (xlsm_as_xlsx(), "sheet.xlsx"),
        # The member alone, with an innocent content type.
        (rebuild_zip(XLSX, add=[("xl/vbaProject.bin", b"\0" * 64)]), "s.xlsx"),
        (rebuild_zip(DOCX, add=[("word/VBAPROJECT.BIN", b"\0" * 64)]), "f.docx"),
        # The content type alone.
        (
            with_content_types(
                XLSX,
                content_types(XLSX).replace(
                    b"sheet.main+xml", b"sheet.macroEnabled.main+xml"
                ),
            ),
            "s.xlsx",
        ),
        # Excel 4.0 macro sheet.
        (
            rebuild_zip(XLSX, add=[("xl/macrosheets/sheet1.xml", b"<x/>")]),
            "s.xlsx",
        ),
    ],
)
def test_macros_are_refused(data, filename):
    with pytest.raises(UploadRefused) as refused:
        check_upload(data=data, filename=filename, max_bytes=LIMIT)

    assert refused.value.code == "macro"


@pytest.mark.parametrize("filename", ["form.docx", "sheet.xlsx"])
def test_password_protected_office_file_is_refused_as_encrypted(filename):
    with pytest.raises(UploadRefused) as refused:
        check_upload(
            data=make_ole(encrypted_package=True), filename=filename, max_bytes=LIMIT
        )

    assert refused.value.code == "encrypted"


@pytest.mark.parametrize("filename", ["old.docx", "old.xlsx"])
def test_legacy_ole_office_file_is_refused_as_unsupported(filename):
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(data=make_ole(), filename=filename, max_bytes=LIMIT)

    assert refused.value.code == "unsupported_type"
    assert "old-format Office file" in str(refused.value)


def test_zip_with_password_protected_members_is_refused_as_encrypted():
    data = bytearray(DOCX)
    # Set the "encrypted" flag bit of every local and central header.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(signature)
        while pos >= 0:
            data[pos + flag_offset] |= 0x01
            pos = data.find(signature, pos + 4)

    with pytest.raises(UploadRefused) as refused:
        check_upload(data=bytes(data), filename="f.docx", max_bytes=LIMIT)

    assert refused.value.code == "encrypted"


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


DOCTYPE_TYPES = content_types(DOCX).replace(
    b"?>",
    b'?>\n<!DOCTYPE Types [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    1,
)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (docx_plus(("../evil", b"x")), "f.docx"),
        (docx_plus(("word/../../evil.xml", b"x")), "f.docx"),
        (docx_plus(("/etc/cron.d/evil", b"x")), "f.docx"),
        (docx_plus(("C:/evil.xml", b"x")), "f.docx"),
        (docx_plus(("word\\..\\evil.xml", b"x")), "f.docx"),
        (docx_plus((symlink("word/media/link"), b"/etc/passwd")), "f.docx"),
        (docx_plus(("word/document.xml", b"<w:document/>")), "f.docx"),
        (docx_plus(("WORD/Document.xml", b"<w:document/>")), "f.docx"),
        (with_content_types(DOCX, DOCTYPE_TYPES), "f.docx"),
        # A DOCTYPE pushed past the first few KiB by a comment.
        (
            with_content_types(
                DOCX,
                content_types(DOCX).replace(
                    b"?>", b"?><!--" + b"x" * 10_000 + b"--><!DOCTYPE Types>", 1
                ),
            ),
            "f.docx",
        ),
        # The same in UTF-16.
        (
            with_content_types(
                DOCX,
                DOCTYPE_TYPES.decode()
                .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                .encode("utf-16"),
            ),
            "f.docx",
        ),
        (with_content_types(XLSX, b"<Types><not-xml"), "s.xlsx"),
        (with_content_types(XLSX, b"<Other/>"), "s.xlsx"),
        (DOCX[: len(DOCX) // 2], "truncated.docx"),
        (b"PK\x03\x04" + b"\x00" * 200, "f.docx"),
    ],
)
def test_damaged_or_hostile_zips_are_refused_as_corrupt(data, filename):
    with pytest.raises(UploadRefused) as refused:
        check_upload(data=data, filename=filename, max_bytes=LIMIT)

    assert refused.value.code == "corrupt"


def test_zip_with_too_many_members_is_refused():
    members = [(f"word/media/{i}.bin", b"") for i in range(MAX_ZIP_MEMBERS + 1)]

    with pytest.raises(UploadRefused) as refused:
        check_upload(data=docx_plus(*members), filename="f.docx", max_bytes=LIMIT)

    assert refused.value.code == "corrupt"


def test_content_types_over_the_cap_are_refused_without_reading_them_whole():
    padding = b"<!--" + b" " * (MAX_CONTENT_TYPES_BYTES + 10) + b"-->"
    big = content_types(DOCX).replace(b"?>", b"?>" + padding, 1)
    data = with_content_types(DOCX, big)
    assert len(data) < MiB  # it is the inflated size that is over the cap

    with pytest.raises(UploadRefused) as refused:
        check_upload(data=data, filename="f.docx", max_bytes=LIMIT)

    assert refused.value.code == "corrupt"


def test_content_types_whose_declared_size_lies_are_refused():
    padding = b"<!--" + b" " * (MAX_CONTENT_TYPES_BYTES + 10) + b"-->"
    big = content_types(DOCX).replace(b"?>", b"?>" + padding, 1)
    data = lie_about_size(with_content_types(DOCX, big), "[Content_Types].xml", 900)

    with pytest.raises(UploadRefused) as refused:
        check_upload(data=data, filename="f.docx", max_bytes=LIMIT)

    assert refused.value.code == "corrupt"


def test_template_or_declared_but_missing_main_part_is_a_mismatch():
    dotx = with_content_types(
        DOCX,
        content_types(DOCX).replace(
            b"wordprocessingml.document.main+xml",
            b"wordprocessingml.template.main+xml",
        ),
    )
    no_main = rebuild_zip(DOCX, drop=["word/document.xml"])

    for data in (dotx, no_main):
        with pytest.raises(UploadRefused) as refused:
            check_upload(data=data, filename="f.docx", max_bytes=LIMIT)
        assert refused.value.code == "type_mismatch"


# --------------------------------------------------------------------- speed


def test_a_20_mb_office_file_is_checked_without_inflating_its_parts():
    bomb = make_docx_bomb(200 * MiB)  # word/document.xml inflates to 200 MiB
    big = zip_of(
        [("[Content_Types].xml", content_types(DOCX))]
        + [
            (name, payload)
            for name, payload in _members(DOCX)
            if name != "[Content_Types].xml"
        ]
        + [("word/media/image1.png", os.urandom(LIMIT - MiB))]
    )

    for data in (bomb, big):
        started = time.perf_counter()
        checked = check_upload(data=data, filename="f.docx", max_bytes=LIMIT)
        assert checked.kind == "docx"
        assert time.perf_counter() - started < 2.0


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


# --------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("scan.pdf", "scan.pdf"),
        ("Scan.PDF", "Scan.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\Desktop\\记录.docx", "记录.docx"),
        ("a\r\nb.pdf", "ab.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("\u2067report\u2069\u200e.pdf", "report.pdf"),
        ('"; filename=x.pdf', "filename=x.pdf"),
        ('a<b>c:d*e?f|g".pdf', "abcdefg.pdf"),
        ("  many   \t spaces\u3000here .pdf", "many spaces here.pdf"),
        ("x.pdf.", "x.pdf"),
        (".pdf", "file.pdf"),
        ("...pdf", "file.pdf"),
        ("../.pdf", "file.pdf"),
        ("\u202e.pdf", "file.pdf"),
        ("检验记录（第1页）.jpg", "检验记录（第1页）.jpg"),
        ("cafe\u0301.png", "caf\u00e9.png"),
        ("report.tar.GZ", "report.tar.gz"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize(
    "name",
    ["README", "", "dir/", "..", "a.", "a. pdf", "x.\u202e", "a.verylongextension17"],
)
def test_safe_filename_without_extension_is_refused(name):
    with pytest.raises(UploadRefused) as refused:
        safe_filename(name)

    assert refused.value.code == "bad_name"


@pytest.mark.parametrize(
    ("stem", "chars"),
    [("检" * 300, 83), ("a" * 300, 96)],
)
def test_long_names_are_capped_and_keep_their_extension(stem, chars):
    safe = safe_filename(stem + ".PDF")

    assert safe == stem[:chars] + ".pdf"
    assert len(safe) <= 100
    assert len(safe.encode("utf-8")) <= 255


def test_check_upload_returns_the_safe_name_and_refuses_a_nameless_file():
    checked = check_upload(
        data=PNG, filename="C:\\fakepath\\\u202e现场照片.PNG", max_bytes=LIMIT
    )
    assert checked.filename == "现场照片.png"

    with pytest.raises(UploadRefused) as refused:
        check_upload(data=PNG, filename="photo", max_bytes=LIMIT)
    assert refused.value.code == "bad_name"


def test_rtl_override_cannot_disguise_an_executable():
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(
            data=b"MZ" + b"\x00" * 100, filename="evil\u202efdp.exe", max_bytes=LIMIT
        )

    assert refused.value.code == "unsupported_type"
    assert str(refused.value).startswith("“evilfdp.exe” is not an accepted type")


def test_refusal_is_a_value_error_with_a_translated_message():
    with translation.override("en"):
        english = str(UploadRefused("empty"))

    assert isinstance(UploadRefused("empty"), ValueError)
    assert english == "The file is empty."
    with pytest.raises(ValueError):
        UploadRefused("no_such_code")
