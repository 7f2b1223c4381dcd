"""Load Ningxia's region, cities and counties (GB/T 2260) so every database starts with them."""

from django.db import migrations


def load(apps, schema_editor):
    from zengshou.registry.areas import ensure_loaded

    ensure_loaded(apps.get_model("registry", "Area"))


def unload(apps, schema_editor):
    from zengshou.registry.areas import ningxia

    Area = apps.get_model("registry", "Area")
    Area.objects.filter(code__in=[r.code for r in reversed(ningxia())], level__in=["county"]).delete()
    Area.objects.filter(code__in=[r.code for r in ningxia()], level="city").delete()
    Area.objects.filter(code__in=[r.code for r in ningxia()], level="region").delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
