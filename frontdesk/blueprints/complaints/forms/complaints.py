"""Forms of the complaint pages: register, a step, a work order, the register's month."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.models.complaints import CHANNELS

TOO_LONG = _l("At most %(max)d characters.")


def _long(n: int):
    return Length(max=n, message=TOO_LONG)


class RegisterForm(FlaskForm):
    person_id = HiddenField()
    unit_id = HiddenField()
    name = StringField(_l("Complainant"), validators=[
        InputRequired(message=_l("Please enter the complainant's name.")), _long(64)])
    phone = StringField(_l("Phone"), validators=[
        InputRequired(message=_l("Please enter a phone number to reply to the resident.")),
        _long(20)])
    unit_code = StringField(_l("Unit"), validators=[Optional(), _long(32)],
                            description=_l("The unit's code, e.g. 3-2-1502; blank for none."))
    channel = SelectField(_l("Channel"), choices=[(c, c) for c in CHANNELS],
                          validators=[InputRequired(message=_l("Choose how the complaint came "
                                                               "in."))])
    category = SelectField(_l("Category"), choices=[],
                           validators=[InputRequired(message=_l("Choose a category."))])
    content = TextAreaField(_l("Complaint"), validators=[
        InputRequired(message=_l("Please write down the complaint.")), _long(2000)],
        render_kw={"rows": 4})
    request = TextAreaField(_l("What the resident asks for"), validators=[Optional(),
                                                                           _long(1000)],
                            render_kw={"rows": 2})
    submit = SubmitField(_l("Register the complaint"))


class StepForm(FlaskForm):
    action = HiddenField()
    note = TextAreaField(_l("Note"), validators=[Optional(), _long(2000)], render_kw={"rows": 3})
    compensation = StringField(_l("Compensation (yuan)"), validators=[Optional(), _long(20)],
                               description=_l("Blank or 0 for none."))
    submit = SubmitField(_l("Save"))


class CallbackForm(FlaskForm):
    satisfaction = RadioField(_l("Satisfaction"), choices=[(str(n), str(n)) for n in range(1, 6)],
                              validators=[InputRequired(message=_l("Choose a satisfaction "
                                                                   "from 1 to 5."))])
    comment = TextAreaField(_l("The resident's comment"), validators=[Optional(), _long(500)],
                            render_kw={"rows": 2},
                            description=_l("Required when the resident is not satisfied "
                                           "(1–2)."))
    submit = SubmitField(_l("Record the callback"))


class OrderForm(FlaskForm):
    category_id = SelectField(_l("Repair category"), choices=[], validators=[
        InputRequired(message=_l("Choose a category."))])
    description = TextAreaField(_l("What to do"), validators=[
        InputRequired(message=_l("Please describe the work.")), _long(1000)],
        render_kw={"rows": 2})
    area = StringField(_l("Public place"), validators=[Optional(), _long(100)],
                       description=_l("When the complaint names no unit, e.g. 3号楼 电梯厅."))
    priority = SelectField(_l("Priority"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Open a work order"))


class PrintForm(FlaskForm):
    submit = SubmitField(_l("Print the complaint sheet"))


class CategoryForm(FlaskForm):
    name = StringField(_l("New category"), validators=[
        InputRequired(message=_l("Please enter the name.")), _long(32)])
    submit = SubmitField(_l("Add"))


class CategoryToggleForm(FlaskForm):
    name = HiddenField()
    retire = SubmitField(_l("Retire"))
    restore = SubmitField(_l("Use again"))
