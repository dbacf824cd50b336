"""The OpenAPI schema is the API's contract: complete, valid, with examples, served locally.

The schema is generated in-process (the same generator as ``manage.py spectacular``) and every
operation is checked: a summary and an app tag, a request example for each request body, a 2xx
example for each response with a body, every error response in the one ErrorResponse shape, and
every example valid against the schema it illustrates.
"""

import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from valuetok.schema import APPS, ERROR_COMPONENT

ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def refers_to_error(media_schema: dict) -> bool:
    if media_schema.get("$ref") == ERROR_REF:
        return True
    return any(part.get("$ref") == ERROR_REF for part in media_schema.get("allOf", []))


# --- JSON Schema from OpenAPI 3.0 (nullable) for validating the examples ------------------------------


def _json_schema(node):
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    if out.get("format") == "binary":
        out.pop("format")
    return out


def example_errors(schema: dict, media_schema: dict, value) -> list[str]:
    root = {**_json_schema(copy.deepcopy(media_schema)), "components": _json_schema(schema["components"])}
    validator = jsonschema.Draft7Validator(root)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


# --- The schema itself ----------------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_every_operation_has_a_summary_and_its_apps_tag(schema):
    problems = [
        name
        for name, op in operations(schema)
        if not op.get("summary") or not op.get("tags") or not set(op["tags"]) <= set(APPS)
    ]
    assert problems == []
    assert {tag["name"] for tag in schema["tags"]} == set(APPS)


def test_every_request_body_has_an_example(schema):
    missing = [
        f"{name} ({media})"
        for name, op in operations(schema)
        for media, content in op.get("requestBody", {}).get("content", {}).items()
        if not content.get("examples")
    ]
    assert missing == []


def test_every_2xx_response_with_a_body_has_an_example(schema):
    missing = [
        f"{name} {code} ({media})"
        for name, op in operations(schema)
        for code, response in op["responses"].items()
        if code.startswith("2")
        for media, content in response.get("content", {}).items()
        if not content.get("examples")
    ]
    assert missing == []


def test_every_error_response_is_the_one_error_component(schema):
    wrong = [
        f"{name} {code}"
        for name, op in operations(schema)
        for code, response in op["responses"].items()
        if code[0] in "45"
        for content in (response.get("content") or {None: {}}).values()
        if not refers_to_error(content.get("schema", {}))
    ]
    assert wrong == []
    error = schema["components"]["schemas"][ERROR_COMPONENT]
    assert set(error["required"]) == {"code", "detail"}
    assert set(error["properties"]) == {"code", "detail", "errors"}


def test_operations_document_the_errors_they_can_give(schema):
    problems = []
    for name, op in operations(schema):
        codes = set(op["responses"])
        if op.get("security") != [{}] and not {"401", "403"} <= codes:
            problems.append(f"{name}: 401/403")
        if "requestBody" in op and "400" not in codes:
            problems.append(f"{name}: 400")
        if "{" in name and "404" not in codes:
            problems.append(f"{name}: 404")
        if "429" not in codes:
            problems.append(f"{name}: 429")
        elif "Retry-After" not in op["responses"]["429"].get("headers", {}):
            problems.append(f"{name}: 429 without Retry-After")
    assert problems == []


def test_no_body_is_a_bare_object(schema):
    bare = []

    def visit(node, where: str) -> None:
        if isinstance(node, dict):
            keys = set(node) - {"description", "readOnly", "writeOnly", "nullable", "title"}
            if node.get("type") == "object" and keys == {"type"}:
                bare.append(where)
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{where}/{index}")

    visit(schema["paths"], "paths")
    visit(schema["components"]["schemas"], "components")
    assert bare == []


def test_every_example_matches_its_schema(schema):
    wrong = []
    for name, op in operations(schema):
        bodies = [("request", op.get("requestBody", {}).get("content", {}))]
        bodies += [(code, response.get("content", {})) for code, response in op["responses"].items()]
        for where, contents in bodies:
            for media, content in contents.items():
                for example_name, example in (content.get("examples") or {}).items():
                    for error in example_errors(schema, content["schema"], example["value"]):
                        wrong.append(f"{name} {where} {media} {example_name}: {error}")
    assert wrong == []


def test_list_endpoints_are_paginated_with_a_capped_page_size(schema):
    lists = [
        (name, op)
        for name, op in operations(schema)
        if name.startswith("GET")
        and op["responses"]["200"]["content"]["application/json"]["schema"]
        .get("$ref", "")
        .startswith("#/components/schemas/Paginated")
    ]
    assert {name for name, _ in lists} >= {
        "GET /api/v1/creators/",
        "GET /api/v1/videos/",
        "GET /api/v1/videos/mine/",
        "GET /api/v1/kyc/submissions/",
        "GET /api/v1/payouts/withdrawals/",
        "GET /api/v1/trends/",
    }
    for name, op in lists:
        params = {p["name"] for p in op["parameters"]}
        assert {"page", "page_size", "ordering"} <= params, name


@pytest.mark.parametrize(
    ("operation", "filters"),
    [
        ("GET /api/v1/creators/", {"handle", "country", "created_after", "created_before", "min_followers"}),
        ("GET /api/v1/videos/", {"creator", "hashtag", "created_after", "created_before"}),
        ("GET /api/v1/videos/mine/", {"status", "hashtag", "created_after"}),
        ("GET /api/v1/kyc/submissions/", {"status", "submitted_after", "submitted_before"}),
        ("GET /api/v1/payouts/withdrawals/", {"status", "created_after", "created_before", "min_amount_cents"}),
        ("GET /api/v1/trends/", {"status", "hashtag", "mine", "submitted_after", "submitted_before"}),
    ],
)
def test_list_filters_are_documented(schema, operation, filters):
    op = dict(operations(schema))[operation]
    assert filters <= {p["name"] for p in op["parameters"]}


def test_the_token_scheme_is_a_bearer_scheme(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())


# --- Served locally --------------------------------------------------------------------------------------


def test_the_schema_is_served_at_api_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    body = response.json()
    assert body["info"]["title"] == "ValueTok API"
    assert "/api/v1/checkContent" in body["paths"]


def test_swagger_ui_is_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, "the page loads Swagger UI's script and style"
    external = [url for url in urls if re.match(r"^(https?:)?//", url)]
    assert external == []
    assert "cdn" not in html.lower()
    static = [url for url in urls if url.startswith("/static/")]
    assert any(url.endswith("swagger-ui-bundle.js") for url in static)
    for url in static:
        assert finders.find(url.removeprefix("/static/")), f"{url} is not among our static files"
    # The page points Swagger UI at our schema.
    assert "/api/schema/" in html
