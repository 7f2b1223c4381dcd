"""The audit trail in words an auditor reads: each action, object type and detail field in Chinese.

Every action passed to :func:`zengshou.registry.audit.record` (or ``record_many``) has a label in
:data:`ACTION_LABELS` (tests/web/test_texts.py finds them all in the source); an action added later
without one still reads as its part's name (:data:`PART_LABELS`), never as its code.
"""

from __future__ import annotations

import re
from typing import Any

from zengshou import interchange as ix
from zengshou.monitor.models import AlertStatus
from zengshou.web.roles import Role

_CODE = re.compile(r"[A-Z]\d{2}[a-z]?")
_ALERT_STEPS = {"verify": "核实", "include": "纳入监测", "dismiss": "排除"}
#: The monitoring procedure's steps (zengshou.monitor.procedure) and the web actions that take them.
_PROCEDURE_STEPS = {
    "clue": "登记线索",
    "merge": "线索并入办理中事项",
    "accept": "乡镇受理",
    "refuse": "不予受理",
    "visit": "入户核实",
    "review": "村级民主评议通过",
    "review_reject": "村级民主评议未通过",
    "post_notice": "张贴公示",
    "close_notice": "公示期满",
    "township": "乡镇审核通过",
    "township_return": "乡镇审核退回",
    "county": "县级审定",
    "county_reject": "县级审定不同意",
    "include": "县级审定纳入监测",
    "eliminate": "县级审定风险消除",
    "keep": "兜底保障继续监测",
    "start_elimination": "启动风险消除",
    "rollback": "风险消除回退",
    "reflag": "风险再标注",
    "measure": "记录帮扶措施",
}

ACTION_LABELS: dict[str, str] = {
    "login": "登录",
    "logout": "退出",
    "login.failed": "登录失败",
    "login.throttled": "登录被限制",
    "access.refused": "访问被拒绝（不在管辖范围或记录不存在）",
    "access.denied": "操作被拒绝（角色无此权限）",
    "household.view": "查看农户（脱敏）",
    "household.view_full": "查看农户完整信息",
    "visit.add": "记录走访",
    "visit.photo": "查看走访照片",
    "export": "导出",
    "export.download": "下载导出文件",
    "export.personal": "导出（含个人信息）",
    "import": "导入数据交换文件",
    "import.upload": "上传文件",
    "import.load": "确认导入",
    "import.insert": "导入新增记录",
    "import.update": "导入修改记录",
    "mapping.save": "保存列映射",
    "mapping.change": "修改列映射",
    "feed.import": "导入部门数据",
    "feed.update": "部门数据更新信息",
    **{f"alert.{s.value}": f"预警{s.label}" for s in AlertStatus},
    **{f"web.alert.{k}": f"网页处理预警：{v}" for k, v in _ALERT_STEPS.items()},
    **{f"api.alert.{k}": f"接口处理预警：{v}" for k, v in _ALERT_STEPS.items()},
    **{f"web.clue.{k}": f"网页处理线索（一户全部预警）：{v}" for k, v in _ALERT_STEPS.items()},
    "monitoring.include": "纳入监测对象",
    "monitoring.eliminate": "风险消除",
    "monitoring.recategorise": "调整监测对象类别",
    "web.monitoring.eliminate": "网页标注风险消除",
    "api.household": "接口查看农户",
    "api.household_full": "接口查看农户完整信息",
    "audit.search": "查询审计",
    "model.store_alerts": "风险模型写入预警",
    "pipeline.store": "批处理写入分层和预警",
    "backup.create": "备份数据库（含个人信息）",
    "batch.start": "启动批处理",
    "pairing.confirm": "确认结对帮扶",
    "plan.generate": "生成一户一策",
    "plan.status": "帮扶措施状态变更",
    "toolbox.save": "保存县区政策工具箱",
    "toolbox.whatif": "政策测算（如果……会怎样）",
    "toolbox.explain": "查看农户政策适用说明",
    "target.progress": "填报目标任务进度",
    "report.download": "下载季度分析报告",
    "quality.exempt": "登记数据质量豁免",
    **{f"procedure.{k}": f"监测程序：{v}" for k, v in _PROCEDURE_STEPS.items()},
    **{f"web.procedure.{k}": f"网页办理监测程序：{v}" for k, v in _PROCEDURE_STEPS.items()},
    "procedure.self_report": "农户自主申报",
    "procedure.print_notice": "打印公示",
    "procedure.view_case": "查看监测程序事项（含申报人信息）",
}

