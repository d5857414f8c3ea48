"""Bill runs: preview and post a period's bills, list runs, correct a unit's bill lines."""

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

from frontdesk.blueprints.billing import views  # noqa: E402,F401
