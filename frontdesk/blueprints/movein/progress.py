"""Views of the move-in campaign across the estate, its export, and the move-in setup."""

from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.movein import bp
from frontdesk.blueprints.movein.forms.setup import SetupForm
from frontdesk.services import DomainError
from frontdesk.services.fees.bill_queries import building_of
from frontdesk.services.fees.reports_xlsx import XLSX_MIMETYPE
from frontdesk.services.movein import queries, setup
from frontdesk.web import apply_domain_error, form_status, require_estate, requires


def _report():
    estate = require_estate()
    building = building_of(estate, request.args.get("building_id", type=int))
    return estate, queries.progress(estate, building)


@bp.get("/progress")
@requires("movein.handle")
def progress():
    """Units handed over, in progress and not started, and open defects, per building."""
    estate, report = _report()
    return render_template("movein/progress.html", report=report,
                           buildings=setup_buildings(estate.id))


def setup_buildings(estate_id: int):
    from frontdesk.services.keys.registry import buildings_of

    return buildings_of(estate_id)


@bp.get("/progress.xlsx")
@requires("movein.handle")
def progress_xlsx():
    """Export the progress (and a building's units) as .xlsx."""
    estate, report = _report()
    name = f"movein-progress-{report.building.number if report.building else 'estate'}.xlsx"
    return send_file(BytesIO(queries.progress_xlsx(report)), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name=name)


@bp.route("/setup", methods=["GET", "POST"])
@requires("movein.configure")
def settings():
    """Edit the inspection checklist and what the first fees propose."""
    estate = require_estate()
    row = setup.settings_of(estate.id)
    form = SetupForm()
    form.fee_item_id.choices = [("", _("The first fee item by area"))] + [
        (str(i.id), f"{i.code} {i.name}") for i in setup.area_items(estate.id)]
    if not form.is_submitted():
        form.checklist.data = setup.checklist_text(row.checklist)
        form.fee_item_id.data = str(row.fee_item_id or "")
        form.prepaid_months.data = row.prepaid_months
        form.decoration_deposit.data = row.decoration_deposit
    if form.validate_on_submit():
        data = dict(form.data)
        item = form.fee_item_id.data or ""
        data["fee_item_id"] = int(item) if item.isdigit() and len(item) < 10 else (
            -1 if item else None)
        try:
            setup.save_settings(current_user, estate, data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Move-in setup saved."), "success")
            return redirect(url_for("movein.settings"))
    return render_template("form_page.html", form=form, title=_("Move-in setup"),
                           intro=_("The inspection checklist and the first fees proposed at a "
                                   "move-in."), back=url_for("movein.progress")), form_status(form)
