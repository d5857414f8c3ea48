"""The intake form: a repair reported at the desk, from a unit card or a call."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from frontdesk.forms import LocalDateTimeField
from frontdesk.labels import PRIORITY_LABELS, SOURCE_LABELS
from frontdesk.models.workorders import PRIORITIES, SOURCES

EXPIRED = _l("The form has expired. Please reload the page and submit it again.")


class IntakeForm(FlaskForm):
    source = SelectField(_l("Source"), choices=[(s, SOURCE_LABELS[s]) for s in SOURCES],
                         validate_choice=False)
    reporter_name = StringField(_l("Reporter"), validators=[
        InputRequired(_l("Please enter who reported it.")), Length(max=64)])
    reporter_phone = StringField(_l("Phone"), validators=[Length(max=20)])
    #: set when opened from a unit card; otherwise a building (optional) and the place
    unit_id = HiddenField()
    building_id = SelectField(_l("Building"), choices=[], validate_choice=False)
    area = StringField(_l("Place"), validators=[Length(max=100)],
                       description=_l("A public place, e.g. lift lobby, 1st floor; or where in "
                                      "the unit."))
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[
        InputRequired(_l("Please describe the problem.")), Length(max=1000)])
    priority = SelectField(_l("Priority"), default="normal",
                           choices=[(p, PRIORITY_LABELS[p]) for p in PRIORITIES],
                           validate_choice=False)
    appointment_at = LocalDateTimeField(_l("Appointment (optional)"), picker=True)
    chargeable = BooleanField(_l("Chargeable repair (the resident pays)"))
    quote_amount = StringField(_l("Quoted amount (yuan)"), validators=[Length(max=20)])
    photos = MultipleFileField(_l("Photos (up to 5: JPEG, PNG or a phone's HEIC, 5 MB each)"))
    intake_key = HiddenField(validators=[InputRequired(EXPIRED), Length(max=32)])
    submit = SubmitField(_l("Record the report"))
