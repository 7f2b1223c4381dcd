"""Server-side scope: every query a page or API call makes starts from one of these functions.

A user sees the households whose village code starts with his area's prefix
(:func:`zengshou.registry.areas.code_prefix`); a 帮扶干部 only the households with an open pairing to
his Cadre; a 部门用户 no household at all. Objects outside the scope are reported as "not found"
(404), never as "forbidden", so an ID changed in a URL tells nothing about what exists — but the
audit trail tells: every refused object (``access.refused``: out of scope or not there) and every
action refused to a role (``access.denied``) is recorded with user, object, page and address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from zengshou.layouts.models import MappingProfile
from zengshou.monitor.models import Alert, MonitoringObject
from zengshou.registry import audit
from zengshou.registry.areas import code_prefix, code_range
from zengshou.registry.models import Area, Household
from zengshou.web import roles
from zengshou.web.models import ImportJob, UserProfile, VisitLog
from zengshou.web.roles import Role


@dataclass(frozen=True)
class Scope:
    username: str
    role: str
    area_code: str
    area_name: str
    area_level: str
    prefix: str
    cadre_id: str | None
    department: str

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def can(self, allowed: frozenset[str]) -> bool:
        return self.role in allowed


class NoProfile(Exception):
    """The user has no role/area (e.g. a bare superuser): he may use the admin, not the pages."""


def scope_of(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """The scope of a signed-in user, cached on the user object for the request."""
    cached: Scope | None = getattr(user, "_zs_scope", None)
    if cached is not None:
        return cached
    try:
        profile = UserProfile.objects.select_related("area").get(user_id=user.pk)  # type: ignore[misc]
    except UserProfile.DoesNotExist as e:
        raise NoProfile(user.get_username()) from e
    s = Scope(
        username=user.get_username(),
        role=profile.role,
        area_code=profile.area_id,
        area_name=profile.area.name,
        area_level=profile.area.level,
        prefix=code_prefix(profile.area_id),
        cadre_id=profile.cadre_id,
        department=profile.department,
    )
    user._zs_scope = s  # type: ignore[union-attr]
    return s


def refused(s: Scope, object_type: str, object_id: Any, exists: bool, action: str = "access.refused") -> None:
    """Record a refusal with the request's page and address (when there is a request)."""
    req = audit.current_request()
    detail: dict[str, Any] = {
        "reason": "out_of_scope" if exists else "not_found",
        "role": s.role,
        "user_area": s.area_code,
    }
    if req is not None:
        detail = {"path": req.path, "method": req.method, **detail}
    audit.record(s.username, action, object_type, str(object_id)[:60], detail, ip=req.ip if req else "")


def not_found(
    s: Scope, object_type: str, object_id: Any, model: type[Model], lookup: dict[str, Any], message: str
) -> Http404:
    """The 404 for an object outside the scope (or not there at all), recorded first."""
    try:
        there = model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError):  # an ID that is no number
        there = False
    refused(s, object_type, object_id, there)
    return Http404(message)


def households(s: Scope) -> QuerySet[Household]:
    """Households the user may see (the base of every household list, page and API call)."""
    if s.role == Role.DEPARTMENT:
        return Household.objects.none()
    qs = Household.objects.filter(code_range("village_id", s.prefix))
    if s.role == Role.CADRE:
        if not s.cadre_id:
            return Household.objects.none()
        qs = qs.filter(pairings__cadre_id=s.cadre_id, pairings__ended_on__isnull=True)
    return qs


def household_q(s: Scope, path: str = "household__") -> Q:
    """The scope as a filter on a model related to Household (``path`` leads to the household)."""
    if s.role == Role.DEPARTMENT:
        return Q(pk__in=[])
    q = code_range(f"{path}village_id", s.prefix)
    if s.role == Role.CADRE:
        if not s.cadre_id:
            return Q(pk__in=[])
        q &= Q(**{f"{path}pairings__cadre_id": s.cadre_id, f"{path}pairings__ended_on__isnull": True})
    return q


def household_or_404(s: Scope, household_id: str) -> Household:
    try:
        return households(s).select_related("village", "village__parent").get(household_id=household_id)
    except Household.DoesNotExist as e:
        raise not_found(
            s,
            "household",
            household_id,
            Household,
            {"household_id": household_id},
            "未找到该农户，或不在您的管辖范围内",
        ) from e


