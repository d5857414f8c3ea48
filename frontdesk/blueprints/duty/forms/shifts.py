"""Forms of the shift times (a manager's)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class DefinitionForm(FlaskForm):
    name = StringField(_l("Shift name"), validators=[InputRequired(_l("Please name the shift.")),
                                               Length(max=16)])
    start = StringField(_l("Starts (HH:MM)"), validators=[
        InputRequired(_l("Enter the time as hours:minutes, e.g. 08:30.")), Length(max=5)])
    end = StringField(_l("Ends (HH:MM; at or before the start: the next day)"), validators=[
        InputRequired(_l("Enter the time as hours:minutes, e.g. 08:30.")), Length(max=5)])
    sort_order = IntegerField(_l("Order in the list"), default=0,
                              validators=[Optional(), NumberRange(min=0, max=99)])
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))
