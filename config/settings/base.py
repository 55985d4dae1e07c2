"""Settings shared by every environment.

Everything that differs between machines comes from the environment: ``DATABASE_URL``
and the ``SHOUKONG_*`` variables. SQLite is the embedded default; PostgreSQL is the
production database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


SECRET_KEY = os.environ.get("SHOUKONG_SECRET_KEY", "insecure-dev-key-change-me")
DEBUG = env_bool("SHOUKONG_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SHOUKONG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("SHOUKONG_CSRF_TRUSTED_ORIGINS", "").split(",")
    if o.strip()
]

INSTALLED_APPS = [
    "documents",
    "records",
    "compliance",
    "audits",
    "reviews",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "documents.users.ShoukongUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "guardian",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("SHOUKONG_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the embedded database take concurrent readers
    # while a writer holds the lock, instead of failing with "database is locked".
    # A 64 MiB page cache and memory-mapped reads (up to 1 GiB) keep the search
    # postings in memory: SQLite's default cache is 2 MiB (bench/search.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"
            ),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# guardian's anonymous user row would show up in Wagtail's user list; Shoukong
# grants nothing to anonymous visitors.
ANONYMOUS_USER_NAME = None

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents:library"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: a complete Simplified Chinese interface, English as well.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("SHOUKONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]

STATIC_URL = "/static/"
STATIC_ROOT = Path(
    os.environ.get("SHOUKONG_STATIC_ROOT", BASE_DIR / "static_collected")
)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SHOUKONG_MEDIA_ROOT", BASE_DIR / "media"))

# Uploaded sources of controlled documents must go through Django, which checks
# permission, never straight from the media directory.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "doc", "xls", "txt", "csv"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

WAGTAIL_SITE_NAME = "Shoukong 受控"
WAGTAILADMIN_BASE_URL = os.environ.get("SHOUKONG_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# WAGTAILSEARCH_BACKENDS: see "Search" below (built from SHOUKONG_SEARCH_*).

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    # Attempts per client address at POST /api/v1/auth/token/ (password
    # guessing); counted in the default cache.
    "DEFAULT_THROTTLE_RATES": {
        "auth-token": os.environ.get("SHOUKONG_TOKEN_RATE", "10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shoukong API",
    "DESCRIPTION": "Controlled documents, issues and registers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["documents.api.api_endpoints_only"],
}

# --- Shoukong ---------------------------------------------------------------
# Numbering scheme: "abcd" (A01, B01, C0101, D0201; seeds 000-003 §1) or "itsms"
# (ITSMS-M01, ITSMS-P05, ITSMS-WI03, ITSMS-P05-R02; seed 004 §1.5).
SHOUKONG_NUMBERING_SCHEME = os.environ.get("SHOUKONG_NUMBERING_SCHEME", "abcd")
SHOUKONG_SYSTEM_CODE = os.environ.get("SHOUKONG_SYSTEM_CODE", "ITSMS")
# Every controlled document is reviewed at least this often (seed 004 §1.10).
SHOUKONG_REVIEW_PERIOD_YEARS = env_int("SHOUKONG_REVIEW_PERIOD_YEARS", 3)
# Per tier (1–4), never more than 3 years; tiers missing here use the default.
SHOUKONG_REVIEW_PERIOD_YEARS_BY_TIER: dict[int, int] = {}
# Reviews due within this many days are listed and e-mailed to their owners.
SHOUKONG_REVIEW_WARNING_DAYS = env_int("SHOUKONG_REVIEW_WARNING_DAYS", 60)
# Approval chains (Wagtail workflows, by name) per tier. Forms (tier 4) follow
# their parent's chain; documents without a tier use "other".
SHOUKONG_APPROVAL_CHAINS: dict[str, str] = {
    "1": "一、二阶文件审批",
    "2": "一、二阶文件审批",
    "3": "三阶文件审批",
    "other": "三阶文件审批",
}
# Who approves tier 3 documents: the sources conflict (seed 004 §1.2). The role
# (group) named here: 管理者代表 (document control procedure, the default) or
# 总经理 / 部门经理 (the manual's "department's supervising leader").
SHOUKONG_TIER3_APPROVER = os.environ.get("SHOUKONG_TIER3_APPROVER", "管理者代表")
# What the pre-issue check (发布前检查) verifies; drop a name to switch it off.
SHOUKONG_PRE_ISSUE_CHECKS = ("reviewed", "approved", "electronic_file", "attachments")
# Superseded copies are due back within this many working days (Chinese calendar).
SHOUKONG_RECALL_WORKING_DAYS = env_int("SHOUKONG_RECALL_WORKING_DAYS", 1)
# Company-specific days off / extra working days on top of the statutory calendar.
SHOUKONG_EXTRA_HOLIDAYS: tuple[str, ...] = ()
SHOUKONG_EXTRA_WORKDAYS: tuple[str, ...] = ()
# A TrueType CJK font for stamped PDF copies (.ttf/.ttc); empty: look for one
# installed (WenQuanYi …), else reportlab's built-in STSong-Light.
SHOUKONG_PDF_FONT = os.environ.get("SHOUKONG_PDF_FONT", "")
DEFAULT_FROM_EMAIL = os.environ.get("SHOUKONG_FROM_EMAIL", "shoukong@localhost")
SHOUKONG_DEMO_PASSWORD = os.environ.get("SHOUKONG_DEMO_PASSWORD", "shoukong-demo-2026")
# Limits for text extraction from uploaded .docx/.pdf files.
SHOUKONG_EXTRACT_MAX_FILE_BYTES = env_int(
    "SHOUKONG_EXTRACT_MAX_FILE_BYTES", 50 * 1024 * 1024
)
SHOUKONG_EXTRACT_MAX_UNCOMPRESSED_BYTES = env_int(
    "SHOUKONG_EXTRACT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024
)
SHOUKONG_EXTRACT_MAX_TEXT_CHARS = env_int("SHOUKONG_EXTRACT_MAX_TEXT_CHARS", 5_000_000)
SHOUKONG_EXTRACT_TIMEOUT_SECONDS = env_int("SHOUKONG_EXTRACT_TIMEOUT_SECONDS", 60)
SHOUKONG_EXTRACT_MEMORY_BYTES = env_int(
    "SHOUKONG_EXTRACT_MEMORY_BYTES", 1024 * 1024 * 1024
)

# --- Records (records/) ---------------------------------------------------------
# Record files are kept outside MEDIA_ROOT and served only after a permission
# check (records.views.record_file).
SHOUKONG_RECORDS_ROOT = Path(
    os.environ.get("SHOUKONG_RECORDS_ROOT", BASE_DIR / "var" / "records")
)
# Largest file accepted as a record's evidence (scan, photo, .docx, .pdf, .xlsx).
SHOUKONG_RECORD_MAX_UPLOAD_BYTES = env_int(
    "SHOUKONG_RECORD_MAX_UPLOAD_BYTES", 20 * 1024 * 1024
)
# Record numbers carry the record's date in the company's time zone.
SHOUKONG_COMPANY_TIME_ZONE = os.environ.get("SHOUKONG_COMPANY_TIME_ZONE", TIME_ZONE)
# How far ahead a record may be dated (e.g. an inspection sheet prepared the day
# before); earlier dates are always allowed (paper records entered late).
SHOUKONG_RECORD_MAX_DAYS_AHEAD = env_int("SHOUKONG_RECORD_MAX_DAYS_AHEAD", 7)
# Retention of a form whose register entry has none or one that cannot be read:
# the procedure's general IT service records period (保存期限 table).
SHOUKONG_RECORDS_DEFAULT_RETENTION = os.environ.get(
    "SHOUKONG_RECORDS_DEFAULT_RETENTION", "5年"
)
# A disposal request waiting this many working days at one stage reminds the
# people it waits on (records_daily).
SHOUKONG_RECORDS_DISPOSAL_REMINDER_WORKDAYS = env_int(
    "SHOUKONG_RECORDS_DISPOSAL_REMINDER_WORKDAYS", 3
)
# Roles that read every record that is not confidential.
SHOUKONG_RECORDS_READ_ALL_ROLES = ("文控", "内审员")
# Roles that open every restricted (confidential) document; everyone else only
# those of their own department or of a department named as a reader.
SHOUKONG_RESTRICTED_DOCUMENT_READER_ROLES = ("文控", "管理者代表", "总经理")

# --- Search (search/) ---------------------------------------------------------------
# Roles that may ask search for superseded and obsolete issues (作废).
SHOUKONG_SEARCH_HISTORY_ROLES = ("文控", "管理者代表", "总经理", "部门经理", "内审员")
# The engine answering searches, SHOUKONG_SEARCH_BACKEND:
# * "database" (default): the embedded engine (search.engines.database, BM25 in
#   SQL on SQLite or PostgreSQL); Wagtail's own backend stays its database one.
# * "elasticsearch" / "opensearch": Wagtail's Elasticsearch or OpenSearch backend
#   (the one matching the installed client's major version: elasticsearch 7/8/9,
#   opensearch-py 2/3) becomes the "default" Wagtail backend, and search ranks
#   with it (search.engines.elastic). Its settings:
#   SHOUKONG_SEARCH_URL          comma-separated URLs (https://user:pw@host:9200);
#                                SHOUKONG_ELASTICSEARCH_URL is read when it is unset
#                                (and alone still selects "elasticsearch")
#   SHOUKONG_SEARCH_INDEX_PREFIX index names start with it (default "shoukong_")
#   SHOUKONG_SEARCH_ANALYZER     "cjk" (default: character pairs with built-in
#                                filters, no plugin) or an analyzer the cluster has,
#                                e.g. "ik_max_word" (IK) or "smartcn"
#   SHOUKONG_SEARCH_TIMEOUT      seconds per request (default 10)
# A wrong value stops the start with ImproperlyConfigured.
SEARCH_ENGINES = ("database", "elasticsearch", "opensearch")
# The analyzer defined in every index: Chinese runs become overlapping character
# pairs (受控文件 → 受控 控文 文件), full-width forms are folded, all lower case.
SHOUKONG_CJK_ANALYZER = {
    "type": "custom",
    "tokenizer": "standard",
    "filter": ["cjk_width", "lowercase", "cjk_bigram"],
}


def search_settings(environ=os.environ, version=None) -> dict:
    """The search settings read from ``environ``: ``{"engine", "backends",
    "analyzer"}`` (the engine name, ``WAGTAILSEARCH_BACKENDS``, the analyzer the
    index mapping uses). Raises ImproperlyConfigured for a wrong value.
    ``version(distribution)`` is ``importlib.metadata.version`` (tests pass
    their own)."""
    import importlib.metadata
    import re
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    version = version or importlib.metadata.version

    def get(name: str, default: str = "") -> str:
        return (environ.get(name) or "").strip() or default

    legacy_url = get("SHOUKONG_ELASTICSEARCH_URL")
    engine = get(
        "SHOUKONG_SEARCH_BACKEND", "elasticsearch" if legacy_url else "database"
    ).lower()
    if engine not in SEARCH_ENGINES:
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_BACKEND={engine!r} is not known: use one of "
            + ", ".join(SEARCH_ENGINES)
            + "."
        )
    database = {"default": {"BACKEND": "wagtail.search.backends.database"}}
    if engine == "database":
        return {"engine": engine, "backends": database, "analyzer": "shoukong_cjk"}

    # The Wagtail backend that speaks the installed client's API.
    distribution, majors = {
        "elasticsearch": ("elasticsearch", (7, 8, 9)),
        "opensearch": ("opensearch-py", (2, 3)),
    }[engine]
    try:
        major = int(version(distribution).split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_BACKEND={engine} needs its Python client, which is "
            f"not installed: pip install {distribution} (its major version must "
            "match the server's)."
        ) from None
    if major not in majors:
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_BACKEND={engine}: {distribution} {major}.x is not "
            "supported; install major version "
            + " or ".join(map(str, majors))
            + ", the one matching the server."
        )

    urls = [u.strip() for u in get("SHOUKONG_SEARCH_URL", legacy_url).split(",")]
    urls = [u for u in urls if u]
    if not urls:
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_BACKEND={engine} needs SHOUKONG_SEARCH_URL "
            "(e.g. http://127.0.0.1:9200; several separated by commas)."
        )
    for url in urls:
        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"SHOUKONG_SEARCH_URL: {url!r} is not an http:// or https:// URL "
                "with a host."
            )
    prefix = get(
        "SHOUKONG_SEARCH_INDEX_PREFIX",
        get("SHOUKONG_ELASTICSEARCH_PREFIX", "shoukong_"),
    )
    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", prefix):
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_INDEX_PREFIX={prefix!r}: index names take lower-case "
            "letters, digits, '_' and '-', starting with a letter or digit."
        )
    analyzer = get("SHOUKONG_SEARCH_ANALYZER", "cjk")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]{0,63}", analyzer):
        raise ImproperlyConfigured(
            f"SHOUKONG_SEARCH_ANALYZER={analyzer!r} is not an analyzer name "
            "(cjk, or one the cluster has, such as ik_max_word or smartcn)."
        )
    try:
        timeout = float(get("SHOUKONG_SEARCH_TIMEOUT", "10"))
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 600:
        raise ImproperlyConfigured(
            "SHOUKONG_SEARCH_TIMEOUT is a number of seconds between 0 and 600."
        )
    # "shoukong_cjk" is always defined; the index's default analyzer (used by
    # the fields Wagtail copies every text into, _all_text*) is the chosen one.
    if analyzer == "cjk":
        mapped, default = "shoukong_cjk", SHOUKONG_CJK_ANALYZER
    else:
        mapped, default = analyzer, {"type": analyzer}
    backend = {
        "BACKEND": f"wagtail.search.backends.{engine}{major}",
        "URLS": urls,
        "INDEX_PREFIX": prefix,
        "TIMEOUT": int(timeout) if timeout.is_integer() else timeout,
        "ATOMIC_REBUILD": True,
        "INDEX_SETTINGS": {
            "settings": {
                "analysis": {
                    "analyzer": {
                        "shoukong_cjk": dict(SHOUKONG_CJK_ANALYZER),
                        "default": dict(default),
                    }
                }
            }
        },
    }
    return {"engine": engine, "backends": {"default": backend}, "analyzer": mapped}


_search = search_settings()
SHOUKONG_SEARCH_ENGINE = _search["engine"]
WAGTAILSEARCH_BACKENDS = _search["backends"]
# The analyzer of SearchEntry's number, title, heading and text in the index
# mapping (search/models.py).
SHOUKONG_SEARCH_TEXT_ANALYZER = _search["analyzer"]
del _search

# --- Compliance (compliance/) ----------------------------------------------------
# The standard the clause pages and the API show when none is named.
SHOUKONG_COMPLIANCE_DEFAULT_STANDARD = os.environ.get(
    "SHOUKONG_COMPLIANCE_DEFAULT_STANDARD", "iso20000-1-2018"
)
# Findings from these sources wait for approval before they go to the
# department (internal audit procedure: 管理者代表 approves NC reports); the
# sources conflict on who approves a CAPA plan raised by 行政部, so both lists
# are the company's to set.
SHOUKONG_NONCONFORMITY_APPROVAL_SOURCES = ("internal_audit",)
SHOUKONG_NONCONFORMITY_APPROVER_ROLES = ("管理者代表",)
# Who decides an extension of an action's due date (CAPA procedure: 管理者代表).
SHOUKONG_CAPA_EXTENSION_APPROVER_ROLES = ("管理者代表",)
# The department that verifies effectiveness and closes actions (行政部), and
# who accepts plans for a department that has no 部门经理.
SHOUKONG_CAPA_VERIFIER_DEPARTMENT = "行政部"
SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES = ("总经理",)
# Numbers of nonconformities (actual: corrective) and potential ones (preventive).
SHOUKONG_NONCONFORMITY_NUMBER_FORMATS = {
    "corrective": "NC-{year}-{seq:03d}",
    "preventive": "PA-{year}-{seq:03d}",
}
# Coverage: the tiers that count as "a procedure" for a clause, and how far back
# an audit of the clause counts.
SHOUKONG_COVERAGE_PROCEDURE_TIERS = (2, 3)
SHOUKONG_COVERAGE_AUDIT_MONTHS = env_int("SHOUKONG_COVERAGE_AUDIT_MONTHS", 12)

# --- Internal audits (audits/) ----------------------------------------------------
# The annual programme's chain after it is prepared: (step, role) in order. The
# sources conflict (the GM approves; 管理者代表 approves): the default has
# 管理者代表 review and 总经理 approve; "approve:管理者代表" alone is the other.
SHOUKONG_AUDIT_PROGRAMME_CHAIN = tuple(
    tuple(step.split(":", 1))
    for step in os.environ.get(
        "SHOUKONG_AUDIT_PROGRAMME_CHAIN", "review:管理者代表,approve:总经理"
    ).split(",")
    if ":" in step
)
# Who prepares the programme and plans audits (行政部 or the audit leader), who
# decides ad hoc audits and forms teams, and who approves audit reports.
SHOUKONG_AUDIT_PREPARER_ROLES = ("文控", "内审员", "管理者代表")
SHOUKONG_AUDIT_DECIDER_ROLES = ("管理者代表",)
SHOUKONG_AUDIT_REPORT_APPROVER_ROLES = ("管理者代表",)
# Roles that may be on an audit team.
SHOUKONG_AUDIT_AUDITOR_ROLES = ("内审员", "管理者代表", "文控", "部门经理")
# The notice reaches the auditees this many days before the audit (a warning
# outside the range).
SHOUKONG_AUDIT_NOTICE_DAYS = (
    env_int("SHOUKONG_AUDIT_NOTICE_MIN_DAYS", 3),
    env_int("SHOUKONG_AUDIT_NOTICE_MAX_DAYS", 5),
)
SHOUKONG_AUDIT_NUMBER_FORMAT = "IA-{year}-{seq:02d}"
SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES = env_int(
    "SHOUKONG_AUDIT_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024
)
# Departments the programme need not cover (none: the manual asks for all).
SHOUKONG_AUDIT_EXEMPT_DEPARTMENTS: tuple[str, ...] = ()
# The forms the audit records are filed under, and the department that keeps
# them (行政部 archives them, kept 3 years by the forms' retention). A kind whose
# form is missing or not in force is not filed and the audit page says so.
SHOUKONG_AUDIT_RECORD_FORMS = {
    "programme": "D1301",
    "checklist": "D1302",
    "opening": "D1304",
    "closing": "D1305",
    "report": "D1306",
}
SHOUKONG_AUDIT_RECORDS_DEPARTMENT = "行政部"


# --- Management reviews (reviews/) ---------------------------------------------------
# The review plan (管理评审计划) and the review report (管理评审报告) are signed
# along these chains after 行政部 prepares them: (step, role) in order. The
# procedure has 管理者代表 review and 总经理 approve both.
def _chain(name: str, default: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        tuple(step.split(":", 1))
        for step in os.environ.get(name, default).split(",")
        if ":" in step
    )


SHOUKONG_MGMT_REVIEW_PLAN_CHAIN = _chain(
    "SHOUKONG_MGMT_REVIEW_PLAN_CHAIN", "review:管理者代表,approve:总经理"
)
SHOUKONG_MGMT_REVIEW_REPORT_CHAIN = _chain(
    "SHOUKONG_MGMT_REVIEW_REPORT_CHAIN", "review:管理者代表,approve:总经理"
)
# Who prepares reviews, takes the minutes and tracks the outputs (行政部 and
# 管理者代表), and who confirms the consolidated input pack (管理者代表).
SHOUKONG_MGMT_REVIEW_PREPARER_ROLES = ("文控", "管理者代表")
SHOUKONG_MGMT_REVIEW_CONFIRMER_ROLES = ("管理者代表",)
# At least one review every SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS months; the
# dashboard warns this many days before the interval runs out.
SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS = env_int(
    "SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS", 12
)
SHOUKONG_MGMT_REVIEW_WARNING_DAYS = env_int("SHOUKONG_MGMT_REVIEW_WARNING_DAYS", 60)
# The report is due this many days after the meeting. The sources conflict
# (within a week; ten working days): a warning past it, never a refusal.
SHOUKONG_MGMT_REVIEW_REPORT_DAYS = env_int("SHOUKONG_MGMT_REVIEW_REPORT_DAYS", 7)
SHOUKONG_MGMT_REVIEW_NUMBER_FORMAT = "MR-{year}-{seq:02d}"
SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES = env_int(
    "SHOUKONG_MGMT_REVIEW_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024
)
# The grade given to the nonconformities a review's improvement and corrective
# actions raise in compliance.
SHOUKONG_MGMT_REVIEW_OUTPUT_GRADES = {
    "improvement": "improvement_action",
    "corrective": "minor",
}
# The forms the review records are filed under and the department keeping
# them, as for audits: a kind whose form is missing is not filed, with a warning.
SHOUKONG_MGMT_REVIEW_RECORD_FORMS = {
    "plan": "D1401",
    "report": "D1402",
    "minutes": "D1403",
    "inputs": "D1404",
    "actions": "D1405",
}
SHOUKONG_MGMT_REVIEW_RECORDS_DEPARTMENT = "行政部"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
