"""A grade for the improvement actions a management review decides: not a
nonconformity, but an action with an owner and a due date that goes through
plan, implementation and verification (改进机会, an opportunity, needs none)."""

from django.db import migrations


def seed(apps, schema_editor):
    grade_model = apps.get_model("compliance", "NonconformityGrade")
    grade_model.objects.get_or_create(
        code="improvement_action",
        defaults={
            "name": "改进措施",
            "is_nonconformity": False,
            "requires_action": True,
            "sort_order": 5,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_objectives"),
        ("compliance", "0002_grades_and_catalogues"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
