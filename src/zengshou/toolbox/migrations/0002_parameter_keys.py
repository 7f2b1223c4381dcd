"""Stored county toolboxes name the region's parameters by their catalogue-code keys.

The content is YAML text shown as saved, so each key is replaced where it stands (under ``params``,
in a local measure's ``param:`` or a ``{key}`` of its requirement text), comments and layout kept.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

#: The keys of the regional toolbox whose names changed (a county toolbox may set only those).
RENAMED: dict[str, str] = {
    "def.healthy_labourer.min_age": "L00.healthy_labourer_min_age",
    "def.healthy_labourer.max_age": "L00.healthy_labourer_max_age",
    "def.working_age.min": "L00.working_age_min",
    "def.working_age.max_male": "L00.working_age_max_male",
    "def.working_age.max_female": "L00.working_age_max_female",
    "scope.household_types": "L00.household_types",
    "scope.quintiles": "L00.quintiles",
    "L04.max_spare_labourers": "L04a.max_spare_labourers",
    "L09.labourers": "L09b.labourers",
}


def rename_keys(text: str, mapping: dict[str, str]) -> str:
    """``text`` with every whole key of ``mapping`` replaced (not a longer key that contains it)."""
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, mapping)) + r")(?![\w.-])")
    return pattern.sub(lambda m: mapping[m.group(1)], text)


def _apply(apps: Any, mapping: dict[str, str]) -> None:
    version = apps.get_model("toolbox", "CountyToolboxVersion")
    for v in version.objects.all():
        content = rename_keys(v.content, mapping)
        if content != v.content:
            v.content = content
            v.save(update_fields=["content"])


def forwards(apps: Any, schema_editor: Any) -> None:
    _apply(apps, RENAMED)


def backwards(apps: Any, schema_editor: Any) -> None:
    _apply(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("toolbox", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
