"""No developer text on a user's screen: error pages, the audit trail, import results, target entry
and the API's error bodies read in Chinese, never as English sentences or Python reprs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

#: Two English words in a row ("Bad Request", "could not convert") or a Python repr.
ENGLISH = re.compile(r"[A-Za-z]{4,} [A-Za-z]{3,}")
REPR = re.compile(r"Error\(|Counts\(|\{'|\['|\[\{|\bNone\b|\bTrue\b|\bFalse\b")


class _Text(HTMLParser):
    """The text a reader sees: outside <script>/<style>, plus titles and placeholders."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


def assert_chinese(text: str, where: str) -> None:
    english = ENGLISH.findall(text)
    assert not english, f"{where}: English text {english} in\n{text[:2000]}"
    reprs = REPR.findall(text)
    assert not reprs, f"{where}: Python repr {reprs} in\n{text[:2000]}"
    assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese at all in {text[:500]!r}"


def assert_page_chinese(response: Any, where: str) -> str:
    text = visible_text(response.content.decode())
    assert_chinese(text, where)
    return text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in ("loc", "type") for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_json_chinese(response: Any, where: str) -> None:
    body = json.loads(response.content)
    text = "\n".join(_strings(body))
    assert_chinese(text, where)


# ---------------------------------------------------------------- error pages


def test_an_unknown_page_says_in_chinese_that_it_was_not_found(world, client) -> None:
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    assert "未找到" in assert_page_chinese(r, "404 signed out")


def test_a_household_outside_the_area_is_not_found_in_chinese(world, login) -> None:
    c = login("county")
    r = c.get(f"/households/{world.households['B1'].household_id}/")
    assert r.status_code == 404
    assert "不在您的管辖范围内" in assert_page_chinese(r, "404 foreign household")
    r = c.get("/toolbox/county/999999/")
    assert r.status_code == 404
    assert_page_chinese(r, "404 toolbox")


def test_a_page_the_role_may_not_open_is_refused_in_chinese(world, login) -> None:
    r = login("department").get("/audit/")
    assert r.status_code == 403
    assert "不能进行此操作" in assert_page_chinese(r, "403 role")


def test_an_address_the_server_does_not_answer_to_gets_a_chinese_400(world, client) -> None:
    r = client.get("/login/", HTTP_HOST="192.168.10.20:8000")
    assert r.status_code == 400
    text = assert_page_chinese(r, "400 host")
    assert "192.168.10.20:8000" in text and "地址" in text


