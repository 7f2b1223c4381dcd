"""Toolbox pages: a county user edits his toolbox (validated, versioned, audited); the what-if form;
a household's explanation and plan steps. Skipped until the web app (issue 6) is installed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from tests.conftest import make_id


def _web_ready() -> bool:
    """The web app (issue 6) installed with its migrations."""
    if not apps.is_installed("zengshou.web"):
        return False
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return any(app == "web" for app, _ in loader.disk_migrations)


pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not _web_ready(), reason="web app not installed yet")]


def _login(client, username: str, role: str, area: str):
    from django.contrib.auth.models import User

    from zengshou.web.models import UserProfile

    user = User.objects.create_user(username, password="pw-12345678")
    UserProfile.objects.create(user=user, role=role, area_id=area)
    client.force_login(user)
    return user


@pytest.fixture
def household(village):
    from zengshou.registry.models import Household, Member
    from zengshou.tiers.models import TierResult

    h = Household.objects.create(
        household_id="HY001",
        village=village,
        household_type="脱贫户",
        housing_safe=True,
        water_safe=True,
        idle_courtyard=True,
        courtyard_willing=True,
    )
    Member.objects.create(
        household=h,
        name="户主",
        id_number=make_id(1),
        relation="户主",
        health="健康",
        labour="普通劳动力",
        medical_insured=True,
    )
    TierResult.objects.create(
        household=h,
        year=2025,
        size=1,
        quintile="低收入组",
        tier="风险防范户",
        computed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    return h


def test_county_user_saves_a_validated_version(client, village) -> None:
    from zengshou.registry.models import AuditEvent
    from zengshou.toolbox.models import CountyToolboxVersion

    _login(client, "hy", "county", "640522")
    page = client.get("/toolbox/county/640522/?date=2025-06-01")
    assert page.status_code == 200 and "L02.amount" in page.content.decode()
    bad = client.post(
        "/toolbox/county/640522/",
        {"content": "county: '640522'\nparams:\n  L99.x: {source: 县文件, value: 1}\n"},
    )
    assert "L99.x" in bad.content.decode() and CountyToolboxVersion.objects.count() == 0
    uncited = "county: '640522'\nparams:\n  L02.amount: {values: [{from: 2025-01-01, value: 2500}]}\n"
    html = client.post("/toolbox/county/640522/", {"content": uncited}).content.decode()
    assert "第 3 行: 参数 L02.amount 没有写明依据" in html and CountyToolboxVersion.objects.count() == 0
    good = (
        "county: '640522'\nparams:\n"
        "  L02.amount: {依据: 海原县庭院经济实施方案, values: [{from: 2025-01-01, value: 2500}]}\n"
    )
    assert client.post("/toolbox/county/640522/", {"content": good, "note": "提高补贴"}).status_code == 302
    v = CountyToolboxVersion.objects.get()
    assert (v.version, v.created_by, v.note) == (1, "hy", "提高补贴")
    assert AuditEvent.objects.filter(action="toolbox.save", object_id="640522:1").exists()
    assert "2500" in client.get("/toolbox/county/640522/?date=2025-06-01").content.decode()
    # another county's user can neither see nor edit it
    client.logout()
    _login(client, "tx", "county", "640324")
    assert client.get("/toolbox/county/640522/").status_code == 404
    assert client.post("/toolbox/county/640522/", {"content": good}).status_code == 404


def test_household_page_explains_and_moves_plan_items(client, household) -> None:
    import polars as pl

    from zengshou.registry.read import from_database
    from zengshou.toolbox.engine import evaluate_full
    from zengshou.toolbox.models import PlanItem
    from zengshou.toolbox.plans import store_plans

    pop = from_database()
    tiers = pl.DataFrame({"household_id": ["HY001"], "quintile": ["低收入组"], "tier": ["风险防范户"]})
    store_plans(evaluate_full(pop, tiers, 2025), 2025, {"HY001": "640522100201"})
    _login(client, "village", "village", "640522100201")
    html = client.get("/toolbox/household/HY001/?year=2025").content.decode()
    assert "L02 适用" in html and "金额 2000元" in html and "L06 不适用" in html
    # the clause's sentence is on the page beside the explanation
    assert (
        "<summary>原文</summary>低收入组方案 二（二）：“针对有闲置场地、房屋、棚圈和发展意愿的，每户补贴2000元”"
        in html
    )
    assert "********" not in html  # members are named by relation and age
    item = PlanItem.objects.get(code="L02")
    r = client.post(
        "/toolbox/household/HY001/", {"item": item.id, "to": "agreed", "on": "2025-03-02", "year": 2025}
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.status == "agreed"


def test_whatif_form_for_region_users(client, household) -> None:
    _login(client, "region", "region_admin", "640000")
    r = client.post("/toolbox/whatif/", {"year": 2025, "changes": "L02.amount=3000"})
    html = r.content.decode()
    assert r.status_code == 200 and "海原县" in html and ">1,000<" in html
    assert (
        '<td class="mono">L06</td>' not in html
    )  # blank enumerations from the registry are missing values, not a disability
    assert (
        "应写成" in client.post("/toolbox/whatif/", {"year": 2025, "changes": "L02.amount"}).content.decode()
    )
    html = client.post("/toolbox/whatif/", {"year": 2025, "changes": "L02.amont=3000"}).content.decode()
    assert "未定义参数 L02.amont" in html and "L02.amount, L02.enabled" in html
    html = client.post("/toolbox/whatif/", {"year": 2025, "changes": "L11.cover=600000"}).content.decode()
    assert "注意：没有规则读取 L11.cover" in html
    client.logout()
    _login(client, "clerk", "township", "640522100")
    assert client.get("/toolbox/whatif/").status_code in (403, 404)
