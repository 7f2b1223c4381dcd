"""The batch pipeline: result tables, files, storing in bulk without duplicating open alerts, the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.income.build import Builder
from tests.monitor.conftest import make_household  # noqa: F401  (fixture)
from zengshou import interchange as ix
from zengshou.pipeline import BatchResult, run_batch, store, write_files


def _small() -> Builder:
    b = Builder()
    b.household("H1", 2, {2023: 20000, 2024: 12000})  # fell, under the line
    b.household("H2", 3, {2023: 60000, 2024: 66000}, housing_safe=False)
    b.household("H3", 1, {2023: 30000, 2024: 31000}, household_type="一般农户")
    b.feed("disaster", area_code="640522100201", disaster_type="冰雹", occurred_on=dt.date(2024, 6, 1))
    return b


def test_result_tables_have_the_specs_columns() -> None:
    result = run_batch(_small().population(), 2024)
    tables = result.result_tables()
    assert list(tables["分层结果"].columns) == list(ix.RESULT_TABLES["分层结果"])
    assert list(tables["预警"].columns) == list(ix.RESULT_TABLES["预警"])
    tiers = {r["户编号"]: r for r in tables["分层结果"].iter_rows(named=True)}
    assert tiers["H1"]["人均纯收入"] == 6000.0 and tiers["H1"]["层级"] == "风险防范户"
    assert tiers["H2"]["层级"] == "风险防范户" and "住房不安全" in tiers["H2"]["依据"]
    alerts = tables["预警"]
    assert set(alerts.filter(pl.col("户编号") == "H1")["预警代码"]) >= {"M04", "M05"}
    area = alerts.filter(pl.col("户编号").is_null()).row(0, named=True)
    assert area["预警代码"] == "M03k" and area["说明"].startswith("【640522100201】")
    # every step runs, the toolbox's and pairing's too
    assert list(result.timings) == ["facts", "accounts", "alerts", "tiers", "measures", "pairing"]
    # an input without cadres gives an empty 结对 table with the spec's columns, not every household
    assert list(tables["结对"].columns) == list(ix.RESULT_TABLES["结对"])
    assert tables["结对"].height == 0


def test_write_files_csv_with_bom_and_one_workbook(tmp_path) -> None:
    result = run_batch(_small().population(), 2024)
    paths = write_files(result, tmp_path)
    assert {p.name for p in paths} == {"分层结果.csv", "预警.csv", "帮扶措施.csv", "结对.csv", "结果.xlsx"}
    raw = (tmp_path / "分层结果.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == ",".join(ix.RESULT_TABLES["分层结果"])
    sheets = pl.read_excel(tmp_path / "结果.xlsx", sheet_id=0)
    assert set(sheets) == {"分层结果", "预警", "帮扶措施", "结对"}
    assert sheets["分层结果"].height == 3


def test_bad_quarter_is_refused() -> None:
    with pytest.raises(ValueError, match="季度应为1–4"):
        run_batch(_small().population(), 2024, quarter=5)


# --- over the database -------------------------------------------------------------------------


@pytest.fixture
def registry(make_household):  # noqa: F811  (the fixture imported above)
    from zengshou.registry.models import DisasterRecord, FeedBatch, HousingRecord

    make_household("H1", 2, {2023: 20000, 2024: 12000})
    h2 = make_household("H2", 3, {2023: 60000, 2024: 66000})
    make_household("H3", 1, {2023: 30000, 2024: 31000}, household_type="一般农户")
    batch = FeedBatch.objects.create(kind="住建", source_name="t.csv")
    HousingRecord.objects.create(batch=batch, household=h2, household_ref="H2", safety_grade="D")
    batch2 = FeedBatch.objects.create(kind="应急", source_name="d.csv")
    DisasterRecord.objects.create(
        batch=batch2, area_code="640522100201", disaster_type="冰雹", occurred_on=dt.date(2024, 6, 1)
    )


def _db_run(year: int = 2024, quarter: int | None = None) -> BatchResult:
    from zengshou.registry.read import population_from_database

    return run_batch(population_from_database(), year, quarter)


def test_store_writes_tier_results_and_alerts(registry) -> None:
    from zengshou.monitor.models import Alert
    from zengshou.registry.models import AuditEvent
    from zengshou.tiers.models import TierResult

    result = _db_run()
    assert result.population.feeds["housing"]["household_id"].to_list() == ["H2"]
    counts = store(result, "tester")
    assert counts["tier_results"] == 3
    h1 = TierResult.objects.get(household_id="H1", year=2024, quarter=None)
    assert (h1.size, h1.per_capita_income, h1.tier, h1.fell) == (2, Decimal("6000.00"), "风险防范户", True)
    assert h1.prev_per_capita_income == Decimal("10000.00")
    h2 = TierResult.objects.get(household_id="H2")
    assert "住建鉴定D级" in h2.reasons
    codes = set(Alert.objects.values_list("household_id", "code"))
    assert {("H1", "M04"), ("H1", "M05"), ("H2", "M03h"), (None, "M03k")} <= codes
    area_alert = Alert.objects.get(code="M03k")
    assert area_alert.area_id == "640522100201" and area_alert.status == "new"
    assert counts["alerts_new"] == Alert.objects.count()
    assert AuditEvent.objects.filter(action="pipeline.store", username="tester").count() == 1


def test_rerun_does_not_duplicate_open_alerts_nor_raise_decided_ones_again(registry) -> None:
    from zengshou.monitor import workflow
    from zengshou.monitor.models import Alert
    from zengshou.registry.models import Income
    from zengshou.tiers.models import TierResult

    store(_db_run(), "tester")
    n = Alert.objects.count()
    workflow.dismiss(Alert.objects.get(household_id="H2", code="M03h"), "zhang", "已改造，鉴定待更新")
    Income.objects.filter(household_id="H1", year=2024).update(wage=Decimal(11000))
    counts = store(_db_run(), "tester")
    assert Alert.objects.count() == n
    assert counts["alerts_new"] == 0
    assert counts["alerts_refreshed"] >= 2 and counts["alerts_already_decided"] == 1
    assert "5,500元" in Alert.objects.get(household_id="H1", code="M05").explanation
    assert TierResult.objects.filter(year=2024).count() == 3  # replaced, not added


def test_quarter_results_are_kept_beside_the_year(registry) -> None:
    from zengshou.registry.models import Income
    from zengshou.tiers.models import TierResult

    Income.objects.create(household_id="H3", year=2025, quarter=1, wage=Decimal(9000))
    store(_db_run(), "tester")
    store(_db_run(2025, 1), "tester")
    assert TierResult.objects.filter(household_id="H3").count() == 2
    assert TierResult.objects.get(household_id="H3", year=2025, quarter=1).per_capita_income == Decimal(
        "9000.00"
    )


def test_cli_pipeline_over_the_database(registry) -> None:
    from zengshou.cli import app
    from zengshou.tiers.models import TierResult

    out = CliRunner().invoke(app, ["pipeline", "--year", "2024", "--user", "clerk"])
    assert out.exit_code == 0, out.output
    assert "核算 3 户" in out.output
    assert "分层结果 3" in out.output
    assert "640522 海原县：6人" in out.output
    assert TierResult.objects.filter(computed_by="clerk").count() == 3


# --- zengshou run: a file in, result files out ---------------------------------------------------


def _need_ingest() -> None:
    ingest = pytest.importorskip(
        "zengshou.ingest", reason="the importer (zengshou.ingest) has not landed yet"
    )
    if not hasattr(ingest, "read"):
        pytest.skip("zengshou.ingest.read has not landed yet")


def _write_csv_folder(folder, b: Builder) -> None:
    """The Builder's population as a CSV folder of the interchange format, written as the exporter does."""
    from zengshou.frames import write_csv

    pop = b.population()
    pop.villages = pl.DataFrame(
        {"village_code": ["640522100201"], "village_name": ["山门村"], "township_name": ["海城镇"]}
    )
    folder.mkdir()
    for table in (ix.VILLAGES, ix.HOUSEHOLDS, ix.MEMBERS, ix.INCOME):
        write_csv(pop.table(table), table, folder / f"{table.name}.csv")
    for key, frame in pop.feeds.items():
        spec = ix.FEEDS_BY_NAME[key]
        write_csv(frame, spec, folder / f"{spec.name}.csv")


