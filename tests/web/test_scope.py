"""Scope over every URL pattern of the project, for every role.

The patterns are read from Django's resolver (pages, API, toolbox, assessment, pairing, admin and
static files), not listed by hand. A pattern with a path parameter must have an entry in
``OBJECT_URLS`` saying how to build its URL for an object of a given household set, or
:func:`test_every_pattern_with_parameters_is_in_the_table` fails naming it; so whoever adds such a page
also says which foreign object it takes. Every page without parameters is tried, by GET and POST, with
query and form fields pointing outside the user's area, and no response (HTML, JSON, workbook or
report) may contain a foreign household's number, names, ID numbers, visit notes or cadre.

Household sets of the world (tests/web/conftest.py plus ``wide`` below):

- A1 山门村 (county A 海原县), paired with the county's cadre: inside every A user's scope;
- A2 武塬村 (county A, another village), unpaired: outside the village user's and the cadre's scope;
- A3 山门村, unpaired: outside the cadre's scope only;
- B1 county B 原州区 (another city): outside every user of county A, township, village and city;
- G1 城关区 of 甘肃 (outside Ningxia): outside even the region administrator's scope.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.web.conftest import _household, _png
from zengshou.registry.audit import REFUSAL_ACTIONS
from zengshou.registry.idnumber import mask, mask_name
from zengshou.registry.models import AuditEvent
from zengshou.web.roles import Role

# ---------------------------------------------------------------- the report's charts, drawn once

_CHARTS: dict[bytes, dict[str, bytes]] = {}


@pytest.fixture(autouse=True)
def _charts_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report is asked for many times with the same figures (every role, every try): its charts
    are drawn by the real code once per distinct assessment and area and the same pictures reused.
    Drawing them is most of this file's time, and the checks read the report's text, not its pictures."""
    import pickle

    from zengshou.assess import report

    draw = report.charts

    def charts(a: Any, area: str) -> dict[str, bytes]:
        key = pickle.dumps((a, area))
        if key not in _CHARTS:
            _CHARTS[key] = draw(a, area)
        return _CHARTS[key]

    monkeypatch.setattr(report, "charts", charts)


# ---------------------------------------------------------------- the world's extra objects


@pytest.fixture
def wide(world: Any) -> Any:
    """The two-county world plus an area outside Ningxia, and an alert, a visit (with photo) and a
    monitoring object for every household set, so each set has an object for every pattern."""
    from django.core.files.base import ContentFile

    from zengshou.monitor.models import Alert, MonitoringObject
    from zengshou.registry.models import Area, Cadre, Pairing
    from zengshou.web.models import ImportJob, VisitLog

    Area.objects.create(code="620000", name="甘肃省", level="region")
    Area.objects.create(code="620100", name="兰州市", level="city", parent_id="620000")
    Area.objects.create(code="620102", name="城关区", level="county", parent_id="620100")
    tg = Area.objects.create(code="620102001", name="酒泉路街道", level="township", parent_id="620102")
    vg = Area.objects.create(code="620102001001", name="皋兰路社区", level="village", parent=tg)
    world.households["G1"] = _household(
        "6201020010010001",
        vg,
        50,
        ("张三丰", "张翠山"),
        "620102",
        {2024: (9800, "低收入组", "风险防范户", False), 2025: (9100, "低收入组", "风险防范户", True)},
    )
    cadre_g = Cadre.objects.create(
        cadre_id="C620102001", name="甘书记", unit="城关区农业农村局", rank="乡科级", county_id="620102"
    )
    Pairing.objects.create(cadre=cadre_g, household=world.households["G1"], started_on=dt.date(2024, 3, 1))

    for key in ("A2", "G1"):
        hh = world.households[key]
        world.alerts[key] = Alert.objects.create(
            household=hh,
            area_id=hh.village_id,
            area_code=hh.village_id,
            year=2025,
            code="M04",
            level="二级",
            explanation="家庭人均纯收入下降",
            fingerprint=f"M04|{hh.household_id}|2025",
        )
    findings = {"A2": "武塬村走访：养殖收入下降", "A3": "山门村走访：独居老人", "G1": "皋兰路走访：失业"}
    for key, text in findings.items():
        v = VisitLog(household=world.households[key], visited_on=dt.date(2025, 5, 2), findings=text)
        v.photo.save(f"{key}.png", ContentFile(_png()), save=False)
        v.recorded_by = "someone"
        v.save()
        world.visits[key] = v
    world.visits["A1"].photo.save("a1.png", ContentFile(_png()))
    for key in ("A1", "A2", "A3", "G1"):
        world.objects[key] = MonitoringObject.objects.create(
            household=world.households[key],
            monitoring_type="边缘易致贫户",
            included_on=dt.date(2024, 6, 1),
            included_by="someone",
            previous_household_type="脱贫户",
        )
    world.jobs["B1"] = world.jobs["B"]
    world.jobs["G1"] = ImportJob.objects.create(
        kind="interchange",
        original_name="g.xlsx",
        path="/nonexistent/g.xlsx",
        status=ImportJob.Status.READY,
        created_by="gansu_clerk",
    )
    return world


