"""Forms of move-out and transfer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from frontdesk.forms import DateField
from frontdesk.labels import MOVE_OUT_KIND_LABELS
from frontdesk.models.register import ID_TYPES


class MoveOutForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(MOVE_OUT_KIND_LABELS.items()))
    name = StringField(_l("New owner's name (transfer)"), validators=[Length(max=64)])
    phone = StringField(_l("New owner's phone"), validators=[Length(max=20)])
    id_type = SelectField(_l("ID type"), choices=[(t, t) for t in ID_TYPES],
                          validate_choice=False)
    id_number = StringField(_l("New owner's ID number"), validators=[Length(max=32)])
    submit = SubmitField(_l("Start"))


class OverrideForm(FlaskForm):
    reason = StringField(_l("Reason for letting it complete with fees owed"), validators=[
        InputRequired(_l("Please give a reason.")), Length(max=200)])
    submit = SubmitField(_l("Override"))


class MoveOutCompleteForm(FlaskForm):
    end_date = DateField(_l("Residents leave on"), validators=[
        InputRequired(_l("Enter the date the residents leave."))])
    return_keys = BooleanField(_l("Keys in custody are returned to the owner"), default=True)
    submit = SubmitField(_l("Complete"))
