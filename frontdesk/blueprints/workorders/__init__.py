"""Work orders (工单/派工): intake and the desk's list, the engineer's queue, setup, reports.

One view module per feature, named as its service: ``intake`` (report a repair), ``orders`` (the
list, an order's page, dispatch, quote, callback, close, cancel), ``engineer`` (the engineer's
queue and steps, photos), ``setup`` (categories, service levels, the crew), ``reports`` (reports,
the printed 派工单, exports); their forms in ``forms/`` under the same names.
"""

from datetime import datetime

from flask import Blueprint, current_app

from frontdesk.services.keys.loans import clock

bp = Blueprint("workorders", __name__, url_prefix="/workorders")


def acting_now() -> datetime:
    """Return the time the views act at (``FRONTDESK_NOW`` when a test freezes the clock)."""
    return clock(current_app.config)


from frontdesk.blueprints.workorders import intake  # noqa: E402,F401,I001
from frontdesk.blueprints.workorders import orders  # noqa: E402,F401
from frontdesk.blueprints.workorders import engineer  # noqa: E402,F401
from frontdesk.blueprints.workorders import setup  # noqa: E402,F401
from frontdesk.blueprints.workorders import reports  # noqa: E402,F401
