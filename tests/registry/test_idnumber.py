import datetime as dt

import pytest

from zengshou.registry import idnumber


def test_known_valid_number_checks_out() -> None:
    # GB 11643 example number from the standard's annex.
    assert idnumber.is_valid("11010519491231002X")
    assert idnumber.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert not idnumber.is_male("11010519491231002X")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("11010519491231002", "18位"),
        ("110105194912310021", "校验位"),
        ("110105194902300028", "出生日期"),
        ("1101051949123100AX", "数字"),
    ],
)
def test_problems_name_what_is_wrong(number: str, fragment: str) -> None:
    problem = idnumber.problem(number)
    assert problem is not None and fragment in problem


def test_made_numbers_are_valid_and_carry_birth_and_sex() -> None:
    for seq in range(0, 1200, 37):
        born = dt.date(1950 + seq % 60, 1 + seq % 12, 1 + seq % 28)
        n = idnumber.make("640522", born, seq, male=seq % 2 == 0)
        assert idnumber.is_valid(n)
        assert idnumber.birth_date(n) == born
        assert idnumber.is_male(n) == (seq % 2 == 0)


def test_age_is_completed_years_on_the_day() -> None:
    n = idnumber.make("640522", dt.date(2009, 12, 31), 1, male=True)
    assert idnumber.age_on(n, dt.date(2025, 12, 30)) == 15
    assert idnumber.age_on(n, dt.date(2025, 12, 31)) == 16


def test_masks_keep_area_and_last_four() -> None:
    assert idnumber.mask("640522198005171234") == "640522********1234"
    assert idnumber.mask_name("马小明") == "马*明"
    assert idnumber.mask_name("马明") == "马*"
    assert idnumber.mask_phone("13995001234") == "139****1234"
