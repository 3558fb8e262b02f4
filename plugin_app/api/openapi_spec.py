"""The API's OpenAPI 3.0 document, written by hand from the routes and built from the same
marshmallow schemas the routes validate with (so a field added to a schema shows here).

tests/admin/test_openapi.py checks that every `/api/v1/` route the app registers is
described, with each of its methods; a route added without its description fails there.
"""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields, validate

from plugin_app.api import schemas as api_schemas

try:  # Campaigns come with the storefront (sync/campaigns).
    from sync.campaigns.schema import CampaignDocument
except ImportError:  # pragma: no cover
    CampaignDocument = None


# ---- marshmallow -> JSON Schema (the subset our schemas use) ---------------------------


def field_schema(field: fields.Field) -> dict:
    if isinstance(field, fields.Nested):
        nested = field.nested() if callable(field.nested) else field.nested
        if isinstance(nested, type):
            nested = nested()
        out = schema_object(nested)
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.Dict):
        out = {"type": "object", "additionalProperties": True}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.Number):
        out = {"type": "number"}
    elif isinstance(field, fields.DateTime):
        out = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.Date):
        out = {"type": "string", "format": "date"}
    else:
        out = {"type": "string"}
    for rule in field.validators:
        if isinstance(rule, validate.Length):
            low, high = (
                ("minItems", "maxItems") if out["type"] == "array" else ("minLength", "maxLength")
            )
            if rule.min is not None:
                out[low] = rule.min
            if rule.max is not None:
                out[high] = rule.max
        elif isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum"] = rule.min
            if rule.max is not None:
                out["maximum"] = rule.max
        elif isinstance(rule, validate.OneOf):
            out["enum"] = list(rule.choices)
        elif isinstance(rule, validate.Regexp):
            out["pattern"] = rule.regex.pattern
    if field.allow_none:
        out["nullable"] = True
    return out


def schema_object(schema: Schema) -> dict:
    properties = {}
    required = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        properties[key] = field_schema(field)
        if field.required:
            required.append(key)
    out: dict = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


# ---- the document -----------------------------------------------------------------------

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _json(schema: dict | str, description: str = "OK") -> dict:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict | str) -> dict:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, tag: str, responses: dict, body=None, parameters=(), write=False) -> dict:
    answers = {str(code): value for code, value in responses.items()}
    answers.setdefault("401", _json(PROBLEM, "No session and no valid token"))
    if write:
        answers.setdefault("403", _json(PROBLEM, "Session write without the X-CSRF-Token header"))
    operation = {"summary": summary, "tags": [tag], "responses": answers}
    if body is not None:
        operation["requestBody"] = _body(body)
    if parameters:
        operation["parameters"] = list(parameters)
    return operation


