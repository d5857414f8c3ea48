"""Login, logout, one's own password and language, and the estate one works in."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from frontdesk.blueprints.auth import views  # noqa: E402,F401
