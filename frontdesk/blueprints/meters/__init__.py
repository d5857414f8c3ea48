"""Meters and readings: lists, the reading grid per building, shared meters, import."""

from flask import Blueprint

bp = Blueprint("meters", __name__, url_prefix="/meters")

from frontdesk.blueprints.meters import views  # noqa: E402,F401
