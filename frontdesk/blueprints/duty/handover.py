"""Views of the handover: hand over and lock a shift; the printed 值班记录 and 交班收款单."""

from __future__ import annotations

from io import BytesIO

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.duty import acting_now, bp
from frontdesk.blueprints.duty.forms.handover import DayForm, HandoverForm
from frontdesk.models import DutyShift
from frontdesk.pdf.cash_handover import cash_handover_slip
from frontdesk.pdf.duty_log import duty_log
from frontdesk.services import DomainError
from frontdesk.services.duty import handover, queries
from frontdesk.services.periods import estate_today
from frontdesk.throttle import TooManyFailures
from frontdesk.web import (
    apply_domain_error,
    form_status,
    localtime,
    require_estate,
    requires,
    scoped_get,
)


@bp.route("/shifts/<int:shift_id>/handover", methods=["GET", "POST"])
@requires("duty.handover")
def hand_over(shift_id: int):
    """Hand a shift over: pick pending items, count the cash, the incoming staff confirm."""
    shift = scoped_get(DutyShift, shift_id)
    now = acting_now()
    if shift.state == "locked" and request.method == "GET":
        flash(_("This shift was already handed over."), "info")
        return redirect(url_for("duty.shift", shift_id=shift.id))
    ctx = queries.handover_context(shift, now)
    form = HandoverForm()
    form.items.choices = [(s.key, s.text) for s in ctx.suggestions]
    status = None
    if form.validate_on_submit():
        try:
            handover.hand_over(current_user, shift, form.data,
                               incoming_username=form.incoming_username.data,
                               incoming_password=form.incoming_password.data, now=now,
                               address=request.remote_addr)
        except TooManyFailures:
            flash(_("Too many wrong passwords. Please try again in a minute."), "danger")
            status = 429
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Shift handed over to the incoming staff and locked."), "success")
            return redirect(url_for("duty.shift", shift_id=shift.id))
    form.incoming_password.data = ""
    return render_template("duty/handover.html", form=form, ctx=ctx,
                           expected=ctx.takings["cash_expected"]), status or form_status(form)


@bp.get("/shifts/<int:shift_id>/slip.pdf")
@requires("duty.view")
def slip_pdf(shift_id: int):
    """Print a shift's cash handover slip (交班收款单)."""
    shift = scoped_get(DutyShift, shift_id)
    now = acting_now()
    data = queries.slip(shift, now=now, printed_at=localtime(now),
                        printed_by=current_user.full_name)
    pdf = cash_handover_slip(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"cash-handover-{shift.day.isoformat()}-{shift.id}.pdf")


@bp.get("/log.pdf")
@requires("duty.view")
def log_pdf():
    """Print the daily duty log sheet (值班记录) of a day: every shift, signature lines."""
    estate = require_estate()
    form = DayForm(request.args)
    if not form.validate():
        flash(_("Enter the date as year-month-day, e.g. 2026-11-24."), "danger")
        return redirect(url_for("duty.shift_list"))
    day = form.day.data or estate_today(estate)
    now = acting_now()
    data = queries.log_sheet(estate, day, now=now, printed_at=localtime(now),
                             printed_by=current_user.full_name)
    pdf = duty_log(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"duty-log-{day.isoformat()}.pdf")
