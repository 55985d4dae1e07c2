"""Tests for documents.extraction: no database, fixtures built in memory.

Run with ``python -m pytest -p no:django -q documents/tests/test_extraction.py``;
they also run under pytest-django (nothing here touches the database).
"""

from __future__ import annotations

import io
import signal
import subprocess
import zipfile

from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=False)

import pytest  # noqa: E402
from django.utils import translation  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

from documents import extraction  # noqa: E402
from documents.extraction import (  # noqa: E402
    ERROR_CODES,
    WARNING_NO_TEXT,
    WARNING_TEXT_TRUNCATED,
    ExtractionError,
    ExtractionResult,
    Limits,
    extract_bytes,
    extract_file,
    extract_file_isolated,
    join_pdf_lines,
    message_for,
    sniff_kind,
    squeeze_cjk_spaces,
)
from documents.tests import filefactories as ff  # noqa: E402

MiB = 1024 * 1024


def error_code(data: bytes, filename: str, **limits) -> str:
    with pytest.raises(ExtractionError) as info:
        extract_bytes(data, filename, limits=Limits(**limits))
    assert info.value.message  # always a user-facing sentence
    return info.value.code


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    # word/document.xml inflates to 50 MiB of spaces (about 50 KB on disk).
    return ff.make_docx_bomb(50 * MiB)


@pytest.fixture(scope="module")
def sample_docx() -> bytes:
    return ff.make_docx(
        ["文件控制程序", "1 目的：确保文件的编制、审批、发放在受控状态下进行。"],
        table=[["编号", "合并单元格", ""], ["B05", "文件控制程序", "A"]],
        merge=((0, 1), (0, 2)),
        nested_table=True,
        header="某某科技有限公司 受控文件",
        footer="第 1 页",
    )


# ------------------------------------------------------------------ DOCX


def test_docx_chinese_text_table_header_footer(sample_docx):
    result = extract_bytes(sample_docx, "B05-文件控制程序.docx", limits=Limits())
    assert isinstance(result, ExtractionResult)
    assert result.kind == "docx"
    assert result.pages is None
    assert result.size == len(sample_docx)
    assert len(result.sha256) == 64
    assert result.warnings == ()
    text = result.text
    assert "文件控制程序" in text
    assert "1 目的：确保文件的编制、审批、发放在受控状态下进行。" in text
    # The merged cell spans two grid columns but its text appears once.
    assert text.count("合并单元格") == 1
    assert "B05 | 文件控制程序 | A" in text
    assert text.count("内表甲") == 1 and "内表乙" in text
    assert "某某科技有限公司 受控文件" in text
    assert "第 1 页" in text
    # Body order: paragraphs, then the table, then the paragraph after it.
    assert text.index("1 目的") < text.index("B05") < text.index("表后段落")
    # Header first, footer last.
    assert text.startswith("某某科技有限公司 受控文件")
    assert text.endswith("第 1 页")


def test_docx_vertical_merge_text_once():
    data = ff.make_docx(
        ["正文"],
        table=[["纵向合并", "甲"], ["", "乙"], ["", "丙"]],
        merge=((0, 0), (2, 0)),
    )
    text = extract_bytes(data, "a.docx", limits=Limits()).text
    assert text.count("纵向合并") == 1
    assert "乙" in text and "丙" in text


