"""Import of buildings, units and people from CSV and .xlsx, and export to .xlsx."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/register")

from frontdesk.blueprints.imports import views  # noqa: E402,F401
