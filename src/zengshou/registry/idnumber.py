"""Resident ID numbers (公民身份号码, GB 11643-1999): checksum, birth date, sex, masking."""

from __future__ import annotations

import datetime as dt

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"


def check_char(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def make(area6: str, birth: dt.date, sequence: int, male: bool) -> str:
    """Build a valid number: 6-digit area, birth date, 3-digit sequence with odd = male."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    first17 = f"{area6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def problem(number: str) -> str | None:
    """Why ``number`` is not a valid ID number, in Chinese, or None when it is valid."""
    if len(number) != 18:
        return f"证件号码应为18位，实际{len(number)}位"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "证件号码前17位应为数字，末位为数字或X"
    try:
        birth_date(number)
    except ValueError:
        return f"证件号码中的出生日期{number[6:14]}无效"
    expected = check_char(number[:17])
    if number[17] != expected:
        return f"证件号码校验位错误（应为{expected}）"
    return None


def is_valid(number: str) -> bool:
    return problem(number) is None


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def age_on(number: str, day: dt.date) -> int:
    """Completed years on ``day`` (the catalogue's age: on 31 December of the year evaluated)."""
    born = birth_date(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask(number: str | None) -> str:
    """640522********1234: area and last four kept, as the national system shows in lists."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str | None) -> str:
    """张*明: the family name and, for longer names, the last character kept."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
