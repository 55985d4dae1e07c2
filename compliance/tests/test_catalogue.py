"""Clause catalogues: parsing (pure), loading by stable ref_id, the shipped
files and ``manage.py load_clauses``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail.models import ModelLogEntry

from compliance import catalogue as catalogue_module
from compliance import clauses as clause_rules
from compliance.catalogue import (
    MAX_CATALOGUE_BYTES,
    catalogue_load,
    catalogue_parse,
    catalogues_ensure,
    shipped_catalogues,
)
from compliance.lifecycle import StandardOrigin
from compliance.models import Clause, Standard

LOAD_ACTION = "shoukong.compliance.catalogue_load"

# ISO/IEC 20000-1:2018, clauses 4 to 10 with every sub-clause.
ISO20000_CLAUSES = [
    *["4", "4.1", "4.2", "4.3", "4.4"],
    *["5", "5.1", "5.2", "5.2.1", "5.2.2", "5.3"],
    *["6", "6.1", "6.2", "6.2.1", "6.2.2", "6.3"],
    *["7", "7.1", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.4"],
    "7.6",
    *["8", "8.1", "8.2", "8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5", "8.2.6"],
    *["8.3", "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.4.1", "8.3.4.2"],
    *["8.4", "8.4.1", "8.4.2", "8.4.3"],
    *["8.5", "8.5.1", "8.5.1.1", "8.5.1.2", "8.5.1.3"],
    *["8.5.2", "8.5.2.1", "8.5.2.2", "8.5.2.3", "8.5.3"],
    *["8.6", "8.6.1", "8.6.2", "8.6.3"],
    *["8.7", "8.7.1", "8.7.2", "8.7.3", "8.7.3.1", "8.7.3.2", "8.7.3.3"],
    *["9", "9.1", "9.2", "9.3", "9.4"],
    *["10", "10.1", "10.2"],
]

# ISO/IEC 27001:2022, clauses 4 to 10 with every titled sub-clause.
ISO27001_CLAUSES = [
    *["4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "5.3"],
    *["6", "6.1", "6.1.1", "6.1.2", "6.1.3", "6.2", "6.3"],
    *["7", "7.1", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3"],
    *["8", "8.1", "8.2", "8.3"],
    *["9", "9.1", "9.2", "9.2.1", "9.2.2", "9.3", "9.3.1", "9.3.2", "9.3.3"],
    *["10", "10.1", "10.2"],
]

# ISO 9001:2015, clauses 4 to 10 with every titled sub-clause (4.4.1, 4.4.2,
# 8.7.1, 8.7.2, 9.2.1 and 9.2.2 have no titles of their own).
ISO9001_CLAUSES = [
    *["4", "4.1", "4.2", "4.3", "4.4"],
    *["5", "5.1", "5.1.1", "5.1.2", "5.2", "5.2.1", "5.2.2", "5.3"],
    *["6", "6.1", "6.2", "6.3"],
    *["7", "7.1", "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.1.5.1"],
    *["7.1.5.2", "7.1.6", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3"],
    *["8", "8.1", "8.2", "8.2.1", "8.2.2", "8.2.3", "8.2.4"],
    *["8.3", "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5", "8.3.6"],
    *["8.4", "8.4.1", "8.4.2", "8.4.3"],
    *["8.5", "8.5.1", "8.5.2", "8.5.3", "8.5.4", "8.5.5", "8.5.6", "8.6", "8.7"],
    *["9", "9.1", "9.1.1", "9.1.2", "9.1.3", "9.2", "9.3", "9.3.1", "9.3.2"],
    *["9.3.3", "10", "10.1", "10.2", "10.3"],
]

SHIPPED = {
    "iso20000-1-2018": ("ISO/IEC 20000-1:2018", 1, ISO20000_CLAUSES),
    "iso27001-2022": ("ISO/IEC 27001:2022", 2, ISO27001_CLAUSES),
    "iso9001-2015": ("ISO 9001:2015", 3, ISO9001_CLAUSES),
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def sample(**overrides) -> dict:
    """A small catalogue of a made-up standard."""
    data = {
        "ref_id": "test-std",
        "code": "TEST 1:2026",
        "title_zh": "测试标准",
        "title_en": "Test standard",
        "sort_order": 50,
        "clauses": [
            ["4", "组织环境", "Context"],
            ["4.1", "理解组织", "Understanding"],
            ["4.2", "相关方", "Interested parties"],
            ["10", "改进", "Improvement"],
        ],
    }
    data.update(overrides)
    return data


def raw(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def load_log_count() -> int:
    return ModelLogEntry.objects.filter(action=LOAD_ACTION).count()


# --- Parsing (pure) -----------------------------------------------------------------


def test_parse_returns_the_clauses_in_file_order():
    parsed = catalogue_parse(raw(sample()))
    assert parsed.ref_id == "test-std"
    assert parsed.code == "TEST 1:2026"
    assert parsed.sort_order == 50
    assert [c.ref_id for c in parsed.clauses] == ["4", "4.1", "4.2", "10"]
    assert parsed.clauses[1].title_zh == "理解组织"
    assert parsed.clauses[1].title_en == "Understanding"


def test_parse_accepts_objects_two_item_lists_and_a_bom():
    data = sample(
        clauses=[
            {"ref_id": "4", "title_zh": "组织环境"},
            ["4.1", "理解组织"],
            {"ref_id": "4.2", "title_zh": "  相关方 ", "title_en": "Parties"},
        ]
    )
    parsed = catalogue_parse(b"\xef\xbb\xbf" + raw(data))
    assert [(c.ref_id, c.title_zh, c.title_en) for c in parsed.clauses] == [
        ("4", "组织环境", ""),
        ("4.1", "理解组织", ""),
        ("4.2", "相关方", "Parties"),
    ]


def _without(key):
    data = sample()
    del data[key]
    return raw(data)


def _clauses(*items):
    return raw(sample(clauses=list(items)))


PARSE_ERRORS = [
    pytest.param(
        b"{" + b" " * MAX_CATALOGUE_BYTES + b"}",
        "The catalogue file is too large.",
        id="huge",
    ),
    pytest.param(
        "{}".encode("utf-16"), "The catalogue file is not UTF-8 text.", id="utf16"
    ),
    pytest.param(b"\xff\xfe\x00", "The catalogue file is not UTF-8 text.", id="binary"),
    pytest.param(
        b'{"ref_id": "x",\n  "code": }',
        "The catalogue file is not valid JSON (line 2).",
        id="not-json",
    ),
    pytest.param(b"[]", "A catalogue is a JSON object.", id="list"),
    pytest.param(_without("ref_id"), "The catalogue has no “ref_id”.", id="no-ref"),
    pytest.param(_without("code"), "The catalogue has no “code”.", id="no-code"),
    pytest.param(
        _without("title_zh"), "The catalogue has no “title_zh”.", id="no-title"
    ),
    pytest.param(
        _without("clauses"), "The catalogue has no “clauses”.", id="no-clauses"
    ),
    pytest.param(
        raw(sample(ref_id="ISO 9001")),
        "The catalogue reference must be letters, digits and dashes.",
        id="bad-ref",
    ),
    pytest.param(
        raw(sample(ref_id=9001)),
        "The catalogue reference must be letters, digits and dashes.",
        id="numeric-ref",
    ),
    pytest.param(
        raw(sample(clauses=[])), "The catalogue lists no clauses.", id="empty"
    ),
    pytest.param(
        raw(sample(clauses={"4": "组织环境"})),
        "The catalogue lists no clauses.",
        id="clauses-object",
    ),
    pytest.param(
        raw(sample(clauses=[[str(n), "条款"] for n in range(1, 5002)])),
        "The catalogue lists too many clauses.",
        id="too-many",
    ),
    pytest.param(
        _clauses(42),
        "Clause 1 is not [number, Chinese title, English title].",
        id="not-a-list",
    ),
    pytest.param(
        _clauses(["4"]),
        "Clause 1 is not [number, Chinese title, English title].",
        id="one-item",
    ),
    pytest.param(
        _clauses(["4", "a", "b", "c"]),
        "Clause 1 is not [number, Chinese title, English title].",
        id="four-items",
    ),
    pytest.param(
        _clauses(["4", "组织环境"], ["4..1", "x"]),
        "Clause 2 has an invalid number: '4..1'.",
        id="bad-number",
    ),
    pytest.param(
        _clauses([4, "组织环境"]),
        "Clause 1 has an invalid number: 4.",
        id="numeric-number",
    ),
    pytest.param(
        _clauses(["4", "组织环境"], ["4.1", "a"], ["4.1", "b"]),
        "Clause 4.1 is listed twice.",
        id="duplicate",
    ),
    pytest.param(
        _clauses(["4.1", "理解组织"], ["4", "组织环境"]),
        "Clause 4.1 comes before its parent 4.",
        id="child-first",
    ),
    pytest.param(
        _clauses(["4", "组织环境"], ["4.1.1", "x"]),
        "Clause 4.1.1 comes before its parent 4.1.",
        id="no-parent",
    ),
    pytest.param(
        _clauses(["4", ["组织环境"]]),
        "The title of clause 4 must be text.",
        id="title-list",
    ),
    pytest.param(
        _clauses(["4", "组织环境", 7]),
        "The title of clause 4 must be text.",
        id="english-title-number",
    ),
    pytest.param(
        _clauses(["4", "组织\x00环境"]),
        "The title of clause 4 contains a NUL character.",
        id="nul",
    ),
    pytest.param(
        _clauses(["4", "长" * 201]),
        "The title of clause 4 is longer than 200 characters.",
        id="long-title",
    ),
    pytest.param(
        _clauses(["4", "   "]), "Clause 4 has no Chinese title.", id="blank-title"
    ),
    pytest.param(
        raw(sample(code=None)), "The standard's code must be text.", id="code-null"
    ),
    pytest.param(
        raw(sample(code="C" * 65)),
        "The standard's code is longer than 64 characters.",
        id="code-long",
    ),
]


@pytest.mark.parametrize(("content", "message"), PARSE_ERRORS)
def test_parse_refuses_bad_catalogues(content, message):
    with pytest.raises(ValidationError) as refused:
        catalogue_parse(content)
    assert refused.value.messages == [message]


def test_parse_ignores_a_bad_sort_order():
    assert catalogue_parse(raw(sample(sort_order="first"))).sort_order == 100


# --- The shipped catalogues ---------------------------------------------------------


def test_the_shipped_files_are_the_three_standards():
    refs = {catalogue_parse(p.read_bytes()).ref_id for p in shipped_catalogues()}
    assert refs == set(SHIPPED)


@pytest.mark.parametrize("path", shipped_catalogues(), ids=lambda p: p.name)
def test_a_shipped_file_lists_numbers_and_short_titles_only(path):
    parsed = catalogue_parse(path.read_bytes())
    code, sort_order, expected = SHIPPED[parsed.ref_id]
    assert parsed.code == code
    assert parsed.sort_order == sort_order
    assert [c.ref_id for c in parsed.clauses] == expected
    for clause in parsed.clauses:
        assert clause.title_zh and clause.title_en
        # Titles, not text: short, one line, no sentence punctuation.
        assert len(clause.title_zh) <= 20, clause
        assert len(clause.title_en) <= 80, clause
        assert not any(mark in clause.title_zh for mark in "。；：:")
    # In the standard's order (the file order is the display order too).
    keys = [clause_rules.sort_key(c.ref_id) for c in parsed.clauses]
    assert keys == sorted(keys)


@pytest.mark.django_db
def test_the_migration_loaded_every_shipped_catalogue():
    for ref_id, (code, sort_order, expected) in SHIPPED.items():
        standard = Standard.objects.get(ref_id=ref_id)
        assert standard.origin == StandardOrigin.CATALOGUE
        assert (standard.code, standard.sort_order) == (code, sort_order)
        clauses = Clause.objects.of_standard(ref_id)
        assert [c.ref_id for c in clauses.active()] == expected
    assert list(
        Standard.objects.filter(origin=StandardOrigin.CATALOGUE).values_list(
            "ref_id", flat=True
        )
    ) == ["iso20000-1-2018", "iso27001-2022", "iso9001-2015"]


@pytest.mark.django_db
def test_iso20000_has_every_clause_with_its_parent():
    clauses = {c.ref_id: c for c in Clause.objects.of_standard("iso20000-1-2018")}
    assert list(clauses) == ISO20000_CLAUSES
    for ref_id, clause in clauses.items():
        parent = clause_rules.parent_ref(ref_id)
        assert clause.parent_id == (clauses[parent].pk if parent else None)
        assert clause.depth == ref_id.count(".") + 1
    assert clauses["7.5"].title_zh == "文件化信息"
    assert clauses["8.5.1"].title_en == "Change management"
    assert clauses["10.2"].title_en == "Continual improvement"


@pytest.mark.django_db
def test_loading_the_shipped_catalogues_again_changes_nothing():
    results = catalogues_ensure()
    assert [r.standard for r in results] == [p.stem for p in shipped_catalogues()]
    for result in results:
        assert not result.changed
        assert result.unchanged == len(SHIPPED[result.standard][2])
    assert load_log_count() == 0


# --- Loading ------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_creates_the_standard_and_its_clauses_and_logs_once():
    result = catalogue_load(raw(sample()))
    assert result.standard_created and result.changed
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    standard = Standard.objects.get(ref_id="test-std")
    assert standard.origin == StandardOrigin.CATALOGUE
    assert standard.title_en == "Test standard"
    clauses = {c.ref_id: c for c in standard.clauses.all()}
    assert clauses["4.1"].parent == clauses["4"]
    assert clauses["10"].parent is None
    assert [c.ref_id for c in standard.clauses.order_by("sort_key")] == [
        "4",
        "4.1",
        "4.2",
        "10",
    ]
    entry = ModelLogEntry.objects.get(action=LOAD_ACTION)
    assert entry.object_id == str(standard.pk)
    assert entry.data["created"] == 4

    again = catalogue_load(raw(sample()))
    assert not again.changed
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert load_log_count() == 1
    assert standard.clauses.count() == 4


@pytest.mark.django_db
def test_a_changed_title_updates_the_clause_in_place():
    catalogue_load(raw(sample()))
    before = Clause.objects.get(standard__ref_id="test-std", ref_id="4.1")
    data = sample()
    data["clauses"][1] = ["4.1", "理解组织及其环境", "Understanding the context"]
    result = catalogue_load(raw(data))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert result.changes == ["4.1"]
    after = Clause.objects.get(pk=before.pk)
    assert after.title_zh == "理解组织及其环境"
    assert after.title_en == "Understanding the context"
    entry = ModelLogEntry.objects.filter(action=LOAD_ACTION).latest("timestamp")
    assert entry.data["changes"] == ["4.1"] and entry.data["updated"] == 1
    assert load_log_count() == 2


@pytest.mark.django_db
def test_a_clause_missing_from_a_newer_file_is_kept_inactive():
    catalogue_load(raw(sample()))
    dropped = Clause.objects.get(standard__ref_id="test-std", ref_id="4.2")
    data = sample()
    del data["clauses"][2]
    result = catalogue_load(raw(data))
    assert result.deactivated == 1 and result.changes == ["4.2"]
    dropped.refresh_from_db()
    assert not dropped.is_active
    assert Clause.objects.of_standard("test-std").count() == 4
    assert [c.ref_id for c in Clause.objects.of_standard("test-std").active()] == [
        "4",
        "4.1",
        "10",
    ]
    # Loading the smaller file again changes nothing; the full file revives it.
    assert not catalogue_load(raw(data)).changed
    result = catalogue_load(raw(sample()))
    assert result.updated == 1
    dropped.refresh_from_db()
    assert dropped.is_active


@pytest.mark.django_db
def test_a_company_standard_is_never_overwritten_by_a_catalogue():
    Standard.objects.create(
        ref_id="test-std", code="QY", title_zh="公司要求", origin=StandardOrigin.COMPANY
    )
    with pytest.raises(ValidationError) as refused:
        catalogue_load(raw(sample()))
    assert refused.value.messages == [
        "test-std is the company's own list of requirements, not a catalogue."
    ]
    standard = Standard.objects.get(ref_id="test-std")
    assert standard.code == "QY" and standard.origin == StandardOrigin.COMPANY
    assert not standard.clauses.exists()
    assert load_log_count() == 0


@pytest.mark.django_db
def test_a_bad_catalogue_writes_nothing():
    with pytest.raises(ValidationError):
        catalogue_load(_clauses(["4", "组织环境"], ["4", "重复"]))
    assert not Standard.objects.filter(ref_id="test-std").exists()
    assert load_log_count() == 0


@pytest.mark.django_db
def test_the_user_who_loads_must_manage_the_catalogue():
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied

    nobody = get_user_model().objects.create_user("nobody", password="pw")
    with pytest.raises(PermissionDenied):
        catalogue_load(raw(sample()), user=nobody)
    assert not Standard.objects.filter(ref_id="test-std").exists()


# --- manage.py load_clauses ---------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("load_clauses", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalogue_file(tmp_path):
    path = tmp_path / "test-std.json"
    path.write_bytes(raw(sample()))
    return path


@pytest.mark.django_db
def test_command_without_files_loads_the_shipped_catalogues():
    output = run()
    assert output.splitlines() == [
        "iso20000-1-2018: nothing changed (77 clauses).",
        "iso27001-2022: nothing changed (41 clauses).",
        "iso9001-2015: nothing changed (75 clauses).",
    ]


@pytest.mark.django_db
def test_command_loads_a_file_then_reports_nothing_changed(catalogue_file):
    output = run(str(catalogue_file))
    assert output.strip() == (
        "test-std: 4 created, 0 updated, 0 unchanged, 0 deactivated. (new standard)"
    )
    assert Clause.objects.of_standard("test-std").count() == 4
    assert run(str(catalogue_file)).strip() == "test-std: nothing changed (4 clauses)."
    data = sample()
    data["clauses"] = data["clauses"][:2] + [["4.3", "范围", "Scope"]]
    catalogue_file.write_bytes(raw(data))
    assert run(str(catalogue_file)).strip() == (
        "test-std: 1 created, 0 updated, 2 unchanged, 2 deactivated."
    )
    assert load_log_count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "The catalogue file is not valid JSON (line 1)."),
        (b"\x80\x81", "The catalogue file is not UTF-8 text."),
        (_without("code"), "The catalogue has no “code”."),
        (
            _clauses(["4", "组织环境"], ["4", "重复"]),
            "Clause 4 is listed twice.",
        ),
        (
            _clauses(["4.1", "理解组织"], ["4", "组织环境"]),
            "Clause 4.1 comes before its parent 4.",
        ),
        (_clauses(["4", 5]), "The title of clause 4 must be text."),
        (
            _clauses(["4", "组织\x00环境"]),
            "The title of clause 4 contains a NUL character.",
        ),
        (b" " * (MAX_CATALOGUE_BYTES + 10), "The catalogue file is too large."),
    ],
    ids=["json", "utf8", "keys", "duplicate", "order", "type", "nul", "huge"],
)
def test_command_refuses_a_bad_file_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as refused:
        run(str(path))
    assert str(refused.value) == f"{path}: {message}"
    assert not Standard.objects.filter(ref_id="test-std").exists()
    assert load_log_count() == 0


@pytest.mark.django_db
def test_command_loads_all_files_or_none(tmp_path, catalogue_file):
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw(sample(ref_id="other-std", clauses=[["4.1", "x"]])))
    with pytest.raises(CommandError) as refused:
        run(str(catalogue_file), str(bad))
    assert "Clause 4.1 comes before its parent 4." in str(refused.value)
    # The good file, loaded first, was rolled back with the bad one.
    assert not Standard.objects.filter(ref_id="test-std").exists()
    assert load_log_count() == 0


@pytest.mark.django_db
def test_command_refuses_a_company_standard(catalogue_file):
    Standard.objects.create(
        ref_id="test-std", code="QY", title_zh="公司要求", origin=StandardOrigin.COMPANY
    )
    with pytest.raises(CommandError) as refused:
        run(str(catalogue_file))
    assert str(refused.value) == (
        f"{catalogue_file}: test-std is the company's own list of requirements, "
        "not a catalogue."
    )
    assert not Clause.objects.filter(standard__ref_id="test-std").exists()


@pytest.mark.django_db
def test_command_refuses_a_missing_file(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(CommandError) as refused:
        run(str(missing))
    assert str(refused.value) == f"Cannot read {missing}: No such file or directory"


@pytest.mark.django_db
def test_command_reads_no_more_than_the_limit(tmp_path, monkeypatch):
    """A huge file is refused after reading one byte past the limit."""
    monkeypatch.setattr(
        "compliance.management.commands.load_clauses.MAX_CATALOGUE_BYTES", 100
    )
    monkeypatch.setattr(catalogue_module, "MAX_CATALOGUE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_bytes(raw(sample()))
    with pytest.raises(CommandError) as refused:
        run(str(path))
    assert str(refused.value) == f"{path}: The catalogue file is too large."
