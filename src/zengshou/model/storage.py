"""Model versions as files under ``$ZENGSHOU_HOME/models/risk/<version>/``: the trees and the card.

``booster.txt`` is LightGBM's own text format and ``card.json`` holds everything else (calibration
knots, years, training summary, metrics, drift reference), so a version can be read, diffed and
archived without Python pickles. ``card.md`` is the same card for people. ``LATEST`` names the
version ``zengshou model score`` uses by default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from zengshou.config import home
from zengshou.model.training import ModelError, RiskModel

_VERSION = re.compile(r"^v(\d+)$")


def models_dir() -> Path:
    path = home() / "models" / "risk"
    path.mkdir(parents=True, exist_ok=True)
    return path


def versions() -> list[str]:
    """Stored versions, oldest first."""
    found = [(int(m.group(1)), p.name) for p in models_dir().iterdir() if (m := _VERSION.match(p.name))]
    return [name for _, name in sorted(found)]


def save(model: RiskModel) -> Path:
    """Store ``model`` as the next version (v1, v2, …) and make it the latest; returns its folder."""
    existing = versions()
    number = int(existing[-1][1:]) + 1 if existing else 1
    version = f"v{number}"
    model.card["version"] = version
    folder = models_dir() / version
    folder.mkdir()
    model.booster.save_model(str(folder / "booster.txt"))
    card = {**model.card, "calibration": {"x": model.calibration_x, "y": model.calibration_y}}
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "card.md").write_text(card_markdown(model.card), encoding="utf-8")
    (models_dir() / "LATEST").write_text(version, encoding="utf-8")
    return folder


def load(version: str | None = None) -> RiskModel:
    """A stored version (default: the latest). Raises :class:`ModelError` when there is none."""
    import lightgbm as lgb

    if version is None:
        latest = models_dir() / "LATEST"
        if not latest.exists():
            raise ModelError(
                f"尚未训练模型（{models_dir()} 为空），请先运行 zengshou model train / "
                "no trained model: run `zengshou model train` first"
            )
        version = latest.read_text(encoding="utf-8").strip()
    folder = models_dir() / version
    if not (folder / "booster.txt").exists():
        raise ModelError(
            f"模型版本 {version} 不存在（已有：{', '.join(versions()) or '无'}） / no model version {version!r}"
        )
    card: dict[str, Any] = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    cal = card.pop("calibration")
    booster = lgb.Booster(model_file=str(folder / "booster.txt"))
    return RiskModel(booster=booster, calibration_x=cal["x"], calibration_y=cal["y"], card=card)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def card_markdown(card: dict[str, Any]) -> str:
    """The card of one version as Markdown (what, on which data, how good, what matters)."""
    t = card.get("training", {})
    m = card.get("metrics", {})
    lines = [
        f"# 风险预测模型 {card.get('version', '')}（{card.get('code', 'R01')}）",
        "",
        f"- 训练时间 / trained at: {card.get('trained_at', '')}",
        f"- 数据来源 / source: {card.get('source', '') or '—'}",
        f"- 特征年度 / feature years t: {', '.join(map(str, card.get('years', [])))}（结果年度 t+1）",
        f"- 预测目标 / outcome: {card.get('outcome', '')}",
        f"- 训练样本 / rows: {t.get('rows', 0):,} 户·年，{t.get('households', 0):,} 户，"
        f"正例 {t.get('at_risk', 0):,}（{_fmt(t.get('at_risk_rate', 0.0))}）",
        f"- 树的棵数 / trees: {card.get('boosting', {}).get('rounds', '')}",
        "",
        "## 留出农户上的表现 / held-out households",
        "",
        f"- AUC: {_fmt(m.get('held_out_auc'))}；Brier: {_fmt(m.get('held_out_brier'))}；"
        f"基准率 / base rate: {_fmt(m.get('held_out_base_rate'))}",
    ]
    b = m.get("held_out_at_budget", {})
    if b:
        lines.append(
            f"- 走访前 {_fmt(m.get('budget_share'))} 的农户（{b.get('visits')} 户）：精确率 {_fmt(b.get('precision'))}，"
            f"召回率 {_fmt(b.get('recall'))}"
        )
    lines += ["", "| 预测概率 predicted | 实际比例 observed | 户·年 rows |", "|---|---|---|"]
    lines += [
        f"| {r['predicted']:.3f} | {r['observed']:.3f} | {r['rows']:,} |" for r in m.get("calibration", [])
    ]
    lines += [
        "",
        "## 按年度 / by year",
        "",
        "| 年度 t | 户·年 | 次年风险 | 不增反降 | 低于监测范围 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['year']} | {r['rows']:,} | {r['at_risk_rate']:.3f} | {r['fell_rate']:.3f} | {r['under_line_rate']:.3f} |"
        for r in t.get("by_year", [])
    ]
    lines += ["", "## 最重要的特征 / top features (gain)", ""]
    lines += [f"- {r['feature']}: {r['gain']:,.0f}" for r in card.get("importance", [])]
    return "\n".join(lines) + "\n"
