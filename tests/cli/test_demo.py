"""``zengshou demo --no-serve`` builds a whole working region on the configured database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zengshou.cli import app


def test_demo_loads_region_runs_batch_and_prints_logins(transactional_db) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--no-serve", "--households", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "演示账号" in result.output and "自治区管理员" in result.output
    counts = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert counts["registry.household"] == 400
    assert counts["registry.member"] > 1000
    assert counts["registry.income"] >= 400 * 4
    assert counts["tiers.tierresult"] == 400
    assert counts["monitor.alert"] > 0
    assert counts["toolbox.planitem"] > 0