# ---------------------------------------------------------------- who may reach what


@dataclass(frozen=True)
class Reach:
    username: str
    #: The household set the user may open (None: a department user opens no household).
    own: str | None
    #: The household sets outside the user's scope.
    foreign: tuple[str, ...]


REACH: dict[str, Reach] = {
    Role.REGION_ADMIN: Reach("region", "A1", ("G1",)),
    Role.CITY: Reach("city", "A1", ("B1", "G1")),
    Role.COUNTY: Reach("county", "A1", ("B1", "G1")),
    Role.TOWNSHIP: Reach("township", "A1", ("B1", "G1")),
    Role.VILLAGE: Reach("village", "A1", ("A2", "B1", "G1")),
    Role.CADRE: Reach("cadre", "A1", ("A2", "A3", "B1", "G1")),
    Role.DEPARTMENT: Reach("department", None, ("A1", "A2", "A3", "B1", "G1")),
}
#: County of each set's household (for URLs that take a county); A2/A3 are in county A itself.
SET_COUNTY = {"A1": "640522", "B1": "640402", "G1": "620102"}
SET_COUNTY_NAME = {"B1": "原州区", "G1": "城关区"}


@dataclass(frozen=True)
class Ctx:
    """What a URL builder needs: the world, the household set, and the user's area."""

    world: Any
    key: str
    area_code: str
    own: bool


Builder = Callable[[Ctx], dict[str, str] | None]


def _household_id(c: Ctx) -> dict[str, str] | None:
    return {"household_id": c.world.households[c.key].household_id}


def _alert(c: Ctx) -> dict[str, str] | None:
    a = c.world.alerts.get(c.key)
    return {"alert_id": str(a.pk)} if a else None


def _visit(c: Ctx) -> dict[str, str] | None:
    return {"visit_id": str(c.world.visits[c.key].pk)}


def _object(c: Ctx) -> dict[str, str] | None:
    return {"object_id": str(c.world.objects[c.key].pk)}


def _case(c: Ctx) -> dict[str, str] | None:
    """A monitoring-procedure case of the set's household (made once)."""
    from django.utils import timezone

    from zengshou.monitor.models import Case

    h = c.world.households[c.key]
    case = Case.objects.filter(household=h).first() or Case.objects.create(
        receipt=f"T{h.household_id[-15:]}",
        kind="inclusion",
        channel="cadre",
        step="visit",
        household=h,
        village_id=h.village_id,
        merge_key=f"hh:{h.household_id}",
        risks=["因病"],
        first_clue_at=timezone.now(),
        step_started_on=dt.date(2025, 1, 1),
        due_on=dt.date(2025, 1, 3),
    )
    return {"case_id": str(case.pk)}


def _case_step(c: Ctx) -> dict[str, str] | None:
    return {**(_case(c) or {}), "action": "accept"}


def _object_action(c: Ctx) -> dict[str, str] | None:
    return {"object_id": str(c.world.objects[c.key].pk), "action": "measure"}


def _job(c: Ctx) -> dict[str, str] | None:
    job = c.world.jobs.get("own" if c.own else c.key)
    return {"job_id": str(job.pk)} if job else None


def _area(c: Ctx) -> dict[str, str] | None:
    """The user's own area; else the foreign set's county, or its village for a set in county A."""
    if c.own:
        return {"area_code": c.area_code}
    return {"area_code": SET_COUNTY.get(c.key) or c.world.households[c.key].village_id}


def _county(c: Ctx) -> dict[str, str] | None:
    code = SET_COUNTY.get(c.key)
    return {"code": code} if code else None


