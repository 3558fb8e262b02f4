"""The OpenAPI document describes every API route the app registers, with its methods."""

from __future__ import annotations

import re

import requests

from tests.admin.conftest import TIMEOUT


def openapi_path(rule: str) -> str:
    """'/api/v1/segments/<int:segment_id>' -> '/segments/{segment_id}'."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_described(app, live_server):
    answer = requests.get(f"{live_server}/api/v1/openapi.json", timeout=TIMEOUT)
    assert answer.status_code == 200  # public: it holds no shop's data
    document = answer.json()
    assert document["openapi"].startswith("3.")
    described = document["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in described.get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, f"describe these in plugin_app/api/openapi_spec.py: {missing}"


def test_described_parameters_and_bodies_come_from_the_schemas(app):
    from plugin_app.api.openapi_spec import document

    spec = document()
    create = spec["paths"]["/segments"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name", "query"]
    assert body["properties"]["query"]["maxLength"] == 10_000
    members = spec["paths"]["/segments/{segment_id}/members"]["get"]
    names = {parameter["name"] for parameter in members["parameters"]}
    assert {"segment_id", "page", "per_page", "q", "format"} <= names
    for path, operations in spec["paths"].items():
        for found in re.findall(r"{(\w+)}", path):
            for operation in operations.values():
                declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert found in declared, f"{path}: path parameter {found} not declared"
