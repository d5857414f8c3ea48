"""Views of import and export (being written)."""

from flask import abort

from frontdesk.blueprints.imports import bp
from frontdesk.web import requires


@bp.route("/import", methods=["GET", "POST"])
@requires("register.import")
def upload():
    abort(501)


@bp.get("/export.xlsx")
@requires("register.export")
def export_xlsx():
    abort(501)
