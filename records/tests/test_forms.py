"""records.forms: the Django form built from a form issue's released fields,
and the values it stores as JSON. No database."""

from __future__ import annotations

import decimal
from datetime import date

import pytest
from django import forms
from django.utils import translation

from records.forms import (
    MAX_FREE_FIELDS,
    ValuesInvalid,
    clean_values,
    display_value,
    field_spec,
    free_schema,
    schema_form_class,
    to_json,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def spec(name, label=None, type="singleline", required=False, choices="", **extra):
    return {
        "name": name,
        "label": label or name,
        "type": type,
        "required": required,
        "choices": choices,
        "default": extra.get("default", ""),
        "help_text": extra.get("help_text", ""),
    }


WORK_ORDER = [
    spec("bao_gao_ren", "报告人", required=True),
    spec("gu_zhang_miao_shu", "故障描述", "multiline", required=True),
    spec("you_xian_ji", "优先级", "dropdown", required=True, choices="高\n中\n低"),
    spec("chu_li_shi_zhang_xiao_shi", "处理时长（小时）", "number"),
    spec("wan_cheng_ri_qi", "完成日期", "date"),
]
VALID = {
    "bao_gao_ren": "张三",
    "gu_zhang_miao_shu": "打印机无法打印",
    "you_xian_ji": "中",
}


def errors_of(excinfo) -> set[str]:
    return set(excinfo.value.errors)


# --- schema_form_class ---------------------------------------------------------


def test_the_form_has_one_field_per_released_field_in_order():
    form = schema_form_class(WORK_ORDER)()
    assert list(form.fields) == [s["name"] for s in WORK_ORDER]
    assert isinstance(form.fields["bao_gao_ren"], forms.CharField)
    assert form.fields["bao_gao_ren"].max_length == 255
    assert isinstance(form.fields["gu_zhang_miao_shu"].widget, forms.Textarea)
    assert isinstance(form.fields["you_xian_ji"], forms.ChoiceField)
    assert form.fields["you_xian_ji"].choices == [
        ("高", "高"),
        ("中", "中"),
        ("低", "低"),
    ]
    assert isinstance(form.fields["chu_li_shi_zhang_xiao_shi"], forms.DecimalField)
    assert isinstance(form.fields["wan_cheng_ri_qi"], forms.DateField)
    assert form.fields["bao_gao_ren"].label == "报告人"
    assert form.fields["bao_gao_ren"].required
    assert not form.fields["wan_cheng_ri_qi"].required


def test_an_empty_schema_makes_an_empty_form():
    assert list(schema_form_class([])().fields) == []


def test_help_text_is_escaped():
    form = schema_form_class([spec("a", help_text="<b>x</b>")])()
    assert form.fields["a"].help_text == "&lt;b&gt;x&lt;/b&gt;"


def test_an_unknown_field_type_is_an_error():
    with pytest.raises(AttributeError):
        schema_form_class([spec("a", type="signature")])


# --- clean_values ----------------------------------------------------------------


def test_valid_values_come_back_as_json():
    values = clean_values(
        WORK_ORDER,
        {
            **VALID,
            "chu_li_shi_zhang_xiao_shi": "2.5",
            "wan_cheng_ri_qi": "2026-11-21",
        },
    )
    assert values == {
        "bao_gao_ren": "张三",
        "gu_zhang_miao_shu": "打印机无法打印",
        "you_xian_ji": "中",
        "chu_li_shi_zhang_xiao_shi": "2.5",
        "wan_cheng_ri_qi": "2026-11-21",
    }


def test_optional_fields_left_out_are_empty():
    values = clean_values(WORK_ORDER, dict(VALID))
    assert values["chu_li_shi_zhang_xiao_shi"] is None
    assert values["wan_cheng_ri_qi"] is None


def test_text_is_stripped():
    values = clean_values(WORK_ORDER, {**VALID, "bao_gao_ren": "  张三 "})
    assert values["bao_gao_ren"] == "张三"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bao_gao_ren": ""}, "bao_gao_ren"),
        ({"bao_gao_ren": "   "}, "bao_gao_ren"),
        ({"bao_gao_ren": "长" * 256}, "bao_gao_ren"),
        ({"gu_zhang_miao_shu": None}, "gu_zhang_miao_shu"),
        ({"you_xian_ji": "紧急"}, "you_xian_ji"),
        ({"you_xian_ji": ""}, "you_xian_ji"),
        ({"chu_li_shi_zhang_xiao_shi": "两小时"}, "chu_li_shi_zhang_xiao_shi"),
        ({"chu_li_shi_zhang_xiao_shi": "NaN"}, "chu_li_shi_zhang_xiao_shi"),
        ({"chu_li_shi_zhang_xiao_shi": "Infinity"}, "chu_li_shi_zhang_xiao_shi"),
        ({"chu_li_shi_zhang_xiao_shi": True}, "chu_li_shi_zhang_xiao_shi"),
        ({"wan_cheng_ri_qi": "下周一"}, "wan_cheng_ri_qi"),
        ({"wan_cheng_ri_qi": "2026-02-30"}, "wan_cheng_ri_qi"),
    ],
)
def test_values_breaking_a_rule_are_refused_by_field(overrides, field):
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {**VALID, **overrides})
    assert errors_of(excinfo) == {field}
    assert all(isinstance(m, str) for m in excinfo.value.errors[field])


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {"you_xian_ji": "紧急"})
    assert errors_of(excinfo) == {"bao_gao_ren", "gu_zhang_miao_shu", "you_xian_ji"}


