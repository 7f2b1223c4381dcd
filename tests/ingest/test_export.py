"""Export: the same format back, masked by default, byte-stable through export → import → export."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.ingest.conftest import Rows, write_folder
from zengshou import interchange as ix
from zengshou.ingest import export, load, read

pytestmark = pytest.mark.django_db


def _wipe() -> None:
    from zengshou.registry.models import Area, Cadre, Household

    Household.objects.all().delete()
    Cadre.objects.all().delete()
    Area.objects.filter(level="village").delete()
    Area.objects.filter(level="township").delete()


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_export_writes_spec_headers_and_masks_personal_data(folder: Path, rows: Rows, tmp_path: Path) -> None:
    from zengshou.registry.models import AuditEvent

    load(folder)
    summary = export(tmp_path / "out", "csv")
    assert summary.counts["members"] == 6
    raw = (tmp_path / "out" / "家庭成员.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    members = pl.read_csv(tmp_path / "out" / "家庭成员.csv", infer_schema=False)
    assert members.columns == ix.MEMBERS.headers
    first_id = rows["家庭成员"][0]["证件号码"]
    assert members["证件号码"][0] == first_id[:6] + "********" + first_id[-4:]
    assert members["姓名"][0].startswith("马") and "*" in members["姓名"][0]
    assert first_id.encode() not in b"".join(_bytes(tmp_path / "out").values())
    households = pl.read_csv(tmp_path / "out" / "家庭.csv", infer_schema=False)
    assert households["联系电话"][0] == "139****5678"
    assert households["住房安全"][0] == "是"
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_export_import_export_is_byte_stable_for_csv(folder: Path, tmp_path: Path) -> None:
    from zengshou.registry.models import AuditEvent

    load(folder)
    export(tmp_path / "a", "csv", with_personal_data=True, username="auditor")
    assert AuditEvent.objects.get(action="export.personal").username == "auditor"
    _wipe()
    load(tmp_path / "a")
    export(tmp_path / "b", "csv", with_personal_data=True)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert len(_bytes(tmp_path / "a")) == 5


def test_xlsx_export_reads_back_like_the_csv_export(folder: Path, tmp_path: Path) -> None:
    load(folder)
    export(tmp_path / "x.xlsx", "xlsx", with_personal_data=True)
    export(tmp_path / "c", "csv", with_personal_data=True)
    x, c = read(tmp_path / "x.xlsx"), read(tmp_path / "c")
    assert x.errors == [] and c.errors == []
    for t in ix.TABLES:
        assert x.population.table(t).equals(c.population.table(t)), t.name


def test_export_of_one_area_holds_only_its_households(tmp_path: Path, rows: Rows) -> None:
    load(write_folder(tmp_path / "in", rows))
    summary = export(tmp_path / "out", "csv", area="640522101")
    assert summary.counts["households"] == 1
    assert pl.read_csv(tmp_path / "out" / "家庭.csv", infer_schema=False)["户编号"].to_list() == ["H003"]
