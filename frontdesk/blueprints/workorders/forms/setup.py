"""Forms of the work-order setup: categories, service levels and working hours, an engineer."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

NAME_REQUIRED = _l("Please enter the name.")


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(NAME_REQUIRED), Length(max=32)])
    team = StringField(_l("Team"), validators=[Length(max=32)],
                       description=_l("The team its orders go to; blank for any."))
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class SettingsForm(FlaskForm):
    urgent_response_minutes = StringField(_l("Urgent: respond within (minutes)"),
                                          validators=[Length(max=8)])
    urgent_completion_minutes = StringField(_l("Urgent: complete within (minutes)"),
                                            validators=[Length(max=8)])
    normal_response_minutes = StringField(_l("Normal: respond within (minutes)"),
                                          validators=[Length(max=8)])
    normal_completion_minutes = StringField(_l("Normal: complete within (minutes)"),
                                            validators=[Length(max=8)])
    working_hours = BooleanField(_l("Count only working hours"))
    day_start = StringField(_l("Working day starts (HH:MM)"), validators=[Length(max=5)])
    day_end = StringField(_l("Working day ends (HH:MM)"), validators=[Length(max=5)])
    submit = SubmitField(_l("Save the service levels"))


class EngineerForm(FlaskForm):
    team = StringField(_l("Team"), validators=[Length(max=32)])
    skills = SelectMultipleField(_l("Skills"), choices=[], validate_choice=False,
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
    on_duty = BooleanField(_l("On duty"))
    is_lead = BooleanField(_l("Team lead (dispatches orders)"))
    submit = SubmitField(_l("Save"))
