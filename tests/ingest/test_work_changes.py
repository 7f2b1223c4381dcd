"""A 人社 feed changes 务工状况 only where it says so, and the changes are shown before they are written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.ingest.conftest import Rows, valid_rows, write_folder
from zengshou.cli import app
from zengshou.ingest import load
from zengshou.ingest.feeds import import_feed, preview_feed

pytestmark = pytest.mark.django_db

HEADER = "证件号码,就业状态,单位,起始日期,终止日期\n"


@pytest.fixture
def loaded(folder: Path, rows: Rows) -> Rows:
    load(folder)
    return rows


def _ids(rows: Rows) -> list[str]:
    return [m["证件号码"] for m in rows["家庭成员"]]


def _feed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "人社.csv"
    path.write_bytes((HEADER + text).encode("utf-8-sig"))
    return path


def _work() -> dict[str, str]:
    from zengshou.registry.models import Member

    return dict(Member.objects.values_list("id_number", "work"))


def test_a_feed_of_registered_workers_leaves_every_member_it_does_not_mention_alone(
    tmp_path: Path, loaded: Rows
) -> None:
    ids = _ids(loaded)
    before = _work()
    path = _feed(tmp_path, f"{ids[0]},就业,甲公司,2022-01-01,2024-11-30\n{ids[1]},就业,乙公司,2023-03-01,\n")
    summary = import_feed("人社", path)
    after = _work()
    assert after[ids[0]] == "未务工"
    assert {k: v for k, v in after.items() if k != ids[0]} == {k: v for k, v in before.items() if k != ids[0]}
    assert [(c.row, c.old, c.new, c.date) for c in summary.status_changes] == [
        (2, "省外务工", "未务工", "2024-11-30")
    ]
    assert "已更新 1 人的务工状况" in str(summary)


def test_preview_lists_the_changes_and_writes_nothing(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import FeedBatch

    ids = _ids(loaded)
    before = _work()
    preview = preview_feed("人社", _feed(tmp_path, f"{ids[0]},失业,甲公司,2022-01-01,2024-11-30\n"))
    assert len(preview.status_changes) == 1 and preview.status_changes[0].household_id == "H001"
    assert "*" in preview.status_changes[0].id_number
    assert _work() == before and FeedBatch.objects.count() == 0


def test_an_open_unemployment_registration_means_not_working_and_an_open_job_does_not(
    tmp_path: Path, loaded: Rows
) -> None:
    ids = _ids(loaded)
    path = _feed(tmp_path, f"{ids[0]},失业,,2025-02-01,\n{ids[1]},就业,乙公司,2025-02-01,\n")
    summary = import_feed("人社", path)
    assert _work()[ids[0]] == "未务工" and _work()[ids[1]] == "省外务工"
    assert [c.date for c in summary.status_changes] == ["2025-02-01"]


def test_feed_import_prints_the_changes_and_writes_them_only_with_apply(tmp_path: Path, loaded: Rows) -> None:
    import fastexcel

    from zengshou.registry.models import FeedBatch

    ids = _ids(loaded)
    path = _feed(tmp_path, f"{ids[0]},就业,甲公司,2022-01-01,2024-11-30\n")
    report = tmp_path / "报告.xlsx"
    runner = CliRunner()
    out = runner.invoke(app, ["feed", "import", "人社", str(path), "--error-report", str(report)])
    assert out.exit_code == 3, out.output
    assert "将更新 1 人的务工状况" in out.output and "--apply" in out.output
    assert _work()[ids[0]] == "省外务工" and FeedBatch.objects.count() == 0
    listed = fastexcel.read_excel(report).load_sheet("警告", dtypes="string").to_polars()
    assert listed["列"].to_list() == ["务工状况"] and "将由“省外务工”改为“未务工”" in listed["说明"][0]
    out = runner.invoke(app, ["feed", "import", "人社", str(path), "--apply"])
    assert out.exit_code == 0, out.output
    assert _work()[ids[0]] == "未务工" and "已更新 1 人的务工状况" in out.output


def test_a_feed_without_status_changes_needs_no_confirmation(tmp_path: Path, loaded: Rows) -> None:
    ids = _ids(loaded)
    out = CliRunner().invoke(
        app, ["feed", "import", "人社", str(_feed(tmp_path, f"{ids[1]},就业,乙公司,2023-03-01,\n"))]
    )
    assert out.exit_code == 0, out.output


def test_a_folder_whose_renshe_file_changes_members_not_in_its_sheet_asks_for_apply(
    tmp_path: Path, loaded: Rows
) -> None:
    ids = _ids(loaded)
    rows = {
        "人社": [
            {
                "证件号码": ids[0],
                "就业状态": "就业",
                "单位": "甲",
                "起始日期": "2022-01-01",
                "终止日期": "2024-11-30",
            }
        ]
    }
    folder = write_folder(tmp_path / "人社数据", rows)
    runner = CliRunner()
    out = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert out.exit_code == 3 and "将更新 1 人的务工状况" in out.output
    assert _work()[ids[0]] == "省外务工"
    out = runner.invoke(app, ["import", str(folder), "--no-progress", "--apply"])
    assert out.exit_code == 0, out.output
    assert _work()[ids[0]] == "未务工"


def test_a_folder_with_its_member_sheet_needs_no_confirmation_for_members_it_lists(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["人社"] = [
        {
            "证件号码": _ids(rows)[0],
            "就业状态": "就业",
            "单位": "甲",
            "起始日期": "2022-01-01",
            "终止日期": "2024-11-30",
        }
    ]
    out = CliRunner().invoke(app, ["import", str(write_folder(tmp_path / "县", rows)), "--no-progress"])
    assert out.exit_code == 0, out.output
    assert _work()[_ids(rows)[0]] == "省外务工"
