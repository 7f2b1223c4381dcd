"""The database itself refuses bad data, whatever path writes it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import make_id
from zengshou.registry.models import Area, Household, Income, Member


def _household(village: Area, hid: str = "H1") -> Household:
    return Household.objects.create(
        household_id=hid, village=village, household_type="脱贫户", housing_safe=True, water_safe=True
    )


def _member(h: Household, seq: int, relation: str = "户主") -> Member:
    return Member.objects.create(
        household=h,
        name="马明",
        id_number=make_id(seq),
        relation=relation,
        health="健康",
        labour="普通劳动力",
        medical_insured=True,
    )


def test_ningxia_areas_are_loaded_with_real_codes(db) -> None:
    assert Area.objects.get(code="640000").name == "宁夏回族自治区"
    assert Area.objects.filter(level="city").count() == 5
    assert Area.objects.filter(level="county").count() == 22
    assert Area.objects.get(code="640522").name == "海原县"
    assert Area.objects.get(code="640522").parent_id == "640500"


def test_id_numbers_are_unique(village) -> None:
    h1, h2 = _household(village, "H1"), _household(village, "H2")
    _member(h1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            household=h2,
            name="X",
            id_number=make_id(1),
            relation="户主",
            health="健康",
            labour="普通劳动力",
            medical_insured=True,
        )


def test_one_head_per_household(village) -> None:
    h = _household(village)
    _member(h, 1, "户主")
    _member(h, 2, "配偶")
    with pytest.raises(IntegrityError), transaction.atomic():
        _member(h, 3, "户主")


def test_amounts_are_non_negative(village) -> None:
    h = _household(village)
    with pytest.raises(IntegrityError), transaction.atomic():
        Income.objects.create(household=h, year=2024, wage=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=h.pk).update(cattle=-2)


def test_one_income_row_per_household_and_period(village) -> None:
    h = _household(village)
    Income.objects.create(household=h, year=2024, wage=100)
    Income.objects.create(household=h, year=2024, quarter=1, wage=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        Income.objects.create(household=h, year=2024, wage=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Income.objects.create(household=h, year=2024, quarter=1, wage=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Income.objects.create(household=h, year=2024, quarter=5, wage=5)
