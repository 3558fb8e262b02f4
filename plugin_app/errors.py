"""Errors as JSON on API routes (anything not an HTML page), HTML elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

HTML_PREFIXES = ("/admin",)


def _wants_json() -> bool:
    return not request.path.startswith(HTML_PREFIXES)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not _wants_json():
            return error
        response = jsonify(error=error.name, message=error.description, status=error.code)
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return "Internal Server Error", 500
        return jsonify(error="Internal Server Error", message="unexpected error", status=500), 500
