"""Views of the visitor log."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.complaints import acting_now
from frontdesk.blueprints.visitors import bp
from frontdesk.blueprints.visitors.forms import OutForm, VisitForm
from frontdesk.models import Unit, Visit
from frontdesk.services import DomainError
from frontdesk.services.visitors import queries, visits
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.get("/")
@requires("visitors.log")
def index():
    """Who is still inside, and the log of a day (today unless ?day=YYYY-MM-DD)."""
    estate = require_estate()
    today = acting_now().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).date()
    text = (request.args.get("day") or "").strip()
    day, status = today, 200
    if text:
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            flash(_("Enter the day as YYYY-MM-DD."), "danger")
            day, status = today, 422
    return render_template("visitors/index.html", inside=queries.inside(estate.id),
                           log=queries.day_log(estate, day), day=day, today=today,
                           out_form=OutForm(formdata=None)), status


@bp.route("/new", methods=["GET", "POST"])
@requires("visitors.log")
def new():
    """Log a visitor in; from a unit card the unit is filled."""
    estate = require_estate()
    form = VisitForm()
    unit = None
    unit_id = request.args.get("unit_id", type=int)
    if unit_id:
        unit = scoped_get(Unit, unit_id)
        if not form.is_submitted():
            form.unit_code.data = unit.code
    if form.validate_on_submit():
        try:
            visit = visits.check_in(current_user, estate, {
                "name": form.name.data, "id_tail": form.id_tail.data, "phone": form.phone.data,
                "unit_code": form.unit_code.data, "purpose": form.purpose.data,
                "note": form.note.data}, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("%(name)s logged in.", name=visit.name), "success")
            return redirect(url_for("visitors.index"))
    _keep_only_the_tail(form)
    return render_template("visitors/new.html", form=form, unit=unit), form_status(form)


@bp.post("/<int:visit_id>/out")
@requires("visitors.log")
def check_out(visit_id: int):
    """Log a visitor out (once)."""
    visit = scoped_get(Visit, visit_id)
    form = OutForm()
    if form.validate_on_submit():
        try:
            visits.check_out(current_user, visit, acting_now())
        except DomainError as e:
            flash(e.message, "danger")
            return redirect(url_for("visitors.index"))
        flash(_("%(name)s logged out.", name=visit.name), "success")
    return redirect(url_for("visitors.index"))


def _keep_only_the_tail(form: VisitForm) -> None:
    """Show the form again with at most the ID number's last four (never the whole number)."""
    try:
        tail = visits.id_tail(form.id_tail.data)
    except DomainError:
        tail = ""
    form.id_tail.raw_data = [tail]
    form.id_tail.data = tail
