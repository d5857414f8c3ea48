"""The desk screen (业务受理): one search box and the unit card."""

from flask import Blueprint

bp = Blueprint("desk", __name__)

from frontdesk.blueprints.desk import views  # noqa: E402,F401
