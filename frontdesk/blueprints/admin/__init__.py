"""Administration: users, roles and estates."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from frontdesk.blueprints.admin import views  # noqa: E402,F401
