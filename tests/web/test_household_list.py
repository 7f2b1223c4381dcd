"""The household list: names found by any part, and pages that follow one another in the area's order."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest


def _ids(html: str) -> list[str]:
    return re.findall(r'<a href="/households/(\d+)/">', html)


def _link(html: str, label: str) -> str:
    found = re.search(rf'<a href="([^"]*)">{label}</a>', html)
    assert found, f"no {label} link"
    return "/households/" + unescape(found.group(1))


@pytest.mark.parametrize(
    ("query", "found"),
    [("贵", ["A1"]), ("桂兰", ["A2"]), ("马小军", ["A1"]), ("李", ["A2"]), ("王", []), ("马军", [])],
)
def test_a_name_is_found_by_one_two_or_three_of_its_characters_within_the_users_area(
    world: Any, login: Any, query: str, found: list[str]
) -> None:
    html = login("county").get("/households/", {"q": query}).content.decode()
    assert _ids(html) == [world.households[k].household_id for k in found]


def test_the_list_goes_village_by_village_and_pages_forward_back_and_to_the_end(
    world: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zengshou.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    county = login("county")
    a1, a2, a3 = (world.households[k].household_id for k in ("A1", "A2", "A3"))
    first = county.get("/households/").content.decode()
    assert _ids(first) == [a1] and "共 3 户，第 1/3 页" in first
    second = county.get(_link(first, "下一页")).content.decode()
    assert _ids(second) == [a3] and "第 2 / 3 页" in second  # 山门村 before 武塬村
    third = county.get(_link(second, "下一页")).content.decode()
    assert _ids(third) == [a2] and "下一页" not in third
    assert _ids(county.get(_link(third, "上一页")).content.decode()) == [a3]
    last = county.get(_link(first, "末页")).content.decode()
    assert _ids(last) == [a2] and "第 3 / 3 页" in last
    assert _ids(county.get(_link(last, "首页")).content.decode()) == [a1]


def test_a_search_keeps_its_condition_from_page_to_page(
    world: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zengshou.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    county = login("county")
    first = county.get("/households/", {"household_type": "脱贫户"}).content.decode()
    assert _ids(first) == [world.households["A1"].household_id] and "共 2 户" in first
    second = county.get(_link(first, "下一页")).content.decode()
    assert _ids(second) == [world.households["A3"].household_id] and "下一页" not in second
