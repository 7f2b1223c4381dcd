"""``python -m zengshou.cli``: the same entry point as the ``zengshou`` script."""

from zengshou.cli import main

main()
