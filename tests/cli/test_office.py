"""Running it in an office: ``serve`` (gunicorn, whitenoise, the Host names it answers to), ``/health/``,
``backup`` and ``restore`` into an empty home, and ``demo`` ending in a served web app."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli.conftest import CJK, Home, assert_done, assert_refused, command


def _free_port() -> int:
    """A port nobody holds now: the SQLite and PostgreSQL runs of ``make test`` go side by side."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()
LAN_ADDRESS = "10.20.30.40"


def get(path: str, host: str = "127.0.0.1") -> tuple[int, dict[str, str], str]:
    con = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        con.request("GET", path, headers={"Host": host})
        response = con.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        con.close()


@contextmanager
def serving(home: Home, *args: str, wait: float = 240) -> Iterator[subprocess.Popen[str]]:
    """``zengshou <args>`` in the background until /health/ answers; stopped (SIGTERM) afterwards."""
    server = subprocess.Popen(
        [*command(), *args],
        env=home.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + wait
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                if get("/health/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not answer"
            time.sleep(0.5)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_serve_runs_gunicorn_with_whitenoise_and_refuses_an_unlisted_host_in_chinese(
    region_home: Home,
) -> None:
    with serving(region_home, "serve", "--port", str(PORT)) as server:
        status, headers, _ = get("/login/")
        assert status == 200 and headers["Server"] == "gunicorn"
        status, headers, _ = get("/static/web/app.css")
        assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*"  # whitenoise's
        status, _, page = get("/login/", host=LAN_ADDRESS)
        assert status == 400
        assert "Bad Request" not in page and LAN_ADDRESS in page and CJK.search(page)
        assert_refused(region_home.run("serve", "--port", str(PORT)), f"端口 {PORT} 已被占用")
    assert server.returncode == 0
    output = server.stdout.read() if server.stdout else ""
    assert f"http://127.0.0.1:{PORT}/" in output and "允许访问的主机名" in output


def test_serve_answers_the_addresses_given_with_allowed_hosts_or_the_environment(region_home: Home) -> None:
    with serving(
        region_home, "serve", "--port", str(PORT), "--allowed-hosts", f"{LAN_ADDRESS},zs.example.cn"
    ):
        assert get("/login/", host=LAN_ADDRESS)[0] == 200
        assert get("/login/", host="zs.example.cn")[0] == 200
        assert get("/login/", host="10.0.0.99")[0] == 400
    region_home.env["ZENGSHOU_ALLOWED_HOSTS"] = LAN_ADDRESS
    try:
        with serving(region_home, "serve", "--port", str(PORT), "--dev"):
            status, headers, _ = get("/login/", host=LAN_ADDRESS)
            assert status == 200 and "WSGIServer" in headers["Server"]  # Django's development server
    finally:
        del region_home.env["ZENGSHOU_ALLOWED_HOSTS"]


def test_health_says_database_migrations_and_last_run_without_login_or_personal_data(
    region_home: Home, region_files: Path
) -> None:
    with serving(region_home, "serve", "--port", str(PORT)):
        status, headers, body = get("/health/")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["database"]["reachable"] is True
    assert health["migrations"] == {"applied": True, "pending": 0}
    assert health["last_pipeline_run"]["year"] == 2025
    assert set(health) == {"status", "状态", "version", "database", "migrations", "last_pipeline_run"}
    household = (region_files / "家庭.csv").read_text(encoding="utf-8-sig").splitlines()[1].split(",")[0]
    assert household not in body


def test_backup_restored_into_an_empty_home_gives_the_same_stats(
    region_home: Home, new_home: Home, tmp_path: Path, region_files: Path
) -> None:
    out = tmp_path / "备份" / "zengshou.bak"
    assert_done(region_home.run("backup", "--out", str(out)), "已备份")
    before = region_home.stats()
    assert_done(new_home.run("restore", str(out)), "已从")
    assert new_home.stats() == before
    # a second restore would overwrite households: refused, and nothing changed
    assert_refused(new_home.run("restore", str(out)), "--replace")
    assert_refused(new_home.run("restore", str(region_files / "家庭.csv")), "不是")
    assert_refused(new_home.run("restore", str(tmp_path / "无.bak")), "不存在")
    assert_refused(region_home.run("backup", "--out", str(tmp_path)), "是文件夹")
    assert new_home.stats() == before


def test_demo_builds_a_region_and_serves_it(new_home: Home) -> None:
    with serving(
        new_home, "demo", "--households", "300", "--seed", "5", "--port", str(PORT), wait=420
    ) as server:
        assert get("/login/")[0] == 200
        assert new_home.stats()["registry.household"] == 300
    output = server.stdout.read() if server.stdout else ""
    assert "演示账号" in output