def test_docx_header_repeated_across_sections_is_deduplicated():
    data = ff.make_docx(
        ["第一节正文"], header="受控文件页眉", extra_sections=3, repeat_header=True
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        headers = [n for n in zf.namelist() if n.startswith("word/header")]
    assert len(headers) >= 2  # really several header parts
    text = extract_bytes(data, "a.docx", limits=Limits()).text
    assert text.count("受控文件页眉") == 1
    assert "第4节正文" in text


def test_docx_text_boxes_revisions_and_content_controls():
    body = (
        "<w:p><w:r><w:t>正文</w:t></w:r><w:r><w:tab/><w:t>制表</w:t></w:r>"
        "<w:ins><w:r><w:t>插入的文字</w:t></w:r></w:ins>"
        "<w:del><w:r><w:delText>删除的文字</w:delText></w:r></w:del>"
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        "<wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框内容</w:t></w:r></w:p>"
        "</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback>"
        "<w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框内容</w:t>"
        "</w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
        "<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>内容控件</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        '<w:r><w:t xml:space="preserve">尾段  </w:t></w:r></w:p>'
    )
    text = extract_bytes(ff.docx_with_body(body), "a.docx", limits=Limits()).text
    assert text == "正文\t制表插入的文字\n文本框内容\n内容控件\n尾段"


def test_docx_normalisation_nfc_blank_lines_trailing_spaces():
    decomposed = "Cafe\u0301"  # NFC -> "Café"
    data = ff.make_docx(["标题   ", "", "", "", "", decomposed])
    text = extract_bytes(data, "a.docx", limits=Limits()).text
    assert text == "标题\n\nCafé"


def test_docx_with_doctype_and_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    prolog = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    data = ff.docx_with_body("<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>", prolog=prolog)
    with pytest.raises(ExtractionError) as info:
        extract_bytes(data, "a.docx", limits=Limits())
    assert info.value.code == "corrupt"
    assert "TOP-SECRET" not in info.value.message


def test_python_docx_parser_does_not_resolve_external_entities(tmp_path):
    # Defence in depth: even past our DOCTYPE check, python-docx's parser
    # (resolve_entities=False) must not read local files.
    from docx.oxml.parser import parse_xml

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (
        f'<!DOCTYPE w:t [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<w:t xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
        'main">&xxe;</w:t>'
    )
    element = parse_xml(xml.encode())
    from lxml import etree

    assert b"TOP-SECRET" not in etree.tostring(element)
    assert "TOP-SECRET" not in "".join(element.itertext())


def test_docx_deflate_bomb_stopped_by_ratio(docx_bomb):
    assert error_code(docx_bomb, "a.docx") == "bomb"


def test_docx_deflate_bomb_stopped_by_running_total(docx_bomb):
    # Ratio check off: the streamed total alone must stop it.
    code = error_code(
        docx_bomb,
        "a.docx",
        max_uncompressed_bytes=20 * MiB,
        max_member_ratio=10**9,
    )
    assert code == "bomb"


def test_docx_under_the_limits_is_fine():
    data = ff.make_docx(["小文件"])
    assert extract_bytes(data, "a.docx", limits=Limits(max_member_ratio=1)).text


def test_zip_with_lying_central_directory():
    data = ff.make_docx_bomb(3 * MiB)
    liar = ff.lie_about_size(data, "word/document.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(liar)) as zf:
        declared = sum(i.file_size for i in zf.infolist())
    assert declared < 1 * MiB  # the directory claims the package is tiny
    # zipfile stops at the declared size and the CRC no longer matches.
    assert error_code(liar, "a.docx") == "corrupt"


@pytest.mark.parametrize(
    "name",
    ["../evil", "word/../../evil", "/etc/cron.d/evil", "C:/evil", "..\\evil"],
)
def test_zip_with_unsafe_member_name(name):
    data = ff.rebuild_zip(ff.make_docx(["x"]), add=[(name, b"evil")])
    assert error_code(data, "a.docx") == "corrupt"


def test_zip_with_case_folded_duplicate_names():
    data = ff.rebuild_zip(ff.make_docx(["x"]), add=[("WORD/Document.XML", b"<x/>")])
    assert error_code(data, "a.docx") == "corrupt"


def test_zip_with_too_many_members():
    assert error_code(ff.make_docx(["x"]), "a.docx", max_members=3) == "bomb"


def test_legacy_doc_renamed_docx():
    assert error_code(ff.make_ole(), "旧文件.docx") == "unsupported_type"


def test_password_protected_docx_is_encrypted():
    assert error_code(ff.make_ole(encrypted_package=True), "a.docx") == "encrypted"


def test_docm_renamed_docx():
    assert error_code(ff.make_docm_as_docx(), "a.docx") == "macro"


def test_vba_project_alone_is_macro():
    data = ff.rebuild_zip(ff.make_docx(["x"]), add=[("word/vbaProject.bin", b"x")])
    assert error_code(data, "a.docx") == "macro"


def test_docm_extension_is_macro():
    assert error_code(ff.make_docx(["x"]), "a.docm") == "macro"


def test_other_ooxml_renamed_docx():
    data = ff.rebuild_zip(ff.make_docx(["x"]), drop=["word/document.xml"])
    assert error_code(data, "a.docx") == "type_mismatch"


# ------------------------------------------------------------------- PDF


def test_pdf_ascii_text():
    data = ff.make_pdf([["Hello World", "second line."], ["Page two."]])
    result = extract_bytes(data, "report.PDF", limits=Limits())
    assert result.kind == "pdf"
    assert result.pages == 2
    assert result.text == "Hello World second line.\nPage two."
    assert result.warnings == ()


def test_pdf_chinese_lines_are_joined():
    data = ff.make_pdf(
        [
            [
                "文件控制程序",
                "1 目的：为确保本公司管理体系文件的编制、审批、发放、更改和",
                "回收处于受控状态，特制定本程序。",
                "2 范围：本程序适用于本公司与管理体系有关的所有内部文件和外来",
            ],
            ["文件的控制。"],
        ],
        cjk=True,
    )
    result = extract_bytes(data, "b.pdf", limits=Limits())
    # The paragraph running over the page break is joined too.
    assert result.text == (
        "文件控制程序\n"
        "1 目的：为确保本公司管理体系文件的编制、审批、发放、更改和"
        "回收处于受控状态，特制定本程序。\n"
        "2 范围：本程序适用于本公司与管理体系有关的所有内部文件和外来文件的控制。"
    )


def test_pdf_kangxi_radicals_are_mapped_to_ideographs():
    data = ff.make_pdf([["\u2f42件控制"]], cjk=True)  # "⽂" Kangxi radical
    assert extract_bytes(data, "b.pdf", limits=Limits()).text == "文件控制"


def test_pdf_truncated():
    data = ff.make_pdf([["Hello World"]])
    assert error_code(data[: len(data) // 2], "a.pdf") == "corrupt"


def test_pdf_without_text_warns():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    result = extract_bytes(out.getvalue(), "scan.pdf", limits=Limits())
    assert result.text == ""
    assert result.pages == 1
    assert WARNING_NO_TEXT in result.warnings


def test_pdf_encrypted_with_user_password():
    data = ff.encrypt_pdf(ff.make_pdf([["secret"]]), user_password="x")
    assert error_code(data, "a.pdf") == "encrypted"


def test_pdf_encrypted_with_empty_user_password_is_read():
    data = ff.encrypt_pdf(ff.make_pdf([["Owner only"]]), user_password="")
    result = extract_bytes(data, "a.pdf", limits=Limits())
    assert result.text == "Owner only"


def test_pdf_flate_bomb():
    data = ff.make_pdf_flate_bomb(8 * MiB)
    assert error_code(data, "a.pdf", max_uncompressed_bytes=1 * MiB) == "bomb"


def test_pdf_too_many_pages():
    data = ff.make_pdf([["one"], ["two"], ["three"]])
    assert error_code(data, "a.pdf", max_pages=2) == "too_large"
    assert extract_bytes(data, "a.pdf", limits=Limits(max_pages=3)).pages == 3


def test_text_truncated_with_warning():
    data = ff.make_pdf([["0123456789 " * 10]])
    result = extract_bytes(data, "a.pdf", limits=Limits(max_text_chars=25))
    assert len(result.text) == 25
    assert WARNING_TEXT_TRUNCATED in result.warnings


# --------------------------------------------------------- type sniffing


def test_sniff_kind_ok(sample_docx):
    assert sniff_kind(sample_docx, "x.DocX") == "docx"
    assert sniff_kind(ff.make_pdf([["a"]]), "dir/文件.Pdf") == "pdf"
    assert sniff_kind(b"\n\n%PDF-1.4 junk", "a.pdf") == "pdf"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "a.pdf", "empty"),
        (b"MZ\x90\x00" + b"\x00" * 200 + b"%PDF-1.7", "invoice.pdf", "type_mismatch"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "a.pdf", "type_mismatch"),
        (b"#!/bin/sh\nrm -rf /\n", "a.pdf", "type_mismatch"),
        (
            b"<html><body><script>alert(1)</script><!-- %PDF-1.4 --></body></html>",
            "a.pdf",
            "type_mismatch",
        ),
        (b"\xef\xbb\xbf  <!DOCTYPE html><script>x</script>", "a.pdf", "type_mismatch"),
        (b"just some text", "a.pdf", "type_mismatch"),
        (b"%PDF-1.7\n", "a.docx", "type_mismatch"),
        (ff.OLE_MAGIC + b"\x00" * 600, "a.pdf", "type_mismatch"),
        (ff.OLE_MAGIC + b"\x00" * 600, "a.doc", "unsupported_type"),
        (b"%PDF-1.7\n", "a.txt", "unsupported_type"),
        (b"%PDF-1.7\n", "noextension", "unsupported_type"),
        (b"PK\x03\x04 not really a zip", "a.docx", "corrupt"),
    ],
)
def test_hostile_types(data, filename, code):
    with pytest.raises(ExtractionError) as info:
        sniff_kind(data, filename)
    assert info.value.code == code
    assert error_code(data, filename) == code


def test_docx_renamed_pdf(sample_docx):
    assert error_code(sample_docx, "a.pdf") == "type_mismatch"


# ------------------------------------------------------------ size guards


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(ExtractionError) as info:
        extract_file(path, limits=Limits())
    assert info.value.code == "empty"


def test_bytes_over_max_file_bytes():
    data = ff.make_pdf([["Hello"]])
    assert error_code(data, "a.pdf", max_file_bytes=len(data) - 1) == "too_large"


def test_file_over_max_file_bytes_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as fh:  # sparse: no real disk use
        fh.truncate(60 * MiB)

    def no_open(*args, **kwargs):
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr(extraction, "open", no_open, raising=False)
    for extract in (extract_file, extract_file_isolated):
        with pytest.raises(ExtractionError) as info:
            extract(path, limits=Limits())
        assert info.value.code == "too_large"


def test_extract_file_reads_and_uses_filename(tmp_path):
    path = tmp_path / "upload.tmp"
    path.write_bytes(ff.make_pdf([["Hello"]]))
    with pytest.raises(ExtractionError) as info:
        extract_file(path, limits=Limits())
    assert info.value.code == "unsupported_type"
    assert extract_file(path, limits=Limits(), filename="a.pdf").text == "Hello"


# ------------------------------------------------------------ CJK re-flow


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # CJK + CJK: concatenated, no space.
        (
            ["文件控制程序的目的是确保文件", "得到有效控制"],
            "文件控制程序的目的是确保文件得到有效控制",
        ),
        # ASCII word + ASCII word: one space.
        (["This is an English", "sentence"], "This is an English sentence"),
        (["ISO 9001", "2015 edition"], "ISO 9001 2015 edition"),
        # CJK next to ASCII: no space added.
        (["对公司", "IT 服务"], "对公司IT 服务"),
        (["发布分发(distribution)和", "安装"], "发布分发(distribution)和安装"),
        # Sentence-final punctuation keeps the break.
        (["文件控制。", "记录控制。"], "文件控制。\n记录控制。"),
        (["发放须审批；", "回收须登记"], "发放须审批；\n回收须登记"),
        (["适用范围：", "本程序适用于"], "适用范围：\n本程序适用于"),
        (["他说：“完成了。”", "然后离开"], "他说：“完成了。”\n然后离开"),
        # Headings and numbered items start a new line.
        # (the space inside "第一章 总则" goes too: it sits between two CJK
        # characters, where a PDF cannot tell typed spaces from layout gaps)
        (
            ["第一章 总则", "第一条 为规范文件管理，", "制定本程序。"],
            "第一章总则\n第一条为规范文件管理，制定本程序。",
        ),
        (
            ["4.2 文件的编写", "4.2.1 文件编写权限"],
            "4.2 文件的编写\n4.2.1 文件编写权限",
        ),
        (["（一）文件", "（二）记录"], "（一）文件\n（二）记录"),
        (["一、目的", "二、范围"], "一、目的\n二、范围"),
        (["a) 第一项", "b) 第二项"], "a) 第一项\nb) 第二项"),
        (["1、准备", "2、实施"], "1、准备\n2、实施"),
        (["项目一", "• 项目二"], "项目一\n• 项目二"),
        (["\uf0a7 发布政策", "\uf0a7 测试"], "• 发布政策\n• 测试"),
        (["1 目的", "为确保文件受控"], "1 目的\n为确保文件受控"),
        # A line starting with closing punctuation always joins.
        (["签字手续齐全", "；禁止涂改"], "签字手续齐全；禁止涂改"),
        # A number broken after its dot, and a hyphenated word.
        (["详见 4.1.", "3条执行"], "详见 4.1.3条执行"),
        (["a well-", "known rule"], "a well-known rule"),
        # Blank lines are paragraph breaks.
        (["段落一", "", "段落二"], "段落一\n\n段落二"),
        (["", "段落一", "", "", "段落二", ""], "段落一\n\n段落二"),
        (["See the manual.", "Then sign it."], "See the manual.\nThen sign it."),
        # Spaces between CJK characters inside a line are removed.
        (["文 件 控 制 程 序"], "文件控制程序"),
        (["目的： 对公司"], "目的：对公司"),
        # ... but not column gaps, nor spaces next to ASCII.
        (["审核    批准"], "审核    批准"),
        (["对公司 IT 服务 2022 年"], "对公司 IT 服务 2022 年"),
        ([], ""),
    ],
)
def test_join_pdf_lines(lines, expected):
    assert join_pdf_lines(lines) == expected


