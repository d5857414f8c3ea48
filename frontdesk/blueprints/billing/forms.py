"""Forms of the bill-run pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
PERIOD_MESSAGE = _l("Enter the period as year-month, e.g. 2026-11.")
REASON = [InputRequired(_l("Please give the reason.")),
          Length(max=200, message=_l("The reason must not be longer than 200 characters."))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RunForm(FlaskForm):
    """Period and scope of a bill run (sent by GET: it only shows a preview)."""

    class Meta:
        csrf = False

    period = StringField(_l("Period"), filters=[_strip],
                         validators=[InputRequired(PERIOD_MESSAGE),
                                     Regexp(PERIOD_PATTERN, message=PERIOD_MESSAGE)])
    building = SelectField(_l("Scope"), validators=[Optional()], validate_choice=True)
    submit = SubmitField(_l("Preview"))


class PostForm(FlaskForm):
    """Post the previewed run: the same period and scope again."""

    period = HiddenField(validators=[InputRequired(), Regexp(PERIOD_PATTERN)])
    building = HiddenField(validators=[Regexp(r"^[0-9]{0,9}$")])  # blank: the whole estate
    #: the poster has read what will post and what is held or left out
    confirm = BooleanField(_l("I have checked the preview: post only the clean lines."))
    submit = SubmitField(_l("Post the bills"))


class CreditForm(FlaskForm):
    """Credit note (冲红) for the unpaid part of a line."""

    reason = StringField(_l("Reason"), filters=[_strip], validators=REASON)
    submit = SubmitField(_l("Credit note"))


class AdjustmentForm(FlaskForm):
    """An adjustment line for a unit, positive or negative."""

    fee_item = SelectField(_l("Fee item"), coerce=int)
    period = StringField(_l("Period"), filters=[_strip],
                         validators=[InputRequired(PERIOD_MESSAGE),
                                     Regexp(PERIOD_PATTERN, message=PERIOD_MESSAGE)])
    amount = StringField(_l("Amount (negative to reduce)"), filters=[_strip],
                         validators=[InputRequired(_l("Please enter the amount.")),
                                     Length(max=20)])
    reason = StringField(_l("Reason"), filters=[_strip], validators=REASON)
    submit = SubmitField(_l("Add adjustment"))
