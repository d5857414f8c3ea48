"""Key custody (钥匙管理): the key register, custody, loans and cabinet counts.

One view module per feature, named as its service: registry, custody, loans, counts; their forms
in ``forms/`` under the same names.
"""

from datetime import datetime

from flask import Blueprint, current_app

from frontdesk.services.keys.loans import clock

bp = Blueprint("keys", __name__, url_prefix="/keys")


def acting_now() -> datetime:
    """Return the time the key views act at (``FRONTDESK_NOW`` when a test freezes it)."""
    return clock(current_app.config)


from frontdesk.blueprints.keys import registry  # noqa: E402,F401,I001
from frontdesk.blueprints.keys import custody  # noqa: E402,F401
from frontdesk.blueprints.keys import loans  # noqa: E402,F401
from frontdesk.blueprints.keys import counts  # noqa: E402,F401