#: The name of an action's part (its code up to the first dot), for an action without its own label.
PART_LABELS = {
    "login": "登录",
    "access": "访问控制",
    "logout": "退出",
    "household": "农户",
    "visit": "走访",
    "export": "导出",
    "import": "导入",
    "mapping": "列映射",
    "feed": "部门数据",
    "alert": "预警",
    "monitoring": "监测对象",
    "procedure": "监测程序",
    "api": "接口访问",
    "web": "网页操作",
    "clue": "线索",
    "audit": "审计",
    "model": "风险模型",
    "pipeline": "批处理",
    "batch": "批处理",
    "pairing": "结对帮扶",
    "plan": "一户一策",
    "toolbox": "政策工具箱",
    "target": "目标任务",
    "report": "分析报告",
    "user": "用户管理",
    "backup": "备份",
    "restore": "恢复",
}

OBJECT_LABELS = {
    "user": "用户",
    "household": "农户",
    "households": "家庭",
    "member": "家庭成员",
    "members": "家庭成员",
    "income": "收入",
    "villages": "村",
    "cadres": "帮扶干部",
    "alert": "预警",
    "monitoring_object": "监测对象",
    "visit": "走访记录",
    "page": "页面",
    "import": "导入任务",
    "mapping_profile": "列映射",
    "interchange": "数据交换文件",
    "area": "区划",
    "audit": "审计记录",
    "risk_model": "风险模型",
    "pipeline": "批处理",
    "batch": "批处理",
    "Plan": "一户一策",
    "PlanItem": "帮扶措施",
    "CountyToolboxVersion": "县区工具箱版本",
    "FeedBatch": "部门数据批次",
    "target": "目标任务",
    **{t.key: t.name for t in ix.TABLES},
}
#: Column keys of the interchange format (a changed field of an import or a feed) by their headers.
COLUMN_LABELS = {c.key: c.header for t in (*ix.TABLES, *ix.FEEDS) for c in reversed(t.columns)}

