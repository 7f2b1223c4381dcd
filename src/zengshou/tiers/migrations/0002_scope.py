"""Stored tier results carry the low-income plan's scope (L00); rows stored before are filled in."""

from typing import Any

from django.db import migrations, models


def fill_scope(apps: Any, schema_editor: Any) -> None:
    """Each stored (year, household type, group) gets the scope the facts layer defines for it."""
    from zengshou.tiers.rules import scope_of

    tier_result = apps.get_model("tiers", "TierResult")
    combos = list(tier_result.objects.values_list("year", "household__household_type", "quintile").distinct())
    for year, household_type, quintile in combos:
        tier_result.objects.filter(
            year=year, household__household_type=household_type, quintile=quintile
        ).update(in_scope=scope_of(household_type, quintile, year))


class Migration(migrations.Migration):
    dependencies = [("tiers", "0001_initial"), ("registry", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="tierresult",
            name="in_scope",
            field=models.BooleanField(null=True, verbose_name="低收入组脱贫人口（含监测对象）"),
        ),
        migrations.RunPython(fill_scope, migrations.RunPython.noop),
    ]