def test_join_pdf_lines_short_line_ends_paragraph():
    full = "本公司建立文件控制程序以确保所有受控文件的编制审批发放更改均"
    lines = [
        full,
        "处于受控状态并能及时获得有效版本",  # short: end of paragraph
        full,
        "在使用场所得到适用文件的有效版本",
    ]
    assert join_pdf_lines(lines) == (
        full
        + "处于受控状态并能及时获得有效版本\n"
        + full
        + "在使用场所得到适用文件的有效版本"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("文 件", "文件"),
        ("文\u3000件", "文件"),
        ("文  件", "文件"),
        ("文   件", "文   件"),
        ("A B", "A B"),
        ("版本：A", "版本：A"),
    ],
)
def test_squeeze_cjk_spaces(line, expected):
    assert squeeze_cjk_spaces(line) == expected


# ---------------------------------------------------------- isolated mode


def test_isolated_matches_in_process(tmp_path, sample_docx):
    docx_path = tmp_path / "样本.docx"
    docx_path.write_bytes(sample_docx)
    pdf_path = tmp_path / "upload.bin"
    pdf_path.write_bytes(
        ff.make_pdf([["文件控制程序", "1 目的：确保文件受控。"]], cjk=True)
    )
    assert extract_file_isolated(docx_path, limits=Limits()) == extract_file(
        docx_path, limits=Limits()
    )
    isolated = extract_file_isolated(pdf_path, limits=Limits(), filename="b.pdf")
    assert isolated == extract_file(pdf_path, limits=Limits(), filename="b.pdf")
    assert isolated.text == "文件控制程序\n1 目的：确保文件受控。"


