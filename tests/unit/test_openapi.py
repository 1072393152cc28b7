"""The API's contract and its HTTP manners: the OpenAPI 3.1 document validates, names every
/api/ route of the app (with a description) and nothing else, and real answers fit its schemas;
unknown paths and methods under /api/ are JSON; public answers are cacheable with an ETag (304
on a repeat), everything else is `no-store`."""
from __future__ import annotations

import re

import pytest

OPENAPI = "/api/v1/openapi.json"
PUBLIC_KPI = "/api/v1/public/kpi?city=thanh-hoa&year=2022"
KPI = "/api/v1/kpi?city=thanh-hoa&year=2022"
HIDDEN_METHODS = {"HEAD", "OPTIONS"}


def _document() -> dict:
    from api_openapi import document

    return document()


def _api_rules() -> dict[tuple[str, str], set[str]]:
    """(OpenAPI path, method) → path parameter names, for every /api/ route the app serves."""
    from app import server

    found = {}
    for rule in server.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - HIDDEN_METHODS:
            found[(path, method.lower())] = set(rule.arguments)
    return found


def contract_problems(document: dict, rules: dict[tuple[str, str], set[str]]) -> list[str]:
    """What is wrong between the document and the routes: a route missing from the document or
    without a description, a documented path the app does not serve, path parameters that differ,
    a parameter without a description."""
    problems = []
    documented = {(path, method): operation for path, item in document["paths"].items()
                  for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")}
    components = document.get("components", {}).get("parameters", {})
    for key, arguments in rules.items():
        operation = documented.get(key)
        if operation is None:
            problems.append(f"{key} is not in the document")
            continue
        if not str(operation.get("description", "")).strip():
            problems.append(f"{key} has no description")
        parameters = [components[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                      for p in operation.get("parameters", [])]
        if {p["name"] for p in parameters if p["in"] == "path"} != arguments:
            problems.append(f"{key}: path parameters differ from the route's {sorted(arguments)}")
        problems += [f"{key}: parameter {p['name']} has no description"
                     for p in parameters if not str(p.get("description", "")).strip()]
    problems += [f"{key} is documented but the app has no such route" for key in documented if key not in rules]
    return problems


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    document = _document()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_documented_with_a_description_and_nothing_else(demo_db):
    rules = _api_rules()
    assert {path for path, _method in rules} >= {"/api/v1/kpi", "/api/v1/public/kpi", "/api/v1/indicators",
                                                 "/api/v1/map/{city}/{layer}", OPENAPI}
    assert contract_problems(_document(), rules) == []


@pytest.mark.parametrize("damage, says", [
    (lambda doc: doc["paths"]["/api/v1/indicators"]["get"].pop("description"), "has no description"),
    (lambda doc: doc["paths"].pop("/api/v1/kpi"), "is not in the document"),
    (lambda doc: doc["paths"].__setitem__("/api/v1/nowhere", {"get": {"description": "x", "responses": {}}}),
     "no such route"),
    (lambda doc: doc["paths"]["/api/v1/map/{city}/{layer}"]["get"]["parameters"].pop(), "path parameters differ"),
])
def test_the_contract_check_catches_a_route_and_document_that_disagree(demo_db, damage, says):
    document = _document()
    damage(document)
    problems = contract_problems(document, _api_rules())
    assert any(says in problem for problem in problems), problems


def test_the_document_names_both_ways_in_and_the_error_body():
    document = _document()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["sessionCookie"]["name"] == "ioc_session"
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "status"]
    assert error["properties"] == {"error": {**error["properties"]["error"], "type": "string"},
                                   "status": {**error["properties"]["status"], "type": "integer"}}
    assert document["paths"]["/api/v1/kpi"]["get"]["security"] == [{"bearerToken": ["kpi:read"]},
                                                                   {"sessionCookie": []}]
    assert document["paths"]["/api/v1/public/kpi"]["get"]["security"] == []


def _validate(document: dict, instance, schema: dict) -> None:
    """Validate `instance` against `schema`, whose $refs point into the document's components."""
    from jsonschema import Draft202012Validator

    Draft202012Validator({**schema, "components": document["components"]}).validate(instance)


def test_the_document_is_served_to_anyone_and_real_answers_fit_it(client_as):
    anonymous, staff = client_as(None), client_as("staff")
    response = anonymous.get(OPENAPI)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    document = response.get_json()
    assert document == _document()
    _validate(document, staff.get(KPI).get_json(), {"$ref": "#/components/schemas/KpiAnswer"})
    _validate(document, anonymous.get(PUBLIC_KPI).get_json(), {"$ref": "#/components/schemas/PublicKpiAnswer"})
    _validate(document, staff.get("/api/v1/indicators").get_json(),
              {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}})
    for bad in (anonymous.get(KPI), staff.get("/api/v1/kpi?city=nowhere&year=2022"), staff.get("/api/v1/nope")):
        _validate(document, bad.get_json(), {"$ref": "#/components/schemas/Error"})


def test_a_wrong_answer_does_not_fit_the_schema():
    from jsonschema import ValidationError

    with pytest.raises(ValidationError):
        _validate(_document(), {"error": "x"}, {"$ref": "#/components/schemas/Error"})


@pytest.mark.parametrize("role", [None, "staff"], ids=["anonymous", "staff"])
@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/v1/nope", 404),
    ("GET", "/api/nothing/here", 404),
    ("GET", "/api/", 404),
    ("POST", "/api/v1/kpi", 405),
    ("DELETE", "/api/v1/public/kpi", 405),
    ("PUT", OPENAPI, 405),
])
def test_unknown_paths_and_methods_under_api_are_json(client_as, role, method, path, status):
    response = client_as(role).open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": response.get_json()["error"], "status": status}
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_public_answers_are_cacheable_and_revalidated(client_as, monkeypatch):
    anonymous = client_as(None)
    first = anonymous.get(PUBLIC_KPI)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = anonymous.get(PUBLIC_KPI, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert anonymous.get(PUBLIC_KPI, headers={"If-None-Match": '"something-else"'}).status_code == 200
    other = anonymous.get("/api/v1/public/kpi?city=thanh-hoa&year=2023")
    assert other.status_code == 200 and other.headers["ETag"] != etag
    monkeypatch.setenv("API_PUBLIC_MAX_AGE_S", "60")
    assert anonymous.get(PUBLIC_KPI).headers["Cache-Control"] == "public, max-age=60"


def test_the_catalog_is_revalidated_but_kept_private(client_as):
    staff = client_as("staff")
    first = staff.get("/api/v1/indicators")
    assert first.headers["Cache-Control"].startswith("private, max-age=")
    assert staff.get("/api/v1/indicators", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path, cache_control", [
    (KPI, "no-store"),
    ("/api/v1/kpi?city=nowhere&year=2022", "no-store"),
    ("/api/v1/public/kpi?city=thanh-hoa&period=2022-Q3", "no-store"),  # an error is not kept
    (OPENAPI, "no-store"),
    ("/api/v1/map/thanh-hoa/security", "private, no-cache"),  # the map layer keeps its own revalidation
])
def test_everything_else_under_api_is_not_stored(client_as, path, cache_control):
    response = client_as("staff").get(path)
    assert response.headers["Cache-Control"] == cache_control
    assert ("ETag" in response.headers) == path.startswith("/api/v1/map/")
