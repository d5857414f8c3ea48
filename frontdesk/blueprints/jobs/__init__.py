"""Long jobs: the estate's recent jobs, one job's progress and result, its PDF, a re-run."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from frontdesk.blueprints.jobs import views  # noqa: E402,F401
