"""Every command of the README's table, run as a user runs it (the command line as ``zengshou`` runs
it, in-process) on a small imported region: once as it should be used, once with bad input. Bad input
ends with a Chinese message naming what is wrong and a non-zero exit, nothing is written, and never a
traceback. A failure nobody foresaw is shown by the real ``zengshou`` in a subprocess.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.conftest import Home, Registry, assert_done, assert_refused

pytestmark = pytest.mark.django_db

NO_DATA_YEAR = "2031"
UNKNOWN_AREA = "640599"

SMALL_REGION_PARAMS = """\
M02.min_training_households:
  code: M02
  unit: 户
  label: 训练所需的最少农户数
  reference: 测试用的300户小地区
  values:
    - {from: 2021-01-01, value: 200}
"""


def first_household(region: Path) -> tuple[str, str]:
    with (region / "家庭.csv").open(encoding="utf-8-sig") as f:
        row = next(csv.DictReader(f))
    return row["户编号"], row["行政区划代码"][:6]


@pytest.fixture(scope="module")
def household(region_files: Path) -> str:
    return first_household(region_files)[0]


@pytest.fixture(scope="module")
def county(region_files: Path) -> str:
    return first_household(region_files)[1]


def test_synth_writes_a_region_and_refuses_a_folder_given_for_an_xlsx_path(
    registry: Registry, region_files: Path, tmp_path: Path
) -> None:
    assert (region_files / "家庭.csv").exists() and (region_files / "收入.csv").exists()
    folder = tmp_path / "地区.xlsx"
    folder.mkdir()
    assert_refused(registry.run("synth", "--households", "20", "--out", str(folder)), "是文件夹")
    assert list(folder.iterdir()) == []


def test_import_refuses_a_missing_file_and_writes_nothing(registry: Registry, tmp_path: Path) -> None:
    before = registry.stats()
    assert_refused(registry.run("import", str(tmp_path / "没有这个文件.xlsx")), "不存在", "没有这个文件.xlsx")
    assert registry.stats() == before


def test_import_of_the_same_region_again_changes_nothing(registry: Registry, region_files: Path) -> None:
    assert_done(registry.run("import", str(region_files / "家庭.csv"), "--no-progress"), "家庭")


def test_export_writes_a_workbook_and_refuses_an_unknown_area(registry: Registry, tmp_path: Path) -> None:
    out = tmp_path / "导出.xlsx"
    assert_done(registry.run("export", "--out", str(out), "--format", "xlsx"), "家庭")
    assert out.is_file() and out.read_bytes()[:2] == b"PK"
    assert_refused(registry.run("export", "--out", str(tmp_path / "x"), "--area", UNKNOWN_AREA), UNKNOWN_AREA)
    assert not (tmp_path / "x").exists()


def test_feed_import_stores_a_feed_and_refuses_a_missing_file_or_unknown_kind(
    registry: Registry, region_files: Path
) -> None:
    assert_done(registry.run("feed", "import", "医保", str(region_files / "医保.csv")), "医保")
    assert_refused(registry.run("feed", "import", "医保", str(region_files / "无.csv")), "不存在")
    assert_refused(registry.run("feed", "import", "外星", str(region_files / "医保.csv")), "外星")


def test_run_on_a_file_writes_result_tables_and_refuses_a_year_without_income(
    registry: Registry, region_files: Path, tmp_path: Path
) -> None:
    out = tmp_path / "结果"
    assert_done(
        registry.run("run", "--input", str(region_files), "--year", "2025", "--out", str(out)),
        "结果已写入",
    )
    assert (out / "结果.xlsx").is_file() and (out / "分层结果.csv").is_file()
    bad = tmp_path / "没有"
    done = registry.run("run", "--input", str(region_files), "--year", NO_DATA_YEAR, "--out", str(bad))
    assert_refused(done, NO_DATA_YEAR, "没有")
    assert not bad.exists()


def test_pipeline_for_a_year_without_income_stores_nothing(registry: Registry) -> None:
    before = registry.stats()
    assert_refused(registry.run("pipeline", "--year", NO_DATA_YEAR), f"{NO_DATA_YEAR} 年", "2025")
    assert_refused(registry.run("pipeline", "--year", "2025", "--area", UNKNOWN_AREA), UNKNOWN_AREA)
    assert registry.stats() == before


def test_pipeline_mistyped_on_the_command_line_is_explained_in_chinese(registry: Registry) -> None:
    assert_refused(registry.run("pipeline", "--year", "二〇二五"), "--year", "整数")
    assert_refused(registry.run("pipeline", "--year", "2025", "--quarter", "5"), "--quarter")
    assert_refused(registry.run("pipeline"), "缺少", "--year")
    assert_refused(registry.run("pipeline", "--yaer", "2025"), "--yaer")
    assert_refused(registry.run("pipline"), "pipline")


def test_explain_a_household_and_refuse_an_unknown_one(registry: Registry, household: str) -> None:
    assert_done(registry.run("explain", household, "--year", "2025"), household)
    assert_refused(registry.run("explain", "640599999999999999", "--year", "2025"), "640599999999999999")
    assert_refused(registry.run("explain", household, "--year", NO_DATA_YEAR), NO_DATA_YEAR)


def test_whatif_reports_the_change_and_refuses_a_year_without_income(registry: Registry) -> None:
    assert_done(registry.run("whatif", "--set", "L02.amount=3000", "--year", "2025"), "全体 300 户")
    assert_refused(registry.run("whatif", "--set", "L02.amount=3000", "--year", NO_DATA_YEAR), NO_DATA_YEAR)


def test_toolbox_show_a_county_and_refuse_an_unknown_one(registry: Registry, county: str) -> None:
    assert_done(registry.run("toolbox", "show", "--county", county), county)
    assert_refused(registry.run("toolbox", "show", "--county", UNKNOWN_AREA), UNKNOWN_AREA)


def test_plan_generate_writes_plans_and_refuses_an_unknown_area(registry: Registry) -> None:
    assert_done(registry.run("plan", "generate", "--year", "2025"), "新计划")
    assert registry.stats()["toolbox.planitem"] > 0
    before = registry.stats()
    assert_refused(registry.run("plan", "generate", "--year", "2025", "--area", UNKNOWN_AREA), UNKNOWN_AREA)
    assert_refused(registry.run("plan", "generate", "--year", NO_DATA_YEAR), NO_DATA_YEAR)
    assert_refused(registry.run("plan", "cost", "--year", NO_DATA_YEAR), NO_DATA_YEAR)
    assert registry.stats() == before


def test_model_train_score_and_backtest_and_refuse_a_year_without_income(
    registry: Registry, tmp_path: Path
) -> None:
    params = tmp_path / "小地区.yaml"
    params.write_text(SMALL_REGION_PARAMS, encoding="utf-8")
    assert_done(registry.run("model", "train", "--params", str(params)), "已保存")
    scores = tmp_path / "评分.csv"
    assert_done(registry.run("model", "score", "--year", "2025", "--out", str(scores)), "评分")
    assert scores.read_text(encoding="utf-8-sig").startswith("户编号")
    assert_refused(registry.run("model", "score", "--year", NO_DATA_YEAR), NO_DATA_YEAR)
    assert_refused(registry.run("model", "score", "--year", "2025", "--out", str(tmp_path)), "是文件夹")
    assert_refused(registry.run("model", "train", "--area", UNKNOWN_AREA), UNKNOWN_AREA)
    done = registry.run("model", "backtest", "--households", "300", "--params", str(params))
    assert_done(done)
    assert json.loads(done.stdout)["households"] == 300


def test_pair_writes_a_proposal_and_refuses_a_folder_for_an_xlsx_path(
    registry: Registry, tmp_path: Path
) -> None:
    out = tmp_path / "结对.xlsx"
    assert_done(registry.run("pair", "--year", "2025", "--out", str(out)), "结对方案")
    assert out.is_file()
    folder = tmp_path / "方案.xlsx"
    folder.mkdir()
    assert_refused(registry.run("pair", "--year", "2025", "--out", str(folder)), "是文件夹")
    assert_refused(registry.run("pair", "--year", NO_DATA_YEAR), NO_DATA_YEAR)


def test_assess_a_quarter_and_refuse_a_year_without_data(registry: Registry, tmp_path: Path) -> None:
    out = tmp_path / "季度.xlsx"
    assert_done(registry.run("assess", "--year", "2025", "--quarter", "4", "--out", str(out)), "约谈提醒")
    assert out.is_file()
    assert_refused(registry.run("assess", "--year", NO_DATA_YEAR, "--quarter", "4"), NO_DATA_YEAR)
    assert_refused(
        registry.run("assess", "--year", "2025", "--quarter", "4", "--out", str(tmp_path)), "是文件夹"
    )


def test_report_for_a_county_and_refuse_an_unknown_area_or_empty_period(
    registry: Registry, county: str, tmp_path: Path
) -> None:
    out = tmp_path / "报告" / "季度报告.docx"
    assert_done(
        registry.run("report", "--area", county, "--year", "2025", "--quarter", "4", "--out", str(out)),
        "报告",
    )
    assert out.is_file() and out.read_bytes()[:2] == b"PK"
    bad = tmp_path / "无.docx"
    for area, year in ((UNKNOWN_AREA, "2025"), (county, NO_DATA_YEAR)):
        done = registry.run("report", "--area", area, "--year", year, "--quarter", "4", "--out", str(bad))
        assert_refused(done)
    assert not bad.exists()


def test_targets_show_and_progress_and_refuse_a_year_outside_the_plans(registry: Registry) -> None:
    assert_done(registry.run("targets", "show", "--year", "2025", "--quarter", "4"), "滞后")
    assert_refused(registry.run("targets", "show", "--year", NO_DATA_YEAR, "--quarter", "4"), NO_DATA_YEAR)
    done = registry.run(
        "targets",
        "progress",
        "--target",
        "L05:以工代赈岗位",
        "--year",
        "2025",
        "--quarter",
        "2",
        "--value",
        "300",
    )
    assert_done(done, "已填报")
    done = registry.run(
        "targets", "progress", "--target", "X99:无", "--year", "2025", "--quarter", "2", "--value", "1"
    )
    assert_refused(done, "X99")


def test_user_add_and_refuse_an_unknown_area(registry: Registry, county: str) -> None:
    assert_done(
        registry.run("user", "add", "--username", "xj_county", "--role", "县级用户", "--area", county),
        "xj_county",
    )
    done = registry.run("user", "add", "--username", "nobody", "--role", "县级用户", "--area", UNKNOWN_AREA)
    assert_refused(done, UNKNOWN_AREA)


def test_stats_json_counts_the_region_and_refuses_an_unknown_option(registry: Registry) -> None:
    assert registry.stats()["registry.household"] == 300
    assert_refused(registry.run("stats", "--jsn"), "--jsn")


def test_demo_refuses_zero_households_before_doing_anything(registry: Registry) -> None:
    before = registry.stats()
    assert_refused(registry.run("demo", "--households", "0", "--no-serve"), "--households")
    assert registry.stats() == before


def test_an_unforeseen_failure_names_what_failed_logs_it_and_hides_the_traceback(tmp_path: Path) -> None:
    new_home = Home(tmp_path, None)  # the database is the unreachable one given below
    unreachable = "postgres://postgres@127.0.0.1:9/zs_nowhere"
    done = new_home.run("stats", DATABASE_URL=unreachable)
    assert_refused(done, "zengshou stats", "数据库")
    log = new_home.path / "logs" / "zengshou.log"
    assert "Traceback" in log.read_text(encoding="utf-8")
    shown = new_home.run("stats", DATABASE_URL=unreachable, ZENGSHOU_DEBUG="1")
    assert shown.returncode != 0 and "Traceback" in shown.stderr
