"""Seed the three service management objectives every ISO/IEC 20000-1
customer starts from (the manual's objectives: response timeliness, on-time
incident resolution, customer satisfaction); companies change them in
/reviews/objectives/."""

from decimal import Decimal

from django.db import migrations

OBJECTIVES = (
    ("response-rate", "服务响应及时率", Decimal("95"), 10),
    ("resolution-rate", "事件按时解决率", Decimal("98"), 20),
    ("satisfaction", "客户满意度", Decimal("90"), 30),
)


def seed(apps, schema_editor):
    Objective = apps.get_model("reviews", "Objective")
    for code, name, target, order in OBJECTIVES:
        if Objective.objects.filter(code=code).exists() or Objective.objects.filter(
            name=name
        ).exists():
            continue
        Objective.objects.create(
            code=code,
            name=name,
            kind="objective",
            unit="%",
            comparison="gte",
            target=target,
            min_value=Decimal("0"),
            max_value=Decimal("100"),
            frequency="quarterly" if code == "satisfaction" else "monthly",
            sort_order=order,
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
