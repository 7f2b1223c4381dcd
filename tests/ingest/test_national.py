"""National-layout person lists: header detection, household split, area names, codes, the import."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from zengshou.ingest import load, national
from zengshou.synth import generate

YEAR = 2024


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    pop = generate(120, [YEAR - 1, YEAR], 3).population
    return national.person_rows(pop, national.synthetic_monitoring(pop, YEAR), YEAR)


def _write(people: pl.DataFrame, tmp_path: Path, **options: object) -> Path:
    return national.write_workbook(
        people, tmp_path / "名单.xlsx", title=f"某县{YEAR}年监测对象信息", **options
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title_rows", "two_rows", "header_rows"),
    [(0, False, (0,)), (1, False, (1,)), (2, False, (2,)), (2, True, (2, 3))],
)
def test_the_header_is_found_below_title_rows_and_over_two_rows(
    areas_db, people, tmp_path, title_rows, two_rows, header_rows
):
    path = _write(people, tmp_path, title_rows=title_rows, two_row_header=two_rows)
    result, nat = national.read(path)
    assert nat is not None and nat.header.rows == header_rows
    assert result.errors == []
    assert result.frames["members"].height == people.height
    assert result.frames["households"].height == people["household_id"].n_unique()


def test_shuffled_and_extra_columns_are_matched_by_name_and_extras_reported(areas_db, people, tmp_path):
    path = _write(people, tmp_path, shuffle_seed=5, extra_columns=3)
    result, nat = national.read(path)
    assert result.errors == []
    assert nat is not None and {"备用字段1", "备用字段2", "备用字段3"} <= set(nat.header.ignored)
    assert any(w.column == "备用字段2" and "未导入" in w.message_zh for w in result.warnings)
    assert "national.yaml" in nat.note()


def test_the_import_writes_households_members_income_monitoring_objects_and_pairs(areas_db, people, tmp_path):
    from zengshou.monitor.models import MonitoringObject
    from zengshou.registry.models import Member, Pairing

    result, _ = national.read(_write(people, tmp_path))
    summary = load(result)
    assert summary.counts["members"].inserted == people.height
    assert Member.objects.count() == people.height
    monitored = people.filter(pl.col("monitoring_type").is_not_null())["household_id"].unique()
    objects = MonitoringObject.objects.filter(risk_eliminated_on__isnull=True)
    assert objects.count() == monitored.len()
    assert all(o.risk_1 and o.included_on.year == YEAR for o in objects)
    assert Pairing.objects.filter(ended_on__isnull=True).exists()


def test_a_household_whose_rows_disagree_is_refused_with_its_rows(areas_db, people, tmp_path):
    sizes = people.group_by("household_id").len().filter(pl.col("len") > 1)
    hid = sizes["household_id"][0]
    first = people.with_row_index("i").filter(pl.col("household_id") == hid)["i"][1]
    changed = (
        people.with_row_index("i")
        .with_columns(
            pl.when(pl.col("i") == first)
            .then(pl.lit("是"))
            .otherwise(pl.col("housing_unsafe"))
            .alias("housing_unsafe")
        )
        .with_columns(
            pl.when(pl.col("household_id") == hid)
            .then(pl.col("housing_unsafe"))
            .otherwise(pl.col("housing_unsafe"))
        )
        .drop("i")
    )
    rows = changed.filter(pl.col("household_id") == hid)["housing_unsafe"].unique()
    if rows.len() == 1:  # the household's rows already said 是: make the other row say 否
        changed = (
            changed.with_row_index("i")
            .with_columns(
                pl.when(pl.col("i") == first)
                .then(pl.lit("否"))
                .otherwise(pl.col("housing_unsafe"))
                .alias("housing_unsafe")
            )
            .drop("i")
        )
    result, _ = national.read(_write(changed, tmp_path))
    hit = [e for e in result.errors if hid in e.message_zh and "不一致" in e.message_zh]
    assert hit and "第" in hit[0].message_zh and hit[0].column == "是否危房户"


def test_an_unknown_area_name_is_an_error_naming_it(areas_db, people, tmp_path):
    changed = people.drop("village_code").with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("无此县"))
        .otherwise(pl.col("area.county"))
        .alias("area.county")
    )
    result, _ = national.read(_write(changed, tmp_path))
    assert any("无此县" in e.message_zh and "没有名为" in e.message_zh for e in result.errors)


def test_an_unknown_code_value_is_an_error_with_its_row(areas_db, people, tmp_path):
    changed = people.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("半健康"))
        .otherwise(pl.col("health"))
        .alias("health")
    )
    result, _ = national.read(_write(changed, tmp_path))
    bad = [e for e in result.errors if e.value == "半健康"]
    assert bad and bad[0].row == 5  # two title rows, the header on rows 3–4, the first person on row 5


def test_relations_and_school_years_go_through_the_code_tables():
    prof = national.profile()
    frame = pl.DataFrame({"v": ["之祖母", "户主", "七年级", "普通高中二年级", "非在校生"]})
    out = frame.select(
        national._coded(pl.col("v"), "members.relation", prof, ("户主",)).alias("r"),
        national._coded(pl.col("v"), "members.schooling", prof, ()).alias("s"),
    )
    assert out["r"].to_list()[:2] == ["其他", "户主"]
    assert out["s"].to_list()[2:] == ["初中", "高中", "非在校生"]


def _mapped(path: Path) -> dict[str, list[str | None]]:
    """Each mapped field's cells of a national workbook, rows in 户编号 / 证件号码 order."""
    found = []

    def keep(grid: list[list[str | None]]) -> list[int]:
        found.append(national.find_header(grid, national.profile()))
        return list(found[0].targets)

    raw = national._sheet(path, keep).frame
    header = found[0]
    frame = raw.filter(pl.col("ROW") > header.rows[-1] + 1).select(
        [pl.col(f"c{i}").alias(t) for i, t in header.targets.items()]
    )
    frame = frame.sort("households.household_id", "members.id_number")
    return {c: frame[c].to_list() for c in frame.columns}


