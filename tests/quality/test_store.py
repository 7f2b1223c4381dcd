"""Quality runs over the registry: stored per run, exemptions honoured, duplicates across counties,
the report and its workbook, the CLI, and the run at the end of an import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import make_id

#: An ID number ending in X: written with a lower-case x in another county it is the same person.
_X_ID = next(n for n in (make_id(s) for s in range(1, 50)) if n.endswith("X"))


@pytest.fixture
def registry(village):
    from zengshou.registry.models import Area, Household, Income, Member

    other_town = Area.objects.create(code="640402100", name="城关镇", level="township", parent_id="640402")
    other = Area.objects.create(code="640402100201", name="东村", level="village", parent=other_town)
    common = {"housing_safe": True, "water_safe": True}
    h1 = Household.objects.create(
        household_id="Q-1", village=village, household_type="脱贫户", arable_mu=150, phone="139", **common
    )
    h2 = Household.objects.create(
        household_id="Q-2", village=village, household_type="一般农户", phone="13912345678", **common
    )
    h3 = Household.objects.create(
        household_id="Q-3", village=other, household_type="一般农户", phone="13912345679", **common
    )
    member = {"health": "健康", "labour": "普通劳动力", "medical_insured": True}
    Member.objects.create(household=h1, name="马国贵", id_number=_X_ID, relation="户主", **member)
    Member.objects.create(household=h2, name="马国贵", id_number=make_id(2), relation="户主", **member)
    Member.objects.create(
        household=h3,
        name="李明",
        id_number=_X_ID.lower(),
        relation="户主",
        **member,
    )
    for h in (h1, h2, h3):
        Income.objects.create(household=h, year=2025, wage=0, transfer=30000)
    return village


def _codes(run) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for code, hid in run.rows.values_list("code", "household_id"):
        out.setdefault(code, set()).add(hid)
    return out


def test_a_run_stores_findings_counts_and_the_trend(registry):
    from zengshou.quality.report import build
    from zengshou.quality.store import run_checks

    run = run_checks(year=2025)
    codes = _codes(run)
    assert codes["Q031"] == {"Q-1"}  # 150 mu
    assert codes["Q029"] == {"Q-1"}  # phone of 3 digits
    assert codes["Q002"] == {"Q-1", "Q-2"}  # same name and birth date in one village
    assert run.counts.filter(code="Q031").get().households == 1
    run_checks(year=2025)
    rep = build("640522")
    assert len(rep.trend) == 2 and rep.trend[-1]["errors"] >= 2
    assert "Q-3" not in set(rep.findings["household_id"].to_list())
    pairs = {(r["规则代码"], r["户编号A"], r["户编号B"]) for r in rep.duplicates.to_dicts()}
    assert pairs == {("Q001", "Q-1", "Q-3"), ("Q002", "Q-1", "Q-2")}
    assert "*" in rep.duplicates["证件号码A"][0]


def test_an_area_run_finds_the_id_number_in_another_county(registry):
    from zengshou.quality.store import run_checks

    run = run_checks("640402", year=2025)
    assert _codes(run)["Q001"] == {"Q-3"}
    assert "Q-1" in run.rows.get(code="Q001").message


def test_an_exempted_household_is_not_flagged_until_the_date(registry, tmp_path):
    from zengshou.quality.models import QualityExemption
    from zengshou.quality.store import import_exemptions, run_checks
    from zengshou.registry.models import AuditEvent

    path = tmp_path / "豁免清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["XX县豁免清单"])
    ws.append(["规则代码", "户编号", "豁免理由", "有效期至"])
    ws.append(
        ["Q031", "Q-1", "承包合作社土地，已核实", (dt.date.today() + dt.timedelta(days=30)).isoformat()]
    )
    wb.save(path)
    assert import_exemptions(path, "clerk") == 1
    assert AuditEvent.objects.filter(action="quality.exempt", object_id="Q-1").exists()
    run = run_checks(year=2025)
    assert "Q031" not in _codes(run) and run.exempted == 1
    QualityExemption.objects.update(valid_until=dt.date.today() - dt.timedelta(days=1))
    assert "Q031" in _codes(run_checks(year=2025))


def test_an_exemption_file_with_errors_writes_nothing(registry, tmp_path):
    from zengshou.quality.models import QualityExemption
    from zengshou.quality.store import ExemptionRejected, import_exemptions

    path = tmp_path / "豁免.csv"
    path.write_text(
        "规则代码,户编号,豁免理由,有效期至\nQ031,Q-1,理由,2099-12-31\nQ999,NOPE,,abc\n", encoding="utf-8"
    )
    with pytest.raises(ExemptionRejected) as exc:
        import_exemptions(path, "clerk")
    assert "第3行" in exc.value.problems[0] and "Q999" in exc.value.problems[0]
    assert QualityExemption.objects.count() == 0


def test_report_workbook_has_its_sheets(registry, tmp_path: Path):
    from zengshou.quality.report import build, write_xlsx
    from zengshou.quality.store import run_checks

    run_checks(year=2025)
    out = write_xlsx(build(None), tmp_path / "质量报告.xlsx")
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["规则汇总", "下级区域", "问题清单", "重复人员", "核查趋势"]
