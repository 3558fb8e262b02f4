"""Admin pages merchants use: customers and their history (later: segments, campaigns)."""

from flask import Blueprint

admin = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)

# The modules below attach their hooks and views to `admin` when imported.
from plugin_app.admin import auth, context, customers, home, problems  # noqa: E402

problems.init_blueprint(admin)

__all__ = ["admin", "auth", "context", "customers", "home"]
