"""Tests for documents.stamping: rendering an issue's PDF and stamping copies.

Pure: no database. Run both with the TrueType CJK font this machine has (if
any) and with reportlab's built-in CID font (``cid_font`` fixture).
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.errors import FileNotDecryptedError
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.pdfgen.canvas import Canvas

from documents.stamping import (
    MARKS,
    StampingError,
    font_info,
    fonts,
    render_issue_pdf,
    stamp_pdf,
)
from documents.stamping.html import html_to_blocks
from documents.stamping.stamp import footer_text

ISSUE = {
    "number": "ZX-QP-07",
    "title": "文件控制程序",
    "label": "C",
    "department": "质量部",
    "publish_date": date(2026, 11, 1),
    "effective_date": date(2026, 11, 23),
}
COPY = {
    "copy_label": "受控02",
    "holder": "技术部 张伟",
    "number": "ZX-QP-07",
    "label": "C",
    "effective_date": date(2026, 11, 23),
}
RICH_TEXT = (
    "<h2>1 目的</h2>"
    "<p>为规范<b>文件控制</b>，特制定本程序。"
    '<a href="https://example.com/iso">ISO/IEC 20000-1</a><br/>第二行</p>'
    "<h3>2 范围</h3>"
    "<ul><li>第一项<ul><li>嵌套项</li></ul></li><li>第二项</li></ul>"
    "<ol><li>编制</li><li>审核</li></ol>"
    "<table><tr><th>角色</th><th>职责</th></tr>"
    "<tr><td>文控</td><td>发放与回收</td></tr></table>"
    "<h4>3 职责</h4><p><i>总经理</i>批准。</p>"
)


def squeeze(text: str) -> str:
    """``text`` without any whitespace: extraction may add or drop spaces."""
    return "".join(text.split())


def page_texts(pdf: bytes, password: str | None = None) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    if password is not None:
        assert reader.decrypt(password)
    return [squeeze(page.extract_text()) for page in reader.pages]


def make_pdf(
    sizes: list[tuple[float, float]], rotations: list[int] | None = None
) -> bytes:
    """A PDF with one page per size, ``BODY n`` on page n, optionally rotated."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for number, size in enumerate(sizes, start=1):
        canvas.setPageSize(size)
        canvas.setFont("Helvetica", 12)
        canvas.drawString(40, 40, f"BODY {number}")
        canvas.showPage()
    canvas.save()
    if not rotations:
        return buffer.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    for page, rotation in zip(writer.pages, rotations, strict=True):
        if rotation:
            page.rotate(rotation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def cid_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the machine has no CJK font and nothing is configured."""
    monkeypatch.setattr(fonts, "_cache", {})
    monkeypatch.setattr(fonts, "_configured_font", lambda: None)
    monkeypatch.setattr(fonts, "discover_system_fonts", lambda: [])


@pytest.fixture
def fresh_font_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_cache", {})


# -- rendering -------------------------------------------------------------------


def test_render_from_rich_text_with_chinese() -> None:
    pdf = render_issue_pdf(**ISSUE, body_html=RICH_TEXT, text="不用的纯文本")
    assert pdf.startswith(b"%PDF-")
    text = "".join(page_texts(pdf))
    for expected in (
        "ZX-QP-07",
        "文件控制程序",
        "质量部",
        "2026-11-01",
        "2026-11-23",
        "1目的",
        "为规范文件控制，特制定本程序。",
        "ISO/IEC20000-1",
        "第二行",
        "嵌套项",
        "第二项",
        "审核",
        "发放与回收",
        "总经理批准。",
    ):
        assert expected in text
    assert "不用的纯文本" not in text


def test_render_from_plain_text_over_several_pages() -> None:
    lines = [f"第{n}条 文件应在发布前审核和批准。" for n in range(1, 121)]
    pdf = render_issue_pdf(**ISSUE, body_html="<p> </p>", text="\n".join(lines))
    texts = page_texts(pdf)
    assert len(texts) > 1
    joined = "".join(texts)
    assert "第1条文件应在发布前审核和批准。" in joined
    assert "第120条文件应在发布前审核和批准。" in joined
    # The running header is on every page.
    assert all("ZX-QP-07" in text for text in texts)


def test_render_without_any_text_still_has_the_cover() -> None:
    texts = page_texts(render_issue_pdf(**ISSUE))
    assert len(texts) == 1
    assert "ZX-QP-07" in texts[0]
    assert "文件控制程序" in texts[0]


def test_render_returns_the_uploaded_pdf_without_a_cover() -> None:
    source = make_pdf([A4, A4])
    pdf = render_issue_pdf(**ISSUE, body_html=RICH_TEXT, source_pdf=source)
    texts = page_texts(pdf)
    assert texts == ["BODY1", "BODY2"]


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert('恶意')</script><style>p{}</style><p>正文内容",
        "<p><b><i>未闭合<ul><li>列表项<table><tr><td>单元格",
        "</b></ul></table></td></li><p>多余的结束标签</p></i>",
        "<ul><li>" * 1500 + "很深的列表",
        "<ol>" + "<li>项目<ol><li>子项目</li></ol>" * 80,
        '<a href="javascript:alert(1)">坏链接</a><img src=x onerror=alert(1) alt="图">',
        "<p>控制字符\x00\x01\x1b 孤立代理\ud800 表情😀 扩展B𠀀</p>",
        "<<<>>>&&&;<p <b>>&lt;b&gt;不是标签&lt;/b&gt;",
        "<table><tr>" + "<td>很宽的表格</td>" * 40 + "</tr></table>",
        "<table><tr><td>" + "<p>很高的单元格</p>" * 70 + "</td></tr></table>",
        "<table><tr><td><table><tr><td>嵌套表格</td></tr></table></td></tr></table>",
        "<pre>  代码\n    缩进</pre><blockquote><blockquote>引用</blockquote>",
        "<head><title>标题</title><p>头部之后",
        "<h2>" + "很长的标题" * 200 + "</h2>" + "x" * 5000,
    ],
)
def test_hostile_html_does_not_crash(html: str) -> None:
    pdf = render_issue_pdf(**ISSUE, body_html=html)
    text = "".join(page_texts(pdf))
    assert "ZX-QP-07" in text
    assert "alert" not in text
    assert "恶意" not in text


def test_html_is_escaped_and_balanced_for_reportlab() -> None:
    blocks = html_to_blocks(
        '<p><b>粗<i>粗斜</b>斜</i> &lt;x&gt; <a href="javascript:x()">链</a>'
        '<a href="https://e.com/?a=1&amp;b=2">好链</a></p>'
        "<script>坏</script><p>后</p>"
    )
    assert [block.kind for block in blocks] == ["p", "p"]
    markup = blocks[0].markup
    assert "&lt;x&gt;" in markup
    assert "javascript" not in markup
    assert 'href="https://e.com/?a=1&amp;b=2"' in markup
    assert markup.count("<b>") == markup.count("</b>")
    assert markup.count("<i>") == markup.count("</i>")
    assert blocks[1].plain == "后"


def test_lists_keep_their_depth_and_numbers() -> None:
    blocks = html_to_blocks(
        '<ol start="3"><li>三<ul><li>子</li></ul>续</li><li>四</li></ol>'
    )
    assert [(b.plain, b.depth, b.bullet) for b in blocks] == [
        ("三", 1, "3."),
        ("子", 2, "○"),
        ("续", 1, ""),
        ("四", 1, "4."),
    ]


# -- stamping --------------------------------------------------------------------


def test_controlled_copy_is_stamped_on_every_page() -> None:
    source = make_pdf([A4, landscape(A4), A5, (300, 200), A4], [0, 0, 0, 0, 90])
    stamped = stamp_pdf(source, mark="controlled", **COPY)
    texts = page_texts(stamped)
    assert len(texts) == 5
    pieces = footer_text(mark="controlled", **COPY)
    for number, text in enumerate(texts, start=1):
        assert f"BODY{number}" in text
        for expected in ("受控文件", "受控02", "技术部张伟", "ZX-QP-07", "2026-11-23"):
            assert expected in text
        for piece in pieces:
            assert squeeze(piece) in text
    assert any(squeeze(piece).endswith("C") for piece in pieces)
    assert "非受控" not in "".join(texts)


def test_stamped_rendered_issue() -> None:
    pdf = render_issue_pdf(**ISSUE, body_html=RICH_TEXT)
    stamped = stamp_pdf(pdf, mark="controlled", **{**COPY, "copy_label": "受控01"})
    texts = page_texts(stamped)
    assert all("受控文件受控01" in text for text in texts)
    assert "为规范文件控制" in texts[0]


def _visual_position(pdf: bytes, needle: str) -> list[tuple[float, float]]:
    """Where ``needle`` is drawn on each page, as a fraction of what one sees.

    (0, 0) is the bottom left and (1, 1) the top right of the displayed page.
    """
    positions = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[float, float]] = []

        def visit(text, cm, tm, _font, _size, found=found):
            if needle in text and not found:
                x, y = tm[4], tm[5]
                found.append(
                    (
                        x * cm[0] + y * cm[2] + cm[4],
                        x * cm[1] + y * cm[3] + cm[5],
                    )
                )

        page.extract_text(visitor_text=visit)
        assert found, f"{needle} not drawn"
        x, y = found[0]
        box = page.cropbox
        x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
        rotation = page.rotation % 360
        if rotation == 90:
            vx, vy, vw, vh = y - y0, x1 - x, y1 - y0, x1 - x0
        elif rotation == 180:
            vx, vy, vw, vh = x1 - x, y1 - y, x1 - x0, y1 - y0
        elif rotation == 270:
            vx, vy, vw, vh = y1 - y, x - x0, y1 - y0, x1 - x0
        else:
            vx, vy, vw, vh = x - x0, y - y0, x1 - x0, y1 - y0
        positions.append((vx / vw, vy / vh))
    return positions


def test_stamp_sits_top_right_on_rotated_and_offset_pages() -> None:
    source = make_pdf([A4, A4, A4, landscape(A4)], [0, 90, 180, 270])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    # A crop box away from the origin.
    writer.pages[0].cropbox.lower_left = (50, 60)
    writer.pages[0].cropbox.upper_right = (450, 700)
    buffer = io.BytesIO()
    writer.write(buffer)
    stamped = stamp_pdf(buffer.getvalue(), mark="controlled", **COPY)
    for x, y in _visual_position(stamped, "受控02"):
        assert x > 0.6
        assert y > 0.8


def test_obsolete_copy_is_marked_void() -> None:
    stamped = stamp_pdf(make_pdf([A4, A4]), mark="obsolete", **COPY)
    for text in page_texts(stamped):
        assert "作废" in text
        assert "受控02" in text
    # The diagonal watermark is translucent.
    resources = PdfReader(io.BytesIO(stamped)).pages[0]["/Resources"]
    states = [state.get_object() for state in resources["/ExtGState"].values()]
    assert any(float(state.get("/ca", 1)) < 0.5 for state in states)


def test_uncontrolled_copy_says_so_on_every_page() -> None:
    stamped = stamp_pdf(
        make_pdf([A4, A4, A4]),
        mark="uncontrolled",
        **{**COPY, "copy_label": "", "holder": "", "effective_date": None},
    )
    for text in page_texts(stamped):
        assert "非受控" in text
        assert "受控文件" not in text
        assert "ZX-QP-07" in text


def test_password_encrypts_with_aes_256() -> None:
    stamped = stamp_pdf(
        make_pdf([A4, A4]), mark="controlled", password="s3cret", **COPY
    )
    reader = PdfReader(io.BytesIO(stamped))
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)  # AES-256
    texts = page_texts(stamped, password="s3cret")
    assert all("受控02" in text and "技术部张伟" in text for text in texts)

    wrong = PdfReader(io.BytesIO(stamped))
    assert not wrong.decrypt("wrong")
    with pytest.raises(FileNotDecryptedError):
        wrong.pages[0].extract_text()


def test_without_password_not_encrypted() -> None:
    stamped = stamp_pdf(make_pdf([A4]), mark="controlled", **COPY)
    assert not PdfReader(io.BytesIO(stamped)).is_encrypted


def test_overlays_are_shared_and_output_stays_small() -> None:
    source = make_pdf([A4] * 20)
    stamped = stamp_pdf(source, mark="controlled", **COPY)
    assert len(PdfReader(io.BytesIO(stamped)).pages) == 20
    # One embedded font subset and compressed contents, not 20 copies.
    assert len(stamped) < len(source) + 20 * 2000


def test_input_is_not_mutated() -> None:
    source = bytearray(make_pdf([A4]))
    before = bytes(source)
    stamp_pdf(source, mark="obsolete", **COPY)
    render_issue_pdf(**ISSUE, source_pdf=bytes(source))
    assert bytes(source) == before


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage, not a PDF", b"%PDF-1.7\n1 0 obj <<", make_pdf([A4])[:200]],
)
def test_unreadable_pdf_raises_stamping_error(data: bytes) -> None:
    with pytest.raises(StampingError) as raised:
        stamp_pdf(data, mark="controlled", **COPY)
    assert raised.value.message
    with pytest.raises(StampingError):
        render_issue_pdf(**ISSUE, source_pdf=data)


def test_password_protected_source_raises_stamping_error() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([A4]))))
    writer.encrypt(user_password="open", owner_password="own", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(StampingError):
        render_issue_pdf(**ISSUE, source_pdf=buffer.getvalue())
    with pytest.raises(StampingError):
        stamp_pdf(buffer.getvalue(), mark="controlled", **COPY)


def test_restrictions_only_source_is_accepted() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([A4]))))
    writer.encrypt(user_password="", owner_password="own", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = render_issue_pdf(**ISSUE, source_pdf=buffer.getvalue())
    assert not PdfReader(io.BytesIO(pdf)).is_encrypted
    assert "受控02" in page_texts(stamp_pdf(pdf, mark="controlled", **COPY))[0]


def test_unknown_mark_is_refused() -> None:
    with pytest.raises(StampingError):
        stamp_pdf(make_pdf([A4]), mark="secret", **COPY)
    assert set(MARKS) == {"controlled", "uncontrolled", "obsolete"}


# -- fonts -----------------------------------------------------------------------


def test_font_info_describes_the_font() -> None:
    info = font_info()
    assert {"name", "path", "embedded", "source", "problems"} <= set(info)
    if info["embedded"]:
        assert info["source"] in {"setting", "system"}
        assert info["path"]
    else:
        assert info == {**info, "name": "STSong-Light", "path": None}


def test_cid_fallback_still_gives_extractable_chinese(cid_font: None) -> None:
    info = font_info()
    assert info["name"] == fonts.CID_FALLBACK_FONT
    assert info["embedded"] is False
    assert info["source"] == "builtin"
    pdf = render_issue_pdf(**ISSUE, body_html=RICH_TEXT + "<p>表情😀</p>")
    text = "".join(page_texts(pdf))
    assert "为规范文件控制，特制定本程序。" in text
    assert "表情〓" in text  # beyond U+FFFF: the missing-character mark
    stamped = stamp_pdf(pdf, mark="obsolete", **COPY)
    for text in page_texts(stamped):
        assert "作废受控02" in text
        assert "技术部张伟" in text


def test_system_font_is_embedded_when_present(fresh_font_cache: None) -> None:
    found = fonts.discover_system_fonts()
    if not found:
        pytest.skip("no TrueType CJK font on this machine")
    info = font_info()
    assert info["embedded"] is True
    stamped = stamp_pdf(make_pdf([A4]), mark="controlled", **COPY)
    page_fonts = PdfReader(io.BytesIO(stamped)).pages[0]["/Resources"]["/Font"]
    descriptors = [
        font.get_object().get("/FontDescriptor") for font in page_fonts.values()
    ]
    assert any(d is not None and "/FontFile2" in d.get_object() for d in descriptors)


def test_unusable_configured_fonts_fall_back(
    settings, tmp_path, monkeypatch: pytest.MonkeyPatch, fresh_font_cache: None
) -> None:
    monkeypatch.setattr(fonts, "discover_system_fonts", lambda: [])
    cff = tmp_path / "NotoSansCJK-Regular.otf"
    cff.write_bytes(b"OTTO" + b"\0" * 64)
    settings.SHOUKONG_PDF_FONT = str(cff)
    info = font_info()
    assert info["source"] == "builtin"
    assert any("NotoSansCJK" in problem for problem in info["problems"])

    settings.SHOUKONG_PDF_FONT = str(tmp_path / "missing.ttf")
    info = font_info()
    assert info["source"] == "builtin"
    assert any("missing.ttf" in problem for problem in info["problems"])
    # Still usable.
    stamped = stamp_pdf(make_pdf([A4]), mark="controlled", **COPY)
    assert "受控02" in page_texts(stamped)[0]


def test_configured_font_is_used(settings, fresh_font_cache: None) -> None:
    found = fonts.discover_system_fonts()
    if not found:
        pytest.skip("no TrueType CJK font on this machine")
    path, index = found[0]
    settings.SHOUKONG_PDF_FONT = (path, index)
    info = font_info()
    assert (info["source"], info["path"], info["embedded"]) == ("setting", path, True)
