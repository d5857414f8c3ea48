"""The duty log (值班记录): the shift on duty, entries and calls, the handover, printed sheets.

One view module per feature, named as its service: ``shifts`` (the shift on duty, the shifts,
their times), ``entries`` (log an entry or a call, change it, addenda, search), ``handover``
(hand over and lock, the printed 值班记录 and 交班收款单); their forms in ``forms/``.
"""

from datetime import datetime

from flask import Blueprint, current_app

from frontdesk.services.keys.loans import clock

bp = Blueprint("duty", __name__, url_prefix="/duty")


def acting_now() -> datetime:
    """Return the time the views act at (``FRONTDESK_NOW`` when a test freezes the clock)."""
    return clock(current_app.config)


from frontdesk.blueprints.duty import shifts  # noqa: E402,F401,I001
from frontdesk.blueprints.duty import entries  # noqa: E402,F401
from frontdesk.blueprints.duty import handover  # noqa: E402,F401