def _batch_run(c: Ctx) -> dict[str, str] | None:
    """A finished batch run of the user's own area, or of the foreign set's county."""
    from zengshou.batch.models import BatchRun, BatchStatus

    code = c.area_code if c.own else SET_COUNTY.get(c.key)
    if code is None:
        return None
    run, _ = BatchRun.objects.get_or_create(
        area_code=code, year=2025, status=BatchStatus.DONE, defaults={"created_by": "someone"}
    )
    return {"run_id": str(run.pk)}


@dataclass(frozen=True)
class ObjectUrl:
    build: Builder
    #: The object belongs to one household: a 帮扶干部 gets exactly 404 for one not paired with him.
    household: bool
    #: An object that does not exist.
    missing: dict[str, str]
    #: Roles that reach every object of this kind by design (the table says why).
    sees_all: frozenset[str] = frozenset()


NO_HH = {"household_id": "6405229999999999"}
NO_ALERT = {"alert_id": "999999"}
NO_OBJECT = {"object_id": "999999"}
NO_JOB = {"job_id": "999999"}

#: Every project pattern with a path parameter (by URL name, or route if unnamed).
OBJECT_URLS: dict[str, ObjectUrl] = {
    "web:household": ObjectUrl(_household_id, True, NO_HH),
    "web:visit_new": ObjectUrl(_household_id, True, NO_HH),
    "web:visit_photo": ObjectUrl(_visit, True, {"visit_id": "999999"}),
    "web:alert": ObjectUrl(_alert, True, NO_ALERT),
    "web:alert_verify": ObjectUrl(_alert, True, NO_ALERT),
    "web:alert_include": ObjectUrl(_alert, True, NO_ALERT),
    "web:alert_dismiss": ObjectUrl(_alert, True, NO_ALERT),
    "web:clue": ObjectUrl(_household_id, True, NO_HH),
    "web:clue_verify": ObjectUrl(_household_id, True, NO_HH),
    "web:clue_include": ObjectUrl(_household_id, True, NO_HH),
    "web:clue_dismiss": ObjectUrl(_household_id, True, NO_HH),
    "web:monitoring_eliminate": ObjectUrl(_object, True, NO_OBJECT),
    # Uploads are the uploader's own; the region administrator sees every upload (io_views).
    "web:import_job": ObjectUrl(_job, False, NO_JOB, frozenset({Role.REGION_ADMIN})),
    "web:import_job_status": ObjectUrl(_job, False, NO_JOB, frozenset({Role.REGION_ADMIN})),
    "web:import_job_confirm": ObjectUrl(_job, False, NO_JOB, frozenset({Role.REGION_ADMIN})),
    "web:batch_run": ObjectUrl(_batch_run, False, {"run_id": "999999"}),
    "web:batch_run_status": ObjectUrl(_batch_run, False, {"run_id": "999999"}),
    "api:household_detail": ObjectUrl(_household_id, True, NO_HH),
    "api:alert_detail": ObjectUrl(_alert, True, NO_ALERT),
    "api:alert_transition": ObjectUrl(_alert, True, NO_ALERT),
    "api:area_stats": ObjectUrl(_area, False, {"area_code": "640499"}),
    "toolbox:county": ObjectUrl(_county, False, {"code": "640499"}),
    "toolbox:household": ObjectUrl(_household_id, True, NO_HH),
    "procedure:case": ObjectUrl(_case, True, {"case_id": "999999"}),
    "procedure:case_step": ObjectUrl(_case_step, True, {"case_id": "999999", "action": "accept"}),
    "procedure:take_alerts": ObjectUrl(_household_id, True, NO_HH),
    "procedure:object": ObjectUrl(_object, True, NO_OBJECT),
    "procedure:object_action": ObjectUrl(_object_action, True, {"object_id": "999999", "action": "measure"}),
}

#: The admin is for staff only and none of the role users is staff: every admin URL sends them to
#: the sign-in page, whatever its parameters (any ID will do).
ADMIN_PARAMS = {
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
    "app_label": "auth",
    "url": "zs-nowhere/",
}
#: Static files are public and hold no personal data; the parameter is tried with a way out of them.
STATIC = "^static/(?P<path>.+)$"
#: Pages without an area: sign-in and sign-out (tested in test_security), and the public
#: self-report pages, whose village pick-list is the whole region's (tested in test_procedure_pages).
NOT_SCOPED = {"web:login", "web:logout", "report", "report_done", "report_lookup"}


# ---------------------------------------------------------------- walking the resolver