def _path_param(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _query_params(schema: Schema) -> list[dict]:
    return [_query(name, field_schema(field)) for name, field in schema.fields.items()]


OBJ = {"type": "object", "additionalProperties": True}
NOT_FOUND = _json(PROBLEM, "Not in this shop (unknown, or another shop's)")
INVALID = _json(PROBLEM, "Invalid input: `fields` says which and why")


def _segments_paths() -> dict:
    segment_id = _path_param("segment_id")
    return {
        "/segments": {
            "get": _op(
                "The shop's segments",
                "segments",
                {
                    200: _json(
                        {
                            "type": "object",
                            "properties": {
                                "segments": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Segment"},
                                }
                            },
                        }
                    )
                },
            ),
            "post": _op(
                "Create a segment (evaluated at once)",
                "segments",
                {
                    201: _json("Segment"),
                    400: INVALID,
                    409: _json(PROBLEM, "Name taken"),
                    422: _json("QueryProblem", "The query has an error at a spot"),
                },
                body=schema_object(api_schemas.SegmentInput()),
                write=True,
            ),
        },
        "/segments/from-template": {
            "post": _op(
                "Create a segment from a template",
                "segments",
                {201: _json("Segment"), 400: INVALID, 409: _json(PROBLEM, "Already there")},
                body=schema_object(api_schemas.TemplateInput()),
                write=True,
            ),
        },
        "/segments/templates": {"get": _op("Ready-made segments", "segments", {200: _json(OBJ)})},
        "/segments/catalog": {
            "get": _op(
                "The attribute catalogue (names, types, operators, values)",
                "segments",
                {200: _json(OBJ)},
            ),
        },
        "/segments/preview": {
            "post": _op(
                "Count and sample for a query, nothing stored",
                "segments",
                {
                    200: _json(
                        {
                            "type": "object",
                            "properties": {
                                "count": {"type": "integer"},
                                "sample": {"type": "array", "items": OBJ},
                            },
                        }
                    ),
                    400: INVALID,
                    422: _json("QueryProblem", "The query has an error at a spot"),
                },
                body=schema_object(api_schemas.PreviewInput()),
                write=True,
            ),
        },
        "/segments/{segment_id}": {
            "get": _op(
                "One segment",
                "segments",
                {200: _json("Segment"), 404: NOT_FOUND},
                parameters=[segment_id],
            ),
            "patch": _op(
                "Rename a segment or change its query",
                "segments",
                {
                    200: _json("Segment"),
                    404: NOT_FOUND,
                    409: _json(PROBLEM, "Name taken"),
                    422: _json("QueryProblem", "The query has an error at a spot"),
                },
                body=schema_object(api_schemas.SegmentChange()),
                parameters=[segment_id],
                write=True,
            ),
            "delete": _op(
                "Delete a segment",
                "segments",
                {204: {"description": "Deleted"}, 404: NOT_FOUND},
                parameters=[segment_id],
                write=True,
            ),
        },
        "/segments/{segment_id}/members": {
            "get": _op(
                "Members, paged and searched; format=csv streams them all",
                "segments",
                {
                    200: {
                        "description": "Members as JSON, or CSV with format=csv",
                        "content": {
                            "application/json": {"schema": OBJ},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    404: NOT_FOUND,
                },
                parameters=[segment_id, *_query_params(api_schemas.MembersQuery())],
            ),
        },
        "/segments/{segment_id}/history": {
            "get": _op(
                "Size after each evaluation, entries and exits",
                "segments",
                {200: _json(OBJ), 404: NOT_FOUND},
                parameters=[segment_id, _query("limit", {"type": "integer", "maximum": 1000})],
            ),
        },
    }


def _campaign_paths() -> dict:
    campaign_id = _path_param("campaign_id", "string")
    document = schema_object(CampaignDocument()) if CampaignDocument else OBJ
    return {
        "/campaigns": {
            "get": _op("The shop's campaigns with key figures", "campaigns", {200: _json(OBJ)}),
            "post": _op(
                "Create a campaign (as a draft)",
                "campaigns",
                {201: _json("Campaign"), 400: INVALID},
                body=document,
                write=True,
            ),
        },
        "/campaigns/{campaign_id}": {
            "get": _op(
                "One campaign",
                "campaigns",
                {200: _json("Campaign"), 404: NOT_FOUND},
                parameters=[campaign_id],
            ),
            "patch": _op(
                "Change a campaign (fields given only)",
                "campaigns",
                {200: _json("Campaign"), 400: INVALID, 404: NOT_FOUND},
                body=document,
                parameters=[campaign_id],
                write=True,
            ),
            "put": _op(
                "Replace a campaign",
                "campaigns",
                {200: _json("Campaign"), 400: INVALID, 404: NOT_FOUND},
                body=document,
                parameters=[campaign_id],
                write=True,
            ),
            "delete": _op(
                "Delete a campaign",
                "campaigns",
                {204: {"description": "Deleted"}, 404: NOT_FOUND},
                parameters=[campaign_id],
                write=True,
            ),
        },
        "/campaigns/{campaign_id}/status": {
            "post": _op(
                "Launch, pause or end a campaign",
                "campaigns",
                {200: _json("Campaign"), 400: INVALID, 404: NOT_FOUND, 409: _json(PROBLEM)},
                body={
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "enum": ["draft", "live", "paused", "ended"]}
                    },
                },
                parameters=[campaign_id],
                write=True,
            ),
        },
        "/campaigns/{campaign_id}/results": {
            "get": _op(
                "Results per variant and per segment, with intervals and chance to beat control",
                "campaigns",
                {200: _json(OBJ), 404: NOT_FOUND},
                parameters=[campaign_id],
            ),
        },
        "/campaigns/preview-content": {
            "post": _op(
                "Sanitise content and fill its variables for a sample customer",
                "campaigns",
                {200: _json(OBJ), 400: INVALID},
                body=OBJ,
                write=True,
            ),
        },
    }