def test_national_to_zengshou_to_national_keeps_every_mapped_field(areas_db, people, tmp_path):
    from zengshou.ingest.export import export_national

    ids = people.filter(pl.col("monitoring_type").is_not_null())["household_id"].unique().sort()
    gone = ids[0]  # one object whose risk the list reports eliminated
    source = people.with_columns(
        *[
            pl.when(pl.col("household_id") == gone)
            .then(pl.lit(v))
            .otherwise(pl.col(k) if k in people.columns else pl.lit(None, dtype=pl.Utf8))
            .alias(k)
            for k, v in (
                ("household_type", "脱贫户"),
                ("risk_eliminated", "是"),
                ("elimination_method", "帮扶消除"),
                ("eliminated_month", f"{YEAR}11"),
                ("risk_2", "因学"),
            )
        ]
    )
    # every mapped cell filled, so an empty cell read as 否 or 0 cannot hide a lost value
    coin = pl.col("id_number").hash(11).mod(2) == 0
    yes_no = (
        "public_welfare_post",
        "critical_illness_insured",
        "pension_insured",
        "medical_assistance",
        "tekun",
    )
    source = source.with_columns(
        *[pl.col(k).fill_null(pl.when(coin).then(pl.lit("是")).otherwise(pl.lit("否"))) for k in yes_no],
        pl.col("employee_medical_insured").fill_null(
            pl.when(coin & (pl.col("medical_insured") == "是")).then(pl.lit("是")).otherwise(pl.lit("否"))
        ),
        *[
            pl.col(k).fill_null(pl.col("household_id").hash(i).mod(900).cast(pl.Float64).cast(pl.Utf8))
            for i, k in enumerate(national._INCOME)
        ],
    )
    first = _write(source, tmp_path)
    result, _ = national.read(first)
    assert result.errors == []
    load(result)
    again = export_national(tmp_path / "导出.xlsx", year=YEAR, with_personal_data=True)
    before, after = _mapped(first), _mapped(again.out)
    assert set(after) == set(before)
    differ = {
        f: next((a, b) for a, b in zip(after[f], before[f], strict=True) if a != b)
        for f in before
        if after[f] != before[f]
    }
    assert differ == {}
    assert sum(1 for v in after["monitoring.eliminated_month"] if v == f"{YEAR}11") >= 1


def test_the_national_export_masks_personal_data_by_default(areas_db, people, tmp_path):
    from zengshou.ingest.export import export_national

    result, _ = national.read(_write(people, tmp_path))
    load(result)
    out = _mapped(export_national(tmp_path / "导出.xlsx").out)
    assert all("*" in v for v in out["members.id_number"] if v)
    assert all("*" in v for v in out["members.name"] if v)
    assert not set(out["members.id_number"]) & set(people["id_number"].to_list())
