"""Views of the engineer's day: the queue, an order's phone page, its steps, costs and photos.

Every step is a POST that redirects back to the queue or the order (the ``back`` field); a form
with fields that fails (a reason, a cost line, the completion) shows the order's page again with
what was typed, as 422. An order the user may not see is 404, as another estate's is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.workorders import acting_now, bp
from frontdesk.blueprints.workorders.forms.engineer import (
    BACK,
    CompleteForm,
    CostForm,
    PhotosForm,
    ReasonForm,
    StepForm,
)
from frontdesk.labels import WORK_ORDER_ACTIONS
from frontdesk.models.workorders import WorkOrder, WorkOrderCost, WorkOrderPhoto
from frontdesk.services import DomainError, photos
from frontdesk.services.workorders import orders
from frontdesk.services.workorders import photos as order_photos
from frontdesk.services.workorders import queue as my_queue
from frontdesk.web import (
    apply_domain_error,
    current_estate,
    form_status,
    require_estate,
    requires,
    scoped_get,
)

DONE = {
    "accept": lambda n: _("You accepted order %(number)s.", number=n),
    "take": lambda n: _("Order %(number)s is yours now.", number=n),
    "start": lambda n: _("Work on order %(number)s started.", number=n),
    "resume": lambda n: _("Work on order %(number)s resumed: the clock runs again.", number=n),
    "decline": lambda n: _("You gave order %(number)s back: it waits for dispatch.", number=n),
    "pause": lambda n: _("Order %(number)s paused: the clock stands still.", number=n),
    "complete": lambda n: _("Order %(number)s completed. Thank you!", number=n),
}


# helpers ---------------------------------------------------------------------------------------


def upload_root():
    """Return the uploads folder of this instance."""
    config = current_app.config
    return photos.folder(config.get("UPLOAD_FOLDER"), current_app.instance_path)


def max_photo_bytes() -> int:
    config = current_app.config
    return int(config.get("PHOTO_MAX_BYTES") or photos.DEFAULT_MAX_BYTES)


def _visible(order_id: int) -> WorkOrder:
    """Load an order of the estate that the user may see, or 404."""
    order = scoped_get(WorkOrder, order_id)
    if not orders.can_see(current_user, order):
        abort(404)
    return order


def photo_uploads() -> list[tuple[str, bytes]]:
    """Read the photos of the request, each refused once it passes the size limit."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    limit = max_photo_bytes()
    return [(f.filename, photos.read_limited(f.stream, f.filename, limit)) for f in files]


def _back(order: WorkOrder, back: str | None):
    """Redirect to where the step was taken: the queue, the order's page or the desk's."""
    back = back if back in BACK else "order"
    if back == "detail" and current_user.can("workorders.view"):
        return redirect(url_for("workorders.detail", order_id=order.id))
    if back == "queue" or not orders.can_see(current_user, order) \
            or not current_user.can("workorders.work"):
        if current_user.can("workorders.work"):
            return redirect(url_for("workorders.queue"))
        return redirect(url_for("desk.home"))
    return redirect(url_for("workorders.work_order", order_id=order.id))


@dataclass
class Panel:
    """What the engineer's part of an order's page offers: the card and a form per action."""

    card: my_queue.Card
    forms: dict = field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        return self.card.actions


@bp.app_template_global()
def engineer_panel(order: WorkOrder, failed: tuple[str, object] | None = None) -> Panel:
    """Give the partial _engineer_actions.html its card and forms (a failed one as sent)."""
    panel = Panel(card=my_queue.card(current_user, order, acting_now()))
    makers = {"decline": ReasonForm, "pause": ReasonForm, "cost": CostForm,
              "complete": CompleteForm}
    for action in panel.actions:
        if action not in makers:  # a button (accept, take, start, resume) needs no form
            continue
        if failed is not None and failed[0] == action:
            panel.forms[action] = failed[1]
        else:
            panel.forms[action] = makers[action](formdata=None)
    return panel


@bp.app_template_global()
def may_add_photos(order: WorkOrder) -> bool:
    """Tell whether the current user may add photos to the order now."""
    return current_user.is_authenticated and order_photos.may_add(current_user, order)


@bp.app_template_global()
def workorder_new_count() -> int | None:
    """Count the new orders of the current engineer, for the navigation bar (None: not one)."""
    if not current_user.is_authenticated or not current_user.can("workorders.work"):
        return None
    estate = current_estate()
    return my_queue.new_count(current_user, estate.id) if estate else None


# pages -----------------------------------------------------------------------------------------


@bp.get("/my")
@requires("workorders.work")
def queue():
    """Show the engineer's queue: theirs first, then their team's waiting orders."""
    estate = require_estate()
    return render_template("workorders/queue.html",
                           queue=my_queue.engineer_queue(current_user, estate.id, acting_now()))


