"""Text analysis: the same terms when indexing and when querying, for Chinese,
English, numbers and codes, and a query parser that takes anything."""

from __future__ import annotations

import pytest

from search import analysis
from search.analysis import (
    MAX_QUERY_LENGTH,
    MAX_QUERY_TERMS,
    MAX_TERM_LENGTH,
    Slot,
    normalise,
    parse_query,
    term_counts,
    terms,
)


def t(text: str) -> list[str]:
    return list(terms(text))


def slots(raw: str) -> list[Slot]:
    return parse_query(raw).slots


class TestChinese:
    def test_a_run_becomes_overlapping_pairs(self):
        assert t("受控文件") == ["受控", "控文", "文件"]

    def test_a_two_character_word_is_one_term(self):
        assert t("发放") == ["发放"]

    def test_a_lone_character_stays_one_term(self):
        assert t("发") == ["发"]
        assert t("发 放") == ["发", "放"]

    def test_punctuation_splits_runs(self):
        assert t("文件发放、回收记录") == [
            "文件",
            "件发",
            "发放",
            "回收",
            "收记",
            "记录",
        ]

    def test_repetitions_are_kept_and_counted(self):
        assert term_counts("文件，文件") == {"文件": 2}

    def test_chinese_is_never_folded(self):
        # Traditional and simplified characters stay different terms.
        assert t("發放") == ["發放"]
        assert t("發放") != t("发放")
        assert normalise("發放文件") == "發放文件"

    def test_compatibility_ideographs_become_the_usual_ones(self):
        assert normalise("\uf900") == "\u8c48"
        assert t("\uf900\uf901") == ["\u8c48\u66f4"]

    def test_extension_characters_are_chinese_too(self):
        assert t("\U00020000\U00020001") == ["\U00020000\U00020001"]


class TestMixedText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("SLA管理", ["sla", "管理"]),
            ("B05", ["b05"]),
            ("ITSMS-P05", ["itsms-p05", "itsms", "p05"]),
            ("D0201-2026112201", ["d0201-2026112201", "d0201", "2026112201"]),
            ("8.5.1", ["8.5.1"]),
            ("IA-2026-01-07", ["ia-2026-01-07", "ia", "2026", "01", "07"]),
            (
                "见ITSMS-P05第8.5.1条",
                ["见", "itsms-p05", "itsms", "p05", "第", "8.5.1", "条"],
            ),
            ("service_desk/v2", ["service_desk/v2", "service", "desk", "v2"]),
        ],
    )
    def test_words_and_codes(self, text, expected):
        assert t(text) == expected

    @pytest.mark.parametrize(
        ("full_width", "expected"),
        [
            ("ＳＬＡ", ["sla"]),
            ("Ｂ０５", ["b05"]),
            ("ｉｔｓｍｓ－ｐ０５", ["itsms-p05", "itsms", "p05"]),
            ("Ｄ０２０１－２０２６１１２２０１", t("D0201-2026112201")),
        ],
    )
    def test_full_width_is_nfkc_normalised(self, full_width, expected):
        assert t(full_width) == expected

    def test_lower_case(self):
        assert t("SLA Service") == ["sla", "service"]

    def test_syntax_characters_are_separators(self):
        assert t('"受控" * : ( ) NEAR OR -- ;') == ["受控", "near", "or"]
        assert t("a' OR '1'='1") == ["a", "or", "1", "1"]

    def test_emoji_and_control_characters_are_not_terms(self):
        assert t("😀🎉") == []
        assert t("\x00文件\x1f发放\u200b") == ["文件", "发放"]
        assert normalise("a\x00b\nc") == "a b c"

    def test_long_words_are_cut(self):
        found = t("x" * 100 + " " + "ab-" * 40)
        assert found and all(0 < len(term) <= MAX_TERM_LENGTH for term in found)
        assert found[0] == "x" * MAX_TERM_LENGTH

    def test_empty_text(self):
        assert t("") == []
        assert normalise("") == ""


