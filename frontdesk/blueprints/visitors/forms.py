"""Forms of the visitor log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

TOO_LONG = _l("At most %(max)d characters.")


class VisitForm(FlaskForm):
    unit_id = HiddenField()
    name = StringField(_l("Visitor"), validators=[
        InputRequired(message=_l("Please enter the visitor's name.")),
        Length(max=64, message=TOO_LONG)])
    id_tail = StringField(_l("ID number, last four"), validators=[
        Optional(), Length(max=30, message=TOO_LONG)],
        description=_l("Only the last four characters are kept: if the whole ID number is "
                       "typed, the rest is not stored."),
        render_kw={"autocomplete": "off"})
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20, message=TOO_LONG)])
    unit_code = StringField(_l("Unit visited"), validators=[
        Optional(), Length(max=32, message=TOO_LONG)],
        description=_l("The unit's code, e.g. 3-2-1502; blank for a public place."))
    purpose = StringField(_l("Purpose of the visit"), validators=[
        InputRequired(message=_l("Please enter the purpose of the visit.")),
        Length(max=200, message=TOO_LONG)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    submit = SubmitField(_l("Log the visitor in"))


class OutForm(FlaskForm):
    submit = SubmitField(_l("Mark as left"))
