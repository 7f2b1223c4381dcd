"""A small two-county world for the web tests: county A (海原县 640522) and county B (原州区 640402),
each with households, incomes, tier results, alerts, a monitoring object, a visit and an upload,
and one user per role (plus a county user of B to try every URL against A's objects)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import make_id

PASSWORD = "Zs-test-pass-2025"


@dataclass
class World:
    households: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    visits: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def png_bytes() -> bytes:
    return _png()


def _household(
    hid: str,
    village: Any,
    seq: int,
    names: tuple[str, ...],
    area6: str,
    incomes: dict[int, tuple[int, str, str, bool]],
    htype: str = "脱贫户",
) -> Any:
    from zengshou.registry.models import Household, Income, Member
    from zengshou.tiers.models import TierResult

    h = Household.objects.create(
        household_id=hid,
        village=village,
        household_type=htype,
        housing_safe=True,
        water_safe=True,
        arable_mu=Decimal("6.5"),
        cattle=2,
        sheep=10,
        phone="13912345678",
    )
    for i, name in enumerate(names):
        Member.objects.create(
            household=h,
            name=name,
            id_number=make_id(seq + i, area=area6),
            relation="户主" if i == 0 else "之子",
            health="健康",
            labour="普通劳动力",
            medical_insured=True,
        )
    size = len(names)
    for year, (pc, quintile, tier, fell) in incomes.items():
        Income.objects.create(household=h, year=year, wage=Decimal(pc * size))
        TierResult.objects.create(
            household=h,
            year=year,
            size=size,
            net_income=Decimal(pc * size),
            per_capita_income=Decimal(pc),
            wage_pc=Decimal(pc),
            operating_net_pc=Decimal(0),
            property_pc=Decimal(0),
            transfer_pc=Decimal(0),
            quintile=quintile,
            tier=tier,
            reasons=f"人均纯收入{pc}元；{quintile}",
            fell=fell,
            computed_at=timezone.now(),
        )
    return h


#: Argon2 hashes of the world's password, one per hasher: hashing it again for nine users in every
#: test's world would cost more than most tests themselves.
_HASHES: dict[str, str] = {}


@contextmanager
def _password_hashed_once() -> Iterator[None]:
    """While the world's users are made: the hasher's first hash of a password is given again (a
    valid Argon2 hash with that first salt), so signing in still checks a real Argon2 hash."""
    from zengshou.web.hashers import OfficeArgon2PasswordHasher

    encode = OfficeArgon2PasswordHasher.encode

    def once(self: OfficeArgon2PasswordHasher, password: str, salt: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = encode(self, password, salt)
        return _HASHES[password]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OfficeArgon2PasswordHasher, "encode", once)
        yield


@pytest.fixture
def world(db, tmp_path, settings) -> World:
    from zengshou.monitor.models import Alert, MonitoringObject

    # A transactional test (the browser tests) empties the tables, including the migrated counties.
    from zengshou.registry.areas import ningxia
    from zengshou.registry.models import Area, Cadre, Pairing
    from zengshou.web.accounts import add_user
    from zengshou.web.models import ImportJob, VisitLog

    for row in ningxia():
        Area.objects.get_or_create(
            code=row.code, defaults={"name": row.name, "level": row.level, "parent_id": row.parent}
        )
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WEB_IMPORT_INLINE = True
    w = World()
    ta = Area.objects.create(code="640522100", name="海城镇", level="township", parent_id="640522")
    va1 = Area.objects.create(code="640522100201", name="山门村", level="village", parent=ta)
    va2 = Area.objects.create(code="640522100202", name="武塬村", level="village", parent=ta)
    tb = Area.objects.create(code="640402100", name="三营镇", level="township", parent_id="640402")
    vb = Area.objects.create(code="640402100201", name="三营村", level="village", parent=tb)

    w.households["A1"] = _household(
        "6405221002010001",
        va1,
        10,
        ("马福贵", "马小军"),
        "640522",
        {2024: (9000, "低收入组", "风险防范户", False), 2025: (8000, "低收入组", "风险防范户", True)},
    )
    w.households["A2"] = _household(
        "6405221002020001",
        va2,
        20,
        ("李桂兰", "李强", "李芳"),
        "640522",
        {2024: (20000, "高收入组", "示范引领户", False), 2025: (24000, "高收入组", "示范引领户", False)},
        htype="一般农户",
    )
    w.households["A3"] = _household(
        "6405221002010002",
        va1,
        30,
        ("杨秀英",),
        "640522",
        {2024: (11000, "中间收入组", "巩固提升户", False), 2025: (12000, "中间收入组", "巩固提升户", False)},
    )
    w.households["B1"] = _household(
        "6404021002010001",
        vb,
        40,
        ("王建国", "王丽"),
        "640402",
        {2024: (9500, "低收入组", "风险防范户", False), 2025: (9000, "低收入组", "风险防范户", True)},
    )

    def alert(key: str, hh: Any, code: str = "M04", level: str = "二级") -> Any:
        a = Alert.objects.create(
            household=hh,
            area_id=hh.village_id,
            area_code=hh.village_id,
            year=2025,
            code=code,
            level=level,
            explanation="家庭人均纯收入8,000元，比上年9,000元下降11.1%",
            fingerprint=f"{code}|{hh.household_id}|2025",
        )
        w.alerts[key] = a
        return a

    alert("A1", w.households["A1"])
    alert("A3", w.households["A3"], code="M03d", level="一级")
    alert("B1", w.households["B1"])
    w.objects["B1"] = MonitoringObject.objects.create(
        household=w.households["B1"],
        monitoring_type="边缘易致贫户",
        included_on=dt.date(2024, 1, 1),
        included_by="countyb",
        previous_household_type="脱贫户",
    )

    cadre_a = Cadre.objects.create(
        cadre_id="C640522001", name="田书记", unit="海原县农业农村局", rank="乡科级", county_id="640522"
    )
    cadre_b = Cadre.objects.create(
        cadre_id="C640402001", name="周主任", unit="原州区乡村振兴局", rank="乡科级", county_id="640402"
    )
    Pairing.objects.create(cadre=cadre_a, household=w.households["A1"], started_on=dt.date(2024, 3, 1))
    Pairing.objects.create(cadre=cadre_b, household=w.households["B1"], started_on=dt.date(2024, 3, 1))

    from django.core.files.base import ContentFile

    vb_log = VisitLog(
        household=w.households["B1"],
        cadre=cadre_b,
        visited_on=dt.date(2025, 5, 1),
        findings="家中老人住院，收入下降",
        recorded_by="cadreb",
    )
    vb_log.photo.save("b.png", ContentFile(_png()), save=False)
    vb_log.save()
    w.visits["B1"] = vb_log
    w.visits["A1"] = VisitLog.objects.create(
        household=w.households["A1"],
        cadre=cadre_a,
        visited_on=dt.date(2025, 6, 1),
        findings="务工收入减少",
        recorded_by="cadre",
    )
    w.jobs["B"] = ImportJob.objects.create(
        kind="interchange",
        original_name="b.xlsx",
        path=str(tmp_path / "b.xlsx"),
        status=ImportJob.Status.READY,
        created_by="countyb",
    )

    for username, role, area, extra in (
        ("region", "region_admin", "640000", {}),
        ("city", "city", "640500", {}),
        ("county", "county", "640522", {}),
        ("township", "township", "640522100", {}),
        ("village", "village", "640522100201", {}),
        ("cadre", "cadre", "640522", {"cadre_id": "C640522001"}),
        ("department", "department", "640000", {"department": "医保"}),
        ("countyb", "county", "640402", {}),
        ("cadreb", "cadre", "640402", {"cadre_id": "C640402001"}),
    ):
        with _password_hashed_once():
            add_user(username, role, area, password=PASSWORD, **extra)
        w.users[role if username not in ("countyb", "cadreb") else username] = username
    return w


@pytest.fixture
def login(client):
    """Sign ``client`` in as a user of the world (through the real login form)."""

    def do(username: str) -> Any:
        client.logout()
        r = client.post("/login/", {"username": username, "password": PASSWORD})
        assert r.status_code == 302, r.content.decode()[:500]
        return client

    return do


class Clock:
    """``timezone.now`` under the test's control, so a delay is passed by moving the clock, not by sleeping."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    return c