def test_unknown_field_names_are_refused_and_named():
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {**VALID, "zeta": 1, "alpha": 2})
    assert excinfo.value.errors == {
        "__all__": ["This form has no field named alpha, zeta."]
    }


@pytest.mark.parametrize("data", [None, [], "报告人=张三", 3])
def test_values_must_be_an_object(data):
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, data)
    assert errors_of(excinfo) == {"__all__"}


def test_values_may_be_given_by_label():
    values = clean_values(
        WORK_ORDER,
        {
            "报告人": "李四",
            "故障描述": "网络中断",
            "优先级": "高",
            "完成日期": "2026-11-01",
        },
    )
    assert values["bao_gao_ren"] == "李四"
    assert values["you_xian_ji"] == "高"
    assert values["wan_cheng_ri_qi"] == "2026-11-01"
    assert "报告人" not in values


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2.5", "2.5"),
        (2.5, "2.5"),
        (3, "3"),
        ("3.0", "3"),
        ("100", "100"),
        ("-4", "-4"),
        ("0.125", "0.125"),
    ],
)
def test_numbers_are_stored_as_text(given, stored):
    values = clean_values(WORK_ORDER, {**VALID, "chu_li_shi_zhang_xiao_shi": given})
    assert values["chu_li_shi_zhang_xiao_shi"] == stored


def test_equal_numbers_are_stored_alike():
    def stored(value):
        return clean_values(WORK_ORDER, {**VALID, "chu_li_shi_zhang_xiao_shi": value})[
            "chu_li_shi_zhang_xiao_shi"
        ]

    assert stored("1.50") == stored("1.5")


@pytest.mark.parametrize("value", ["1e2", "1e999999", "1e9999999999", "1" * 31])
def test_absurd_numbers_are_refused_by_field(value):
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {**VALID, "chu_li_shi_zhang_xiao_shi": value})
    assert errors_of(excinfo) == {"chu_li_shi_zhang_xiao_shi"}


def test_partial_checks_only_the_fields_given():
    assert clean_values(WORK_ORDER, {"you_xian_ji": "高"}, partial=True) == {
        "you_xian_ji": "高"
    }
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {"you_xian_ji": "?"}, partial=True)
    assert errors_of(excinfo) == {"you_xian_ji"}
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {"bao_gao_ren": ""}, partial=True)
    assert errors_of(excinfo) == {"bao_gao_ren"}
    with pytest.raises(ValuesInvalid):
        clean_values(WORK_ORDER, {"nope": "x"}, partial=True)


def test_other_field_types():
    schema = [
        spec("tong_yi", "同意", "checkbox"),
        spec("xiang_mu", "项目", "checkboxes", choices="网络\n服务器\n打印机"),
        spec("ji_bie", "级别", "radio", choices="一级,二级"),
        spec("you_xiang", "邮箱", "email"),
        spec("shi_jian", "时间", "datetime"),
        spec("duo_xuan", "多选", "multiselect", choices="甲\n乙"),
    ]
    values = clean_values(
        schema,
        {
            "tong_yi": True,
            "xiang_mu": ["网络", "打印机"],
            "ji_bie": "二级",
            "you_xiang": "ops@example.com",
            "shi_jian": "2026-11-22 09:30",
            "duo_xuan": ["乙"],
        },
    )
    assert values["tong_yi"] is True
    assert values["xiang_mu"] == ["网络", "打印机"]
    assert values["ji_bie"] == "二级"
    assert values["you_xiang"] == "ops@example.com"
    assert values["shi_jian"].startswith("2026-11-22T09:30")
    assert values["duo_xuan"] == ["乙"]

    unticked = clean_values(schema, {"tong_yi": "false"})
    assert unticked["tong_yi"] is False
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(schema, {"xiang_mu": ["网络", "电话"], "you_xiang": "not-mail"})
    assert errors_of(excinfo) == {"xiang_mu", "you_xiang"}