@dataclass(frozen=True)
class Pattern:
    key: str
    route: str
    parts: tuple[Any, ...]
    params: tuple[str, ...]
    callback: Any

    @property
    def admin(self) -> bool:
        return self.route.startswith("admin/")

    def url(self, kwargs: dict[str, str]) -> str:
        return "/" + "".join(_fill(p, kwargs) for p in self.parts)


ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(\w+)>")


def _fill(pattern: Any, kwargs: dict[str, str]) -> str:
    """One part of a URL: a route's ``<conv:name>`` or a regex's ``(?P<name>...)`` replaced by a value."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return ROUTE_PARAM.sub(lambda m: kwargs[m.group(1)], text)
    assert isinstance(pattern, RegexPattern), type(pattern)
    out, i = [], 0
    while i < len(text):
        m = REGEX_PARAM.match(text, i)
        if m is None:
            if text[i] not in "^$\\":
                out.append(text[i])
            i += 1
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        out.append(kwargs[m.group(1)])
        i = j
    return "".join(out)


def _patterns() -> list[Pattern]:
    out: list[Pattern] = []

    def walk(patterns: list[Any], parts: tuple[Any, ...], ns: tuple[str, ...]) -> None:
        for p in patterns:
            here = (*parts, p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, here, (*ns, p.namespace) if p.namespace else ns)
            elif isinstance(p, URLPattern):
                route = "".join(str(x) for x in here)
                key = ":".join((*ns, p.name)) if p.name else route
                params: list[str] = []
                for x in here:
                    params += (ROUTE_PARAM if isinstance(x, RoutePattern) else REGEX_PARAM).findall(str(x))
                out.append(Pattern(key, route, here, tuple(params), p.callback))

    walk(get_resolver().url_patterns, (), ())
    return out


def _object_patterns() -> list[Pattern]:
    return [p for p in _patterns() if p.params and not p.admin and p.key != STATIC]


def _pages() -> list[Pattern]:
    """Project pages without parameters (the admin has its own test)."""
    return [p for p in _patterns() if not p.params and not p.admin and p.key not in NOT_SCOPED]


# ---------------------------------------------------------------- requests and what they show


FORM = {
    "note": "已核实",
    "reason": "测试",
    "evidence": "测试",
    "monitoring_type": "边缘易致贫户",
    "visited_on": "2025-01-01",
    "findings": "测试",
    "year": "2025",
    "item": "1",
    "to": "agreed",
    "on": "2025-01-01",
    "content": "county: '640402'\nname: x\nparams: {}\nlocal_measures: []\n",
}
API_BODY = {"action": "dismiss", "reason": "测试"}


def _send(c: Any, method: str, url: str, data: dict[str, str] | None = None) -> HttpResponseBase:
    if method == "get":
        return c.get(url, data or {})
    if url.startswith("/api/"):
        return c.post(url, {**API_BODY, **(data or {})}, content_type="application/json")
    return c.post(url, {**FORM, **(data or {})})


def _text(r: HttpResponseBase) -> str:
    """Everything a response shows: the page, JSON with its Chinese unescaped, every file of a
    workbook, Word report or zip of CSV files."""
    body = b"".join(r.streaming_content) if r.streaming else r.content  # type: ignore[attr-defined]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    text = body.decode("utf-8", "replace")
    if r.headers.get("Content-Type", "").startswith("application/json"):
        text += json.dumps(json.loads(body), ensure_ascii=False)
    return text


def _markers(world: Any, key: str) -> list[str]:
    """Text that only the set's household, its people, its visit or its cadre would put on a page."""
    h = world.households[key]
    out = [h.household_id]
    for m in h.members.all():
        out += [m.name, mask_name(m.name), m.id_number, mask(m.id_number)]
    if key in world.visits:
        out.append(world.visits[key].findings)
    for p in h.pairings.select_related("cadre"):
        if key != "A1":
            out.append(p.cadre.name)
    if key in SET_COUNTY_NAME:
        out += [SET_COUNTY[key], SET_COUNTY_NAME[key]]
    return out


def _leaks(
    world: Any, r: HttpResponseBase, sets: tuple[str, ...], sent: dict[str, str] | None = None
) -> list[str]:
    """Markers of the ``sets`` in the answer; a value the request itself sent (a search form shows it
    back) does not count."""
    text = _text(r)
    echo = [v for v in (sent or {}).values() if v]
    return [
        f"{k}:{m}" for k in sets for m in _markers(world, k) if m in text and not any(m in v for v in echo)
    ]


