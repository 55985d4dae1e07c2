"""The search index: one entry per thing staff can find, and its terms.

:class:`SearchEntry` describes a result (kind, number, title, issue, status,
department, who may see it, its plain text for snippets); :class:`SearchPosting`
says which terms (:mod:`search.analysis`) an entry holds, and how often in its
heading (number, title, other names) and in its text; :class:`SearchText` keeps
that heading and text (for snippets) apart, so that the entry rows the ranking
reads for every match stay small. The embedded engine
(:mod:`search.engines.database`) ranks with BM25 over these rows in plain SQL, so
SQLite and PostgreSQL answer alike. The three tables are derived data: ``manage.py
reindex`` rebuilds them from the documents, records, clauses, nonconformities and
findings at any time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class BinaryCharField(models.CharField):
    """A CharField compared byte by byte: on PostgreSQL its collation is "C", so
    ``term >= 'b0' AND term < 'b0\\U0010ffff'`` is a prefix range that uses the
    index whatever the database's locale (SQLite compares bytes already)."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class EntryKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    FORM = "form", _("Form")
    RECORD = "record", _("Record")
    CLAUSE = "clause", _("Clause")
    NONCONFORMITY = "nonconformity", _("Nonconformity")
    FINDING = "finding", _("Audit finding")


class SearchEntry(index.Indexed, models.Model):
    key = models.CharField(_("key"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    # The indexed object (issue, page, record, clause…); not "object_id",
    # which Wagtail's database search backend uses on every indexed model.
    object_pk = models.BigIntegerField(_("object"))
    # The document (page) an entry belongs to: the document of an issue, the
    # form of a record.
    document_id = models.IntegerField(_("document"), null=True, blank=True)
    # The document a form sits under (D0503 under B05): when a form answers a
    # query only through part of its title, that procedure ranks before it.
    parent_id = models.IntegerField(_("parent document"), null=True, blank=True)
    number = BinaryCharField(_("number"), max_length=200, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=255)
    issue_label = models.CharField(_("issue"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=24)
    # Searched by default: the effective and the approved (not yet effective)
    # issues, kept records, active clauses, every nonconformity and finding.
    current = models.BooleanField(_("current"), default=True)
    department = models.ForeignKey(
        "documents.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    tier = models.PositiveSmallIntegerField(_("tier"), null=True, blank=True)
    confidential = models.BooleanField(_("restricted"), default=False)
    # Reader departments of a restricted document: " 3 5 " (ids between spaces).
    readers = models.CharField(max_length=500, blank=True, default="")
    # Clause numbers the entry answers: " 7.5.3 8.5.1 ".
    clauses = models.CharField(max_length=1000, blank=True, default="")
    date = models.DateField(_("date"), null=True, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    url = models.CharField(max_length=300, blank=True)
    length = models.PositiveIntegerField(default=0)  # terms in text
    digest = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    # Only the Elasticsearch/OpenSearch engine (search.engines.elastic) puts
    # entries into a Wagtail backend, explicitly; the embedded engine reads the
    # postings, so the Wagtail database backend never holds a copy.
    search_auto_update = False
    # Chinese is cut into character pairs by the "shoukong_cjk" analyzer that
    # config/settings/base.py defines in the index (or by the analyzer of
    # SHOUKONG_SEARCH_ANALYZER); numbers always by shoukong_cjk.
    search_fields = [
        index.SearchField(
            "number",
            boost=10,
            es_extra={"analyzer": "shoukong_cjk", "search_analyzer": "shoukong_cjk"},
        ),
        index.AutocompleteField("number"),
        index.SearchField(
            "title",
            boost=6,
            es_extra={
                "analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
                "search_analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
            },
        ),
        index.AutocompleteField("title"),
        index.SearchField(
            "heading",
            boost=4,
            es_extra={
                "analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
                "search_analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
            },
        ),
        index.SearchField(
            "text",
            es_extra={
                "analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
                "search_analyzer": settings.SHOUKONG_SEARCH_TEXT_ANALYZER,
            },
        ),
        index.FilterField("kind"),
        index.FilterField("current"),
        index.FilterField("status"),
        index.FilterField("tier"),
        index.FilterField("department_id"),
        index.FilterField("document_id"),
        index.FilterField("object_pk"),
        index.FilterField("confidential"),
        index.FilterField("date"),
        index.FilterField("number"),
    ]

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        indexes = [
            models.Index(fields=["kind", "current"]),
            models.Index(fields=["document_id"]),
            models.Index(fields=["kind", "object_pk"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    def _words(self) -> SearchText | None:
        try:
            return self.words
        except SearchText.DoesNotExist:
            return None

    @property
    def heading(self) -> str:
        """Number, title and other names (:class:`SearchText`)."""
        words = self._words()
        return words.heading if words else ""

    @property
    def text(self) -> str:
        """The text searched and quoted in snippets (:class:`SearchText`)."""
        words = self._words()
        return words.text if words else ""

    @classmethod
    def get_indexed_objects(cls):
        from .engines import uses_wagtail_backend

        if not uses_wagtail_backend():
            return cls.objects.none()
        return cls.objects.select_related("words")


class SearchText(models.Model):
    """The heading and text of an entry: read for the snippets of one page of
    results, never by the ranking."""

    entry = models.OneToOneField(
        SearchEntry, on_delete=models.CASCADE, primary_key=True, related_name="words"
    )
    heading = models.TextField(blank=True, default="")  # number, title, other names
    text = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")

    def __str__(self) -> str:
        return str(self.entry_id)


class SearchPosting(models.Model):
    pk = models.CompositePrimaryKey("term", "entry")
    term = BinaryCharField(max_length=48)
    entry = models.ForeignKey(
        SearchEntry, on_delete=models.CASCADE, related_name="postings"
    )
    head_tf = models.PositiveSmallIntegerField(default=0)
    body_tf = models.PositiveSmallIntegerField(default=0)
    # The term's BM25 weight in the entry, before its idf (search.scoring).
    impact = models.FloatField(default=0.0)
    # The entry's band in the order of results (search.scoring.band): with
    # the impact, the best postings of a band are read from the index alone.
    band = models.PositiveSmallIntegerField(default=2)

    class Meta:
        verbose_name = _("search posting")
        verbose_name_plural = _("search postings")
        indexes = [
            # The best entries of a term first, read from the index alone.
            models.Index(
                fields=["term", "band", "-impact", "entry", "head_tf"],
                name="search_posting_impact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.entry_id}"
