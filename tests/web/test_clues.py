"""The 预警 queue leads with what needs action: one clue (线索) per household gathering its open alerts,
一级 first and the longest waiting first, with counts by type; a clue is worked through in a few
clicks (verify all, then include the household; or dismiss all with one reason); the per-alert
workflow still works from it; the dashboard states the share of households with an open clue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from tests.web.conftest import _household

A1 = "6405221002010001"
A2 = "6405221002020001"
A3 = "6405221002010002"


def _alert(hh: Any, code: str, level: str, days_ago: int = 0, explanation: str = "说明") -> Any:
    from zengshou.monitor.models import Alert

    a = Alert.objects.create(
        household=hh,
        area_id=hh.village_id,
        area_code=hh.village_id,
        year=2025,
        code=code,
        level=level,
        explanation=explanation,
        fingerprint=f"{code}|{hh.household_id}|2025",
    )
    if days_ago:
        Alert.objects.filter(pk=a.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return a


def _statuses(household_id: str) -> list[str]:
    from zengshou.monitor.models import Alert

    return sorted(Alert.objects.filter(household_id=household_id).values_list("status", flat=True))


def _queue_order(html: str) -> list[str]:
    body = html.split('id="clue-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"/alerts/households/(\d+)/", body)


def test_a_household_with_three_open_alerts_is_one_line_with_its_counts_by_type(world, login):
    h = world.households["A1"]
    _alert(h, "M03j", "三级")
    _alert(h, "R01", "二级", explanation="模型预测2026年收入下降或低于监测范围的概率约85%")
    html = login("county").get("/alerts/").content.decode()
    assert _queue_order(html) == [A3, A1]
    assert "共 2 户有未处理预警" in html
    line = html.split(f'href="/alerts/households/{A1}/"', 1)[0].rsplit("<tr", 1)[1]
    assert "收入不增反降" in line and "就业终止" in line and "智能模型预警" in line
    assert ">3<" in line  # three alerts on the household's one line


def test_clues_are_ordered_by_level_then_the_longest_waiting_first(world, login):
    va1 = world.households["A1"].village
    a4 = _household("6405221002010003", va1, 60, ("马兰",), "640522", {})
    a5 = _household("6405221002010004", va1, 70, ("马山",), "640522", {})
    _alert(a4, "M03j", "三级", days_ago=30)  # waiting longest, but only to watch
    _alert(a5, "M04", "二级", days_ago=10)  # 二级 like A1's, raised ten days before it
    html = login("county").get("/alerts/").content.decode()
    # 一级, then 二级 oldest first, then 三级 (三 sorts before 二 as a character: not used here)
    assert _queue_order(html) == [A3, a5.household_id, A1, a4.household_id]
    assert "已等待 10 天" in html


def test_the_queue_filters_by_type_level_and_village(world, login):
    _alert(world.households["A1"], "R01", "二级")
    _alert(world.households["A2"], "M03h", "一级")
    c = login("county")
    assert _queue_order(c.get("/alerts/", {"code": "R01"}).content.decode()) == [A1]
    assert _queue_order(c.get("/alerts/", {"level": "一级"}).content.decode()) == [A3, A2]
    assert _queue_order(c.get("/alerts/", {"village": "640522100202"}).content.decode()) == [A2]
    assert _queue_order(c.get("/alerts/", {"village": "武塬村"}).content.decode()) == [A2]
    page = c.get("/alerts/").content.decode()
    summary = page.split('id="clue-summary"', 1)[1].split("</section>", 1)[0]
    assert "一级 2 户" in summary and "二级 1 户" in summary
    assert "智能模型预警（预计收入下降或低于监测范围） 1 户" in summary
    # the model's alerts are a type of the filter like every rule
    assert '<option value="R01">R01 智能模型预警' in page


def test_a_page_holds_fifty_households_whatever_their_alerts_and_costs_the_same_queries(
    world, login, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    va2 = world.households["A2"].village
    c = login("county")
    with CaptureQueriesContext(connection) as few:
        c.get("/alerts/")
    for i in range(60):
        h = _household(f"640522100202{i + 100:04d}", va2, 100 + i, ("王",), "640522", {})
        _alert(h, "M04", "二级", days_ago=100 - i)
        _alert(h, "M03j", "三级")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = c.get("/alerts/").content.decode()
    order = _queue_order(html)
    assert len(order) == 50 and order[0] == A3 and "共 62 户有未处理预警" in html
    rest = _queue_order(c.get("/alerts/", {"page": "2"}).content.decode())
    assert len(rest) == 12 and not set(rest) & set(order)


def test_opening_a_clue_shows_every_alert_of_the_household(world, login):
    h = world.households["A1"]
    extra = _alert(h, "M03d", "一级", explanation="之父医保个人自付21,300元")
    html = login("county").get(f"/alerts/households/{A1}/").content.decode()
    assert "未处理预警 2 条" in html and "之父医保个人自付21,300元" in html
    assert f'href="/alerts/{world.alerts["A1"].pk}/"' in html and f'href="/alerts/{extra.pk}/"' in html
    assert 'id="clue-level">一级' in html  # the clue's level is its most severe alert's


def test_a_clue_is_verified_then_the_household_included_in_two_steps(world, login):
    from zengshou.monitor.models import MonitoringObject

    h = world.households["A1"]
    severe = _alert(h, "M03d", "一级")
    _alert(h, "R01", "三级")
    c = login("village")
    r = c.post(f"/alerts/households/{A1}/verify/", {"note": "入户核实：务工收入减少、之父住院属实"})
    assert r.status_code == 302 and _statuses(A1) == ["verified"] * 3
    c = login("county")
    page = c.get(f"/alerts/households/{A1}/").content.decode()
    assert 'id="clue-include-form"' in page
    r = c.post(
        f"/alerts/households/{A1}/include/",
        {"monitoring_type": "突发严重困难户", "note": "村民主评议通过，乡镇审核同意"},
    )
    assert r.status_code == 302 and _statuses(A1) == ["included"] * 3
    obj = MonitoringObject.objects.get(household=h, risk_eliminated_on__isnull=True)
    assert obj.source_alert_id == severe.pk and obj.monitoring_type == "突发严重困难户"
    h.refresh_from_db()
    assert h.household_type == "监测对象-突发严重困难户"
    assert A1 not in _queue_order(c.get("/alerts/").content.decode())


def test_a_household_is_not_included_while_an_alert_is_unverified(world, login):
    _alert(world.households["A1"], "M03j", "三级")
    r = login("county").post(
        f"/alerts/households/{A1}/include/", {"monitoring_type": "边缘易致贫户", "note": "评议通过"}
    )
    assert r.status_code == 400
    assert "尚有2条新预警未核实" in r.content.decode()
    assert _statuses(A1) == ["new", "new"]


def test_dismissing_a_clue_closes_all_its_alerts_with_one_reason(world, login):
    from zengshou.monitor.models import Alert
    from zengshou.registry.models import AuditEvent

    _alert(world.households["A1"], "M03j", "三级")
    c = login("township")
    r = c.post(f"/alerts/households/{A1}/dismiss/", {"reason": "收入下降系统计口径调整，已更正"})
    assert r.status_code == 302 and _statuses(A1) == ["dismissed", "dismissed"]
    reasons = set(Alert.objects.filter(household_id=A1).values_list("dismissed_reason", flat=True))
    assert reasons == {"收入下降系统计口径调整，已更正"}
    ev = AuditEvent.objects.get(action="web.clue.dismiss", object_id=A1)
    assert ev.ip == "127.0.0.1" and len(ev.detail["alerts"]) == 2
    r = c.post(f"/alerts/households/{A1}/dismiss/", {"reason": "  "})
    assert r.status_code == 400 and "排除预警必须填写理由" in r.content.decode()


def test_each_clue_step_is_for_the_roles_of_the_workflow(world, login):
    c = login("village")
    assert c.post(f"/alerts/households/{A1}/dismiss/", {"reason": "x"}).status_code == 403
    assert (
        c.post(
            f"/alerts/households/{A1}/include/", {"monitoring_type": "边缘易致贫户", "note": "x"}
        ).status_code
        == 403
    )
    c = login("cadre")  # paired with A1 only
    assert c.post(f"/alerts/households/{A3}/verify/", {"note": "核实"}).status_code == 404
    assert c.post(f"/alerts/households/{A1}/verify/", {"note": "核实"}).status_code == 302
    assert _statuses(A1) == ["verified"] and _statuses(A3) == ["new"]


def test_the_per_alert_workflow_still_works_from_the_clue(world, login):
    a = world.alerts["A1"]
    c = login("county")
    page = c.get(f"/alerts/{a.pk}/").content.decode()
    assert f'href="/alerts/households/{A1}/"' in page
    assert c.post(f"/alerts/{a.pk}/verify/", {"note": "核实属实"}).status_code == 302
    clue = c.get(f"/alerts/households/{A1}/").content.decode()
    assert "已核实待决定 1" in clue and 'id="clue-include-form"' in clue


def test_the_model_alert_reads_its_chinese_name_not_none(world, login):
    a = _alert(world.households["A1"], "R01", "一级")
    html = login("county").get(f"/alerts/{a.pk}/").content.decode()
    assert "R01 智能模型预警" in html and "None" not in html.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_the_dashboard_states_the_share_of_households_with_an_open_clue(world, login):
    _alert(world.households["A1"], "M03j", "三级")  # a second alert of A1: still one household
    r = login("county").get("/")
    assert r.context["data"]["clues"] == {"households": 2, "share": 2 / 3}
    card = r.content.decode().split('id="clue-share"', 1)[1].split("</div></a></div>", 1)[0]
    assert "有未处理预警线索的农户" in card and "66.7%" in card and "2 户 / 共 3 户" in card
