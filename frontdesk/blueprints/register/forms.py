"""Forms of the register pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from frontdesk.forms import AreaField, DateField
from frontdesk.models.register import BUILDING_USAGES, ID_TYPES, UNIT_STATUSES

_usages = [(u, u) for u in BUILDING_USAGES]
NUMBER = _l("Please enter a whole number.")


class BuildingForm(FlaskForm):
    number = StringField(_l("Building number"),
                         validators=[InputRequired(_l("Please enter the building number.")),
                                     Length(max=16)])
    name = StringField(_l("Building name"), validators=[Length(max=64)])
    usage = SelectField(_l("Usage"), choices=_usages)
    floors = IntegerField(_l("Floors"), validators=[
        InputRequired(NUMBER),
        NumberRange(1, 200, _l("The number of floors must be between 1 and 200.")),
    ])
    elevator = BooleanField(_l("Has a lift"))
    submit = SubmitField(_l("Save"))


class UnitForm(FlaskForm):
    entrance = StringField(_l("Entrance"),
                           validators=[InputRequired(_l("Please enter the entrance.")),
                                       Length(max=8)])
    floor = IntegerField(_l("Floor"), validators=[InputRequired(NUMBER)])
    room = StringField(_l("Unit no."),
                       validators=[InputRequired(_l("Please enter the unit number.")),
                                   Length(max=16)])
    gross_area = AreaField(_l("Gross area (m²)"))
    inner_area = AreaField(_l("Inner area (m²)"))
    usage = SelectField(_l("Usage"), choices=_usages)
    status = SelectField(_l("Status"), choices=[(s, s) for s in UNIT_STATUSES])
    handover_date = DateField(_l("Handover date"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class PersonForm(FlaskForm):
    name = StringField(_l("Name"),
                       validators=[InputRequired(_l("Please enter the name.")), Length(max=64)])
    phone = StringField(_l("Mobile / phone"), validators=[Length(max=20)])
    id_type = SelectField(_l("ID type"), choices=[(t, t) for t in ID_TYPES])
    id_number = StringField(_l("ID number"), validators=[Length(max=32)])
    emergency_contact = StringField(_l("Emergency contact"), validators=[Length(max=64)])
    emergency_phone = StringField(_l("Emergency phone"), validators=[Length(max=20)])
    note = TextAreaField(_l("Note"), validators=[Length(max=500)])
    submit = SubmitField(_l("Save"))


ROLE_CHOICES = [("owner", _l("Owner")), ("tenant", _l("Tenant")),
                ("member", _l("Household member"))]


class ResidentForm(PersonForm):
    """A new person and their occupancy of a unit."""

    role = SelectField(_l("Resident type"), choices=ROLE_CHOICES)
    start_date = DateField(_l("Start date"),
                           validators=[InputRequired(_l("Please enter the start date."))])
    is_primary = BooleanField(_l("Primary contact"))


class LinkUnitForm(FlaskForm):
    """Link an existing person to a unit by its code."""

    unit_code = StringField(_l("Unit no. (e.g. 3-2-1502)"),
                            validators=[InputRequired(_l("Please enter the unit number.")),
                                        Length(max=40)])
    role = SelectField(_l("Resident type"), choices=ROLE_CHOICES)
    start_date = DateField(_l("Start date"),
                           validators=[InputRequired(_l("Please enter the start date."))])
    is_primary = BooleanField(_l("Primary contact"))
    submit = SubmitField(_l("Link to unit"))


class EndOccupancyForm(FlaskForm):
    end_date = DateField(_l("End date"),
                         validators=[InputRequired(_l("Please enter the end date."))])
    submit = SubmitField(_l("Confirm move-out"))


class VehicleForm(FlaskForm):
    plate = StringField(_l("Plate number"),
                        validators=[InputRequired(_l("Please enter the plate number.")),
                                    Length(max=16)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Add vehicle"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))
