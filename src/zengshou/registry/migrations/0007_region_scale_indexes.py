"""Indexes for pages at region scale: an area's households in list order, and names found by any part.

On PostgreSQL a member's name is indexed by its single characters and pairs of characters (GIN over
``zs_name_grams(name)``): Chinese names are two to four characters, too short for trigrams, so a
search for 兰 or 小兰 uses the index and only checks the few names it returns. SQLite keeps ``LIKE``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

NAME_GRAMS = """
CREATE OR REPLACE FUNCTION zs_name_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, n)), '{}')
  FROM generate_series(1, char_length(t)) AS i, (VALUES (1), (2)) AS v(n)
  WHERE i + n - 1 <= char_length(t)
$$;
CREATE INDEX IF NOT EXISTS member_name_grams ON registry_member USING gin (zs_name_grams(name));
"""
DROP_NAME_GRAMS = """
DROP INDEX IF EXISTS member_name_grams;
DROP FUNCTION IF EXISTS zs_name_grams(text);
"""


def _postgres(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_migrant_work_record")]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["village", "household_id"], name="household_area_order"),
        ),
        migrations.RunPython(_postgres(NAME_GRAMS), _postgres(DROP_NAME_GRAMS)),
    ]
