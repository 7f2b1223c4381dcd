"""A failing page is logged with its traceback under the request id the official reads off the page."""

from __future__ import annotations

import logging
import re

from django.conf import settings as django_settings
from django.test import Client

from tests.web.test_texts import assert_page_chinese


def _log_after(rid: str) -> str:
    text = django_settings.LOG_FILE.read_text(encoding="utf-8")
    at = text.find(f"[{rid}]")
    assert at >= 0, f"request id {rid} not in the log file {django_settings.LOG_FILE}"
    return text[at:]


def test_a_failing_page_logs_its_traceback_under_the_id_the_page_shows(world, settings) -> None:
    settings.ROOT_URLCONF = "tests.web.boom_urls"
    r = Client(raise_request_exception=False).get("/boom/")
    assert r.status_code == 500
    rid = r.headers["X-Request-ID"]
    text = assert_page_chinese(r, "500 with id")
    assert f"请将编号 {rid} 告知系统管理员" in text
    logged = _log_after(rid)
    assert "Internal Server Error: /boom/" in logged
    assert "Traceback (most recent call last)" in logged
    assert "RuntimeError: division by zero in some helper" in logged
    assert "division" not in text  # the exception stays in the log, off the page


def test_every_answer_carries_a_request_id_and_a_proxy_s_id_is_kept(world, client) -> None:
    first = client.get("/login/").headers["X-Request-ID"]
    second = client.get("/login/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", first) and first != second
    given = "proxy-4f2a9c01"
    assert client.get("/login/", HTTP_X_REQUEST_ID=given).headers["X-Request-ID"] == given
    forged = client.get("/login/", HTTP_X_REQUEST_ID="x\nFAKE LOG LINE").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", forged)  # nothing a client sends can forge a log line


def test_a_log_record_written_during_a_request_names_the_request(world, login, settings) -> None:
    """Warnings of the app's own code (here a stale form token) carry the id of the request."""
    c = Client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": "county", "password": "x"})
    assert r.status_code == 403
    assert "CSRF failure" in _log_after(r.headers["X-Request-ID"]).splitlines()[0]


def test_a_refusal_the_app_answers_is_logged_with_its_request_id(world) -> None:
    """Django logs a returned 401/404 after the middleware has run; the line still names the request."""
    r = Client().get("/api/households")
    assert r.status_code == 401
    assert "Unauthorized: /api/households" in _log_after(r.headers["X-Request-ID"]).splitlines()[0]


def test_log_records_outside_a_request_carry_a_dash(world) -> None:
    logging.getLogger("zengshou.batch").warning("a batch outside any request")
    assert "[-] zengshou.batch: a batch outside any request" in django_settings.LOG_FILE.read_text("utf-8")


def test_an_api_failure_answers_json_with_the_request_id(world, login, monkeypatch) -> None:
    from zengshou.web import api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("cube query failed")

    monkeypatch.setattr(api.stats, "area_stats", broken)
    c = login("county")
    c.raise_request_exception = False
    r = c.get("/api/areas/640522/stats")
    assert r.status_code == 500
    body = r.json()
    assert body["request_id"] == r.headers["X-Request-ID"]
    assert body["request_id"] in body["detail"] and "cube" not in body["detail"]
    assert "RuntimeError: cube query failed" in _log_after(body["request_id"])
