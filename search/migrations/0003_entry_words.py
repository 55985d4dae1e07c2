"""Heading and text of the entries move to their own table (SearchText): the
ranking reads an entry row for every match, and on SQLite a row holding
thousands of characters of text spills onto overflow pages."""

import django.db.models.deletion
from django.db import migrations, models


def copy_words(apps, schema_editor):
    SearchEntry = apps.get_model("search", "SearchEntry")
    SearchText = apps.get_model("search", "SearchText")
    qn = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {qn(SearchText._meta.db_table)} (entry_id, heading, text)"
        f" SELECT id, heading, text FROM {qn(SearchEntry._meta.db_table)}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_entry_parent"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="words",
                        serialize=False,
                        to="search.searchentry",
                    ),
                ),
                ("heading", models.TextField(blank=True, default="")),
                ("text", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "search text",
                "verbose_name_plural": "search texts",
            },
        ),
        migrations.RunPython(copy_words, migrations.RunPython.noop),
        migrations.RemoveField(model_name="searchentry", name="heading"),
        migrations.RemoveField(model_name="searchentry", name="text"),
    ]
