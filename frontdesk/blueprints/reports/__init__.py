"""Finance reports: the daily cashier report, arrears by building and the finance dashboard."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from frontdesk.blueprints.reports import views  # noqa: E402,F401
