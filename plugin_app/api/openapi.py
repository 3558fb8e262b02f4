"""The API's OpenAPI 3 document, served at /api/v1/openapi.json (filled in below)."""

from __future__ import annotations

from plugin_app.api import api


@api.get("/openapi.json")
def openapi_document():
    from plugin_app.api.openapi_spec import document

    return document()