def test_a_required_checkbox_must_be_ticked():
    schema = [spec("que_ren", "确认", "checkbox", required=True)]
    assert clean_values(schema, {"que_ren": "on"}) == {"que_ren": True}
    with pytest.raises(ValuesInvalid):
        clean_values(schema, {"que_ren": False})


# --- free_schema -----------------------------------------------------------------


def test_free_schema_has_one_optional_text_field_per_name():
    schema = free_schema({"检查项": "机房温度", "结果": "正常"})
    assert [s["name"] for s in schema] == ["检查项", "结果"]
    assert all(s["label"] == s["name"] for s in schema)
    assert all(s["type"] == "multiline" and not s["required"] for s in schema)
    assert clean_values(schema, {"检查项": "机房温度", "结果": "正常"}) == {
        "检查项": "机房温度",
        "结果": "正常",
    }


def test_free_schema_of_nothing_is_empty():
    assert free_schema({}) == []


@pytest.mark.parametrize(
    "data",
    [
        {"": "x"},
        {"   ": "x"},
        {"长" * 101: "x"},
        {f"f{i}": "x" for i in range(MAX_FREE_FIELDS + 1)},
        ["not", "an", "object"],
        "text",
    ],
    ids=["empty", "blank", "long-name", "too-many", "list", "text"],
)
def test_free_schema_refusals(data):
    with pytest.raises(ValuesInvalid) as excinfo:
        free_schema(data)
    assert errors_of(excinfo) == {"__all__"}


def test_free_schema_accepts_the_limits():
    assert len(free_schema({f"f{i}": "x" for i in range(MAX_FREE_FIELDS)})) == 100
    assert free_schema({"长" * 100: "x"})[0]["name"] == "长" * 100


# --- field_spec, to_json, display_value --------------------------------------------


def test_field_spec_finds_by_name_only():
    assert field_spec(WORK_ORDER, "you_xian_ji")["label"] == "优先级"
    assert field_spec(WORK_ORDER, "优先级") is None
    assert field_spec([], "x") is None


def test_to_json():
    assert to_json(date(2026, 11, 22)) == "2026-11-22"
    assert to_json(decimal.Decimal("2.50")) == "2.5"
    assert to_json(decimal.Decimal("2.0")) == "2"
    assert to_json([date(2026, 1, 1), "x"]) == ["2026-01-01", "x"]
    assert to_json("文本") == "文本"
    assert to_json(None) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        ("", ""),
        (True, "Yes"),
        (False, "No"),
        (["网络", "打印机"], "网络、打印机"),
        ([], ""),
        ("2.5", "2.5"),
        (3, "3"),
        ("张三", "张三"),
    ],
)
def test_display_value(value, shown):
    assert display_value(value) == shown


# --- Shapes that must be refused and readings that must not vary ------------------


def test_a_field_given_twice_is_refused():
    with pytest.raises(ValuesInvalid):
        clean_values(WORK_ORDER, {**VALID, "报告人": "李四"})


@pytest.mark.parametrize("value", [{"a": 1}, ["a", "b"]], ids=["object", "list"])
def test_a_structured_value_for_a_text_field_is_refused(value):
    with pytest.raises(ValuesInvalid) as excinfo:
        clean_values(WORK_ORDER, {**VALID, "bao_gao_ren": value})
    assert errors_of(excinfo) == {"bao_gao_ren"}


def test_an_iso_date_is_read_in_every_language():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            values = clean_values(
                WORK_ORDER, {**VALID, "wan_cheng_ri_qi": "2026-11-21"}
            )
        assert values["wan_cheng_ri_qi"] == "2026-11-21"


def test_a_date_is_read_the_same_whatever_the_language():
    outcomes = set()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            try:
                values = clean_values(
                    WORK_ORDER, {**VALID, "wan_cheng_ri_qi": "01/02/2026"}
                )
                outcomes.add(values["wan_cheng_ri_qi"])
            except ValuesInvalid:
                outcomes.add("refused")
    assert len(outcomes) == 1, outcomes
