"""The form of the move-in setup."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from frontdesk.blueprints.keys.forms import WholeNumberField
from frontdesk.forms import MoneyField


class SetupForm(FlaskForm):
    checklist = TextAreaField(_l("Inspection checklist (one room a line: room：item、item)"),
                              validators=[InputRequired(_l("The checklist needs at least one "
                                                           "room.")), Length(max=5000)],
                              render_kw={"rows": 8})
    fee_item_id = SelectField(_l("Management fee item"), choices=[], validate_choice=False)
    prepaid_months = WholeNumberField(_l("Months proposed in advance"), validators=[
        InputRequired(_l("The months paid in advance are a whole number from 1 to 36."))])
    decoration_deposit = MoneyField(_l("Decoration deposit proposed (yuan)"))
    submit = SubmitField(_l("Save"))
