"""Printed fee documents: payment notices (缴费通知单) and statements (对账单)."""

from flask import Blueprint

bp = Blueprint("statements", __name__, url_prefix="/statements")

from frontdesk.blueprints.statements import views  # noqa: E402,F401
