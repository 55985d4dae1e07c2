"""Snippets and highlighted titles: the words around the match, escaped, the
matches marked, the text shown as written."""

from __future__ import annotations

from django.utils.safestring import SafeString

from search.analysis import parse_query
from search.snippets import SNIPPET_CHARS, highlight, snippet


def q(raw: str):
    return parse_query(raw)


class TestHighlight:
    def test_marks_every_match(self):
        assert (
            highlight("文件发放、回收记录", q("发放"))
            == "文件<mark>发放</mark>、回收记录"
        )
        assert (
            highlight("文件和文件", q("文件")) == "<mark>文件</mark>和<mark>文件</mark>"
        )

    def test_a_phrase_is_marked_whole(self):
        assert highlight("受控文件清单", q("受控文件")) == "<mark>受控文件</mark>清单"

    def test_several_words(self):
        assert highlight("文件控制程序", q("文件 程序")) == (
            "<mark>文件</mark>控制<mark>程序</mark>"
        )

    def test_escapes_html(self):
        out = highlight("<script>alert(1)</script>文件", q("文件"))
        assert isinstance(out, SafeString)
        assert "<script>" not in out
        assert out == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>文件</mark>"

    def test_query_html_is_not_injected(self):
        out = highlight("a<b>文件", q("<b>"))
        assert "<b>" not in out

    def test_ascii_matches_ignore_case_and_keep_it(self):
        assert highlight("SLA管理", q("sla")) == "<mark>SLA</mark>管理"

    def test_full_width_text_is_matched_and_shown_as_written(self):
        assert highlight("ＳＬＡ管理", q("sla")) == "<mark>ＳＬＡ</mark>管理"

    def test_text_whose_folding_changes_length_is_shown_as_written(self):
        # …… folds to six dots: the title is still shown as written.
        assert highlight("SLA管理……ITSMS-P05", q("sla p05")) == (
            "<mark>SLA</mark>管理……ITSMS-<mark>P05</mark>"
        )
        assert highlight("™ SLA ™", q("sla")) == "™ <mark>SLA</mark> ™"

    def test_whitespace_is_collapsed(self):
        assert highlight("文件\n\n  控制", q("控制")) == "文件 <mark>控制</mark>"

    def test_no_query_no_marks(self):
        assert highlight("文件控制程序", q("")) == "文件控制程序"
        assert highlight("", q("文件")) == ""
        assert highlight(None, q("文件")) == ""


class TestSnippet:
    def test_around_the_first_match(self):
        text = "甲" * 500 + "文件发放" + "乙" * 500
        out = snippet(text, q("发放"))
        assert "<mark>发放</mark>" in out
        assert out.startswith("…") and out.endswith("…")
        shown = out.replace("<mark>", "").replace("</mark>", "").strip("…")
        assert len(shown) <= SNIPPET_CHARS
        assert shown.index("发放") <= SNIPPET_CHARS // 3 + 2

    def test_start_of_text_when_nothing_matches(self):
        text = "本程序规定文件的编制。" * 30
        out = snippet(text, q("火星"))
        assert out.startswith("本程序规定")
        assert "<mark>" not in out
        assert out.endswith("…")

    def test_short_text_whole(self):
        assert snippet("受控文件的发放", q("发放")) == "受控文件的<mark>发放</mark>"

    def test_empty_text(self):
        assert snippet("", q("文件")) == ""
        assert snippet("  \n ", q("文件")) == ""
        assert snippet(None, q("文件")) == ""

    def test_escapes_html(self):
        out = snippet('<img src=x onerror="alert(1)">受控文件', q("文件"))
        assert "<img" not in out
        assert "&lt;img" in out and "<mark>文件</mark>" in out

    def test_full_width_text_far_in(self):
        text = "甲" * 300 + "服务级别ＳＬＡ管理" + "乙" * 300
        out = snippet(text, q("sla"))
        assert "<mark>ＳＬＡ</mark>" in out

    def test_shown_as_written_when_folding_changes_length(self):
        out = snippet("服务级别SLA管理……见ITSMS-P05第8.5.1条", q("8.5.1"))
        assert out == "服务级别SLA管理……见ITSMS-P05第<mark>8.5.1</mark>条"

    def test_the_longest_phrase_decides_the_window(self):
        text = "文件" + "甲" * 400 + "受控文件清单"
        out = snippet(text, q("受控文件"))
        assert "<mark>受控文件</mark>清单" in out

    def test_long_extracted_text(self):
        text = ("丙" * 99 + "\n") * 4000 + "应急预案演练记录"
        out = snippet(text, q("应急预案"))
        assert "<mark>应急预案</mark>" in out
        assert out.startswith("…") and not out.endswith("…")
