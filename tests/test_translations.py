"""The Simplified Chinese catalogue: complete, compiled, and actually used.

One project catalogue, ``locale/zh_Hans/LC_MESSAGES/django.po`` (LOCALE_PATHS),
covers every translatable string of Shoukong's own code. These tests read the
.po with a small parser of their own (no polib), check it against the compiled
.mo and against the literal msgids found in the source, and render pages in
Chinese to catch English left over in our templates.
"""

from __future__ import annotations

import ast
import gettext
import html
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# What `makemessages --ignore=...` leaves out, as path components.
IGNORED_DIRS = {".venv", "node_modules", "bench", "tests", "__pycache__", ".git"}
SOURCE_ROOTS = (
    "config",
    "documents",
    "templates",
    "records",
    "compliance",
    "audits",
    "reviews",
    "search",
)


# --- A small .po parser ----------------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt (or None), msgid, msgid_plural, msgstr {n: text},
    flags (set). Handles multi-line strings; skips obsolete (#~) entries."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple[str, int | None] | None = None

    def finish() -> None:
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    keyword_re = re.compile(
        r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$'
    )
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := keyword_re.match(line):
            keyword, index, literal = match.groups()
            value = ast.literal_eval(literal)
            if keyword == "msgstr":
                field = ("msgstr", int(index or 0))
                entry["msgstr"][field[1]] = value
            else:
                field = (keyword, None)
                entry[keyword] = value
        elif line.startswith('"') and field is not None:
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
        else:
            raise AssertionError(f"unparsable .po line: {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    assert PO_PATH.is_file(), PO_PATH
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries) -> list[dict]:
    """Every entry but the header."""
    return [e for e in entries if e["msgid"]]


def test_parser_reads_the_catalogue(entries, messages):
    header = entries[0]
    assert header["msgid"] == ""
    assert len(messages) > 250
    assert {"msgctxt", "msgid", "msgstr"} <= set(messages[0])


# --- 1. The .po itself --------------------------------------------------------------

PLACEHOLDER_RE = re.compile(
    r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{[A-Za-z_]\w*\}"  # {name}
)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text.replace("%%", "")))


def test_header(entries):
    header = entries[0]["msgstr"][0]
    assert "Language: zh_Hans\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=1; plural=0;" in header
    assert "fuzzy" not in entries[0]["flags"]


def test_no_empty_or_fuzzy_entries(messages):
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    empty = [
        (e["msgctxt"], e["msgid"])
        for e in messages
        if not e["msgstr"] or not all(e["msgstr"].values())
    ]
    assert not fuzzy, fuzzy
    assert not empty, empty


def test_plurals_have_exactly_one_form(messages):
    for entry in messages:
        if "msgid_plural" in entry:
            assert sorted(entry["msgstr"]) == [0], entry["msgid"]


def test_placeholders_are_kept(messages):
    problems = []
    for entry in messages:
        expected = placeholders(entry["msgid"])
        if "msgid_plural" in entry:
            expected |= placeholders(entry["msgid_plural"])
        for translated in entry["msgstr"].values():
            if placeholders(translated) != expected:
                problems.append((entry["msgid"], translated))
    assert not problems, problems


def test_translations_are_chinese(messages):
    """No English text copied over: every msgstr with words holds Chinese."""
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [
        e["msgid"]
        for e in messages
        if re.search(r"[A-Za-z]{2}", PLACEHOLDER_RE.sub("", e["msgid"]))
        and not all(han.search(s) for s in e["msgstr"].values())
    ]
    assert not untranslated, untranslated


def test_exactly_one_catalogue():
    catalogues = [
        p
        for root in SOURCE_ROOTS
        for p in (BASE_DIR / root).rglob("*.po")
        if not IGNORED_DIRS & set(p.relative_to(BASE_DIR).parts)
    ]
    assert catalogues == [], f"app catalogues besides locale/: {catalogues}"


# --- 2. The .mo matches the .po -------------------------------------------------------


def test_mo_is_in_sync_with_po(messages):
    assert MO_PATH.is_file(), "run: python manage.py compilemessages -l zh_Hans"
    with MO_PATH.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = []
    for entry in messages:
        context, msgid = entry["msgctxt"], entry["msgid"]
        expected = entry["msgstr"][0]
        if "msgid_plural" in entry:
            if context is None:
                got = catalogue.ngettext(msgid, entry["msgid_plural"], 1)
            else:
                got = catalogue.npgettext(context, msgid, entry["msgid_plural"], 1)
        elif context is None:
            got = catalogue.gettext(msgid)
        else:
            got = catalogue.pgettext(context, msgid)
        if got != expected:
            stale.append((context, msgid, got, expected))
    assert not stale, stale
    assert catalogue.info().get("language") == "zh_Hans"


