"""Backup → restore gives back every table Django manages and the data files under $ZENGSHOU_HOME,
on SQLite and on PostgreSQL (and from an SQLite backup into PostgreSQL); a damaged backup or a
database that already holds data is refused before anything changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import World, world  # noqa: F401  (fixture)
from zengshou.config import is_postgres
from zengshou.registry import backup as bk

pytestmark = pytest.mark.django_db(transaction=True)


def _digests() -> dict[str, tuple[int, str]]:
    """Rows and a content hash per table, the same on either engine (rows in a fixed order)."""
    out = {}
    for model in bk.models():
        names = [f.attname for f in model._meta.concrete_fields]
        rows = sorted(
            json.dumps(list(r), default=str, sort_keys=True, ensure_ascii=False)
            for r in model._base_manager.values_list(*names)
        )
        out[model._meta.db_table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def _files(*roots: Path) -> dict[str, bytes]:
    return {
        f"{root.name}/{p.relative_to(root)}": p.read_bytes()
        for root in roots
        if root.exists()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("ZENGSHOU_HOME", str(path))
    return path


@pytest.fixture
def full(world: World, home: Path, settings: Any) -> list[Path]:  # noqa: F811
    """The web world plus a row in every table it leaves empty, a trained model and an upload."""
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from zengshou.assess.models import TargetProgress
    from zengshou.batch.models import BatchRun
    from zengshou.monitor.models import AlertTransition
    from zengshou.registry import models as r
    from zengshou.registry.audit import record
    from zengshou.toolbox.models import CountyToolboxVersion, Plan, PlanItem, PlanItemEvent
    from zengshou.web.models import ApiToken, LoginFailure

    county = User.objects.get(username="county")
    permission = Permission.objects.get(codename="view_household")
    group = Group.objects.create(name="核查组")
    group.permissions.add(permission)
    county.groups.add(group)
    county.user_permissions.add(permission)
    LogEntry.objects.create(
        user=county,
        content_type=ContentType.objects.get_for_model(Group),
        object_id=str(group.pk),
        object_repr=group.name,
        action_flag=ADDITION,
        change_message="[]",
    )
    session = SessionStore()
    session["note"] = "登录中"
    session.create()
    AlertTransition.objects.create(
        alert=world.alerts["A1"],
        from_status="new",
        to_status="verified",
        username="county",
        note="已入户核实",
    )
    member = world.households["A1"].members.first()
    assert member is not None
    batch = r.FeedBatch.objects.create(kind="medical", source_name="医保-2025.csv")
    r.MedicalRecord.objects.create(batch=batch, id_number=member.id_number, year=2025)
    r.DisabilityRecord.objects.create(batch=batch, id_number=member.id_number, grade="三级")
    r.CivilAssistanceRecord.objects.create(batch=batch, id_number=member.id_number, assistance_type="低保")
    r.EmploymentRecord.objects.create(batch=batch, id_number=member.id_number, status="省外务工")
    r.EducationRecord.objects.create(batch=batch, id_number=member.id_number, status="高中")
    r.HousingRecord.objects.create(batch=batch, safety_grade="C")
    r.MigrantWorkRecord.objects.create(
        batch=batch, id_number=member.id_number, month=dt.date(2025, 3, 1), work="省外务工", monthly_wage=4800
    )
    r.DisasterRecord.objects.create(
        batch=batch, area_code="640522100201", disaster_type="冰雹", occurred_on=dt.date(2025, 6, 1)
    )
    plan = Plan.objects.create(
        household_id="6405221002010001", year=2025, county_code="640522", village_code="640522100201"
    )
    item = PlanItem.objects.create(plan=plan, code="W01-01")
    PlanItemEvent.objects.create(
        item=item, from_status="proposed", to_status="done", on=dt.date(2025, 7, 1), by="county"
    )
    CountyToolboxVersion.objects.create(county_code="640522", version=1, content="{}", created_by="county")
    TargetProgress.objects.create(
        target_id="L05:以工代赈岗位", year=2025, quarter=4, value=Decimal(10), entered_by="t"
    )
    LoginFailure.objects.create(username="county", ip="10.0.0.9")
    ApiToken.objects.create(user=county, key_hash="0" * 64)
    BatchRun.objects.create(year=2025, created_by="county")
    from zengshou.monitor.models import Case, CaseClue, CaseStep, Measure, PublicRequest

    household = world.households["A1"]
    case = Case.objects.create(
        receipt="SB20250701000001",
        channel="self_report",
        step="visit",
        household=household,
        village=household.village,
        merge_key=household.household_id,
        applicant_name="申报人",
        risks=["因病"],
        first_clue_at=timezone.now(),
        step_started_on=dt.date(2025, 7, 1),
        due_on=dt.date(2025, 7, 8),
    )
    CaseClue.objects.create(
        case=case,
        receipt="SB20250701000001",
        channel="self_report",
        risk="因病",
        reported_by="自主申报",
        reported_at=timezone.now(),
    )
    CaseStep.objects.create(
        case=case,
        step="accept",
        action="受理",
        username="township",
        role="township",
        at=timezone.now(),
        on_day=dt.date(2025, 7, 1),
    )
    Measure.objects.create(
        monitoring_object=world.objects["B1"],
        measure_type="产业帮扶",
        content="发放基础母牛",
        started_on=dt.date(2025, 7, 1),
        recorded_by="county",
    )
    PublicRequest.objects.create(kind="report_id", ip="10.0.0.9", id_digest="0" * 64, at=timezone.now())
    from zengshou.layouts.models import MappingProfile

    MappingProfile.objects.create(
        name="某县人员表",
        county_id="640522",
        content={"columns": {"members.name": ["姓名"]}},
        saved_by="county",
    )
    from zengshou.quality.models import QualityCount, QualityExemption, QualityFinding, QualityRun
    from zengshou.tiers.models import CutPointSet

    CutPointSet.objects.create(
        year=2025,
        cut_1=Decimal("6000.00"),
        cut_2=Decimal("11000.00"),
        cut_3=Decimal("16000.00"),
        cut_4=Decimal("24000.00"),
        source="计算",
        households=3,
        computed_at=timezone.now(),
    )
    run = QualityRun.objects.create(year=2025, households=3, findings=1, flagged_households=1)
    QualityCount.objects.create(
        run=run, village_code="640522100201", code="Q001", severity="错误", households=1, findings=1
    )
    QualityFinding.objects.create(
        run=run,
        code="Q001",
        severity="错误",
        household_id="6405221002010001",
        village_code="640522100201",
        message="重复",
    )
    QualityExemption.objects.create(
        code="Q001",
        household_id="6405221002010001",
        reason="已核实",
        created_by="county",
        valid_until=dt.date(2026, 12, 31),
    )
    from django.apps import apps

    apps.get_model("django_tasks_database.DBTaskResult").objects.create(
        enqueued_at=timezone.now(),
        args_kwargs={"args": [2025], "kwargs": {}},
        task_path="zengshou.batch.tasks.run",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    record("county", "household.view", "household", "6405221002010001", {"说明": "查看"})
    model_file = home / "models" / "risk" / "v1" / "model.json"
    model_file.parent.mkdir(parents=True)
    model_file.write_text(json.dumps({"版本": 1, "权重": [0.5, -1.25]}, ensure_ascii=False), encoding="utf-8")
    upload = Path(settings.MEDIA_ROOT) / "uploads" / "202507" / "导入.xlsx"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"PK\x03\x04 an uploaded workbook")
    return [home / "models", Path(settings.MEDIA_ROOT)]


def _wipe(roots: list[Path]) -> None:
    """A brand-new installation: every table emptied, the data folders gone."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def _round_trip(full: list[Path], tmp_path: Path, portable: bool) -> Path:
    out = tmp_path / "备份" / "zengshou.bak"
    made = bk.backup(out, "county", portable=portable)
    before, files = _digests(), _files(*full)
    assert [t for t, (n, _) in before.items() if n == 0] == []  # the fixture fills every table
    assert made.rows == {t: n for t, (n, _) in before.items()}
    assert "models/risk/v1/model.json" in files and any("导入.xlsx" in f for f in files)
    assert any(f.endswith(".png") for f in files)  # the visit photo
    _wipe(full)
    assert bk.present_data()["户"] == 0
    restored = bk.restore(out)
    assert restored.engine == made.engine and restored.files == len(files)
    assert _digests() == before
    assert _files(*full) == files
    assert not list(out.parent.glob(".backup-*")) and not list(full[0].parent.glob(".restore-*"))
    return out


