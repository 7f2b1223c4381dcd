"""The monitoring procedure's pages: the public self-report page and lookup (no sign-in, nothing about
other applications, limits per address and ID number), the lists of each level sorted by deadline
with 临期 and 逾期, each step refused to the wrong role and area, the notices and QR codes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.conftest import make_id
from zengshou.monitor import procedure as pr
from zengshou.monitor.models import Case, CaseClue, Channel, PublicRequest, Step

VILLAGE = "640522100201"


def _form(**over: str) -> dict[str, str]:
    return {
        "name": "马春花",
        "id_number": make_id(901, area="640522"),
        "phone": "13800001111",
        "village": VILLAGE,
        "risk": "因病",
        "description": "丈夫住院，医药费自付三万元",
        **over,
    }


def _report(client: Any, **over: str) -> Any:
    return client.post(
        "/report/", _form(**over), REMOTE_ADDR=over.pop("ip", "10.0.0.1") if "ip" in over else "10.0.0.1"
    )


def _receipt(r: Any) -> str:
    assert r.status_code == 302, r.content.decode()[:800]
    m = re.search(r"r=(JC[A-Z0-9]+)", r["Location"])
    assert m, r["Location"]
    return m.group(1)


def test_the_self_report_page_opens_without_signing_in_and_names_the_village_of_its_qr_code(
    world, client
) -> None:
    r = client.get(f"/report/?v={VILLAGE}")
    text = r.content.decode()
    assert r.status_code == 200 and "农户自主申报" in text and "山门村" in text
    assert 'name="village" value="640522100201"' in text


def test_a_report_gives_a_receipt_and_echoes_nothing_personal(world, client) -> None:
    receipt = _receipt(_report(client))
    page = client.get(f"/report/done/?r={receipt}").content.decode()
    assert receipt in page
    for personal in ("马春花", make_id(901, area="640522"), "13800001111", "住院"):
        assert personal not in page
    case = Case.objects.get(clues__receipt=receipt)
    assert case.step == Step.ACCEPT and case.channel == Channel.SELF_REPORT
    assert case.applicant_name == "马春花" and case.village_id == VILLAGE


def test_a_bad_id_number_is_refused_in_chinese_and_nothing_is_written(world, client) -> None:
    bad = make_id(901, area="640522")[:-1] + ("0" if make_id(901, area="640522")[-1] != "0" else "1")
    r = _report(client, id_number=bad)
    assert r.status_code == 200 and "身份证号码有误" in r.content.decode()
    assert not Case.objects.exists()


def test_the_lookup_shows_the_state_only_and_nothing_of_other_applications(world, client) -> None:
    a1 = world.households["A1"]
    head = a1.members.get(relation="户主")
    other = pr.take_clue(
        Channel.CADRE,
        pr.Person("cadre", "cadre", "640522", "C640522001"),
        risk="因学",
        household=a1,
        description="孩子上学负担重",
    )
    mine = _receipt(_report(client, name=head.name, id_number=head.id_number))
    assert mine != other.case.receipt  # a report merged into another's case gets its own receipt
    text = client.get("/report/lookup/", {"receipt": mine}).content.decode()
    assert "办理中：入户核实" in text
    for leak in (
        head.name,
        head.id_number,
        a1.household_id,
        "孩子上学",
        "因学",
        other.case.receipt,
        "山门村",
    ):
        assert leak not in text
    assert (
        "未找到该回执编号" in client.get("/report/lookup/", {"receipt": other.case.receipt}).content.decode()
    )
    assert "未找到该回执编号" in client.get("/report/lookup/", {"receipt": "JCAAAAAAAAAA"}).content.decode()


def test_reports_are_limited_per_address_and_per_id_number(world, client) -> None:
    for _ in range(2):
        _receipt(client.post("/report/", _form(), REMOTE_ADDR="10.0.0.2"))
    r = client.post("/report/", _form(), REMOTE_ADDR="10.0.0.3")
    assert r.status_code == 429 and "今日已多次申报" in r.content.decode()
    for i in range(5):
        client.post("/report/", _form(id_number=make_id(910 + i)), REMOTE_ADDR="10.0.0.9")
    r = client.post("/report/", _form(id_number=make_id(920)), REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429 and "过于频繁" in r.content.decode()
    assert not PublicRequest.objects.exclude(id_digest="").filter(id_digest__contains=make_id(920)).exists()


# ---------------------------------------------------------------- signed-in pages


def _case(world: Any, key: str = "A1") -> Case:
    h = world.households[key]
    return pr.take_clue(Channel.SELF_REPORT, pr.Person("公众申报", "public", ""), risk="因病", household=h,
                        applicant_name="马福贵", applicant_id_number=h.members.first().id_number,
                        applicant_phone="13912345678").case  # fmt: skip


def test_the_township_accepts_and_other_roles_and_areas_are_refused(world, login) -> None:
    c = _case(world)
    r = login("village").post(f"/procedure/cases/{c.pk}/accept/", {"note": "受理"})
    assert r.status_code == 403 and "乡镇用户" in r.content.decode()
    assert login("countyb").post(f"/procedure/cases/{c.pk}/accept/", {"note": "受理"}).status_code == 404
    r = login("county").post(f"/procedure/cases/{c.pk}/accept/", {"note": "受理"})
    assert r.status_code == 403
    c.refresh_from_db()
    assert c.step == Step.ACCEPT
    r = login("township").post(f"/procedure/cases/{c.pk}/accept/", {"note": "材料齐全"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.step == Step.VISIT
    assert (
        login("township")
        .post(f"/procedure/cases/{c.pk}/visit/", {"note": "x", "authorisation_signed": "on"})
        .status_code
        == 403
    )
    r = login("village").post(
        f"/procedure/cases/{c.pk}/visit/", {"note": "入户核实", "authorisation_signed": "on"}
    )
    assert r.status_code == 302


def test_each_list_is_sorted_by_deadline_and_marks_near_and_overdue(world, login) -> None:
    late = _case(world, "A1")
    soon = _case(world, "A3")
    Case.objects.filter(pk=late.pk).update(due_on=pr.today() - dt.timedelta(days=3))
    Case.objects.filter(pk=soon.pk).update(due_on=pr.today())
    text = login("township").get("/procedure/?list=accept").content.decode()
    assert text.index(late.receipt) < text.index(soon.receipt)
    assert re.search(rf'class="due-overdue" data-receipt="{late.receipt}"', text)
    assert re.search(rf'class="due-near" data-receipt="{soon.receipt}"', text)
    assert "待受理（2）" in text


def test_the_next_level_sees_its_areas_overdue_items(world, login) -> None:
    c = _case(world)
    pr.accept(c, pr.Person("township", "township", "640522100"))
    Case.objects.filter(pk=c.pk).update(due_on=pr.today() - dt.timedelta(days=1))
    assert c.receipt in login("township").get("/procedure/?list=late").content.decode()
    assert c.receipt in login("county").get("/procedure/?list=late").content.decode()
    assert c.receipt not in login("countyb").get("/procedure/?list=late").content.decode()
    text = login("city").get("/procedure/?list=late").content.decode()
    assert c.receipt in text and "逾期合计" in text


def test_the_notice_shows_name_village_and_category_and_never_id_phone_or_health(world, login, clock) -> None:
    c = _case(world)
    township = pr.Person("township", "township", "640522100")
    village = pr.Person("village", "village", VILLAGE)
    c = pr.accept(c, township)
    c = pr.visit(c, village, "入户核实：住院", authorisation_signed=True)
    c = pr.review(c, village, True, "同意")
    c = pr.post_notice(c, village)
    page = login("village").get("/procedure/notices/").content.decode()
    text = page[page.index('<section class="notice">') :]
    head = world.households["A1"].members.get(relation="户主")
    assert head.name in text and "山门村" in text and c.proposed_category in text
    for secret in (head.id_number, "13912345678", "健康", "住院", world.households["A1"].household_id):
        assert secret not in text


def test_each_village_has_a_printable_qr_code_to_the_self_report_page(world, login) -> None:
    text = login("township").get("/procedure/qr/").content.decode()
    assert text.count("<svg") == 2 and "/report/?v=640522100201" in text and "三营村" not in text


def test_a_cadre_records_a_clue_from_a_visit_on_his_phone(world, login) -> None:
    client = login("cadre")
    assert world.households["A1"].household_id in client.get("/procedure/new/").content.decode()
    r = client.post(
        "/procedure/new/",
        {"household_id": world.households["A1"].household_id, "risk": "因残", "description": "户主新增残疾"},
    )
    assert r.status_code == 302
    c = Case.objects.get()
    assert c.channel == Channel.CADRE and c.step == Step.VISIT and c.risks == ["因残"]
    r = client.post(
        "/procedure/new/",
        {"household_id": world.households["A3"].household_id, "risk": "因残", "description": "x"},
    )
    assert r.status_code == 200 and "不在您的管辖范围内" in r.content.decode()
    assert CaseClue.objects.count() == 1


def test_an_alert_clue_is_taken_into_the_procedure_from_the_clue_page(world, login) -> None:
    h = world.households["A1"]
    client = login("township")
    assert "转入监测程序" in client.get(f"/alerts/households/{h.household_id}/").content.decode()
    r = client.post(f"/procedure/alerts/{h.household_id}/")
    assert r.status_code == 302
    c = Case.objects.get(household=h)
    assert c.channel == Channel.SCREENING and c.clues.get().alert == world.alerts["A1"]


@pytest.mark.parametrize("action", ["measure", "rollback", "reflag"])
def test_object_actions_are_refused_outside_the_area(world, login, action) -> None:
    obj = world.objects["B1"]
    assert login("county").post(f"/procedure/objects/{obj.pk}/{action}/", {"note": "x"}).status_code == 404
