"""A county edits its toolbox with forms (W01): every parameter with its Chinese label, unit, value,
effective date and source; Chinese validation; the difference from the region's toolbox; what-if
figures before saving; a new dated version. The what-if page is open to a county for its county."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
import yaml

from tests.conftest import make_id
from zengshou.params import PARAMS_DIR, ParameterSet

pytestmark = pytest.mark.django_db

COUNTY = "640522"
URL = f"/toolbox/county/{COUNTY}/"


def _login(client: Any, username: str, role: str, area: str) -> None:
    from django.contrib.auth.models import User

    from zengshou.web.models import UserProfile

    user = User.objects.create_user(username, password="pw-12345678")
    UserProfile.objects.create(user=user, role=role, area_id=area)
    client.force_login(user)


def _courtyard_household(hid: str, village: Any, seq: int) -> Any:
    """A 脱贫户 of the 低收入组 with an idle courtyard it wants to use: L02 pays it 2,000 yuan."""
    from zengshou.registry.models import Household, Member
    from zengshou.tiers.models import TierResult

    h = Household.objects.create(
        household_id=hid,
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
        id_number=make_id(seq, area=village.code[:6]),
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


@pytest.fixture
def two_counties(village: Any) -> Any:
    """One courtyard household in 海原县 (the county editing) and one in 原州区."""
    from zengshou.registry.models import Area

    _courtyard_household("HY001", village, 1)
    town = Area.objects.create(code="640402100", name="三营镇", level="township", parent_id="640402")
    other = Area.objects.create(code="640402100201", name="三营村", level="village", parent=town)
    _courtyard_household("YZ001", other, 2)
    return village


def _text(html: str, element_id: str) -> str:
    """What a user reads inside the element: tags and attribute values removed."""
    start = html.index(f'id="{element_id}"')
    end = html.index("</table>", start)
    return unescape(re.sub(r"<[^>]+>", " ", html[start:end].split(">", 1)[1]))


def _form(client: Any, **changes: Any) -> dict[str, Any]:
    """The county form as posted from the page, with ``changes`` over the fields."""
    return {"action": "preview", "date": "2025-06-01", **changes}


def test_every_toolbox_parameter_has_a_chinese_label_and_a_unit_beside_it() -> None:
    raw = yaml.safe_load((PARAMS_DIR / "toolbox.yaml").read_text(encoding="utf-8"))
    missing = [k for k, spec in raw.items() if not spec.get("label") or not spec.get("unit")]
    assert not missing, f"parameters without a label or unit in toolbox.yaml: {missing}"
    ps = ParameterSet.shipped("toolbox")
    assert ps.get("T03.tiers").unit == "层级" and ps.get("L02.enabled").unit == "是/否"
    assert not [k for k, p in ps.params.items() if re.search(r"[A-Za-z]{3,}", p.label)]


def test_the_form_shows_each_regional_value_with_its_reference_and_assumptions_as_such() -> None:
    from zengshou.toolbox import forms as tf

    fields = {f.key: f for f in tf.all_fields(tf.groups(dt.date(2025, 6, 1)))}
    assert fields["L02.amount"].shipped_source == "低收入组方案 二（二）“每户补贴2000元”"
    assert fields["L04a.max_spare_labourers"].shipped_source.endswith("；假设值")


def test_the_county_page_shows_labels_units_and_lists_in_chinese_never_keys(client, village) -> None:
    _login(client, "hy", "county", COUNTY)
    html = client.get(URL, {"date": "2025-06-01"}).content.decode()
    shown = _text(html, "toolbox-entries")
    assert "至少健康劳动力人数" in shown and "2,000 元/户" in shown
    assert "示范引领户、巩固提升户、风险防范户" in shown
    assert "L01a.min_healthy_labourers" not in shown and "L02.amount" not in shown
    assert "['" not in shown and "True" not in shown
    # a list is edited as check boxes, a switch as 是/否
    assert 'type="checkbox" name="v-T03.tiers" value="巩固提升户" checked' in html
    assert '<select name="v-L02.enabled"' in html


def test_a_county_sees_the_what_if_of_its_change_before_it_saves_a_new_version(client, two_counties) -> None:
    from zengshou.registry.models import AuditEvent
    from zengshou.toolbox.county import effective_toolboxes
    from zengshou.toolbox.models import CountyToolboxVersion

    _login(client, "hy", "county", COUNTY)
    change = {
        "v-L02.amount": "3000",
        "from-L02.amount": "2025-01-01",
        "src-L02.amount": "海原县庭院经济实施方案（海政发〔2025〕3号）",
    }
    r = client.post(URL, _form(client, **change))
    html = r.content.decode()
    assert r.status_code == 200 and CountyToolboxVersion.objects.count() == 0  # nothing saved yet
    preview = _text(html, "preview-diff")
    assert "庭院经济补贴" in preview and "2,000 元/户" in preview and "3,000 元/户" in preview
    assert "2025-01-01" in preview and "海政发〔2025〕3号" in preview
    figures = _text(html, "whatif-totals")
    # only 海原县's household is counted: 2,000 → 3,000 yuan, not 原州区's as well
    assert re.search(r"措施费用（元）\s+2,?000\s+3,?000\s+1,?000", figures), figures
    assert "0 户新增措施，0 户减少措施" in html
    r = client.post(URL, {**_form(client, **change), "action": "save", "note": "提高庭院补贴"})
    assert r.status_code == 302
    v = CountyToolboxVersion.objects.get()
    assert (v.version, v.created_by, v.note) == (1, "hy", "提高庭院补贴")
    tb = effective_toolboxes()[COUNTY]
    assert tb.params["L02.amount"].values[-1].value == 3000
    assert tb.params["L02.amount"].reference == "海原县庭院经济实施方案（海政发〔2025〕3号）"
    assert AuditEvent.objects.filter(action="toolbox.save", object_id=f"{COUNTY}:1").exists()
    diff = _text(client.get(URL, {"date": "2025-06-01"}).content.decode(), "toolbox-diff")
    assert "2,000 元/户" in diff and "3,000 元/户" in diff and "海政发〔2025〕3号" in diff


def test_a_second_change_is_a_new_dated_version_and_the_earlier_years_keep_their_values(
    client, village
) -> None:
    from zengshou.toolbox.county import effective_toolboxes
    from zengshou.toolbox.models import CountyToolboxVersion

    _login(client, "hy", "county", COUNTY)
    first = {"v-L02.amount": "2500", "from-L02.amount": "2025-01-01", "src-L02.amount": "海原县文件一"}
    assert client.post(URL, {**_form(client, **first), "action": "save"}).status_code == 302
    second = {"v-L02.amount": "3000", "from-L02.amount": "2026-01-01", "src-L02.amount": "海原县文件二"}
    r = client.post(URL, {**_form(client, **second), "action": "save"})
    assert r.status_code == 302 and CountyToolboxVersion.objects.count() == 2
    p = effective_toolboxes()[COUNTY].params["L02.amount"]
    assert [(v.start, v.value) for v in p.values] == [
        (dt.date(2025, 1, 1), 2500),
        (dt.date(2026, 1, 1), 3000),
    ]
    html = client.get(URL, {"date": "2025-06-01"}).content.decode()
    assert "2,500 元/户" in _text(html, "toolbox-entries")


def test_form_mistakes_are_named_in_chinese_and_nothing_is_saved(client, village) -> None:
    from zengshou.toolbox.models import CountyToolboxVersion

    _login(client, "hy", "county", COUNTY)
    cases = {
        "应为整数": {"v-L02.amount": "abc", "src-L02.amount": "县文件"},
        "请写明依据": {"v-L02.amount": "2500", "src-L02.amount": ""},
        "不是日期": {"v-L02.amount": "2500", "from-L02.amount": "2025-13-01", "src-L02.amount": "县文件"},
        "应在 0—120 岁 之间": {"v-L11.max_age": "200", "src-L11.max_age": "县文件"},
        "不能小于「参保年龄下限」": {"v-L11.min_age": "70", "src-L11.min_age": "县文件"},
        "至少选择一项": {"has-T06.tiers": "1", "src-T06.tiers": "县文件"},
        "只能从": {"has-T06.tiers": "1", "v-T06.tiers": "贫困户", "src-T06.tiers": "县文件"},
        "不小于 0": {"v-L02.amount": "-5", "src-L02.amount": "县文件"},
    }
    for message, fields in cases.items():
        data = {
            "from-L02.amount": "2025-01-01",
            "from-L11.max_age": "2025-01-01",
            "from-L11.min_age": "2025-01-01",
        }
        data["from-T06.tiers"] = "2025-01-01"
        r = client.post(URL, {**_form(client, **data), **fields, "action": "save"})
        html = unescape(r.content.decode())
        assert r.status_code == 200 and "未保存，请修改" in html and message in html, message
        assert "Traceback" not in html and "ValueError" not in html
    assert CountyToolboxVersion.objects.count() == 0
    html = client.post(URL, {**_form(client), "action": "save"}).content.decode()
    assert "没有修改任何取值" in html and CountyToolboxVersion.objects.count() == 0


def test_a_county_narrows_a_tier_list_with_check_boxes_and_resets_it_to_the_region(client, village) -> None:
    from zengshou.toolbox.county import effective_toolboxes

    _login(client, "hy", "county", COUNTY)
    tiers = {
        "has-T03.tiers": "1",
        "v-T03.tiers": ["巩固提升户", "风险防范户"],
        "from-T03.tiers": "2025-01-01",
        "src-T03.tiers": "海原县劳务经纪人办法",
    }
    assert client.post(URL, {**_form(client, **tiers), "action": "save"}).status_code == 302
    assert effective_toolboxes()[COUNTY].params["T03.tiers"].values[-1].value == ["巩固提升户", "风险防范户"]
    diff = _text(client.get(URL).content.decode(), "toolbox-diff")
    assert "示范引领户、巩固提升户、风险防范户" in diff and "巩固提升户、风险防范户" in diff
    assert client.post(URL, {**_form(client), "reset-T03.tiers": "1", "action": "save"}).status_code == 302
    assert "T03.tiers" not in effective_toolboxes()[COUNTY].params


def test_a_township_reads_each_value_with_its_date_and_source_but_only_the_county_changes_it(
    client, village
) -> None:
    _login(client, "tx", "county", "640324")
    change = {"v-L02.amount": "3000", "from-L02.amount": "2025-01-01", "src-L02.amount": "县文件"}
    assert client.post(URL, {**_form(client, **change), "action": "save"}).status_code == 404
    client.logout()
    _login(client, "town", "township", "640522100")
    html = client.get(URL, {"date": "2025-06-01"}).content.decode()
    shown = _text(html, "toolbox-entries")
    assert "庭院经济补贴" in shown and "2,000 元/户" in shown and "2024-01-01" in shown
    assert "低收入组方案 二（二）“每户补贴2000元”" in shown
    assert 'name="v-L02.amount"' not in html
    assert client.post(URL, {**_form(client, **change), "action": "save"}).status_code == 404


def test_a_county_user_runs_the_what_if_for_his_own_county_from_the_menu(client, two_counties) -> None:
    _login(client, "hy", "county", COUNTY)
    page = client.get("/toolbox/whatif/").content.decode()
    assert 'href="/toolbox/whatif/"' in page and "政策测算" in page
    r = client.post("/toolbox/whatif/", {"year": "2025", "v-L02.amount": "3000"})
    html = r.content.decode()
    figures = _text(html, "whatif-totals")
    assert re.search(r"措施费用（元）\s+2,?000\s+3,?000\s+1,?000", figures), figures
    assert "庭院经济补贴：2,000 元/户 → 3,000 元/户" in unescape(html)
    assert "原州区" not in html
    bad = unescape(client.post("/toolbox/whatif/", {"year": "2025", "v-L02.amount": "很多"}).content.decode())
    assert "「庭院经济补贴」应为整数" in bad


def test_the_region_what_if_form_changes_the_regions_value_for_every_county(client, two_counties) -> None:
    _login(client, "region", "region_admin", "640000")
    html = client.post("/toolbox/whatif/", {"year": "2025", "v-L02.amount": "3000"}).content.decode()
    figures = _text(html, "whatif-totals")
    assert re.search(r"措施费用（元）\s+4,?000\s+6,?000\s+2,?000", figures), figures
    counties = _text(html, "whatif-counties")
    assert "海原县" in counties and "原州区" in counties
