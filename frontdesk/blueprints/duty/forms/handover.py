"""Forms of the handover and of the printed daily sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from frontdesk.forms import DateField


class HandoverForm(FlaskForm):
    items = SelectMultipleField(_l("Pending items to hand over"), choices=[],
                                validate_choice=False, widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    notes = TextAreaField(_l("Other items (one per line)"), validators=[Length(max=10500)])
    handover_note = TextAreaField(_l("Handover note"), validators=[Length(max=1000)])
    cash_counted = StringField(_l("Cash counted in the drawer (yuan)"), validators=[
        InputRequired(_l("Please enter the cash counted in the drawer (0 if none).")),
        Length(max=20)])
    cash_note = StringField(_l("Note on the cash"), validators=[Length(max=200)])
    incoming_username = StringField(_l("Incoming staff member's username"), validators=[
        InputRequired(_l("The incoming staff member enters their username.")),
        Length(max=64)])
    incoming_password = PasswordField(_l("Incoming staff member's password"), validators=[
        InputRequired(_l("The incoming staff member enters their password.")),
        Length(max=128)])
    submit = SubmitField(_l("Hand over and lock the shift"))


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    day = DateField(_l("Day of the shifts"), validators=[Optional()])
