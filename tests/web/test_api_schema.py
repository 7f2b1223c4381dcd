"""The API's OpenAPI schema tells the truth: each operation lists the refusals it really gives, and a
bounded schemathesis run (generated valid and invalid calls, in process) finds no server error.

The generated calls sign in with a county user's token, and half of them aim at records that exist
(in the county and in the neighbouring one), so the run reaches the workflow and the statistics,
not only the 404 of a random id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from zengshou.web.accounts import new_token
from zengshou.web.api import api

#: Examples per operation and generation mode: about 350 calls in all, a few seconds.
EXAMPLES = 25


def _schema() -> Any:
    """The schema as the app serves it, calls going to the app in process (WSGI, the test database)."""
    from django.core.wsgi import get_wsgi_application

    config = SchemathesisConfig.from_path(Path(__file__).parents[2] / "schemathesis.toml")
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"), config=config)
    loaded.app = get_wsgi_application()
    return loaded


SCHEMA = _schema()
OPERATIONS = [r.ok() for r in SCHEMA.get_all_operations()]


def _known(world: Any) -> dict[str, list[Any]]:
    """Path values of records that exist: the county's own and county B's (which must answer 404)."""
    return {
        "household_id": [world.households[k].household_id for k in ("A1", "A2", "B1")],
        "alert_id": [world.alerts[k].pk for k in ("A1", "A3", "B1")],
        "area_code": ["640522", "640522100", "640522100201", "640402", "640000"],
    }


def _run(operation: Any, mode: GenerationMode, token: str, known: dict[str, list[Any]]) -> set[int]:
    """Statuses of EXAMPLES generated calls; schemathesis' checks (no 5xx, status and body as
    documented, invalid data refused, no answer without a token) fail the test on the first miss."""
    seen: set[int] = set()

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same calls on every run: a failure in CI is one a developer can repeat
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any, data: Any) -> None:
        aimed = bool(case.path_parameters) and data.draw(st.booleans(), label="aim at a record that exists")
        if aimed:
            case.path_parameters = {
                k: data.draw(st.sampled_from(known[k]), label=k) if k in known else v
                for k, v in case.path_parameters.items()
            }
        # The token replaces a generated Authorization header, and an aimed call a generated path: a
        # call whose only invalid parts were replaced is valid and may succeed.
        replaced = {ParameterLocation.HEADER} | ({ParameterLocation.PATH} if aimed else set())
        invalid = {
            loc
            for loc, info in (case.meta.components.items() if case.meta else ())
            if info.mode == GenerationMode.NEGATIVE
        }
        skip = [negative_data_rejection] if invalid and invalid <= replaced else []
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=skip)
        seen.add(response.status_code)

    run()
    return seen


@pytest.fixture
def keep_test_connection() -> Any:
    """The WSGI app closes the database connection after each request, which ends the test's transaction
    on PostgreSQL; Django's test client suspends that the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _good_calls(world: Any) -> dict[str, dict[str, Any]]:
    """One call per operation that must succeed, checked like the generated ones."""
    hid = world.households["A1"].household_id
    alert = world.alerts["A1"].pk
    return {
        "GET /api/me": {},
        "GET /api/households": {"query": {"q": "马", "year": 2025}},
        "GET /api/households/{household_id}": {
            "path_parameters": {"household_id": hid},
            "query": {"full": "true"},
        },
        "GET /api/alerts": {"query": {"status": "open", "page_size": 2}},
        "GET /api/alerts/{alert_id}": {"path_parameters": {"alert_id": alert}},
        "POST /api/alerts/{alert_id}/transition": {
            "path_parameters": {"alert_id": alert},
            "body": {"action": "verify", "note": "已入户核实，务工收入减少属实"},
            "media_type": "application/json",
        },
        "GET /api/areas/{area_code}/stats": {
            "path_parameters": {"area_code": "640522"},
            "query": {"year": 2025},
        },
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.label)
def test_generated_calls_get_no_server_error_and_answer_as_documented(
    world, keep_test_connection, operation
) -> None:
    token = new_token("county", "schemathesis")
    auth = {"Authorization": f"Bearer {token}"}
    good = operation.Case(**_good_calls(world)[operation.label]).call_and_validate(headers=auth)
    assert good.status_code == 200, good.text
    known = _known(world)
    valid = _run(operation, GenerationMode.POSITIVE, token, known)
    invalid = _run(operation, GenerationMode.NEGATIVE, token, known)
    assert all(s < 500 for s in valid | invalid), (valid, invalid)
    assert valid - {401, 403}, valid  # the generated calls were signed in
    takes_input = operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody")
    if takes_input:
        assert invalid - {200}, invalid  # invalid calls were refused


def test_each_operation_documents_the_refusals_it_gives() -> None:
    """400, 401, 403 and 422 everywhere; 404 where the path names one record."""
    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    for path, methods in paths.items():
        for method, op in methods.items():
            documented = {int(k) for k in op["responses"]}
            expected = {200, 400, 401, 403, 422} | ({404} if "{" in path else set())
            assert expected <= documented, f"{method.upper()} {path}: {sorted(documented)}"
            body = op["responses"][422]["content"]["application/json"]["schema"]["$ref"]
            assert body.endswith("/InputErrorOut"), body


def test_a_documented_refusal_has_the_body_the_schema_gives(world, login) -> None:
    c = login("county")
    components = api.get_openapi_schema(path_prefix="/api/")["components"]["schemas"]
    for url, status, name in (
        ("/api/households?year=1800", 400, "ErrorOut"),
        ("/api/alerts/999999", 404, "ErrorOut"),
        ("/api/households?page=abc", 422, "InputErrorOut"),
    ):
        r = c.get(url)
        assert r.status_code == status, url
        assert set(r.json()) == set(components[name]["properties"]), url
    assert set(components["InputError"]["properties"]) == set(
        c.get("/api/households?page=abc").json()["errors"][0]
    )
