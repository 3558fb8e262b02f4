"""Admin pages merchants use: customers and their history (later: segments, campaigns)."""

from flask import Blueprint

admin = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                  static_folder="static")