# --- 3. The catalogue covers the source ---------------------------------------

_LITERAL = r"""(?:[rRuU]?(?:"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))"""
_LITERALS = rf"(?:{_LITERAL}\s*)+"  # adjacent literals are one string
PY_CALL_RE = re.compile(
    r"(?<![\w.])(?:[\w]+\.)?"
    r"(?P<func>_|gettext|gettext_lazy|gettext_noop|ngettext|ngettext_lazy"
    r"|pgettext|pgettext_lazy|npgettext|npgettext_lazy)"
    rf"\(\s*(?P<first>{_LITERALS})(?:,\s*(?P<second>{_LITERALS}))?\s*[,)]"
)
TEMPLATE_TAG_RE = re.compile(r"\{%\s*(?:translate|trans)\s+(.*?)\s*%\}", re.S)
TEMPLATE_STRING_RE = re.compile(
    r"""^("[^"]*"|'[^']*')(?:.*?\bcontext\s+("[^"]*"|'[^']*'))?""", re.S
)
BLOCK_RE = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b(?P<args>.*?)%\}(?P<body>.*?)"
    r"\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}",
    re.S,
)
BLOCK_PLURAL_RE = re.compile(r"\{%\s*plural\s*%\}")
BLOCK_VAR_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _source_files(suffix: str):
    for root in SOURCE_ROOTS:
        for path in (BASE_DIR / root).rglob(f"*{suffix}"):
            if not IGNORED_DIRS & set(path.relative_to(BASE_DIR).parts):
                yield path


def _literal(source: str) -> str:
    # Parenthesised, adjacent literals over several lines are one string.
    return ast.literal_eval("(" + source + ")")


def _python_msgids(text: str):
    for match in PY_CALL_RE.finditer(text):
        first = _literal(match["first"])
        if match["func"].startswith(("pgettext", "npgettext")):
            if match["second"] is None:
                continue  # the msgid isn't a plain literal
            yield first, _literal(match["second"])
        else:
            yield None, first


def _block_msgid(body: str, trimmed: bool) -> str:
    body = body.replace("%", "%%")
    body = BLOCK_VAR_RE.sub(lambda m: f"%({m[1]})s", body)
    if trimmed:
        body = re.sub(r"\s*\n\s*", " ", body.strip())
    return body


def _template_msgids(text: str):
    for match in TEMPLATE_TAG_RE.finditer(text):
        literal = TEMPLATE_STRING_RE.match(match[1])
        if literal:
            context = literal[2][1:-1] if literal[2] else None
            yield context, literal[1][1:-1]
    for match in BLOCK_RE.finditer(text):
        args = match["args"]
        context = re.search(r"""\bcontext\s+("[^"]*"|'[^']*')""", args)
        singular = BLOCK_PLURAL_RE.split(match["body"])[0]
        yield (
            context[1][1:-1] if context else None,
            _block_msgid(singular, "trimmed" in args.split()),
        )


def source_msgids() -> dict[tuple[str | None, str], str]:
    """(context, msgid) → the first file that uses it."""
    found: dict[tuple[str | None, str], str] = {}
    for path in _source_files(".py"):
        for key in _python_msgids(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(BASE_DIR)))
    for path in _source_files(".html"):
        for key in _template_msgids(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(BASE_DIR)))
    return found


def test_scanner_finds_known_strings():
    found = source_msgids()
    assert (None, "Controlled") in found  # gettext_lazy in lifecycle.py
    assert ("register", "Publish date") in found  # pgettext_lazy
    assert ("nav", "Log out") in found  # {% translate ... context ... %}
    assert (None, "Page %(number)s of %(count)s") in found  # blocktranslate
    assert (None, "Manual") in found  # numbering.gettext_noop
    assert len(found) > 250


def test_catalogue_covers_the_source(messages):
    in_po = {(e["msgctxt"], e["msgid"]) for e in messages}
    missing = {key: where for key, where in source_msgids().items() if key not in in_po}
    assert not missing, (
        f"run makemessages, translate: {sorted(missing.items(), key=str)}"
    )


# --- 4. Key labels -------------------------------------------------------------------


