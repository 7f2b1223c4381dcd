"""Sign-in under guessing and bursts: delays per user name and address, bounded hashing cost."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, identify_hasher, make_password
from django.test import Client

from tests.web.conftest import PASSWORD

DOCS = Path(__file__).resolve().parents[2] / "docs" / "web.md"
OFFICE = "10.1.2.3"


@pytest.fixture
def office_users(db) -> None:
    """Two township officials who share the office's one address."""
    from zengshou.registry.models import Area
    from zengshou.web.accounts import add_user

    Area.objects.get_or_create(
        code="640522100", defaults={"name": "海城镇", "level": "township", "parent_id": "640522"}
    )
    for name in ("mali", "yangqin"):
        add_user(name, "township", "640522100", password=PASSWORD)


def _post(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=OFFICE)


def _fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        assert _post(client, username, "wrong-password").status_code == 401


def test_one_user_failing_behind_an_office_address_does_not_lock_out_a_colleague(office_users, clock):
    c = Client()
    _fail(c, "mali", 5)
    r = _post(c, "mali", PASSWORD)
    assert r.status_code == 429
    # The colleague behind the same address signs in at once, and so does 马力 from elsewhere.
    colleague = _post(Client(), "yangqin", PASSWORD)
    assert colleague.status_code == 302
    elsewhere = Client().post("/login/", {"username": "mali", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert elsewhere.status_code == 302


def test_the_delay_doubles_with_each_further_failure_and_says_how_long_to_wait(office_users, clock):
    c = Client()
    _fail(c, "mali", 5)
    waits = []
    for _ in range(4):
        r = _post(c, "mali", "wrong-password")
        assert r.status_code == 429
        waits.append(int(r["Retry-After"]))
        assert f"请{waits[-1]}秒后再试" in r.content.decode()
        clock.advance(waits[-1])
        _fail(c, "mali", 1)
    assert waits == [1, 2, 4, 8]
    # Failures refused while waiting are not checked and do not lengthen the wait.
    r = _post(c, "mali", "wrong-password")
    assert int(r["Retry-After"]) == 16
    r = _post(c, "mali", "wrong-password")
    assert int(r["Retry-After"]) == 16


def test_the_delay_stops_at_its_cap_and_reads_in_minutes(office_users, clock, settings):
    from zengshou.web.models import LoginFailure

    settings.WEB_LOGIN_DELAY_CAP_SECONDS = 300
    for _ in range(14):
        LoginFailure.objects.create(username="mali", ip=OFFICE)
    r = _post(Client(), "mali", PASSWORD)
    assert r.status_code == 429 and int(r["Retry-After"]) == 300
    assert "请5分钟后再试" in r.content.decode()


def test_a_right_password_after_the_delay_signs_in_and_clears_the_count(office_users, clock):
    from zengshou.registry.models import AuditEvent
    from zengshou.web.models import LoginFailure

    c = Client()
    _fail(c, "mali", 5)
    assert _post(c, "mali", PASSWORD).status_code == 429
    clock.advance(1)
    assert _post(c, "mali", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="mali", ip=OFFICE).exists()
    events = AuditEvent.objects.filter(username="mali")
    assert events.filter(action="login.failed").count() == 5
    assert events.filter(action="login.throttled").count() == 1
    assert events.filter(action="login").count() == 1


def test_one_address_trying_many_names_is_slowed_only_past_a_high_ceiling(office_users, clock, settings):
    settings.WEB_LOGIN_FREE_FAILURES_PER_IP = 13
    c = Client()
    for i in range(3):
        _fail(c, f"guess{i}", 4)  # no single name reaches its own delay
    assert _post(Client(), "yangqin", PASSWORD).status_code == 302
    _fail(c, "guess9", 1)  # 13 failures from the address: everyone behind it waits a second
    r = _post(Client(), "yangqin", PASSWORD)
    assert r.status_code == 429 and int(r["Retry-After"]) == 1
    clock.advance(1)
    assert _post(Client(), "yangqin", PASSWORD).status_code == 302


def test_failures_older_than_the_window_are_forgotten(office_users, clock):
    from zengshou.web.models import LoginFailure

    c = Client()
    _fail(c, "mali", 5)
    clock.advance(16 * 60)
    _fail(c, "yangqin", 1)  # any failure drops the stale rows
    assert not LoginFailure.objects.filter(username="mali").exists()
    assert _post(c, "mali", PASSWORD).status_code == 302


def test_passwords_are_hashed_with_the_argon2_parameters_the_docs_give(office_users):
    from zengshou.web.hashers import OfficeArgon2PasswordHasher

    encoded = get_user_model().objects.get(username="mali").password
    decoded = identify_hasher(encoded).decode(encoded)
    assert (decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]) == (19 * 1024, 2, 1)
    assert decoded["variety"] == "argon2id"
    assert isinstance(identify_hasher(encoded), OfficeArgon2PasswordHasher)
    text = DOCS.read_text()
    assert "m = 19 MiB, t = 2, p = 1" in text and "Password Storage Cheat Sheet" in text


def test_a_hash_made_with_djangos_old_100_mib_setting_is_upgraded_at_the_next_sign_in(office_users):
    user = get_user_model().objects.get(username="mali")
    user.password = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    user.save()
    assert "m=102400" in user.password
    assert _post(Client(), "mali", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_at_most_two_passwords_are_hashed_at_once_however_many_sign_ins_arrive(monkeypatch, settings):
    from zengshou.web import hashers

    settings.WEB_LOGIN_CONCURRENT_HASHES = 2
    monkeypatch.setattr(hashers, "_slots", None)
    encoded = make_password("irrelevant-secret")
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow_verify(self: Any, password: str, encoded: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return False

    monkeypatch.setattr(Argon2PasswordHasher, "verify", slow_verify)
    threads = [threading.Thread(target=check_password, args=("guess", encoded)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def test_an_unknown_user_name_costs_one_bounded_hash_like_a_known_one(db, monkeypatch):
    from zengshou.web import hashers

    calls: list[str] = []
    real = hashers.hashing_slot

    def counting_slot() -> Any:
        calls.append("hash")
        return real()

    monkeypatch.setattr(hashers, "hashing_slot", counting_slot)
    assert authenticate(username="no-such-user", password="whatever-guess") is None
    assert calls == ["hash"]
