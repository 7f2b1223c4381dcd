"""Demo users, one per role, for areas that hold data (called by ``zengshou demo``)."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Substr

from zengshou.registry.areas import REGION_CODE
from zengshou.registry.models import Area, Cadre, FeedBatch, Household, Pairing
from zengshou.web.accounts import add_user, new_password


def _busiest(prefix_len: int, within: str = "") -> str | None:
    qs = Household.objects.all()
    if within:
        qs = qs.filter(village__code__startswith=within)
    row = (
        qs.annotate(code=Substr("village_id", 1, prefix_len))
        .values("code")
        .annotate(n=Count("pk"))
        .order_by("-n", "code")
        .first()
    )
    return row["code"] if row else None


def create_demo_users() -> list[tuple[str, str, str, str]]:
    """Create or reset region/city/county/township/village/cadre/department users; returns
    (username, password, role label, area) for printing. Passwords are new on every call."""
    from zengshou.web.roles import Role

    county = _busiest(6)
    if county is None:
        raise RuntimeError("数据库中还没有农户，无法创建演示账号 / no households yet")
    township = _busiest(9, county) or county
    village = _busiest(12, township) or township
    city = county[:4] + "00"
    specs: list[tuple[str, Role, str, dict[str, str]]] = [
        ("region", Role.REGION_ADMIN, REGION_CODE, {}),
        ("city", Role.CITY, city, {}),
        ("county", Role.COUNTY, county, {}),
        ("township", Role.TOWNSHIP, township, {}),
        ("village", Role.VILLAGE, village, {}),
    ]
    cadre = (
        Pairing.objects.filter(ended_on__isnull=True, household__village__code__startswith=township)
        .values("cadre_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "cadre_id")
        .first()
    ) or Pairing.objects.filter(ended_on__isnull=True, household__village__code__startswith=county).values(
        "cadre_id"
    ).annotate(n=Count("pk")).order_by("-n", "cadre_id").first()
    if cadre:
        c = Cadre.objects.get(pk=cadre["cadre_id"])
        specs.append(("cadre", Role.CADRE, c.county_id, {"cadre_id": c.cadre_id}))
    feed = FeedBatch.objects.order_by("-imported_at").values_list("kind", flat=True).first() or "医保"
    specs.append(("department", Role.DEPARTMENT, REGION_CODE, {"department": feed}))
    names = dict(Area.objects.filter(code__in=[s[2] for s in specs]).values_list("code", "name"))
    out = []
    for username, role, area, extra in specs:
        _, pw = add_user(username, role.value, area, password=new_password(), replace=True, **extra)
        out.append((username, pw, role.label, f"{names.get(area, area)} {area}"))
    return out