def test_isolated_bomb(tmp_path, docx_bomb):
    path = tmp_path / "bomb.docx"
    path.write_bytes(docx_bomb)
    with pytest.raises(ExtractionError) as info:
        extract_file_isolated(path, limits=Limits(max_uncompressed_bytes=20 * MiB))
    assert info.value.code == "bomb"


def test_isolated_pdf_bomb_with_default_limits(tmp_path):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(ff.make_pdf_flate_bomb(80_000_000))
    with pytest.raises(ExtractionError) as info:
        extract_file_isolated(path, limits=Limits())
    assert info.value.code == "bomb"


def test_isolated_memory_rlimit(tmp_path, monkeypatch):
    # Ratio guard off and 100 MiB under the total, so only RLIMIT_AS can stop
    # python-docx from loading the 100 MiB document.xml.
    path = tmp_path / "big.docx"
    path.write_bytes(ff.make_docx_bomb(100 * MiB))
    seen = []
    real_run = subprocess.run

    def spy(*args, **kwargs):
        proc = real_run(*args, **kwargs)
        seen.append(proc)
        return proc

    monkeypatch.setattr(extraction.subprocess, "run", spy)
    limits = Limits(memory_bytes=128 * MiB, max_member_ratio=10**9)
    with pytest.raises(ExtractionError) as info:
        extract_file_isolated(path, limits=limits)
    assert info.value.code == "bomb"
    assert len(seen) == 1
    # The streaming guards alone accept this file: the memory limit refused it.
    extraction._validate_zip(path.read_bytes(), limits)


