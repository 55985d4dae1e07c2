from django.db import migrations, models

STEPLEN = 4  # wagtail.models.Page.steplen


def fill_parents(apps, schema_editor):
    """Forms already indexed get the document they sit under."""
    SearchEntry = apps.get_model("search", "SearchEntry")
    DocumentPage = apps.get_model("documents", "DocumentPage")
    form_ids = set(
        SearchEntry.objects.filter(kind="form", document_id__isnull=False).values_list(
            "document_id", flat=True
        )
    )
    if not form_ids:
        return
    paths = dict(
        DocumentPage.objects.filter(pk__in=form_ids).values_list("pk", "path")
    )
    parent_paths = {pk: path[:-STEPLEN] for pk, path in paths.items()}
    by_path = dict(
        DocumentPage.objects.filter(path__in=set(parent_paths.values())).values_list(
            "path", "pk"
        )
    )
    for pk, path in parent_paths.items():
        if path in by_path:
            SearchEntry.objects.filter(kind="form", document_id=pk).update(
                parent_id=by_path[path]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("documents", "0005_access_and_other_names"),
    ]

    operations = [
        # Wagtail's database search backend annotates "object_id" on every
        # indexed model (update_index failed).
        migrations.RemoveIndex(
            model_name="searchentry", name="search_sear_kind_e0a70d_idx"
        ),
        migrations.RenameField(
            model_name="searchentry", old_name="object_id", new_name="object_pk"
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                fields=["kind", "object_pk"], name="search_sear_kind_35ca17_idx"
            ),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="parent_id",
            field=models.IntegerField(
                blank=True, null=True, verbose_name="parent document"
            ),
        ),
        migrations.RunPython(fill_parents, migrations.RunPython.noop),
    ]
