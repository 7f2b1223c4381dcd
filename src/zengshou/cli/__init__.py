"""The ``zengshou`` command line. Each part registers its commands in its own module below."""

from __future__ import annotations

import importlib

import typer

from zengshou import __version__

app = typer.Typer(
    name="zengshou",
    help="增收 — 防止返贫致贫监测帮扶系统 (rural income monitoring and assistance, Ningxia).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules of ``zengshou.cli`` that add commands to :data:`app`; a part adds its own name here.
COMMAND_MODULES = (
    "core",
    "synth",
    "ingest",
    "pipeline",
    "toolbox",
    "model",
    "web",
    "demo",
    "pairing",
    "assess",
    "worker",
    "backup",
    "quality",
    "spark",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zengshou {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="显示版本 / show version"
    ),
) -> None:
    """增收 zengshou."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"zengshou.cli.{_name}")


def main() -> None:
    """The ``zengshou`` entry point: any failure ends in a Chinese message and a non-zero exit."""
    import sys

    from zengshou.cli.errors import run_guarded

    sys.exit(run_guarded(app))