#: Detail fields of the events, as the auditor reads them.
DETAIL_LABELS = {
    "role": "角色",
    "wait": "需等待（秒）",
    "path": "页面",
    "method": "请求方式",
    "via": "途径",
    "visit": "走访记录",
    "visited_on": "走访日期",
    "photo": "有照片",
    "kind": "类型",
    "file": "文件",
    "bytes": "大小（字节）",
    "format": "格式",
    "with_personal_data": "含个人信息",
    "out": "输出位置",
    "code": "预警类型",
    "household": "农户",
    "household_id": "户编号",
    "from": "原状态",
    "to": "新状态",
    "note": "说明",
    "reason": "原因",
    "evidence": "佐证材料",
    "on": "日期",
    "monitoring_type": "监测类型",
    "alert": "预警",
    "alerts": "预警",
    "previous_type": "原户类型",
    "restored_type": "恢复为户类型",
    "object": "监测对象记录",
    "incomes": "收入情况",
    "year": "年度",
    "quarter": "季度",
    "user_area": "用户所在区划",
    "value": "完成值",
    "version": "版本",
    "county": "县区",
    "params": "参数",
    "changes": "变更",
    "change": "变动",
    "changed": "修改内容",
    "source": "来源",
    "counts": "数量",
    "warnings": "提示条数",
    "areas_created": "新建乡镇/村",
    "field": "字段",
    "old": "原值",
    "new": "新值",
    "batch": "批次",
    "rows": "行数",
    "matched": "匹配",
    "unmatched": "未匹配",
    "facts": "更新的信息",
    "checksum": "文件校验码",
    "tier_results": "分层结果",
    "alerts_new": "新预警",
    "alerts_refreshed": "更新的预警",
    "alerts_already_decided": "已处置未改动的预警",
    "households": "户数",
    "plans_created": "新建方案",
    "items_created": "新增措施",
    "items_updated": "更新措施",
    "items_removed": "删除措施",
    "items_kept": "保留措施",
    "read": "读取",
    "inserted": "新增",
    "updated": "修改",
    "unchanged": "未变",
    "stages": "步骤",
    "area": "区划",
    "area_code": "区划",
    "username": "用户名",
    "action": "操作",
    "object_id": "对象编号",
    "since": "起始日期",
    "until": "截止日期",
    "page": "页码",
}
_VALUE_LABELS = {
    "via": {"web": "网页", "api": "接口"},
    "role": {r.value: str(r.label) for r in Role},
    "from": {s.value: str(s.label) for s in AlertStatus},
    "to": {s.value: str(s.label) for s in AlertStatus},
    "kind": {"interchange": "农户数据交换文件"},
    "reason": {"out_of_scope": "不在管辖范围内", "not_found": "记录不存在"},
    "method": {"GET": "查看", "POST": "提交", "PUT": "修改", "PATCH": "修改", "DELETE": "删除"},
}


_COUNT_ORDER = {k: i for i, k in enumerate(("read", "inserted", "updated", "unchanged"))}


def action_label(action: str) -> str:
    """The action in Chinese; an unlabelled one by its part, or 其他操作."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    part = action.split(".", 1)[0]
    return f"{PART_LABELS[part]}（其他操作）" if part in PART_LABELS else "其他操作"


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, "其他对象" if object_type else "")


def _key(key: str) -> str:
    if key in DETAIL_LABELS:
        return DETAIL_LABELS[key]
    head, _, tail = key.partition(".")  # a feed's facts: "member.work"; a parameter: "L01a.min_…"
    if tail and _CODE.fullmatch(head):
        return f"{head}条款参数"
    if tail:
        return (
            f"{OBJECT_LABELS.get(head, '其他')}·{COLUMN_LABELS.get(tail) or DETAIL_LABELS.get(tail, '其他')}"
        )
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    return key if not key.isascii() else "其他信息"


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return (
            f"{value:,}"
            if isinstance(value, int) and key not in ("year", "visit", "alert", "object")
            else str(value)
        )
    if isinstance(value, dict):  # PostgreSQL's jsonb keeps no key order: counts in the format's order
        items = sorted(value.items(), key=lambda kv: _COUNT_ORDER.get(kv[0], len(_COUNT_ORDER)))
        return "，".join(f"{_key(k)} {_value(k, v)}" for k, v in items) or "—"
    if isinstance(value, list | tuple):
        if key == "changed" or (len(value) == 2 and not any(isinstance(v, dict | list) for v in value)):
            return " → ".join(_value(key, v) for v in value)
        return "、".join(_value(key, v) for v in value) or "—"
    text = str(value)
    if key == "field":
        return COLUMN_LABELS.get(text, text)
    return _VALUE_LABELS.get(key, {}).get(text, text)


def detail_lines(detail: Any) -> list[str]:
    """The event's detail as "键：值" lines; a table of counts (an import's) one line per table."""
    if not detail:
        return []
    if not isinstance(detail, dict):
        return [str(detail)]
    lines = []
    for key, value in detail.items():
        if key in ("counts", "changed") and isinstance(value, dict):
            for sub, v in value.items():
                label = (OBJECT_LABELS.get(sub) if key == "counts" else None) or _key(sub)
                lines.append(f"{DETAIL_LABELS[key]}·{label}：{_value(key, v)}")
        else:
            lines.append(f"{_key(key)}：{_value(key, value)}")
    return lines
