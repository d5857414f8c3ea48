"""Payments at the desk: taking money, receipts, voids, refunds and late-fee waivers."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")

from frontdesk.blueprints.payments import views  # noqa: E402,F401