def test_cli_run_end_to_end_on_a_small_file(tmp_path) -> None:
    _need_ingest()
    from zengshou.cli import app

    _write_csv_folder(tmp_path / "in", _small())
    out = CliRunner().invoke(
        app, ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    )
    assert out.exit_code == 0, out.output
    tiers = pl.read_csv(tmp_path / "out" / "分层结果.csv")
    assert tiers.columns == list(ix.RESULT_TABLES["分层结果"])
    assert tiers.sort("户编号")["层级"].to_list() == ["风险防范户", "风险防范户", "示范引领户"]
    alerts = pl.read_csv(tmp_path / "out" / "预警.csv")
    assert {"M04", "M05", "M03h", "M03k"} <= set(alerts["预警代码"])
    assert (tmp_path / "out" / "结果.xlsx").exists()


def test_cli_run_reports_bad_input_and_writes_nothing(tmp_path) -> None:
    _need_ingest()
    from zengshou.cli import app

    b = _small()
    b.households[0]["housing_safe"] = None  # 住房安全 is required: written as an empty cell
    _write_csv_folder(tmp_path / "in", b)
    out = CliRunner().invoke(
        app, ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    )
    assert out.exit_code == 1
    assert "住房安全" in out.output
    assert not (tmp_path / "out").exists()


def test_cli_run_on_a_generated_region(tmp_path) -> None:
    _need_ingest()
    from zengshou.cli import app
    from zengshou.synth import generate, write

    region = generate(300, [2023, 2024], seed=3)
    write(region, tmp_path / "in", "csv")
    out = CliRunner().invoke(
        app, ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    )
    assert out.exit_code == 0, out.output
    tiers = pl.read_csv(tmp_path / "out" / "分层结果.csv", schema_overrides={"户编号": pl.Utf8})
    assert tiers.height == region.population.households.height
    # C01 ranks households: five groups of (nearly) a fifth of the households each, whatever their size
    households = tiers.group_by("五等份组").len()
    assert households.height == 5
    block = tiers.group_by("人均纯收入").len()["len"].max()
    assert households["len"].max() - households["len"].min() <= block + 1  # type: ignore[operator]
    assert "按本文件 300 户自行分组" in out.output
    _check_pairing_table(tmp_path / "out", region.population, tiers)


