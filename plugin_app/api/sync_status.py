"""The shop's sync runs with progress, speed and ETA (the admin home polls this)."""

from __future__ import annotations

from flask import g

from plugin_app.admin.sync_status import latest_progress
from plugin_app.api import api
from plugin_app.db import session


@api.get("/sync/runs")
def sync_runs():
    runs = latest_progress(session(), g.shop.id)
    return {
        "running": any(run.status in ("running", "queued") for run in runs),
        "runs": [run.as_json() for run in runs],
    }
