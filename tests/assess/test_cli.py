"""``zengshou assess`` and ``zengshou report`` over a generated region in the database."""

from __future__ import annotations

from typer.testing import CliRunner

from zengshou import synth
from zengshou.cli import app

YEAR = 2025


def test_assess_and_report_on_the_database(areas_db, tmp_path) -> None:
    from zengshou.ingest import load

    region = synth.generate(300, [YEAR - 1, YEAR], seed=8)
    synth.write(region, tmp_path / "in", "csv")
    load(tmp_path / "in", username="t", show_progress=False)
    quarters = region.population.income.filter(region.population.income["quarter"].is_not_null())
    q = int(quarters["quarter"].max()) if quarters.height else 4
    runner = CliRunner()
    r = runner.invoke(
        app, ["assess", "--year", str(YEAR), "--quarter", str(q), "--out", str(tmp_path / "a.csv")]
    )
    assert r.exit_code == 0, r.output
    assert "640000 宁夏回族自治区" in r.output and "约谈提醒（S01）" in r.output
    # M04 against the national-average parameter (monitoring.yaml, 10% from 2023), for every area
    assert r.output.count("不增反降人数占比全国平均（参数） 10.0%") == r.output.count(
        "不增反降人数占比高于全国平均"
    )
    assert "不增反降人数占比与全国平均之差 " in r.output and "个百分点" in r.output
    assert (tmp_path / "a.csv").exists()
    r = runner.invoke(
        app,
        [
            "report",
            "--area",
            "640000",
            "--year",
            str(YEAR),
            "--quarter",
            str(q),
            "--out",
            str(tmp_path / "r.docx"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.docx").stat().st_size > 10_000
    r = runner.invoke(
        app, ["report", "--area", "649999", "--year", str(YEAR), "--quarter", str(q), "--out", "x.docx"]
    )
    assert r.exit_code == 2 and "649999" in r.output


def test_targets_progress_and_show(db) -> None:
    from zengshou.registry.models import AuditEvent

    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "targets",
            "progress",
            "--target",
            "L05:以工代赈岗位",
            "--year",
            "2025",
            "--quarter",
            "2",
            "--value",
            "3000",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["targets", "progress", "--target", "L99:无", "--year", "2025", "--quarter", "2", "--value", "1"]
    )
    assert r.exit_code == 2 and "未知目标" in r.output
    r = runner.invoke(app, ["targets", "show", "--year", "2025", "--quarter", "2"])
    assert "[滞后] L05:以工代赈岗位" in r.output
    assert "[无数据] L07:就业帮扶车间新增岗位" in r.output
    assert AuditEvent.objects.filter(action="target.progress", object_id="L05:以工代赈岗位").exists()