def _check_pairing_table(out, pop, tiers: pl.DataFrame) -> None:
    """S02 on the written 结对.csv, checked against the input, the 分层结果 and the M04 alerts."""
    pairs = pl.read_csv(out / "结对.csv", infer_schema=False)
    assert pairs.columns == list(ix.RESULT_TABLES["结对"])
    assert set(pl.read_excel(out / "结果.xlsx", sheet_id=0)) >= {"结对"}
    households = pop.households.select("household_id", "household_type", "village_code")
    # every household of the low-income plan's scope (脱贫户/监测对象 in 低收入组) has a row, no other
    scope = tiers.filter(pl.col("五等份组") == "低收入组").join(
        households.filter(pl.col("household_type").is_in(["脱贫户", *ix.MONITORING_TYPES])),
        left_on="户编号",
        right_on="household_id",
    )
    assert pairs.height > 0 and set(pairs["户编号"]) == set(scope["户编号"])
    paired = pairs.filter(pl.col("干部编号").is_not_null())
    assert paired.height > pairs.height // 2  # the generated region has cadres for most
    cadres = pop.cadres.select("cadre_id", "rank", "county_code")
    rows = paired.join(cadres, left_on="干部编号", right_on="cadre_id").join(
        households, left_on="户编号", right_on="household_id"
    )
    assert rows.height == paired.height  # every cadre named is one of the input's
    assert (rows["干部职级"] == rows["rank"]).all()
    assert paired.group_by("干部编号").len()["len"].max() <= 5  # at most 5 households per cadre
    alerts = pl.read_csv(out / "预警.csv", infer_schema=False)
    fell = set(alerts.filter(pl.col("预警代码") == "M04")["户编号"].drop_nulls())
    # a falling household's 县处级以上 cadre comes from any county of its city, one-to-one; every
    # other pair (an interim cadre of a falling household included) stays in the household's county
    senior = rows.filter(pl.col("户编号").is_in(list(fell)) & (pl.col("干部职级") == "县处级以上"))
    assert senior.height > 0
    assert (senior["village_code"].str.slice(0, 4) == senior["county_code"].str.slice(0, 4)).all()
    assert senior["干部编号"].n_unique() == senior.height  # one-to-one
    local = rows.join(senior.select("户编号"), on="户编号", how="anti")
    assert (local["village_code"].str.slice(0, 6) == local["county_code"]).all()  # own county


def test_run_database_returns_figures_a_report_can_print(registry) -> None:
    import json

    from zengshou.pipeline import run_database

    figures = run_database(2024, username="demo")
    assert (figures["households"], figures["accounted"], figures["tier_results"]) == (3, 3, 3)
    assert figures["tiers"]["风险防范户"] == 2
    assert figures["alerts_by_code"]["M05"] == 1
    assert set(figures["seconds"]) >= {"read", "run", "store", "accounts", "alerts", "tiers"}
    json.dumps(figures, ensure_ascii=False)


def test_cli_pipeline_on_an_empty_database_says_so(db) -> None:
    from zengshou.cli import app

    out = CliRunner().invoke(app, ["pipeline", "--year", "2024"])
    assert out.exit_code == 2
    assert "没有农户数据" in out.output


def test_cli_run_for_a_year_without_a_monitoring_line_says_so(tmp_path) -> None:
    _need_ingest()
    from zengshou.cli import app

    b = Builder()
    b.household("H1", 1, {2019: 5000, 2020: 6000})
    _write_csv_folder(tmp_path / "in", b)
    out = CliRunner().invoke(
        app, ["run", "--input", str(tmp_path / "in"), "--year", "2020", "--out", str(tmp_path / "out")]
    )
    assert out.exit_code == 1
    assert "尚无取值" in out.output and "2020-12-31" in out.output  # parameters start in 2021


def test_cli_run_with_a_users_parameter_file(tmp_path) -> None:
    _need_ingest()
    from zengshou.cli import app

    _write_csv_folder(tmp_path / "in", _small())
    line = tmp_path / "line.yaml"
    line.write_text(
        "M05.monitoring_line:\n  code: M05\n  reference: 宁夏 2024 (test)\n  values:\n    - {from: 2024-01-01, value: 25000}\n",
        encoding="utf-8",
    )
    args = ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    out = CliRunner().invoke(app, [*args, "--params", str(line)])
    assert out.exit_code == 0, out.output
    alerts = pl.read_csv(tmp_path / "out" / "预警.csv")
    m05 = alerts.filter(pl.col("预警代码") == "M05")
    assert sorted(m05["户编号"].to_list()) == ["H1", "H2"]  # H2: 22,000 is under a 25,000 line
