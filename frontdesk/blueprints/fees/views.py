"""Views of fee items and their tariff versions."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.fees import bp
from frontdesk.blueprints.fees.forms import EndTariffForm, FeeItemForm, TariffForm
from frontdesk.models import FeeItem, Tariff
from frontdesk.services import DomainError, periods
from frontdesk.services.fees import items
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.get("/items", endpoint="items")
@requires("fees.view")
def item_list():
    """List the estate's fee items with the estate-wide tariff in force today."""
    estate = require_estate()
    today = periods.estate_today(estate)
    return render_template("fees/items.html", rows=items.fee_items_with_current(estate, today),
                           today=today, labels=items.METHOD_LABELS)


@bp.route("/items/new", methods=["GET", "POST"])
@requires("fees.configure")
def new_item():
    """Add a fee item to the current estate."""
    estate = require_estate()
    form = FeeItemForm()
    if form.validate_on_submit():
        try:
            item = items.create_fee_item(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Fee item %(name)s added. Now add its tariff.", name=item.name), "success")
            return redirect(url_for("fees.item", fee_item_id=item.id))
    return render_template("form_page.html", form=form, title=_("Add fee item"),
                           back=url_for("fees.items")), form_status(form)


@bp.route("/items/<int:fee_item_id>/edit", methods=["GET", "POST"])
@requires("fees.configure")
def edit_item(fee_item_id: int):
    """Change a fee item."""
    item = scoped_get(FeeItem, fee_item_id)
    form = FeeItemForm(obj=item)
    if form.validate_on_submit():
        try:
            items.update_fee_item(current_user, item, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Fee item saved."), "success")
            return redirect(url_for("fees.item", fee_item_id=item.id))
    return render_template("form_page.html", form=form,
                           title=_("Edit fee item %(name)s", name=item.name),
                           back=url_for("fees.item", fee_item_id=item.id)), form_status(form)


def _tariff_form(item: FeeItem) -> TariffForm:
    form = TariffForm()
    form.building_id.choices = [("", "—")] + [
        (str(b.id), b.label) for b in items.buildings_of(item.estate_id)]
    form.price.label.text = _("Price (%(unit)s)", unit=items.price_unit(item))
    return form


def _item_page(item: FeeItem, form: TariffForm, status: int = 200):
    estate = require_estate()
    today = periods.estate_today(estate)
    return render_template(
        "fees/item.html", item=item, form=form, today=today,
        groups=items.tariff_history(item, today),
        tiered=item.method == "metered" and item.tier_mode != "none",
        method_label=items.METHOD_LABELS[item.method],
        basis_label=items.AREA_BASIS_LABELS.get(item.area_basis, item.area_basis),
        meter_label=items.METER_KIND_LABELS.get(item.meter_kind or "", ""),
        tier_label=items.TIER_MODE_LABELS.get(item.tier_mode, item.tier_mode),
        scope_labels=items.SCOPE_LABELS,
        price_unit=items.price_unit(item),
        quantity_unit=items.QUANTITY_UNITS.get(item.meter_kind or "", ""),
    ), status


@bp.get("/items/<int:fee_item_id>")
@requires("fees.view")
def item(fee_item_id: int):
    """Show a fee item and the history of its tariffs, estate, building and unit."""
    item = scoped_get(FeeItem, fee_item_id)
    return _item_page(item, _tariff_form(item))


@bp.post("/items/<int:fee_item_id>/tariffs")
@requires("fees.configure")
def add_tariff(fee_item_id: int):
    """Add a tariff version to a fee item."""
    item = scoped_get(FeeItem, fee_item_id)
    form = _tariff_form(item)
    if form.validate_on_submit():
        try:
            tariff = items.add_tariff(current_user, item, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Tariff from %(d)s added.", d=tariff.valid_from.isoformat()), "success")
            return redirect(url_for("fees.item", fee_item_id=item.id))
    return _item_page(item, form, 422)


@bp.route("/tariffs/<int:tariff_id>/end", methods=["GET", "POST"])
@requires("fees.configure")
def end_tariff(tariff_id: int):
    """Set the last day of a tariff version."""
    tariff = scoped_get(Tariff, tariff_id)
    form = EndTariffForm(obj=tariff)
    if form.validate_on_submit():
        try:
            items.end_tariff(current_user, tariff, form.valid_to.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Tariff ends on %(d)s.", d=tariff.valid_to.isoformat()), "success")
            return redirect(url_for("fees.item", fee_item_id=tariff.fee_item_id))
    return render_template(
        "form_page.html", form=form,
        title=_("End tariff · %(name)s · from %(d)s", name=tariff.fee_item.name,
                d=tariff.valid_from.isoformat()),
        intro=_("After its last day a new version can start."),
        back=url_for("fees.item", fee_item_id=tariff.fee_item_id)), form_status(form)
