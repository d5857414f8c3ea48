"""Views of the desk's orders: the list, an order's page and its actions, the callback list.

Engineers see only the orders assigned to them and their team's: the list is filtered by
:func:`frontdesk.services.workorders.orders.visible_clause`, and an order they may not see is
404 like another estate's.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk import labels
from frontdesk.blueprints.workorders import acting_now, bp
from frontdesk.blueprints.workorders.forms.orders import (
    CallbackForm,
    CancelForm,
    CloseForm,
    DispatchForm,
    FilterForm,
    QuoteForm,
)
from frontdesk.models import WorkOrder
from frontdesk.models.workorders import PRIORITIES, STATES
from frontdesk.services import DomainError
from frontdesk.services.validation import record_id
from frontdesk.services.workorders import crew, orders, queries
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.app_template_global()
def work_order_label(kind: str, code) -> str:
    """Name a work order's state, priority, source, step or cost kind in the UI."""
    table = {"state": labels.WORK_ORDER_STATES, "priority": labels.PRIORITY_LABELS,
             "source": labels.SOURCE_LABELS, "action": labels.WORK_ORDER_ACTIONS,
             "cost": labels.COST_KIND_LABELS}[kind]
    return str(table.get(code, code or ""))


@bp.app_template_global()
def work_order_duration(seconds: int | None) -> str:
    """Say a length of running time in days, hours and minutes (whole minutes, rounded up)."""
    minutes = -(-abs(seconds or 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)sd %(h)sh", d=days, h=hours)
    if hours:
        return _("%(h)sh %(m)smin", h=hours, m=minutes)
    return _("%(m)smin", m=minutes)


def _visible(order_id: int) -> WorkOrder:
    """Load an order of the estate that the user may see, or 404."""
    order = scoped_get(WorkOrder, order_id)
    if not orders.can_see(current_user, order):
        abort(404)
    return order


@bp.get("/")
@requires("workorders.view")
def index():
    """List the orders the user may see, newest first, with their due times and breaches."""
    estate = require_estate()
    form = FilterForm(request.args)
    now = acting_now()
    form.category_id.choices = [("", _("All categories"))] + [
        (str(c.id), c.name) for c in crew.ensure_categories(estate.id, active_only=False)]
    valid = form.validate()
    filters = queries.Filters()
    if valid:
        filters = queries.Filters(
            state=form.state.data if form.state.data in ("open", *STATES) else "",
            category_id=record_id(form.category_id.data),
            priority=form.priority.data if form.priority.data in PRIORITIES else "",
            overdue=form.overdue.data == "1", q=(form.q.data or "").strip())
    page = request.args.get("page", 1, type=int)
    listing = queries.order_list(current_user, estate.id, filters, now, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("workorders/index.html", form=form, listing=listing, args=args
                           ), form_status(form, failed=not valid)


@bp.get("/<int:order_id>")
@requires("workorders.view")
def detail(order_id: int):
    """Show everything about an order: steps, costs, quote, callback and the desk's actions."""
    return _page(_visible(order_id))


def _page(order: WorkOrder, status: int = 200, **forms):
    view = queries.order_view(current_user, order, acting_now())
    dispatch = forms.get("dispatch") or DispatchForm(formdata=None)
    dispatch.assignee_id.choices = [("", _("Choose an engineer"))] + [
        (str(i), name) for i, name in queries.engineer_choices(order.estate_id)]
    if dispatch.assignee_id.data is None and view.suggestions:
        dispatch.assignee_id.data = str(view.suggestions[0].user.id)
    quote = forms.get("quote") or QuoteForm(formdata=None)
    if "quote" not in forms and view.order.quote_amount is not None:
        quote.quote_amount.data = str(view.order.quote_amount)
        quote.confirmed_by.data = view.order.quote_confirmed_by
    return render_template(
        "workorders/detail.html", view=view, order=view.order, dispatch_form=dispatch,
        cancel_form=forms.get("cancel") or CancelForm(formdata=None), quote_form=quote,
        callback_form=forms.get("callback") or CallbackForm(formdata=None),
        close_form=CloseForm(formdata=None)), status


def _act(order: WorkOrder, form, name: str, act, done: str):
    """Run an action from a form of the order's page: redirect on success, else show the page
    again (422) with what was typed and the messages."""
    if form.validate_on_submit():
        try:
            act()
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(done, "success")
            return redirect(url_for("workorders.detail", order_id=order.id))
    return _page(order, 422, **{name: form})


@bp.post("/<int:order_id>/dispatch")
@requires("workorders.dispatch")
def dispatch(order_id: int):
    """Send the order to an engineer of the estate (the ranked suggestion beside the select)."""
    order = _visible(order_id)
    form = DispatchForm()

    def act():
        assignee = queries.user_by_id(record_id(form.assignee_id.data))
        orders.dispatch(current_user, order, assignee, acting_now())

    return _act(order, form, "dispatch", act, _("Order dispatched."))


@bp.post("/<int:order_id>/cancel")
@requires("workorders.dispatch")
def cancel(order_id: int):
    """Cancel an open order, with a reason."""
    order = _visible(order_id)
    form = CancelForm()
    return _act(order, form, "cancel",
                lambda: orders.cancel(current_user, order, form.reason.data, acting_now()),
                _("Order cancelled."))


@bp.post("/<int:order_id>/quote")
@requires("workorders.dispatch")
def quote(order_id: int):
    """Record a chargeable repair's quote and the resident's confirmation."""
    order = _visible(order_id)
    form = QuoteForm()
    return _act(order, form, "quote",
                lambda: orders.set_quote(current_user, order, {
                    "quote_amount": form.quote_amount.data,
                    "confirmed_by": form.confirmed_by.data}, acting_now()),
                _("Quote saved."))


@bp.post("/<int:order_id>/callback")
@requires("workorders.callback")
def callback(order_id: int):
    """Record the callback: 3–5 closes the loop, 1–2 sends the order back to its engineer.

    The callback list of work orders and complaints (``callbacks.index``) records them too."""
    order = _visible(order_id)
    form = CallbackForm()
    return _act(order, form, "callback",
                lambda: orders.callback(current_user, order, form.satisfaction.data,
                                        form.comment.data, acting_now()),
                _("Callback recorded."))


@bp.post("/<int:order_id>/close")
@requires("workorders.callback")
def close(order_id: int):
    """Close an order that has had its callback."""
    order = _visible(order_id)
    form = CloseForm()
    return _act(order, form, "close", lambda: orders.close(current_user, order, acting_now()),
                _("Order closed."))
