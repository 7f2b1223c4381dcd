"""Where the system keeps its data: the embedded SQLite file by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def home() -> Path:
    """The folder for the embedded database, uploads and run outputs (``$ZENGSHOU_HOME``)."""
    path = Path(os.environ.get("ZENGSHOU_HOME", "~/.zengshou")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_settings() -> dict[str, Any]:
    """Django's DATABASES['default'] for the current environment."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        import dj_database_url

        cfg: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        return cfg
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(home() / "zengshou.sqlite3"),
        "OPTIONS": {
            # WAL lets the web app read while a batch job writes; NORMAL sync is safe with WAL.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            # Every transaction takes the write lock at BEGIN, so what it reads is what it writes
            # over (an import checks the registry inside its transaction); other writers wait up
            # to the timeout, an import longer (ingest.load.IMPORT_WAIT_SECONDS).
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        # The test database is a file too, so the registry's ADBC reader (its own connection) reads
        # it as it reads the office's.
        "TEST": {"NAME": str(home() / "test-zengshou.sqlite3")},
    }


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