def test_backup_then_restore_into_an_empty_database_gives_back_every_table_and_file(
    full: list[Path], tmp_path: Path
) -> None:
    _round_trip(full, tmp_path, portable=False)


@pytest.mark.skipif(not is_postgres(), reason="an SQLite backup into PostgreSQL needs DATABASE_URL")
def test_a_portable_sqlite_backup_restores_every_table_into_postgresql(
    full: list[Path], tmp_path: Path
) -> None:
    out = _round_trip(full, tmp_path, portable=True)
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read(bk.MANIFEST))["engine"] == "sqlite"


def test_a_database_with_data_is_overwritten_only_when_forced(full: list[Path], tmp_path: Path) -> None:
    from zengshou.registry.models import Household

    out = tmp_path / "zengshou.bak"
    bk.backup(out)
    before = _digests()
    Household.objects.filter(household_id="6405221002020001").delete()
    changed = _digests()
    with pytest.raises(bk.BackupError, match=r"当前数据库已有数据（3 户.*--force"):
        bk.restore(out)
    assert _digests() == changed
    bk.restore(out, replace=True)
    assert _digests() == before


def test_a_damaged_truncated_or_foreign_backup_is_refused_before_anything_changes(
    full: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "zengshou.bak"
    bk.backup(out)
    data = out.read_bytes()
    middle = len(data) // 2
    flipped = tmp_path / "flipped.bak"
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("家庭.csv", "户编号\n")
    lying = tmp_path / "lying.bak"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(lying, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, body + b"x" if info.filename.endswith(".png") else body)
    before, files = _digests(), _files(*full)
    for bad, says in (
        (flipped, "已损坏或不完整"),
        (truncated, "已损坏或不完整"),
        (foreign, "不是 zengshou 的备份"),
        (lying, "校验和不符"),
        (tmp_path / "家庭.csv", "不是 zengshou backup 生成的备份文件"),
    ):
        if not bad.exists():
            bad.write_text("户编号\n", encoding="utf-8")
        with pytest.raises(bk.BackupError, match=says):
            bk.restore(bad, replace=True)
        assert _digests() == before and _files(*full) == files, bad.name
