"""Registry rows for the workflow and store tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import make_id


@pytest.fixture
def make_household(village):
    """Create a household with ``size`` members and whole-year wage income by year."""
    from zengshou.registry.models import Household, Income, Member

    seq = iter(range(100, 100_000))

    def make(hid: str, size: int = 1, income: dict[int, int] | None = None, **fields) -> Household:
        h = Household.objects.create(
            household_id=hid,
            village=village,
            household_type=fields.pop("household_type", "脱贫户"),
            housing_safe=fields.pop("housing_safe", True),
            water_safe=fields.pop("water_safe", True),
            **fields,
        )
        for i in range(size):
            Member.objects.create(
                household=h,
                name="马某",
                id_number=make_id(next(seq)),
                relation="户主" if i == 0 else "之子",
                health="健康",
                labour="普通劳动力",
                medical_insured=True,
            )
        for year, wage in (income or {}).items():
            Income.objects.create(household=h, year=year, wage=Decimal(wage))
        return h

    return make
