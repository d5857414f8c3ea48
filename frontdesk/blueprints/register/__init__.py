"""The property register: buildings, units, people, occupancies and vehicles."""

from flask import Blueprint

bp = Blueprint("register", __name__, url_prefix="/register")

from frontdesk.blueprints.register import views  # noqa: E402,F401
