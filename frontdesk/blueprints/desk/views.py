"""Views of the desk screen."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import current_app, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from frontdesk.blueprints.desk import bp
from frontdesk.blueprints.desk.forms import SearchForm
from frontdesk.extensions import db
from frontdesk.models import Unit
from frontdesk.pdf.registration import registration_form
from frontdesk.services.complaints.queries import unit_complaints
from frontdesk.services.duty import queries as duty_queries
from frontdesk.services.duty import shifts as duty_shifts
from frontdesk.services.fees.bill_queries import unit_fees
from frontdesk.services.keys import loans, queries
from frontdesk.services.movein.queries import unit_block
from frontdesk.services.register.queries import registration_data, unit_card
from frontdesk.services.register.search import find_hits
from frontdesk.services.visitors.queries import unit_visits
from frontdesk.services.workorders.queries import unit_orders
from frontdesk.web import (
    current_estate,
    form_status,
    mask_id_for,
    mask_phone_for,
    occupancy_label,
    require_estate,
    requires,
    scoped_get,
)


@bp.get("/")
@requires("dashboard.view")
def home():
    """Send the desk to its search box, engineers to their queue, everyone else to a start page."""
    if current_user.can("desk.use"):
        return redirect(url_for("desk.search"))
    if current_user.can("workorders.work"):
        return redirect(url_for("workorders.queue"))
    return render_template("desk/home.html", overdue_loans=_overdue_loans())


def _overdue_loans():
    """Return the current estate's overdue key loans for users who see keys, else None."""
    estate = current_estate()
    if estate is None or not current_user.can("keys.view"):
        return None
    return queries.overdue_loans(estate.id, loans.clock(current_app.config))


@bp.get("/desk")
@requires("desk.use")
def search():
    """Search the current estate and open the unit when exactly one matches.

    The desk home shows the shift's panel and the reminders (overdue key loans and complaints);
    a page of results shows the results, first thing on the screen."""
    estate = require_estate()
    form = SearchForm(request.args)
    searched = bool(form.q.data)
    hits = []
    if searched and form.validate():
        hits = find_hits(estate.id, form.q.data, current_app.config["SEARCH_RESULT_LIMIT"])
        if len(hits) == 1:
            return redirect(url_for("desk.unit", unit_id=hits[0].unit.id))
    return render_template("desk/search.html", form=form, hits=hits, searched=searched,
                           overdue_loans=None if searched else _overdue_loans(),
                           duty_panel=_duty_panel(estate, show=not searched)), form_status(form)


def _duty_panel(estate, show: bool = True):
    """Open or join the shift on duty (the desk's first visit in a shift) and, unless the
    page shows search results instead, the duty panel."""
    if not current_user.can("duty.view"):
        return None
    now = loans.clock(current_app.config)
    shift = None
    if current_user.can("duty.log"):
        if not show and _on_shift(estate, now):
            return None  # a page of results: the clerk joined this shift on an earlier page
        # opening commits; the units found stay loaded for the page (no reload of each)
        db_session = db.session()
        expire, db_session.expire_on_commit = db_session.expire_on_commit, False
        try:
            shift = duty_shifts.open_current(current_user, estate, now)
        finally:
            db_session.expire_on_commit = expire
        noted = [current_user.id, estate.id, shift.ends_at.timestamp()] if shift else None
        if noted is not None and session.get(ON_SHIFT) != noted:
            session[ON_SHIFT] = noted
    return duty_queries.desk_panel(estate, current_user, now, shift) if show else None


#: the session's note of the shift its user is on: [user id, estate id, the shift's end (POSIX)]
ON_SHIFT = "on_shift"


def _on_shift(estate, now: datetime) -> bool:
    """Whether the session's user joined a shift of this estate that has not ended yet.

    Pages of results skip joining while it holds (three statements on every search); the desk
    home always opens or joins the shift on duty."""
    noted = session.get(ON_SHIFT)
    return (isinstance(noted, list) and len(noted) == 3
            and noted[:2] == [current_user.id, estate.id] and now.timestamp() < noted[2])


@bp.get("/desk/units/<int:unit_id>")
@requires("desk.use")
def unit(unit_id: int):
    """Show the unit card: residents, vehicles, history and the desk's actions."""
    unit = scoped_get(Unit, unit_id)
    form = SearchForm()
    fees = unit_fees(unit) if current_user.can("fees.view") else None
    keys = (queries.unit_key_tab(unit, loans.clock(current_app.config))
            if current_user.can("keys.view") else None)
    work_orders = (unit_orders(current_user, unit, loans.clock(current_app.config))
                   if current_user.can("workorders.view") else None)
    movein = unit_block(unit) if current_user.can("movein.handle") else None
    return render_template("desk/unit.html", card=unit_card(unit), form=form, fees=fees,
                           key_tab=keys, work_orders=work_orders, movein=movein,
                           cv_tab=_complaints_and_visits(unit))


def _complaints_and_visits(unit: Unit) -> dict | None:
    """The unit card's complaints and visits, each None for users who may not see them; None
    when neither."""
    now = loans.clock(current_app.config)
    complaints_of = (unit_complaints(unit.id, now) if current_user.can("complaints.view")
                     else None)
    visits_of = unit_visits(unit.id) if current_user.can("visitors.log") else None
    if complaints_of is None and visits_of is None:
        return None
    return {"complaints": complaints_of, "visits": visits_of}


@bp.get("/desk/units/<int:unit_id>/registration.pdf")
@requires("register.print")
def registration_pdf(unit_id: int):
    """Print the resident registration form (住户信息登记表) of a unit."""
    unit = scoped_get(Unit, unit_id)
    tz = ZoneInfo(unit.building.estate.timezone)
    data = registration_data(
        unit_card(unit),
        printed_at=datetime.now(tz).strftime("%Y-%m-%d %H:%M"),
        printed_by=current_user.full_name,
        mask_id=lambda v: mask_id_for(v, whole=True),
        mask_phone=mask_phone_for,
        role_label=occupancy_label,
    )
    pdf = registration_form(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"registration-{unit.code}.pdf")