def _foreign_fields(world: Any, key: str) -> dict[str, str]:
    """Query/form fields pointing at a foreign set: its area, village, household and county."""
    h = world.households[key]
    area = SET_COUNTY.get(key) or h.village_id
    return {
        "area": area,
        "area_code": area,
        "village": h.village_id,
        "q": h.household_id,
        "household_id": h.household_id,
        "county": area,
        "code": area,
        "format": "docx",
        "fmt": "xlsx",
        "with_personal_data": "on",
        "changes": "L02.amount=3000",
    }


#: Form fields for the user's own area ("area" is filled in per user).
OWN_FIELDS = {"fmt": "xlsx", "with_personal_data": "on", "format": "docx", "changes": "L02.amount=3000"}


def _snapshot() -> dict[str, Any]:
    from zengshou.monitor.models import Alert, MonitoringObject
    from zengshou.registry.models import Pairing
    from zengshou.toolbox.models import CountyToolboxVersion
    from zengshou.web.models import ImportJob, VisitLog

    return {
        "alerts": sorted(Alert.objects.values_list("pk", "status")),
        "visits": VisitLog.objects.count(),
        "objects": sorted(MonitoringObject.objects.values_list("pk", "risk_eliminated_on")),
        "jobs": sorted(ImportJob.objects.values_list("pk", "status")),
        "toolboxes": CountyToolboxVersion.objects.count(),
        "pairings": sorted(Pairing.objects.values_list("pk", "ended_on")),
    }


def _login(login: Any, world: Any, role: str) -> Any:
    from zengshou.web.models import ImportJob

    reach = REACH[role]
    c = login(reach.username)
    c.raise_request_exception = False
    world.jobs["own"] = ImportJob.objects.create(
        kind="interchange",
        original_name="own.xlsx",
        path="/nonexistent/own.xlsx",
        status=ImportJob.Status.INVALID,
        created_by=reach.username,
    )
    return c


def _area_of(username: str) -> str:
    from zengshou.web.models import UserProfile

    return str(UserProfile.objects.get(user__username=username).area_id)


# ---------------------------------------------------------------- the table itself


def test_every_role_has_a_reach():
    assert set(REACH) == set(Role.values), "add the new role to REACH: which sets it may and may not open"


def test_every_pattern_with_parameters_is_in_the_table(wide):
    """A new page with an object in its URL fails here until OBJECT_URLS says how to build it."""
    patterns = _patterns()
    uncovered = []
    for p in patterns:
        if not p.params:
            continue
        if p.admin:
            if not set(p.params) <= set(ADMIN_PARAMS):
                uncovered.append(f"{p.key} {p.params} (add the parameter to ADMIN_PARAMS)")
        elif p.key != STATIC and p.key not in OBJECT_URLS:
            uncovered.append(f"{p.key} {p.params}")
    assert not uncovered, f"URL patterns with parameters not covered by OBJECT_URLS: {uncovered}"
    keys = {p.key for p in patterns}
    assert not set(OBJECT_URLS) - keys, (
        f"OBJECT_URLS names patterns that no longer exist: {set(OBJECT_URLS) - keys}"
    )
    # Each entry builds its pattern's URL for county B's object, and the URL resolves to that view.
    for p in _object_patterns():
        entry = OBJECT_URLS[p.key]
        for kwargs in (entry.build(Ctx(wide, "B1", "640402", own=False)), entry.missing):
            assert kwargs is not None and set(kwargs) == set(p.params), (p.key, kwargs)
            assert resolve(p.url(kwargs)).func == p.callback, (p.key, p.url(kwargs))
    for p in patterns:
        if p.admin and p.params:
            assert resolve(p.url(ADMIN_PARAMS)).func == p.callback, p.key
    # The walk reaches every part of the project.
    for prefix in ("web:", "api:", "toolbox:", "assess:", "pairing:", "admin:"):
        assert any(k.startswith(prefix) for k in keys), prefix


# ---------------------------------------------------------------- (a)(c)(d) objects of other areas


