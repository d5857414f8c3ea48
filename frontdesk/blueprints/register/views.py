"""Views of the property register."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.register import bp
from frontdesk.blueprints.register.forms import (
    BuildingForm,
    DeleteForm,
    EndOccupancyForm,
    LinkUnitForm,
    PersonForm,
    ResidentForm,
    UnitForm,
    VehicleForm,
)
from frontdesk.models import Building, Occupancy, Person, Unit, Vehicle
from frontdesk.services import DomainError
from frontdesk.services.register import queries, records
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.get("/buildings")
@requires("register.view")
def buildings():
    """List the estate's buildings with their unit counts and areas."""
    estate = require_estate()
    return render_template("register/buildings.html", rows=queries.building_summary(estate.id))


@bp.route("/buildings/new", methods=["GET", "POST"])
@requires("register.edit")
def new_building():
    """Add a building to the current estate."""
    estate = require_estate()
    form = BuildingForm()
    if form.validate_on_submit():
        try:
            building = records.create_building(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Building %(b)s added.", b=building.label), "success")
            return redirect(url_for("register.building", building_id=building.id))
    return render_template("form_page.html", form=form, title=_("Add building"),
                           back=url_for("register.buildings")), form_status(form)


@bp.get("/buildings/<int:building_id>")
@requires("register.view")
def building(building_id: int):
    """List a building's units."""
    building = scoped_get(Building, building_id)
    page = request.args.get("page", 1, type=int)
    units = queries.units_of_building(building.id, page)
    return render_template("register/building.html", building=building, units=units)


@bp.route("/buildings/<int:building_id>/edit", methods=["GET", "POST"])
@requires("register.edit")
def edit_building(building_id: int):
    """Change a building."""
    building = scoped_get(Building, building_id)
    form = BuildingForm(obj=building)
    if form.validate_on_submit():
        try:
            records.update_building(current_user, building, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Building saved."), "success")
            return redirect(url_for("register.building", building_id=building.id))
    return render_template("form_page.html", form=form,
                           title=_("Edit building %(b)s", b=building.label),
                           back=url_for("register.building", building_id=building.id)), \
        form_status(form)


@bp.route("/buildings/<int:building_id>/units/new", methods=["GET", "POST"])
@requires("register.edit")
def new_unit(building_id: int):
    """Add a unit to a building."""
    building = scoped_get(Building, building_id)
    form = UnitForm(usage=building.usage)
    if form.validate_on_submit():
        try:
            unit = records.create_unit(current_user, building, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Unit %(code)s added.", code=unit.code), "success")
            return redirect(url_for("register.building", building_id=building.id))
    return render_template("form_page.html", form=form,
                           title=_("Add unit · %(b)s", b=building.label),
                           back=url_for("register.building", building_id=building.id)), \
        form_status(form)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("register.edit")
def edit_unit(unit_id: int):
    """Change a unit."""
    unit = scoped_get(Unit, unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            records.update_unit(current_user, unit, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Unit %(code)s saved.", code=unit.code), "success")
            return redirect(url_for("register.building", building_id=unit.building_id))
    return render_template("form_page.html", form=form, title=_("Edit unit %(c)s", c=unit.code),
                           back=url_for("register.building", building_id=unit.building_id)), \
        form_status(form)


@bp.route("/units/<int:unit_id>/residents/new", methods=["GET", "POST"])
@requires("register.edit")
def add_occupancy(unit_id: int):
    """Register a new resident of a unit."""
    unit = scoped_get(Unit, unit_id)
    form = ResidentForm()
    if form.validate_on_submit():
        try:
            records.register_resident(current_user, unit, form.data, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Resident %(name)s registered.", name=form.name.data), "success")
            return redirect(url_for("register.unit_residents", unit_id=unit.id))
    return render_template("form_page.html", form=form,
                           title=_("Register resident · %(c)s", c=unit.code),
                           back=url_for("register.unit_residents", unit_id=unit.id)), \
        form_status(form)


@bp.get("/units/<int:unit_id>")
@requires("register.view")
def unit_residents(unit_id: int):
    """Show a unit and its residents."""
    unit = scoped_get(Unit, unit_id)
    return render_template("register/unit.html", unit=unit,
                           occupancies=queries.occupancies_of_unit(unit.id))


@bp.route("/occupancies/<int:occupancy_id>/end", methods=["GET", "POST"])
@requires("register.edit")
def end_occupancy(occupancy_id: int):
    """Record that a resident has left a unit."""
    occupancy = scoped_get(Occupancy, occupancy_id)
    form = EndOccupancyForm()
    if form.validate_on_submit():
        try:
            records.end_occupancy(current_user, occupancy, form.end_date.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Move-out recorded."), "success")
            return redirect(url_for("register.unit_residents", unit_id=occupancy.unit_id))
    return render_template(
        "form_page.html", form=form,
        title=_("Move-out · %(name)s · %(c)s", name=occupancy.person.name, c=occupancy.unit.code),
        back=url_for("register.unit_residents", unit_id=occupancy.unit_id)), form_status(form)


@bp.get("/people")
@requires("register.view")
def people():
    """List and filter the estate's residents."""
    estate = require_estate()
    q = request.args.get("q", "")[:64]
    page = request.args.get("page", 1, type=int)
    return render_template("register/people.html", people=queries.people(estate.id, q, page),
                           q=q)


@bp.route("/people/new", methods=["GET", "POST"])
@requires("register.edit")
def new_person():
    """Register a person without a unit yet."""
    estate = require_estate()
    form = PersonForm()
    if form.validate_on_submit():
        try:
            person = records.create_person(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("%(name)s registered.", name=person.name), "success")
            return redirect(url_for("register.person", person_id=person.id))
    return render_template("form_page.html", form=form, title=_("Add resident"),
                           back=url_for("register.people")), form_status(form)


@bp.get("/people/<int:person_id>")
@requires("register.view")
def person(person_id: int):
    """Show a person with their units and vehicles."""
    person = scoped_get(Person, person_id)
    return render_template("register/person.html", person=person, link=LinkUnitForm(),
                           vehicle=VehicleForm(), delete=DeleteForm())


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires("register.edit")
def edit_person(person_id: int):
    """Change a person's details."""
    person = scoped_get(Person, person_id)
    form = PersonForm(obj=person)
    if form.validate_on_submit():
        try:
            records.update_person(current_user, person, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("register.person", person_id=person.id))
    return render_template("form_page.html", form=form,
                           title=_("Edit resident %(n)s", n=person.name),
                           back=url_for("register.person", person_id=person.id)), form_status(form)


@bp.post("/people/<int:person_id>/units")
@requires("register.edit")
def link_unit(person_id: int):
    """Link a person to a unit given by its code."""
    person = scoped_get(Person, person_id)
    form = LinkUnitForm()
    if form.validate_on_submit():
        unit = queries.unit_by_code(person.estate_id, form.unit_code.data.strip())
        try:
            if unit is None:
                raise DomainError(
                    _("There is no unit %(code)s in this estate.", code=form.unit_code.data),
                    "unit_code")
            records.add_occupancy(current_user, unit, person, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Linked to unit %(code)s.", code=unit.code), "success")
            return redirect(url_for("register.person", person_id=person.id))
    return render_template("register/person.html", person=person, link=form,
                           vehicle=VehicleForm(formdata=None), delete=DeleteForm()), 422


@bp.post("/people/<int:person_id>/vehicles")
@requires("register.edit")
def add_vehicle(person_id: int):
    """Register a vehicle for a person."""
    person = scoped_get(Person, person_id)
    form = VehicleForm()
    if form.validate_on_submit():
        current = [o.unit for o in person.occupancies if o.end_date is None]
        try:
            records.add_vehicle(current_user, person.estate_id, form.data, person=person,
                                 unit=current[0] if current else None)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Vehicle added."), "success")
            return redirect(url_for("register.person", person_id=person.id))
    return render_template("register/person.html", person=person, link=LinkUnitForm(formdata=None),
                           vehicle=form, delete=DeleteForm()), 422


@bp.post("/vehicles/<int:vehicle_id>/delete")
@requires("register.edit")
def delete_vehicle(vehicle_id: int):
    """Remove a vehicle."""
    vehicle = scoped_get(Vehicle, vehicle_id)
    person_id = vehicle.person_id
    if DeleteForm().validate_on_submit():
        records.remove_vehicle(current_user, vehicle)
        flash(_("Vehicle deleted."), "success")
    if person_id:
        return redirect(url_for("register.person", person_id=person_id))
    return redirect(url_for("register.people"))
