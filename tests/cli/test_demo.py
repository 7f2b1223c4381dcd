"""``zengshou demo --no-serve`` builds a whole working region on the configured database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zengshou.cli import app
from zengshou.monitor.models import Alert


def test_demo_loads_region_runs_batch_and_prints_logins(transactional_db) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--no-serve", "--households", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "演示账号" in result.output and "自治区管理员" in result.output
    counts = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert counts["registry.household"] == 400
    assert counts["registry.member"] > 1000
    assert counts["registry.income"] >= 400 * 4
    # 2025 with its alerts, and 2023–2024 as history for the income trends
    assert counts["tiers.tierresult"] == 400 * 3
    from zengshou.tiers.models import TierResult

    assert sorted(TierResult.objects.values_list("year", flat=True).distinct()) == [2023, 2024, 2025]
    assert {a.year for a in Alert.objects.all()} == {2025}
    assert counts["monitor.alert"] > 0
    assert counts["toolbox.planitem"] > 0
