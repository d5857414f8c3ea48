"""Views of the callback list and the satisfaction rates."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.callbacks import bp
from frontdesk.blueprints.callbacks.forms import CallbackForm
from frontdesk.blueprints.complaints import acting_now
from frontdesk.labels import SATISFACTION_LABELS
from frontdesk.models import Complaint, WorkOrder
from frontdesk.services import DomainError
from frontdesk.services.complaints import complaints, queries
from frontdesk.services.workorders import orders
from frontdesk.web import require_estate, requires, scoped_get


def _list(status: int = 200, failed: tuple[str, int] | None = None, form=None):
    estate = require_estate()
    items = queries.callback_list(estate.id, acting_now())
    return render_template("callbacks/index.html", items=items, failed=failed,
                           failed_form=form, form=CallbackForm(formdata=None),
                           labels=SATISFACTION_LABELS), status


@bp.get("")
@requires("callbacks.do")
def index():
    """The callback list: completed work orders and carried-out complaints, oldest first."""
    return _list()


def _record(kind: str, obj, verb):
    form = CallbackForm()
    if form.validate_on_submit():
        try:
            verb(form.satisfaction.data, form.comment.data)
        except DomainError as e:
            if e.field in ("satisfaction", "comment"):
                getattr(form, e.field).errors = [e.message]
            else:
                flash(e.message, "danger")
        else:
            flash(_("Callback recorded."), "success")
            return redirect(url_for("callbacks.index"))
    return _list(422, (kind, obj.id), form)


@bp.post("/orders/<int:order_id>")
@requires("callbacks.do")
def order(order_id: int):
    """Record a completed work order's callback, once."""
    order = scoped_get(WorkOrder, order_id)

    def verb(score, comment):
        if order.state != "completed":
            if order.called_back_at is not None and order.state in ("called_back", "closed"):
                raise DomainError(_("The callback of this order has already been recorded."))
            raise DomainError(_("This order is not waiting for a callback."))
        orders.callback(current_user, order, score, comment, acting_now())

    return _record("order", order, verb)


@bp.post("/complaints/<int:complaint_id>")
@requires("callbacks.do")
def complaint(complaint_id: int):
    """Record a carried-out complaint's callback, once."""
    complaint = scoped_get(Complaint, complaint_id)

    def verb(score, comment):
        if complaint.state == "closed":
            raise DomainError(_("The callback of this complaint has already been recorded."))
        if complaint.state != "carried_out":
            raise DomainError(_("This complaint is not waiting for a callback."))
        complaints.callback(current_user, complaint, score, comment, acting_now())

    return _record("complaint", complaint, verb)


@bp.get("/satisfaction")
@requires("callbacks.reports")
def satisfaction():
    """Satisfaction rates of a year: work orders by month, category and engineer; complaints by
    month and category; with charts."""
    from zoneinfo import ZoneInfo

    estate = require_estate()
    this_year = acting_now().astimezone(ZoneInfo(estate.timezone or "Asia/Shanghai")).year
    text = (request.args.get("year") or "").strip()
    bad = bool(text) and not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100)
    year = int(text) if text and not bad else this_year
    if bad:
        flash(_("Enter a year from 2000 to 2100."), "danger")
    data = queries.satisfaction(estate.id, year)
    return render_template("callbacks/satisfaction.html", data=data,
                           chart=queries.chart_data(data), year=year,
                           overdue=queries.overdue(estate.id, acting_now())), 422 if bad else 200
