"""M02: why the model warns — the top 3 reasons of each household in words a village cadre understands.

LightGBM's own per-feature contributions (TreeSHAP, ``pred_contrib=True``) are summed by reason group
(wage, employment, medical, …: one group per thing a cadre would check), so that "wage fell 48%" and
"wage is 80% of income" do not fill two of the three places. The groups that push the risk up most
are put into sentences built from the household's own figures at the end of the year.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zengshou.income.text import yuan_text
from zengshou.model.features import FEATURES

#: Reason groups in a fixed order (columns of the group-contribution matrix).
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FEATURES))

#: Reason group → the generator's shock types it points to (for the backtest's reason check).
GROUP_SHOCKS: dict[str, tuple[str, ...]] = {
    "wage": ("job_loss",),
    "employment": ("job_loss",),
    "operating": ("price_fall", "disaster"),
    "disaster": ("disaster",),
    "medical": ("illness", "accident"),
    "disability": ("disability", "accident"),
    "transfer": ("dibao_ended",),
}


def probability_text(probability: pl.Expr, step: float = 0.05, ceiling: float = 0.95) -> pl.Expr:
    """M02: a calibrated probability as an official reads it — "约85%": rounded to ``step``, never above
    ``ceiling`` (``M02.shown_probability``; docs/risk-model.md says why no forecast is shown as certain)."""
    shown = ((probability / step).round(0) * step).clip(step, ceiling)
    return pl.concat_str([pl.lit("约"), (shown * 100).round(0).cast(pl.Int64).cast(pl.Utf8), pl.lit("%")])


def _pct(expr: pl.Expr) -> pl.Expr:
    return (expr.abs() * 100).round(0).cast(pl.Int64).cast(pl.Utf8)


def _n(col: str) -> pl.Expr:
    return pl.col(col).fill_null(0).cast(pl.Int64).cast(pl.Utf8)


def texts(frame: pl.DataFrame) -> pl.DataFrame:
    """One Chinese sentence per reason group for every row of a feature frame (columns = :data:`GROUPS`)."""
    c = pl.col
    year = c("year").cast(pl.Utf8)
    exprs = {
        "income_level": pl.when(c("under_line_now") > 0)
        .then(
            pl.concat_str([pl.lit("人均纯收入"), yuan_text(c("pc_income")), pl.lit("元，低于当年监测范围")])
        )
        .otherwise(
            pl.concat_str(
                [
                    pl.lit("人均纯收入"),
                    yuan_text(c("pc_income")),
                    pl.lit("元，仅为监测范围的"),
                    c("line_ratio").round(1).cast(pl.Utf8),
                    pl.lit("倍"),
                ]
            )
        ),
        "income_trend": pl.when(c("pc_change_ratio") < 0)
        .then(pl.concat_str([pl.lit("人均纯收入较上年下降"), _pct(c("pc_change_ratio")), pl.lit("%")]))
        .when(c("pc_change_ratio_prev") < 0)
        .then(pl.concat_str([pl.lit("上年人均纯收入曾下降"), _pct(c("pc_change_ratio_prev")), pl.lit("%")]))
        .otherwise(pl.lit("人均纯收入增长乏力")),
        "wage": pl.when(c("wage_change_ratio") <= -0.05)
        .then(pl.concat_str([pl.lit("工资性收入较上年下降"), _pct(c("wage_change_ratio")), pl.lit("%")]))
        .otherwise(
            pl.concat_str([pl.lit("工资性收入占家庭收入"), _pct(c("wage_share")), pl.lit("%，务工收入不稳")])
        ),
        "operating": pl.when(c("operating_change_ratio") <= -0.05)
        .then(pl.concat_str([pl.lit("经营净收入较上年下降"), _pct(c("operating_change_ratio")), pl.lit("%")]))
        .otherwise(
            pl.concat_str(
                [
                    pl.lit("经营净收入占家庭收入"),
                    _pct(c("operating_share")),
                    pl.lit("%，受农产品价格和天气影响大"),
                ]
            )
        ),
        "transfer": pl.when(c("dibao_ended") > 0)
        .then(pl.concat_str([_n("dibao_ended"), pl.lit("名家庭成员低保终止")]))
        .otherwise(
            pl.concat_str(
                [pl.lit("转移性收入占家庭收入"), _pct(c("transfer_share")), pl.lit("%，依赖政策性收入")]
            )
        ),
        "medical": pl.when(c("medical_high_new") > 0)
        .then(
            pl.concat_str(
                [pl.lit("家庭成员新增大病（医保个人自付"), yuan_text(c("medical_self_paid")), pl.lit("元）")]
            )
        )
        .when(c("medical_high") > 0)
        .then(
            pl.concat_str(
                [pl.lit("家庭成员患大病，医保个人自付"), yuan_text(c("medical_self_paid")), pl.lit("元")]
            )
        )
        .when(c("temporary_assistance") > 0)
        .then(pl.lit("家庭当年申请临时救助"))
        .otherwise(
            pl.concat_str([pl.lit("刚性支出占家庭纯收入"), _pct(c("rigid_ratio").fill_null(0)), pl.lit("%")])
        ),
        "structure": pl.when(c("working_age").fill_null(0) < c("size").fill_null(0))
        .then(
            pl.concat_str(
                [
                    pl.lit("家庭"),
                    _n("size"),
                    pl.lit("人中劳动年龄人口仅"),
                    _n("working_age"),
                    pl.lit("人，抚养负担重"),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.lit("家庭"), _n("size"), pl.lit("人，均为劳动年龄人口")])),
        "disability": pl.when(c("disability_new") > 0)
        .then(
            pl.concat_str(
                [
                    pl.lit("家庭成员新增残疾"),
                    _n("disability_new"),
                    pl.lit("人"),
                    pl.when(c("disability_severe_new") > 0)
                    .then(pl.concat_str([pl.lit("（重度"), _n("disability_severe_new"), pl.lit("人）")]))
                    .otherwise(pl.lit("")),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.lit("家中有"), _n("disability_total"), pl.lit("名持证残疾人")])),
        "employment": pl.when(c("jobs_ended") > 0)
        .then(pl.concat_str([_n("jobs_ended"), pl.lit("名家庭成员就业终止，暂无新就业（人社数据）")]))
        .when(c("employed_change") < 0)
        .then(
            pl.concat_str(
                [
                    pl.lit("年末在业人数比上年减少"),
                    (-c("employed_change")).cast(pl.Int64).cast(pl.Utf8),
                    pl.lit("人"),
                ]
            )
        )
        .when(c("employed_end") == 0)
        .then(pl.lit("家庭无人登记在业（人社数据）"))
        .otherwise(pl.lit("家庭就业状况不稳")),
        "house": pl.lit("住房鉴定为C/D级，住房不安全"),
        "disaster": pl.when(c("area_disasters") > 0)
        .then(
            pl.concat_str(
                [
                    pl.lit("所在村（乡、县）"),
                    year,
                    pl.lit("年发生灾害"),
                    _n("area_disasters"),
                    pl.lit("次，直接经济损失"),
                    c("area_disaster_loss").round(0).cast(pl.Int64).cast(pl.Utf8),
                    pl.lit("万元"),
                ]
            )
        )
        .otherwise(pl.lit("所在地区近年无灾害记录，但同类地区受灾风险高")),
        "history": pl.concat_str(
            [
                pl.lit("上年和当年共有"),
                (c("rule_alerts") + c("rule_alerts_prev")).cast(pl.Int64).cast(pl.Utf8),
                pl.lit("条规则预警"),
            ]
        ),
    }
    return frame.select([exprs[g].alias(g) for g in GROUPS])


def group_contributions(contrib: np.ndarray) -> np.ndarray:
    """Sum per-feature contributions (bias column dropped) into :data:`GROUPS` columns."""
    index = {g: i for i, g in enumerate(GROUPS)}
    groups = np.zeros((contrib.shape[0], len(GROUPS)))
    for j, f in enumerate(FEATURES):
        groups[:, index[f.group]] += contrib[:, j]
    return groups


def top_reasons(frame: pl.DataFrame, contrib: np.ndarray, k: int = 3) -> pl.DataFrame:
    """``reason_groups`` and ``reasons`` (lists of up to ``k``): groups that raise the risk most, largest first."""
    groups = group_contributions(contrib)
    order = np.argsort(-groups, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(groups, order, axis=1) > 0
    sentences = texts(frame).to_numpy().astype(object)
    names = np.asarray(GROUPS, dtype=object)
    picked_groups = names[order]
    picked_text = np.take_along_axis(sentences, order, axis=1)
    picked_groups[~positive] = None
    picked_text[~positive] = None
    cols = {f"g{i}": pl.Series(picked_groups[:, i].tolist(), dtype=pl.Utf8) for i in range(order.shape[1])}
    cols |= {f"t{i}": pl.Series(picked_text[:, i].tolist(), dtype=pl.Utf8) for i in range(order.shape[1])}
    return pl.DataFrame(cols).select(
        pl.concat_list([f"g{i}" for i in range(order.shape[1])]).list.drop_nulls().alias("reason_groups"),
        pl.concat_list([f"t{i}" for i in range(order.shape[1])]).list.drop_nulls().alias("reasons"),
    )
