"""Before the first batch run every page still opens, in Chinese, and says what to do next.

A county imports its households first and runs the pipeline later (or another office does): until
then there are no tier results, alerts or plans, and an empty registry has not even households.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.web.test_texts import assert_chinese, assert_json_chinese, assert_page_chinese, visible_text

ROLES = ("region", "city", "county", "township", "village", "cadre", "department")
_NAV = re.compile(r'<nav class="side">(.*?)</nav>', re.S)
_HREF = re.compile(r'href="([^"]+)"')
#: An editor's content (the toolbox's parameter file) is data the user edits, not the page's own text.
_TEXTAREA = re.compile(r"<textarea.*?</textarea>", re.S)


def _without_pipeline_results() -> None:
    """What the registry holds after an import and before any batch run: households only."""
    from zengshou.monitor.models import Alert, MonitoringObject
    from zengshou.tiers.models import TierResult

    TierResult.objects.all().delete()
    Alert.objects.all().delete()
    MonitoringObject.objects.all().delete()


def _empty_registry() -> None:
    from zengshou.registry.models import Household, Pairing
    from zengshou.web.models import VisitLog

    _without_pipeline_results()
    VisitLog.objects.all().delete()
    Pairing.objects.all().delete()
    Household.objects.all().delete()


def _menu(c: Client) -> list[str]:
    r = c.get("/", follow=True)
    assert r.status_code == 200, r.content.decode()[:500]
    nav = _NAV.search(r.content.decode())
    assert nav, "the page has no side menu"
    return _HREF.findall(nav.group(1))


@pytest.mark.parametrize("prepare", [_without_pipeline_results, _empty_registry], ids=["imported", "empty"])
def test_every_menu_page_opens_for_every_role_before_the_pipeline_has_run(world, login, prepare) -> None:
    prepare()
    seen = 0
    for username in ROLES:
        c = login(username)
        c.raise_request_exception = False
        for url in _menu(c):
            r = c.get(url, follow=True)
            assert r.status_code == 200, f"{username} {url}: {r.status_code}"
            assert_chinese(visible_text(_TEXTAREA.sub("", r.content.decode())), f"{username} {url}")
            seen += 1
    assert seen >= 30  # every role has its menu; the walk reaches the parts' pages too


def test_the_home_page_after_an_import_says_to_run_the_batch(world, login) -> None:
    _without_pipeline_results()
    r = login("county").get("/")
    assert r.status_code == 200
    text = assert_page_chinese(r, "home before pipeline")
    assert "尚无收入测算结果" in text and "运行批处理" in text
    assert r.context["data"]["households"] == 3 and r.context["data"]["income_bands"] == []


def test_a_user_who_cannot_run_the_batch_is_told_who_runs_it(world, login) -> None:
    _without_pipeline_results()
    text = assert_page_chinese(login("village").get("/"), "village home before pipeline")
    assert "请县级用户运行批处理" in text


def test_the_home_page_of_an_empty_registry_says_to_import_first(world, login) -> None:
    _empty_registry()
    text = assert_page_chinese(login("county").get("/"), "home of an empty registry")
    assert "还没有农户数据" in text and "导入导出" in text and "运行批处理" in text


@pytest.mark.parametrize("prepare", [_without_pipeline_results, _empty_registry], ids=["imported", "empty"])
def test_the_area_statistics_api_answers_before_the_pipeline_has_run(world, login, prepare) -> None:
    prepare()
    c = login("county")
    for url in ("/api/areas/640522/stats", "/api/areas/640522/stats?year=2025", "/api/households"):
        r = c.get(url)
        assert r.status_code == 200, f"{url}: {r.status_code} {r.content[:300]!r}"
    body = c.get("/api/areas/640522/stats?year=2025").json()
    assert all(t["households"] == 0 for t in body["tiers"])
    assert body["households"] == (3 if prepare is _without_pipeline_results else 0)
    assert_json_chinese(c.get("/api/areas/640522/stats"), "api stats before pipeline")
