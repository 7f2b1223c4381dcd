"""Password hashing that a small office server can afford under a burst of sign-ins.

Django's own Argon2 settings take 100 MiB per hash; OWASP's Password Storage Cheat Sheet names
Argon2id with 19 MiB, two passes and one lane as its minimum recommended configuration, which this
hasher uses. Its algorithm name stays ``argon2``, so existing hashes are still read, and Django's
``must_update`` (the parameters differ) re-hashes a password with these settings at its next
successful sign-in. Every hash and check also waits for one of a few process-wide slots
(``WEB_LOGIN_CONCURRENT_HASHES``), so twenty sign-ins at once cost two hashes' memory, not twenty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

T = TypeVar("T")

_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _semaphore() -> threading.BoundedSemaphore:
    """The process-wide slots, sized from the settings on first use."""
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(1, int(settings.WEB_LOGIN_CONCURRENT_HASHES)))
        return _slots


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one of the hashing slots (waiting for one if all are taken)."""
    slots = _semaphore()
    with slots:
        yield


def _bounded(fn: Callable[..., T], *args: Any) -> T:
    with hashing_slot():
        return fn(*args)


class OfficeArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum recommended cost (m = 19 MiB, t = 2, p = 1), bounded in number."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return _bounded(super().encode, password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        return _bounded(super().verify, password, encoded)