def alerts(s: Scope) -> QuerySet[Alert]:
    if s.role == Role.DEPARTMENT:
        return Alert.objects.none()
    if s.role == Role.CADRE:
        return Alert.objects.filter(household__in=households(s).values("household_id"))
    return Alert.objects.filter(code_range("area_code", s.prefix))


def alert_or_404(s: Scope, alert_id: Any) -> Alert:
    try:
        return alerts(s).select_related("household", "area").get(pk=int(alert_id))
    except (Alert.DoesNotExist, ValueError, TypeError) as e:
        raise not_found(
            s, "alert", alert_id, Alert, {"pk": alert_id}, "未找到该预警，或不在您的管辖范围内"
        ) from e


def monitoring_objects(s: Scope) -> QuerySet[MonitoringObject]:
    if s.role == Role.DEPARTMENT:
        return MonitoringObject.objects.none()
    return MonitoringObject.objects.filter(household__in=households(s).values("household_id"))


def monitoring_object_or_404(s: Scope, object_id: Any) -> MonitoringObject:
    try:
        return monitoring_objects(s).select_related("household").get(pk=int(object_id))
    except (MonitoringObject.DoesNotExist, ValueError, TypeError) as e:
        raise not_found(
            s,
            "monitoring_object",
            object_id,
            MonitoringObject,
            {"pk": object_id},
            "未找到该监测对象，或不在您的管辖范围内",
        ) from e


def visits(s: Scope) -> QuerySet[VisitLog]:
    return VisitLog.objects.filter(household__in=households(s).values("household_id"))


def visit_or_404(s: Scope, visit_id: Any) -> VisitLog:
    try:
        return visits(s).get(pk=int(visit_id))
    except (VisitLog.DoesNotExist, ValueError, TypeError) as e:
        raise not_found(s, "visit", visit_id, VisitLog, {"pk": visit_id}, "未找到该走访记录") from e


def areas(s: Scope) -> QuerySet[Area]:
    """Areas at or below the user's area (a cadre's or department's: its county or region)."""
    return Area.objects.filter(code_range("code", s.prefix))


def area_or_404(s: Scope, code: str) -> Area:
    if s.role in (Role.DEPARTMENT, Role.CADRE) and code != s.area_code:
        raise not_found(s, "area", code, Area, {"code": code}, "不在您的管辖范围内")
    try:
        return areas(s).get(code=code)
    except Area.DoesNotExist as e:
        raise not_found(s, "area", code, Area, {"code": code}, "未找到该区划，或不在您的管辖范围内") from e


def import_jobs(s: Scope) -> QuerySet[ImportJob]:
    """A user sees his own uploads; the region administrator all of them."""
    if s.role == Role.REGION_ADMIN:
        return ImportJob.objects.all()
    return ImportJob.objects.filter(created_by=s.username)


def import_job_or_404(s: Scope, job_id: Any) -> ImportJob:
    try:
        return import_jobs(s).get(pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError) as e:
        raise not_found(s, "import", job_id, ImportJob, {"pk": job_id}, "未找到该导入任务") from e


def mapping_profiles(s: Scope) -> QuerySet[MappingProfile]:
    """The column mappings a user may import with: the region-wide ones and those of the counties
    in his area (the region administrator: every one)."""
    if s.role == Role.REGION_ADMIN:
        return MappingProfile.objects.select_related("county")
    return MappingProfile.objects.select_related("county").filter(
        Q(county__isnull=True) | code_range("county_id", s.prefix)
    )


def mapping_counties(s: Scope) -> QuerySet[Area]:
    """The counties a user may save a column mapping for (a region-wide one: the region only)."""
    if s.area_level == "county":
        return Area.objects.filter(code=s.area_code)
    return Area.objects.filter(code_range("code", s.prefix), level="county").order_by("code")


def may_change_mapping(s: Scope, row: MappingProfile) -> bool:
    """A region-wide mapping is the region's to change; a county's, that county's and those above it."""
    if row.county_id is None:
        return s.role == Role.REGION_ADMIN
    return mapping_counties(s).filter(code=row.county_id).exists()


def require(s: Scope, allowed: frozenset[str]) -> None:
    """Role check for an action; raises PermissionDenied with a Chinese message naming who may."""
    from django.core.exceptions import PermissionDenied

    if s.role not in allowed:
        req = audit.current_request()
        refused(s, "page", req.path if req else "", True, action="access.denied")
        who = "、".join(Role(r).label for r in Role.values if r in allowed)
        raise PermissionDenied(f"您的角色（{s.role_label}）不能进行此操作；可由{who}办理。")


__all__ = ["Scope", "roles", "scope_of"]
