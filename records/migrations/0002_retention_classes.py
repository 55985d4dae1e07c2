"""The retention classes of the records procedure's table (保存期限)."""

from django.db import migrations

CLASSES = (
    # name, kind, months, event, what it covers
    ("管理体系运行记录", "fixed", 36, "", "管理体系运行、供应商审核、内审和管理评审记录"),
    ("IT服务记录", "fixed", 60, "", "一般服务及信息技术服务记录"),
    ("永久保存", "permanent", 0, "", "与客户签订的合同和技术协议"),
    ("设备记录", "event", 12, "equipment_scrapped", "设备仪器的安装验收报告及维护资料"),
    ("员工培训记录", "event", 12, "employee_exit", "员工培训等相关资料"),
    ("产品记录", "event", 12, "product_discontinued", "与产品有关的资料"),
)


def create(apps, schema_editor):
    RetentionClass = apps.get_model("records", "RetentionClass")
    for name, kind, months, event, description in CLASSES:
        RetentionClass.objects.get_or_create(
            kind=kind,
            months=months,
            event=event,
            defaults={"name": name, "description": description},
        )


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
