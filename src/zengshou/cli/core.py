"""Commands every installation has: stats (``serve`` is in :mod:`zengshou.cli.web`)."""

from __future__ import annotations

import json

import typer

from zengshou.cli import app


def migrate(verbose: bool = False) -> None:
    """Bring the configured database's schema up to date (idempotent)."""
    from django.core.management import call_command

    from zengshou import setup_django

    setup_django()
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    from zengshou.registry.areas import ensure_loaded

    ensure_loaded()


def table_counts() -> dict[str, int]:
    """Row counts of every main table, keyed by a stable English name."""
    from django.apps import apps

    from zengshou import setup_django

    setup_django()
    counts: dict[str, int] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("zengshou."):
            continue
        counts[f"{model._meta.app_label}.{model._meta.model_name}"] = model._default_manager.count()
    return counts


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="JSON 输出 / print a flat JSON object")) -> None:
    """各表记录数 / counts of every main table."""
    migrate()
    counts = table_counts()
    if as_json:
        typer.echo(json.dumps(counts, ensure_ascii=False, sort_keys=True))
        return
    for name, n in sorted(counts.items()):
        typer.echo(f"{name:40s} {n:>12,d}")