def test_isolated_error_is_retranslated_in_parent(tmp_path, monkeypatch):
    path = tmp_path / "a.pdf"
    path.write_bytes(b"MZ" + b"\0" * 100)
    monkeypatch.setattr(extraction, "message_for", lambda code: f"[parent] {code}")
    with pytest.raises(ExtractionError) as info:
        extract_file_isolated(path, limits=Limits())
    assert info.value.code == "type_mismatch"
    assert info.value.message == "[parent] type_mismatch"


def test_isolated_wall_clock_timeout(tmp_path, monkeypatch):
    path = tmp_path / "a.pdf"
    path.write_bytes(ff.make_pdf([["x"]]))

    def slow(cmd, **kwargs):
        assert kwargs["timeout"] >= 1
        assert kwargs["preexec_fn"] is not None
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(extraction.subprocess, "run", slow)
    with pytest.raises(ExtractionError) as info:
        extract_file_isolated(path, limits=Limits(timeout_seconds=1))
    assert info.value.code == "timeout"


@pytest.mark.parametrize(
    ("returncode", "stderr", "code"),
    [
        (-signal.SIGXCPU, b"", "timeout"),
        (-signal.SIGKILL, b"", "bomb"),
        (-signal.SIGSEGV, b"", "bomb"),
        (1, b"Traceback ...\nMemoryError\n", "bomb"),
    ],
)
def test_child_death_is_mapped(returncode, stderr, code):
    proc = subprocess.CompletedProcess([], returncode, stdout=b"", stderr=stderr)
    with pytest.raises(ExtractionError) as info:
        extraction._parse_child_output(proc)
    assert info.value.code == code


