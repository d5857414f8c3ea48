"""The callback form: a satisfaction from 1 to 5 and the resident's comment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class CallbackForm(FlaskForm):
    satisfaction = RadioField(_l("Satisfaction"), choices=[(str(n), str(n)) for n in range(1, 6)],
                              validators=[InputRequired(message=_l("Choose a satisfaction "
                                                                   "from 1 to 5."))])
    comment = TextAreaField(_l("The resident's comment"), validators=[
        Optional(), Length(max=500, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2})
    submit = SubmitField(_l("Record the callback"))


class YearForm(FlaskForm):
    class Meta:
        csrf = False

    year = StringField(_l("Year"), validators=[Optional(), Length(max=4)])
