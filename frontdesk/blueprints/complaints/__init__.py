"""Complaints (投诉): the list, registering, a complaint's page with its steps, the printed
投诉处理单, the monthly register and its .xlsx, the estate's categories.

Views act at :func:`acting_now` (``FRONTDESK_NOW`` when a test freezes the clock).
"""

from datetime import datetime

from flask import Blueprint, current_app

from frontdesk.services.keys.loans import clock

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


def acting_now() -> datetime:
    """Return the time the views act at (``FRONTDESK_NOW`` when a test freezes the clock)."""
    return clock(current_app.config)


from frontdesk.blueprints.complaints import views  # noqa: E402,F401