def test_status_labels_in_chinese():
    from documents.lifecycle import DocumentKind, DocumentStatus, IssueStatus

    with translation.override("zh-hans"):
        assert str(DocumentStatus.CONTROLLED.label) == "受控"
        assert str(DocumentStatus.OBSOLETE.label) == "作废"
        assert str(DocumentStatus.EXTERNAL.label) == "外来"
        assert str(DocumentStatus.DRAFT.label) == "草稿"
        assert str(DocumentKind.INSTRUCTION.label) == "作业指导书"
        assert str(IssueStatus.SUPERSEDED.label) == "已被替代"
    with translation.override("en"):
        assert str(DocumentStatus.CONTROLLED.label) == "Controlled"


def test_project_catalogue_wins_over_app_catalogues():
    """LOCALE_PATHS comes first; Wagtail's own words stay Wagtail's."""
    with translation.override("zh-hans"):
        assert translation.gettext("Document register") == "受控文件清单"
        assert translation.pgettext("nav", "Log out") == "退出登录"
        assert translation.gettext("Sign in") == "登录"


# --- 5. Pages in Chinese ----------------------------------------------------------

# English UI words of our templates and views that must not survive in Chinese.
ENGLISH_WORDS = (
    "Register",
    "Library",
    "Document library",
    "Document register",
    "Publish date",
    "Effective date",
    "Next review due",
    "Issue history",
    "Owning department",
    "Change summary",
    "Source file",
    "Controlled",
    "Obsolete",
    "Superseded",
    "Export CSV",
    "Filter",
    "Apply",
    "Tier",
    "Status",
    "Number",
    "Title",
    "Log out",
    "Sign in",
    "Not found",
)
ATTRIBUTE_RE = re.compile(
    r"""\b(?:aria-label|placeholder|title|alt|data-label)\s*=\s*("[^"]*"|'[^']*')"""
)
CSS_LABEL_RE = re.compile(r'--label-\d+:\s*"((?:\\.|[^"\\])*)"')


def visible_text(content: str) -> str:
    """Text a person reads: text nodes, labelling attributes, CSS column labels."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S | re.I)
    parts = [re.sub(r"<[^>]+>", " ", body)]
    parts += [m[1:-1] for m in ATTRIBUTE_RE.findall(content)]
    parts += CSS_LABEL_RE.findall(html.unescape(content))
    title = re.search(r"<title>(.*?)</title>", content, re.S)
    if title:
        parts.append(title[1])
    return html.unescape(" ".join(parts))


def english_leftovers(text: str, messages: list[dict]) -> list[str]:
    words = set(ENGLISH_WORDS)
    # Any capitalised source text of the catalogue: "Issue", "Tier 2 · procedure" …
    words |= {
        e["msgid"]
        for e in messages
        if e["msgid"][:1].isupper() and "%" not in e["msgid"]
    }
    return sorted(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))


@pytest.fixture
def zh_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def reissued(procedure):
    """B05 with issue A superseded by issue B: history, banner and badges."""
    from documents import services

    services.issue_create(
        user=None,
        document=procedure,
        publish_date=date(2024, 3, 1),
        change_summary="增加电子文件的控制要求",
    )
    return procedure


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "chinese"),
    [
        (
            "/documents/",
            200,
            ["文件库", "受控文件清单", "二级 · 程序文件", "下次评审日期", "筛选"],
        ),
        (
            "/documents/B05/",
            200,
            ["版本历史", "发布日期", "实施日期", "下次评审日期", "归口部门"],
        ),
        ("/documents/B05/A/", 200, ["作废", "此版本已失效", "变更说明"]),
        (
            "/register/",
            200,
            ["受控文件清单", "文档类型", "发布时间", "保存期限", "导出 CSV"],
        ),
        ("/documents/Z99/", 404, ["未找到", "返回文件库"]),
    ],
)
def test_pages_render_without_english(
    zh_client, reissued, messages, url, status, chinese
):
    response = zh_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == status
    content = response.content.decode()
    assert 'lang="zh-hans"' in content
    text = visible_text(content)
    for label in chinese:
        assert label in text, (url, label)
    assert english_leftovers(text, messages) == [], url


@pytest.mark.django_db
def test_login_page_without_english(client, library, messages):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "登录" in text and "用户名" in text and "密码" in text
    assert english_leftovers(text, messages) == []


def test_english_is_still_english(messages):
    """The source language stays intact (en has no catalogue of its own)."""
    with translation.override("en"):
        assert translation.gettext("Document register") == "Document register"
        assert translation.pgettext("register", "Publish date") == "Publish date"