class TestParseQuery:
    @pytest.mark.parametrize("raw", [None, "", "   ", "\x00\x01", "😀", '"" ** ::', 5])
    def test_nothing_to_search(self, raw):
        query = parse_query(raw)
        assert query.is_empty
        assert query.parts == []
        assert not query.truncated and not query.too_many_terms

    def test_two_characters_one_slot(self):
        assert slots("发放") == [Slot("发放")]

    def test_a_phrase_needs_all_its_pairs(self):
        query = parse_query("受控文件")
        assert [p.text for p in query.parts] == ["受控文件"]
        assert query.slots == [Slot("受控"), Slot("控文"), Slot("文件")]

    def test_words_are_parts(self):
        query = parse_query("文件  发放\t回收")
        assert [p.text for p in query.parts] == ["文件", "发放", "回收"]
        assert query.text == "文件 发放 回收"

    def test_quotes_make_one_part(self):
        query = parse_query('"文件 发放" 回收')
        assert [p.text for p in query.parts] == ["文件 发放", "回收"]
        assert query.parts[0].slots == (Slot("文件"), Slot("发放"))

    @pytest.mark.parametrize(
        "raw", ["“受控文件”", "「受控文件」", "'受控文件'", "『受控文件』"]
    )
    def test_chinese_and_english_quotes(self, raw):
        query = parse_query(raw)
        assert [p.text for p in query.parts] == ["受控文件"]

    def test_an_unpaired_quote_is_harmless(self):
        query = parse_query('"文件 发放')
        assert [p.text for p in query.parts] == ["文件 发放"]
        assert parse_query('文件"').slots == [Slot("文件")]

    def test_phrases_longest_first(self):
        phrases = parse_query("文件 受控文件 b05").phrases
        assert phrases[0] == "受控文件"
        assert sorted(phrases[1:]) == ["b05", "文件"]

    def test_the_last_ascii_word_is_a_prefix(self):
        assert slots("b0") == [Slot("b0", prefix=True)]
        assert slots("service desk") == [Slot("service"), Slot("desk", prefix=True)]
        assert slots("文件 serv") == [Slot("文件"), Slot("serv", prefix=True)]

    def test_only_the_last_word_is_a_prefix(self):
        assert slots("sla 文件") == [Slot("sla"), Slot("文件")]

    def test_a_code_keeps_its_whole_form_exact(self):
        assert slots("ITSMS-P05") == [
            Slot("itsms-p05"),
            Slot("itsms"),
            Slot("p05", prefix=True),
        ]

    def test_no_prefix_when_asked(self):
        assert slots("b05") == [Slot("b05", prefix=True)]
        assert parse_query("b05", prefix_last=False).slots == [Slot("b05")]

    def test_a_single_letter_is_no_prefix(self):
        assert slots("a") == [Slot("a")]

    def test_a_word_ending_in_chinese_is_no_prefix(self):
        assert slots("SLA管理") == [Slot("sla"), Slot("管理")]

    def test_a_lone_chinese_character_is_a_prefix_anywhere(self):
        assert slots("发") == [Slot("发", prefix=True)]
        assert slots("发 文件") == [Slot("发", prefix=True), Slot("文件")]

    def test_full_width_query(self):
        assert slots("ＳＬＡ") == [Slot("sla", prefix=True)]
        assert slots("Ｂ０５") == [Slot("b05", prefix=True)]

    def test_repeated_words_give_one_slot(self):
        assert slots("文件 文件 文件") == [Slot("文件")]

    def test_long_queries_are_cut(self):
        query = parse_query("文" * 2000)
        assert query.truncated
        assert len(query.text) == MAX_QUERY_LENGTH
        assert query.slots == [Slot("文文")]

    def test_a_query_of_exactly_the_limit_is_whole(self):
        assert not parse_query("a" * MAX_QUERY_LENGTH).truncated

    def test_too_many_terms_are_capped(self):
        words = " ".join(f"w{i:02d}" for i in range(MAX_QUERY_TERMS + 8))
        query = parse_query(words)
        assert query.too_many_terms
        assert len(query.slots) == MAX_QUERY_TERMS
        assert query.slots[0] == Slot("w00")

    def test_syntax_words_are_plain_words(self):
        query = parse_query('文件 NEAR 发放 OR "回收*"')
        assert [s.term for s in query.slots] == ["文件", "near", "发放", "or", "回收"]

    def test_raw_is_kept(self):
        assert parse_query("  B05 ").raw == "  B05 "


def test_join_text():
    assert analysis.join_text(["a", None, " ", {"k": "b", "n": 3}, ["c", ["d"]]]) == (
        "a\nb\n3\nc\nd"
    )