def _other_paths() -> dict:
    return {
        "/session": {
            "get": _op(
                "Who is calling: the shop, the kind of auth, the session's CSRF token",
                "account",
                {200: _json(OBJ)},
            ),
        },
        "/sync/runs": {
            "get": _op(
                "Latest sync runs with progress, speed, ETA and the last error in plain words",
                "sync",
                {200: _json(OBJ)},
            ),
        },
        "/openapi.json": {
            "get": _op("This document", "account", {200: _json(OBJ)}),
        },
    }


@cache
def document() -> dict:
    paths = {**_segments_paths(), **_other_paths()}
    if CampaignDocument is not None:
        paths.update(_campaign_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cible API",
            "version": "1",
            "description": (
                "The API the admin pages use and merchants' scripts can call. Every call acts "
                "for one shop: the admin session's, or the API token's. Writes are JSON; with "
                "a session they also need the X-CSRF-Token header (GET /session gives it)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerToken": []}, {"adminSession": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made on the admin's Settings page",
                },
                "adminSession": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "code": {
                            "type": "string",
                            "description": "a refused campaign change: stable, "
                            "invalid_campaign, variant_shows_nothing, ... "
                            "(sync/campaigns/messages.py)",
                        },
                        "fields": OBJ,
                        "localized": {
                            "type": "object",
                            "description": "A refused campaign change: `message` and `fields` "
                            "again, in the request's language (`message` and `fields` "
                            "themselves stay English)",
                            "properties": {
                                "language": {"type": "string", "enum": ["en", "fr"]},
                                "message": {"type": "string"},
                                "fields": OBJ,
                            },
                        },
                    },
                },
                "QueryProblem": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "error": {
                            "type": "object",
                            "properties": {
                                "message": {
                                    "type": "string",
                                    "description": "English, whatever the language",
                                },
                                "code": {
                                    "type": "string",
                                    "description": "stable: unknown_attribute, expected_value, "
                                    "... (sync/segments/messages.py)",
                                },
                                "params": OBJ,
                                "line": {"type": "integer"},
                                "column": {"type": "integer"},
                                "suggestion": {"type": "string", "nullable": True},
                                "replacement": {
                                    "type": "string",
                                    "nullable": True,
                                    "description": "the text that takes the spot's word when "
                                    "the suggestion is accepted",
                                },
                                "caret": {"type": "string", "nullable": True},
                                "localized": {
                                    "type": "object",
                                    "description": "the reason and suggestion in the "
                                    "request's language (what the admin shows)",
                                    "properties": {
                                        "language": {"type": "string", "enum": ["en", "fr"]},
                                        "message": {"type": "string"},
                                        "suggestion": {"type": "string", "nullable": True},
                                    },
                                },
                            },
                        },
                    },
                },
                "Segment": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "query": {"type": "string"},
                        "template": {"type": "string", "nullable": True},
                        "time_relative": {"type": "boolean"},
                        "member_count": {"type": "integer"},
                        "change_7_days": {"type": "integer", "nullable": True},
                        "last_evaluated_at": {
                            "type": "string",
                            "format": "date-time",
                            "nullable": True,
                        },
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Campaign": OBJ,
            },
        },
    }
