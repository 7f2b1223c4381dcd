"""增收 zengshou — monitoring and assistance system for rural household income in Ningxia."""

__version__ = "0.1.0"


def setup_django() -> None:
    """Configure Django once, for the CLI and batch code that use the ORM outside a web request."""
    import os

    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zengshou.settings")
    django.setup()