@pytest.mark.parametrize("role", list(REACH))
def test_objects_outside_the_scope_are_not_found_on_every_pattern(wide, login, role):
    """For every pattern with an object, GET and POST: a foreign object answers exactly as an object
    that does not exist: 404 (403 where the role may not use the page at all, 405 for a method the
    page does not take); an object of the user's own household set is never "not found"."""
    reach = REACH[role]
    c = _login(login, wide, role)
    area = _area_of(reach.username)
    before = _snapshot()
    failures: list[str] = []
    for p in _object_patterns():
        entry = OBJECT_URLS[p.key]
        nowhere = p.url(entry.missing)
        missing = {m: _send(c, m, nowhere).status_code for m in ("get", "post")}
        if reach.own is not None:
            kwargs = entry.build(Ctx(wide, reach.own, area, own=True))
            assert kwargs is not None, p.key
            own_get = c.get(p.url(kwargs)).status_code
            if own_get == 404 or own_get >= 500:
                failures.append(f"{p.key}: own object {p.url(kwargs)} GET → {own_get}")
        if role in entry.sees_all:
            continue
        for key in reach.foreign:
            kwargs = entry.build(Ctx(wide, key, area, own=False))
            if kwargs is None:  # no object of this kind belongs to the set (e.g. a county of A2)
                continue
            url = p.url(kwargs)
            for method in ("get", "post"):
                r = _send(c, method, url)
                got = r.status_code
                where = f"{p.key} {method.upper()} {url} (set {key})"
                if got != missing[method]:
                    failures.append(f"{where}: {got}, but {missing[method]} for an ID that does not exist")
                if got == 405:
                    continue
                if role == Role.DEPARTMENT:
                    if got not in (403, 404):
                        failures.append(f"{where}: {got}, expected 403/404")
                elif role == Role.CADRE and entry.household:
                    if got != 404:
                        failures.append(f"{where}: {got}, a household not paired with him is 404")
                elif got == 403:
                    # Only a refusal of the role itself (the user's own object is refused as well).
                    own_url = p.url(entry.build(Ctx(wide, reach.own or "A1", area, own=True)) or {})
                    if _send(c, method, own_url).status_code != 403:
                        failures.append(f"{where}: 403 for the foreign object only, expected 404")
                elif got != 404:
                    failures.append(f"{where}: {got}, expected 404")
                leaked = _leaks(wide, r, (key,))
                if leaked:
                    failures.append(f"{where}: shows {leaked}")
    assert not failures, f"{reach.username} ({Role(role).label}):\n" + "\n".join(failures)
    assert _snapshot() == before, "a request on a foreign object changed data"


# ---------------------------------------------------------------- (b)(d) lists and queries


@pytest.mark.parametrize("role", list(REACH))
def test_pages_never_show_another_areas_data(wide, login, role):
    """Every page without parameters, by GET plain and with query fields, and by POST with form fields
    pointing at each foreign set (area, village, household, county): never a 5xx, never a foreign
    household, person, visit or cadre in the answer (page, JSON, export file or report)."""
    reach = REACH[role]
    c = _login(login, wide, role)
    before = _snapshot()
    failures: list[str] = []
    own = {**OWN_FIELDS, "area": _area_of(reach.username)}
    for p in _pages():
        url = p.url({})
        # Plain, then with the form's fields for the user's own area (the page does its work: a
        # proposal, a what-if, an export), then with fields pointing at each foreign set.
        tries = [("get", "", None), ("post", "own area", own)]
        tries += [
            (m, f"{k}'s area/household", _foreign_fields(wide, k))
            for k in reach.foreign
            for m in ("get", "post")
        ]
        for method, what, fields in tries:
            if p.key == "web:audit":  # the trail would show back the codes this test's refused tries sent
                AuditEvent.objects.filter(action__in=REFUSAL_ACTIONS).delete()
            r = _send(c, method, url, fields)
            where = f"{p.key} {method.upper()} {url} {what}".strip()
            if r.status_code >= 500:
                failures.append(f"{where}: {r.status_code}")
            if leaked := _leaks(wide, r, reach.foreign, fields if fields is not own else None):
                failures.append(f"{where}: shows {leaked}")
    assert not failures, f"{reach.username} ({Role(role).label}):\n" + "\n".join(failures)
    after = _snapshot()
    assert after["alerts"] == before["alerts"] and after["objects"] == before["objects"]


@pytest.mark.parametrize("role", [r for r in REACH if r != Role.DEPARTMENT])
def test_foreign_area_parameter_is_refused(wide, login, role):
    """``?area=`` (dashboard) and the API's area statistics outside the scope: 404, never figures."""
    reach = REACH[role]
    c = login(reach.username)
    for key in reach.foreign:
        h = wide.households[key]
        for code in {SET_COUNTY.get(key) or h.village_id, h.village_id}:
            for url in (f"/?area={code}", f"/dashboard/?area={code}", f"/api/areas/{code}/stats"):
                assert c.get(url).status_code == 404, (reach.username, url)


