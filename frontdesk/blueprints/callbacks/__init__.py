"""Callbacks (回访): one list of what waits for a callback — completed work orders and complaints
carried out — with a short call script and a 1–5 scale, and the manager's satisfaction rates."""

from flask import Blueprint

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

from frontdesk.blueprints.callbacks import views  # noqa: E402,F401
