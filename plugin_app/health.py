"""/healthz: is the database reachable, and Redis when jobs go through it?"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from plugin_app.db import session, settings
from sync.queue import redis_connection

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    healthy = True
    try:
        session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any driver error means "down", with its reason
        healthy = False
        checks["database"] = f"down: {error.__class__.__name__}: {str(error).splitlines()[0]}"
    if settings().redis_url:
        try:
            redis_connection(settings().redis_url).ping()
            checks["redis"] = "ok"
        except Exception as error:
            healthy = False
            checks["redis"] = f"down: {error.__class__.__name__}: {error}"
    else:
        checks["redis"] = "not configured (jobs run inline)"
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), (
        200 if healthy else 503
    )