@pytest.mark.parametrize("role", [r for r in REACH if r != Role.DEPARTMENT])
def test_lists_hold_only_the_users_households(wide, login, role):
    """The household and alert lists, pages and API, against the exact households in scope."""
    reach = REACH[role]
    c = login(reach.username)
    inside = {
        Role.REGION_ADMIN: {"A1", "A2", "A3", "B1"},
        Role.CITY: {"A1", "A2", "A3"},
        Role.COUNTY: {"A1", "A2", "A3"},
        Role.TOWNSHIP: {"A1", "A2", "A3"},
        Role.VILLAGE: {"A1", "A3"},
        Role.CADRE: {"A1"},
    }[role]
    ids = {wide.households[k].household_id for k in inside}
    listed = c.get("/api/households", {"page_size": 200}).json()
    assert {h["household_id"] for h in listed["items"]} == ids
    alerts = c.get("/api/alerts", {"status": "", "page_size": 200}).json()
    assert {a["household_id"] for a in alerts["items"]} == {
        wide.households[k].household_id for k in inside if k in wide.alerts
    }
    html = c.get("/households/").content.decode()
    assert all(i in html for i in ids)
    for key in reach.foreign:
        fields = _foreign_fields(wide, key)
        # (A3 shares A1's village: the cadre's village filter still finds his A1, never A3.)
        by_village = c.get("/api/households", {"village": fields["village"]}).json()["items"]
        assert {h["household_id"] for h in by_village} <= ids
        assert c.get("/api/households", {"q": fields["q"]}).json()["count"] == 0


@pytest.mark.parametrize(
    "role", sorted({Role.REGION_ADMIN, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE})
)
def test_exports_of_the_own_area_hold_no_foreign_household(wide, login, role):
    """An export of the user's own area (with personal data where the role may) contains its own
    households and none of another area; an export of a foreign area is refused."""
    from zengshou.web import roles

    reach = REACH[role]
    c = login(reach.username)
    area = _area_of(reach.username)
    personal = role in roles.PERSONAL_EXPORT_ROLES
    for fmt in ("xlsx", "csv"):
        data = {"area": area, "fmt": fmt, **({"with_personal_data": "on"} if personal else {})}
        r = c.post("/exports/", data)
        assert r.status_code == 200, r.status_code
        text = _text(r)
        assert wide.households["A1"].household_id in text  # the check reads the file's content
        assert not _leaks(wide, r, reach.foreign)
    for key in reach.foreign:
        r = c.post("/exports/", {"area": _foreign_fields(wide, key)["area"], "fmt": "xlsx"})
        assert r.status_code == 404


def test_paired_cadre_sees_only_his_households(wide, login):
    c = login("cadre")
    a1, a3 = wide.households["A1"].household_id, wide.households["A3"].household_id
    assert c.get(f"/households/{a1}/").status_code == 200
    assert c.get(f"/toolbox/household/{a1}/").status_code == 200
    for url in (
        f"/households/{a3}/",
        f"/households/{a3}/visits/new/",
        f"/toolbox/household/{a3}/",
        f"/api/households/{a3}",
        f"/alerts/{wide.alerts['A3'].pk}/",
        f"/visits/{wide.visits['A3'].pk}/photo/",
    ):
        assert c.get(url).status_code == 404, url
    mine = c.get("/pairing/mine/").content.decode()
    assert a1 in mine and a3 not in mine


def test_department_user_sees_no_household_anywhere(wide, login):
    c = login("department")
    assert c.get("/").status_code == 302  # sent to 导入导出
    for url in (
        "/households/",
        f"/households/{wide.households['A1'].household_id}/",
        f"/toolbox/household/{wide.households['A1'].household_id}/",
        "/api/households",
        f"/api/households/{wide.households['A1'].household_id}",
        "/alerts/",
        "/api/alerts",
        "/monitoring/",
        "/dashboard/",
    ):
        assert c.get(url).status_code == 403, url
    assert c.get("/imports/").status_code == 200