def test_a_request_django_refuses_gets_a_chinese_400(world, client, settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    r = client.post("/login/", {f"f{i}": "x" for i in range(20)})
    assert r.status_code == 400
    assert_page_chinese(r, "400 too many fields")


def test_a_stale_form_token_gets_a_chinese_page_instead_of_csrf_verification_failed(world) -> None:
    c = Client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": "county", "password": "x"})
    assert r.status_code == 403
    assert "页面已过期" in assert_page_chinese(r, "403 CSRF")


def test_a_page_that_fails_shows_a_chinese_500_without_the_exception(world, settings) -> None:
    settings.ROOT_URLCONF = "tests.web.boom_urls"
    c = Client(raise_request_exception=False)
    r = c.get("/boom/")
    assert r.status_code == 500
    text = assert_page_chinese(r, "500")
    assert "division" not in text and "系统" in text


def test_a_form_address_opened_directly_says_so_in_chinese(world, login) -> None:
    r = login("county").get("/logout/")
    assert r.status_code == 405
    assert_page_chinese(r, "405")


def test_the_api_answers_errors_in_chinese(world, login) -> None:
    anonymous = Client()
    r = anonymous.get("/api/households")
    assert r.status_code == 401
    assert_json_chinese(r, "api 401")
    c = login("county")
    r = c.get("/api/households?page=abc")
    assert r.status_code == 422
    assert_json_chinese(r, "api 422 query")
    assert "查询参数 page：应为整数" in json.loads(r.content)["detail"]  # names the field to correct
    r = c.get("/api/alerts/999999")
    assert r.status_code == 404
    assert_json_chinese(r, "api 404")
    r = c.post(
        f"/api/alerts/{world.alerts['A1'].pk}/transition",
        data=json.dumps({"action": "shout"}),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert_json_chinese(r, "api 422 body")
    r = c.post(
        f"/api/alerts/{world.alerts['A1'].pk}/transition", data="{not json", content_type="application/json"
    )
    assert r.status_code in (400, 422)
    assert_json_chinese(r, "api bad json")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = c.cookies
    r = strict.post(
        f"/api/alerts/{world.alerts['A1'].pk}/transition",
        data=json.dumps({"action": "dismiss", "reason": "x"}),
        content_type="application/json",
    )
    assert r.status_code == 403
    assert_json_chinese(r, "api csrf")
    r = c.delete("/api/households")
    assert r.status_code == 405
    assert_json_chinese(r, "api 405")


@pytest.mark.parametrize("path", ["/api/areas/640522/stats?year=1800", "/api/households/nope"])
def test_api_lookups_outside_the_data_answer_in_chinese(world, login, path) -> None:
    r = login("county").get(path)
    assert r.status_code in (400, 404)
    assert_json_chinese(r, path)


# ---------------------------------------------------------------- audit trail


def _audit_actions() -> set[str]:
    """Every action string the source passes to record()/record_many(); f-strings as ``x.{}``."""
    import ast
    from pathlib import Path

    import zengshou

    found: set[str] = set()

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        if isinstance(node, ast.JoinedStr):
            return [
                "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
            ]
        return []

    for path in Path(zengshou.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "record" and len(node.args) >= 2:
                    found.update(strings(node.args[1]))
            elif isinstance(node, ast.Dict):  # an event for record_many: it names its object type
                keys = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                if "action" in keys and "object_type" in keys:
                    found.update(strings(keys["action"]))
    return found


def test_every_audited_action_in_the_source_has_a_chinese_label() -> None:
    from zengshou.web.audit_texts import ACTION_LABELS

    actions = _audit_actions()
    assert {"model.store_alerts", "login", "import.update", "web.alert.{}"} <= actions
    for action in actions:
        if "{}" in action:
            head, tail = action.split("{}", 1)
            matching = [k for k in ACTION_LABELS if k.startswith(head) and k.endswith(tail)]
            assert matching, f"no label for any {action}"
        else:
            assert action in ACTION_LABELS, f"audit action {action} has no Chinese label"
    for label in ACTION_LABELS.values():
        assert_chinese(label, "label")


def test_the_audit_page_shows_actions_and_details_in_chinese(world, login) -> None:
    from zengshou.registry.audit import record

    record("system", "model.store_alerts", "risk_model", "v3", {"year": 2025, "alerts_new": 12})
    record(
        "county",
        "import",
        "interchange",
        "西吉县.xlsx",
        {
            "source": "/tmp/x.xlsx",
            "counts": {"households": {"read": 2, "inserted": 1, "updated": 1, "unchanged": 0}},
        },
    )
    record(
        "county",
        "import.update",
        "households",
        "6405221002010001",
        {"changed": {"phone": ["139****5678", "138****0000"]}},
    )
    record(
        "county",
        "alert.verified",
        "alert",
        "7",
        {"code": "M04", "from": "new", "to": "verified", "note": "已入户"},
    )
    record("county", "web.alert.dismiss", "alert", "7", {"via": "web"})
    record(
        "dept",
        "feed.import",
        "FeedBatch",
        "3",
        {"kind": "医保", "facts": {"member.medical_insured": 4}, "matched": 4},
    )
    record("county", "toolbox.whatif", "", "", {"year": 2025, "changes": {"L01a.min_healthy_labourers": 2}})
    record(
        "county",
        "household.view",
        "household",
        "6405221002010001",
        {"role": "county", "path": "/households/x/"},
    )
    record("someone", "brand.new_thing", "gadget", "1", {"mystery_field": [1, 2, 3]})
    text = assert_page_chinese(login("region").get("/audit/"), "audit page")
    for label in (
        "风险模型写入预警",
        "新预警：12",
        "导入数据交换文件",
        "数量·家庭：读取 2，新增 1，修改 1，未变 0",
        "修改内容·联系电话：139****5678 → 138****0000",
        "预警已核实",
        "原状态：新预警",
        "网页处理预警：排除",
        "途径：网页",
        "部门数据批次",
        "角色：县级用户",
        "其他操作",
    ):
        assert label in text, label + "\n" + text[text.find("共 ") :]
    for code in ("model.store_alerts", "web.alert.dismiss", "alerts_new", "brand.new_thing", "risk_model"):
        assert code not in text, code


# ---------------------------------------------------------------- imports


def _update_workbook(tmp_path: Any) -> Any:
    """家庭: A1 with a new phone number, A3 as stored, one new household; 家庭成员: its head."""
    import xlsxwriter

    from tests.conftest import make_id
    from zengshou import interchange as ix

    head = ("户编号", "行政区划代码", "户类型", "住房安全", "饮水安全", "联系电话")
    households = [
        ("6405221002010001", "640522100201", "脱贫户", "是", "是", "13800000000"),
        ("6405221002010002", "640522100201", "脱贫户", "是", "是", "13912345678"),
        ("6405221002019901", "640522100201", "脱贫户", "是", "是", "13700000000"),
    ]
    member_head = ("户编号", "姓名", "证件号码", "与户主关系", "健康状况", "劳动技能", "参加基本医疗保险")
    members = [("6405221002019901", "马成", make_id(902, area="640522"), "户主", "健康", "普通劳动力", "是")]
    path = tmp_path / "update.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        for table, header, rows in ((ix.HOUSEHOLDS, head, households), (ix.MEMBERS, member_head, members)):
            ws = wb.add_worksheet(table.name)
            for col, h in enumerate(header):
                ws.write_string(0, col, h)
            for r, row in enumerate(rows, start=1):
                for col, v in enumerate(row):
                    ws.write_string(r, col, v)
    return path


def test_the_confirm_screen_counts_what_really_changes_and_the_result_is_a_chinese_table(
    world, login, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zengshou.registry.models import Household
    from zengshou.web.models import ImportJob

    c = login("county")
    path = _update_workbook(tmp_path)
    c.post("/imports/", {"kind": "interchange", "file": SimpleUploadedFile(path.name, path.read_bytes())})
    job = ImportJob.objects.get(created_by="county", original_name="update.xlsx")
    assert job.status == "ready", job.message
    text = assert_page_chinese(c.get(f"/imports/{job.pk}/"), "confirm screen")
    # 家庭: 3 in the file, 1 new, 1 changed (A1's phone), 1 as stored — counted before anything is written
    assert "家庭\n3\n1\n1\n1" in text, text
    assert "家庭成员\n1\n1\n0\n0" in text
    assert "将新增2条、修改1条记录，1条与系统中一致" in text
    assert Household.objects.get(household_id="6405221002010001").phone == "13912345678"
    assert not Household.objects.filter(household_id="6405221002019901").exists()
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    text = assert_page_chinese(c.get(f"/imports/{job.pk}/"), "import result")
    assert "导入结果" in text and "家庭\n3\n1\n1\n1" in text.split("导入结果", 1)[1]
    assert "TableCounts" not in text and "read" not in text


# ---------------------------------------------------------------- target progress


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("value", "abc", "完成值“abc”不是数字"),
        ("value", "", "请填写累计完成值"),
        ("value", "-5", "完成值不能为负数"),
        ("year", "x", "年度“x”不是有效的年份"),
        ("quarter", "9", "季度“9”无效"),
        ("target_id", "T99:不存在", "未知目标“T99:不存在”"),
    ],
)
def test_a_wrong_progress_entry_is_refused_with_a_chinese_message_naming_the_field(
    world, login, field, value, says
) -> None:
    from zengshou.assess.models import TargetProgress

    form = {"target_id": "L05:以工代赈岗位", "year": "2025", "quarter": "2", "value": "3000", field: value}
    r = login("department").post("/assess/targets/?year=2025&quarter=2", form, follow=True)
    text = assert_page_chinese(r, f"targets {field}={value}")
    assert says in text
    assert "convert" not in text and "invalid literal" not in text
    assert not TargetProgress.objects.exists()
