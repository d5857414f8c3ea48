"""The audit trail, read-only."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from frontdesk.blueprints.audit import views  # noqa: E402,F401