def test_child_crash_without_cause_is_not_blamed_on_the_file():
    proc = subprocess.CompletedProcess(
        [], 1, stdout=b"", stderr=b"ModuleNotFoundError: No module named 'x'"
    )
    with pytest.raises(RuntimeError):
        extraction._parse_child_output(proc)


# ------------------------------------------------------ messages, settings


def test_every_code_has_a_message():
    messages = {code: message_for(code) for code in ERROR_CODES}
    assert all(messages.values())
    assert len(set(messages.values())) == len(ERROR_CODES)
    with translation.override("en"):
        assert message_for("encrypted") == (
            "The file is encrypted; remove the password and upload it again."
        )
    assert ExtractionError("empty").message == message_for("empty")
    assert str(ExtractionError("bomb", "custom")) == "custom"


def test_limits_from_settings(monkeypatch):
    monkeypatch.setattr(settings, "SHOUKONG_EXTRACT_MAX_FILE_BYTES", 123, raising=False)
    monkeypatch.setattr(settings, "SHOUKONG_EXTRACT_TIMEOUT_SECONDS", 7, raising=False)
    limits = Limits.from_settings()
    assert limits.max_file_bytes == 123
    assert limits.timeout_seconds == 7
    assert limits.max_member_ratio == Limits().max_member_ratio


def test_default_limits():
    limits = Limits()
    assert limits.max_file_bytes == 50 * MiB
    assert limits.max_uncompressed_bytes == 200 * MiB
    assert limits.max_member_ratio == 200
    assert limits.max_members == 5000
    assert limits.max_text_chars == 5_000_000
    assert limits.timeout_seconds == 60
    assert limits.memory_bytes == 1024 * MiB