def test_admin_is_closed_to_every_role(wide, login):
    """No role user is staff: every admin URL (any parameters) sends him to sign in, GET and POST."""
    failures = []
    for role, reach in REACH.items():
        c = login(reach.username)
        c.raise_request_exception = False
        for p in _patterns():
            if not p.admin:
                continue
            url = p.url(ADMIN_PARAMS)
            for method in ("get", "post"):
                r = _send(c, method, url)
                # To sign in, or (the admin's sign-out for a non-staff user) to the admin's index.
                ok = r.status_code == 302 and (
                    r["Location"].startswith(("/admin/login/", "/login/")) or r["Location"] == "/admin/"
                )
                if not ok:
                    failures.append(f"{role} {method.upper()} {url}: {r.status_code}")
    assert not failures, failures


def test_static_files_cannot_reach_outside_the_static_folders(wide, client):
    assert client.get("/static/web/vendor/echarts.min.js").status_code == 200
    for path in ("../settings.py", "web/../../settings.py", "..%2Fsettings.py", "nonexistent.js"):
        assert client.get(f"/static/{path}").status_code == 404, path


def test_api_token_is_scoped_like_the_session(wide, client):
    from zengshou.web.accounts import new_token

    key = new_token("county")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/households/{wide.households['A1'].household_id}", **auth).status_code == 200
    assert client.get(f"/api/households/{wide.households['B1'].household_id}", **auth).status_code == 404
    assert client.get("/api/households", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_anonymous_is_sent_to_login_or_refused(wide, client):
    client.raise_request_exception = False
    for p in _pages():
        r = client.get(p.url({}))
        assert r.status_code in (302, 401, 404, 405) or p.key in (
            "api:openapi-json",
            "api:openapi-view",
            "health",
        ), p.key
        if r.status_code == 302:
            assert r["Location"].startswith("/login/"), p.key
    for p in _object_patterns():
        url = p.url(OBJECT_URLS[p.key].build(Ctx(wide, "B1", "640402", own=False)) or {})
        assert client.get(url).status_code in (302, 401, 405), url


# ---------------------------------------------------------------- bad query values


BAD_QUERIES = (
    {"year": "abc", "quarter": "x", "page": "-1"},
    {
        "year": "99999999999999999999",
        "quarter": "99",
        "page": "abc",
        "page_size": "-5",
        "date": "2025-13-45",
        "version": "²",
        "format": "x",
        "state": "x",
        "status": "x",
        "full": "x",
        "area": "abc",
        "tier": "x",
        "alert": "x",
        "item": "99999999999999999999",
        "on": "x",
    },
)


@pytest.mark.parametrize("role", list(REACH))
def test_bad_query_values_never_give_a_server_error(wide, login, role):
    """Every GET page (and each object page on the user's own object) with nonsense in the query, and
    every POST with nonsense in the form: a 4xx or a page that falls back, never a 500."""
    from zengshou.toolbox.models import CountyToolboxVersion
    from zengshou.web.toolbox_views import STARTER

    # A saved version, so that ?version= is read against one.
    CountyToolboxVersion.objects.create(
        county_code="640522", version=1, content=STARTER.format(code="640522", name="海原县"), created_by="x"
    )
    reach = REACH[role]
    c = _login(login, wide, role)
    area = _area_of(reach.username)
    urls = [p.url({}) for p in _pages()]
    for p in _object_patterns():
        kwargs = OBJECT_URLS[p.key].build(Ctx(wide, reach.own or "A1", area, own=True))
        urls.append(p.url(kwargs or {}))
    failures = []
    for url in urls:
        for bad in BAD_QUERIES:
            if (code := c.get(url, bad).status_code) >= 500:
                failures.append(f"GET {url}?{bad}: {code}")
            if not url.startswith("/api/") and (code := c.post(url, bad).status_code) >= 500:
                failures.append(f"POST {url} {bad}: {code}")
    assert not failures, f"{reach.username}:\n" + "\n".join(failures)


def test_a_year_that_is_no_year_falls_back(wide, login):
    """The household's toolbox page with ?year=abc shows the default year instead of failing; the API
    says what to send."""
    c = login("county")
    hid = wide.households["A1"].household_id
    default = dt.date.today().year - 1
    for bad in ("abc", "-1", "99999999999999999999", "²"):
        r = c.get(f"/toolbox/household/{hid}/", {"year": bad})
        assert r.status_code == 200 and r.context["year"] == default, bad
    assert c.get("/assess/", {"year": "abc"}).context["year"] == c.get("/assess/").context["year"]
    r = c.get("/api/areas/640522/stats", {"year": "99999999999999999999"})
    assert r.status_code == 400 and "year" in r.json()["detail"]
