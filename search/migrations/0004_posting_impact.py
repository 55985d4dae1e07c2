"""Each posting keeps its BM25 weight (search.scoring.impact) and the band of
its entry in the order of results (search.scoring.band), with an index that
lists the best entries of a term in a band first."""

from django.db import migrations, models

# search.scoring as of this migration.
K1, B, HEAD_WEIGHT, PIVOT_LENGTH = 1.2, 0.75, 6.0, 400.0


def fill_impacts(apps, schema_editor):
    SearchEntry = apps.get_model("search", "SearchEntry")
    SearchPosting = apps.get_model("search", "SearchPosting")
    qn = schema_editor.quote_name
    postings = qn(SearchPosting._meta.db_table)
    entries = qn(SearchEntry._meta.db_table)
    head = f"{HEAD_WEIGHT * (K1 + 1)} * head_tf / (head_tf + {K1})"
    norm = (
        f"{K1 * (1 - B)} + {K1 * B / PIVOT_LENGTH} * (SELECT e.length FROM {entries} e"
        f" WHERE e.id = {postings}.entry_id)"
    )
    body = f"{K1 + 1} * body_tf / (body_tf + {norm})"
    schema_editor.execute(
        f"UPDATE {postings} SET impact ="
        f" (CASE WHEN head_tf > 0 THEN {head} ELSE 0.0 END)"
        f" + (CASE WHEN body_tf > 0 THEN {body} ELSE 0.0 END)"
    )
    schema_editor.execute(
        f"UPDATE {postings} SET band = 1 WHERE entry_id IN (SELECT e.id FROM"
        f" {entries} e WHERE e.kind <> 'record' AND e.number <> '')"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_entry_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchposting",
            name="impact",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name="searchposting",
            name="band",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        # The index before the rows are filled: on PostgreSQL, an UPDATE leaves
        # deferred foreign-key events that forbid a CREATE INDEX after it in the
        # same transaction.
        migrations.AddIndex(
            model_name="searchposting",
            index=models.Index(
                fields=["term", "band", "-impact", "entry", "head_tf"],
                name="search_posting_impact",
            ),
        ),
        migrations.RunPython(fill_impacts, migrations.RunPython.noop),
    ]
