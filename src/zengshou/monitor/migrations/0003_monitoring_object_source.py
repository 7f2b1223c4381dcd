"""MonitoringObject.source / source_file, and monitoring objects for households imported earlier.

Households stored with 户类型 监测对象-* but never a monitoring object came from imports made before
imports created them; they become monitoring objects (source 导入), included on 1 January of their
latest income year (else on their last update), as an import now does.
"""

import datetime as dt
from typing import Any

from django.db import migrations, models

_PREFIX = "监测对象-"


def include_imported(apps: Any, schema_editor: Any) -> None:
    household = apps.get_model("registry", "Household")
    monitoring_object = apps.get_model("monitor", "MonitoringObject")
    income = apps.get_model("registry", "Income")
    seen = set(monitoring_object.objects.values_list("household_id", flat=True))
    monitored = household.objects.filter(household_type__startswith=_PREFIX)
    latest = dict(
        income.objects.filter(household__in=monitored)
        .values("household_id")
        .annotate(last=models.Max("year"))
        .values_list("household_id", "last")
    )
    rows = [
        monitoring_object(
            household_id=hid,
            monitoring_type=htype.removeprefix(_PREFIX),
            included_on=min(dt.date(latest[hid], 1, 1), updated.date()) if hid in latest else updated.date(),
            included_by="导入",
            previous_household_type="脱贫户" if htype == _PREFIX + "脱贫不稳定户" else "一般农户",
            source="import",
            source_file="",
        )
        for hid, htype, updated in monitored.values_list(
            "household_id", "household_type", "updated_at"
        ).iterator(chunk_size=5000)
        if hid not in seen
    ]
    monitoring_object.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("monitor", "0002_alert_fewer_indexes"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitoringobject",
            name="source",
            field=models.CharField(
                choices=[("workflow", "预警纳入"), ("import", "导入")],
                default="workflow",
                max_length=10,
                verbose_name="来源",
            ),
        ),
        migrations.AddField(
            model_name="monitoringobject",
            name="source_file",
            field=models.CharField(blank=True, default="", max_length=255, verbose_name="来源文件"),
        ),
        migrations.RunPython(include_imported, migrations.RunPython.noop),
    ]
