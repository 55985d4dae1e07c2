"""Seed the nonconformity grades and load the shipped clause catalogues, so a
fresh database answers for ISO/IEC 20000-1:2018 from its first migration."""

from django.db import migrations

# Data, as role names are: the company renames or adds grades in the admin.
GRADES = (
    ("major", "严重不符合", True, True, 1),
    ("minor", "一般不符合", True, True, 2),
    ("observation", "观察项", False, False, 3),
    ("improvement", "改进机会", False, False, 4),
)


def seed(apps, schema_editor):
    from compliance.catalogue import catalogues_ensure

    grade_model = apps.get_model("compliance", "NonconformityGrade")
    for code, name, is_nc, requires_action, order in GRADES:
        grade_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "is_nonconformity": is_nc,
                "requires_action": requires_action,
                "sort_order": order,
            },
        )
    catalogues_ensure(
        standard_model=apps.get_model("compliance", "Standard"),
        clause_model=apps.get_model("compliance", "Clause"),
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
