"""Key custody (钥匙管理): the key register, custody, loans and cabinet counts."""

from flask import Blueprint

bp = Blueprint("keys", __name__, url_prefix="/keys")

from frontdesk.blueprints.keys import views  # noqa: E402,F401,I001
from frontdesk.blueprints.keys import loans  # noqa: E402,F401
from frontdesk.blueprints.keys import counts  # noqa: E402,F401
