"""Views of intake: the desk records a repair, from a unit card or a call about a public place.

A double submit of the form makes one order: the form carries a one-time key, and the second
post finds the order the first one made (:func:`frontdesk.services.workorders.orders.report`).
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.workorders import acting_now, bp
from frontdesk.blueprints.workorders.engineer import max_photo_bytes, upload_root
from frontdesk.blueprints.workorders.engineer import photo_uploads as uploads
from frontdesk.blueprints.workorders.forms.intake import IntakeForm
from frontdesk.models import Unit
from frontdesk.services import DomainError
from frontdesk.services.workorders import crew, orders, photos, queries
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.route("/new", methods=["GET", "POST"])
@requires("workorders.report")
def new():
    """Record a reported repair: from a unit card (``?unit_id=``) or for a public place."""
    estate = require_estate()
    unit = _unit_of_request()
    form = IntakeForm()
    form.category_id.choices = [("", _("Choose a category"))] + [
        (str(c.id), c.name) for c in crew.ensure_categories(estate.id)]
    form.building_id.choices = [("", _("The whole estate"))] + [
        (str(i), label) for i, label in queries.building_choices(estate.id)]
    if form.validate_on_submit():
        order = _report(form, estate, unit)
        if order is not None and orders.can_see(current_user, order):
            return redirect(url_for("workorders.detail", order_id=order.id))
        if order is not None:  # an engineer's report for another team: it is the desk's now
            return redirect(url_for("workorders.index"))
    if not form.is_submitted():
        form.intake_key.data = secrets.token_hex(16)
        if unit is not None:
            reporter = queries.unit_reporter(unit)
            form.reporter_name.data, form.reporter_phone.data = reporter.name, reporter.phone
            form.source.data = "来访"
    if form.intake_key.errors:
        flash(form.intake_key.errors[0], "danger")
    return render_template("workorders/new.html", form=form, unit=unit), form_status(form)


def _unit_of_request() -> Unit | None:
    """Return the unit the report is about (query or form), 404 for another estate's."""
    raw = request.values.get("unit_id", "")
    if not raw.strip():
        return None
    unit_id = request.values.get("unit_id", type=int)
    if unit_id is None:
        abort(404)
    return scoped_get(Unit, unit_id)


def _report(form: IntakeForm, estate, unit: Unit | None):
    """Report the repair, or return None with the form's errors set."""
    twin = orders.by_intake_key(estate.id, form.intake_key.data)
    if twin is not None:
        flash(_("This report was already recorded as %(number)s.",
                number=orders.order_number(twin)), "info")
        return twin
    data = {name: form[name].data for name in (
        "source", "reporter_name", "reporter_phone", "building_id", "area", "category_id",
        "description", "priority", "appointment_at", "chargeable", "quote_amount",
        "intake_key")}
    data["unit_id"] = unit.id if unit is not None else None
    try:
        order = photos.report_with_photos(current_user, estate, data, uploads(), upload_root(),
                                          acting_now(), max_photo_bytes())
    except DomainError as e:
        apply_domain_error(form, e)
        return None
    flash(_("Repair recorded as %(number)s.", number=orders.order_number(order)), "success")
    return order
