"""Fees: fee items and their tariff versions."""

from flask import Blueprint

bp = Blueprint("fees", __name__, url_prefix="/fees")

from frontdesk.blueprints.fees import views  # noqa: E402,F401
