"""Views of import and export: upload and check, confirm, blank template, export."""

from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.imports import bp
from frontdesk.blueprints.imports.forms import ConfirmForm, UploadForm
from frontdesk.services import DomainError, jobs, uploads
from frontdesk.services.register import imports, sheets
from frontdesk.web import (
    apply_domain_error,
    form_status,
    mask_id_for,
    mask_phone_for,
    require_estate,
    requires,
    started_job,
)


def _folder() -> Path:
    return uploads.folder(current_app.config.get("IMPORT_FOLDER"), current_app.instance_path)


@bp.route("/import", methods=["GET", "POST"])
@requires("register.import")
def upload():
    """Check an uploaded file and show every problem, or a preview to confirm."""
    estate = require_estate()
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            preview = imports.prepare_import(
                current_user, estate, form.kind.data, upload.read(), upload.filename or "",
                folder=_folder(), max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return render_template("imports/preview.html", preview=preview,
                                   confirm=ConfirmForm(formdata=None, token=preview.token)), \
                200 if preview.ok else 422
    status = form_status(form)
    return render_template("imports/upload.html", form=form, columns=sheets.COLUMNS,
                           job=started_job("register_import"),
                           kinds=sheets.KIND_LABELS,
                           max_rows=current_app.config["IMPORT_MAX_ROWS"]), status


@bp.post("/import/confirm")
@requires("register.import")
def confirm():
    """Import a checked file; a second confirm of the same file imports nothing."""
    estate = require_estate()
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(str(uploads.GONE), "danger")
        return redirect(url_for("imports.upload"))
    try:
        job = jobs.start_register_import(current_user, estate, form.token.data, folder=_folder())
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(url_for("imports.upload"))
    return redirect(url_for("imports.upload", job=job.id))


@bp.get("/import/template.xlsx")
@requires("register.import")
def template():
    """Send a blank workbook with the header row of each kind of import file."""
    require_estate()
    return send_file(BytesIO(sheets.template_workbook()), mimetype=uploads.XLSX_MIMETYPE,
                     as_attachment=True, download_name=_("import-template.xlsx"))


@bp.get("/export.xlsx")
@requires("register.export")
def export_xlsx():
    """Send the current estate's buildings, units and people as a workbook."""
    estate = require_estate()
    # masked as the people list shows them to this reader: the export is that list on paper
    data = sheets.export_workbook(estate.id, show_id=mask_id_for, show_phone=mask_phone_for)
    today = datetime.now(ZoneInfo(estate.timezone)).date().isoformat()
    return send_file(BytesIO(data), mimetype=uploads.XLSX_MIMETYPE, as_attachment=True,
                     download_name=_("register-%(date)s.xlsx", date=today))
