"""Visitors (访客登记): who is still inside, the day's log, logging a visitor in and out."""

from flask import Blueprint

bp = Blueprint("visitors", __name__, url_prefix="/visitors")

from frontdesk.blueprints.visitors import views  # noqa: E402,F401
