"""Admin pages merchants use: home, segments, campaigns, customers and settings."""

from flask import Blueprint

admin = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)

# The modules below attach their hooks and views to `admin` when imported.
from plugin_app.admin import (  # noqa: E402
    auth,
    campaigns,
    context,
    csrf,
    customers,
    home,
    page_policy,
    problems,
    segments,
    settings,
)

problems.init_blueprint(admin)

__all__ = [
    "admin",
    "auth",
    "campaigns",
    "context",
    "csrf",
    "customers",
    "home",
    "page_policy",
    "segments",
    "settings",
]