@bp.get("/my/count")
@requires("workorders.work")
def my_count():
    """Tell the navigation bar how many orders are new to the engineer."""
    estate = require_estate()
    response = jsonify(count=my_queue.new_count(current_user, estate.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/my/<int:order_id>")
@requires("workorders.work")
def work_order(order_id: int):
    """Show an order on the engineer's phone: what, where, who to call, and the next steps."""
    return _order_page(_visible(order_id))


def _order_page(order: WorkOrder, failed: tuple[str, object] | None = None, status: int = 200):
    return render_template("workorders/work_order.html", order=order,
                           number=orders.order_number(order),
                           location=orders.location_text(order),
                           costs_total=orders.costs_total(order), eng_failed=failed,
                           eng_back="order", action_labels=WORK_ORDER_ACTIONS), status


# steps -----------------------------------------------------------------------------------------


def _button(order_id: int, action: str, verb):
    """Take a step that needs no more than the button: flash what happened, go back."""
    order = _visible(order_id)
    form = StepForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return _back(order, form.back.data)
    try:
        order = verb(current_user, order, acting_now())
    except DomainError as e:
        flash(e.message, "danger")
    else:
        flash(DONE[action](orders.order_number(order)), "success")
    return _back(order, form.back.data)


@bp.post("/my/<int:order_id>/accept")
@requires("workorders.work")
def accept(order_id: int):
    """Accept an order dispatched to the engineer."""
    return _button(order_id, "accept", orders.accept)


@bp.post("/my/<int:order_id>/take")
@requires("workorders.work")
def take(order_id: int):
    """Take an unassigned order of the engineer's team."""
    return _button(order_id, "take", orders.take)


@bp.post("/my/<int:order_id>/start")
@requires("workorders.work")
def start(order_id: int):
    """Start the work on an accepted order."""
    return _button(order_id, "start", orders.start)


@bp.post("/my/<int:order_id>/resume")
@requires("workorders.work")
def resume(order_id: int):
    """Resume a paused order: its clock runs again."""
    return _button(order_id, "resume", orders.resume)


def _with_reason(order_id: int, action: str, verb):
    order = _visible(order_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            order = verb(current_user, order, form.reason.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(DONE[action](orders.order_number(order)), "success")
            return _back(order, "queue" if action == "decline" else form.back.data)
    return _order_page(order, (action, form), form_status(form))


@bp.post("/my/<int:order_id>/decline")
@requires("workorders.work")
def decline(order_id: int):
    """Give an order back with a reason: it waits for dispatch again."""
    return _with_reason(order_id, "decline", orders.decline)


@bp.post("/my/<int:order_id>/pause")
@requires("workorders.work")
def pause(order_id: int):
    """Pause the work with a reason: the clock stands still."""
    return _with_reason(order_id, "pause", orders.pause)


@bp.post("/my/<int:order_id>/costs")
@requires("workorders.work")
def add_cost(order_id: int):
    """Record materials (name, quantity, unit price) or labour on the order."""
    order = _visible(order_id)
    form = CostForm()
    if form.validate_on_submit():
        try:
            cost = orders.add_cost(current_user, order, {
                "kind": form.kind.data, "name": form.name.data, "quantity": form.quantity.data,
                "unit_name": form.unit_name.data, "unit_price": form.unit_price.data},
                acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Added %(name)s: %(amount)s yuan.", name=cost.name,
                    amount=cost.amount), "success")
            return _back(order, form.back.data)
    return _order_page(order, ("cost", form), form_status(form))


@bp.post("/my/<int:order_id>/costs/<int:cost_id>/remove")
@requires("workorders.work")
def remove_cost(order_id: int, cost_id: int):
    """Remove a cost line recorded by mistake."""
    order = _visible(order_id)
    cost = scoped_get(WorkOrderCost, cost_id)
    if cost.order_id != order.id:
        abort(404)
    form = StepForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return _back(order, form.back.data)
    name = cost.name
    try:
        orders.remove_cost(current_user, cost)
    except DomainError as e:
        flash(e.message, "danger")
    else:
        flash(_("Removed %(name)s.", name=name), "success")
    return _back(order, form.back.data)


@bp.post("/my/<int:order_id>/complete")
@requires("workorders.work")
def complete(order_id: int):
    """Complete the order with a note and photos of the work."""
    order = _visible(order_id)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            order = order_photos.complete_with_photos(
                current_user, order, form.note.data, photo_uploads(), upload_root(), acting_now(),
                max_photo_bytes())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(DONE["complete"](orders.order_number(order)), "success")
            return _back(order, form.back.data)
    return _order_page(order, ("complete", form), form_status(form))


# photos ----------------------------------------------------------------------------------------


@bp.post("/<int:order_id>/photos")
@requires("workorders.view")
def add_photos(order_id: int):
    """Add photos to an order: the desk's of the report, the engineer's of the work."""
    order = _visible(order_id)
    form = PhotosForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return _back(order, form.back.data)
    try:
        added = order_photos.attach(current_user, order, photo_uploads(), upload_root(),
                                    acting_now(), max_photo_bytes())
    except DomainError as e:
        flash(e.message, "danger")
    else:
        flash(_("%(n)s photo(s) added.", n=len(added)), "success")
    return _back(order, form.back.data)


@bp.get("/photos/<int:photo_id>")
@requires("workorders.view")
def photo(photo_id: int):
    """Send a photo of an order to a user who may see the order; nobody keeps a copy."""
    row = scoped_get(WorkOrderPhoto, photo_id)
    if not orders.can_see(current_user, row.order):
        abort(404)
    path = order_photos.photo_path(upload_root(), row)
    if path is None:
        abort(404)
    # read whole (a stored photo is a few hundred kB): no file is left open by the response
    response = send_file(BytesIO(path.read_bytes()), mimetype="image/jpeg", max_age=0,
                         download_name=f"{orders.order_number(row.order)}-{row.id}.jpg")
    response.headers["Cache-Control"] = "private, no-store"
    return response
