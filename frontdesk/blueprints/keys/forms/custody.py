"""Forms of the custody pages: deposit, authorise, revoke, take back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.blueprints.keys.forms import COPIES_MESSAGE, WholeNumberField
from frontdesk.forms import LocalDateTimeField, MoneyField
from frontdesk.labels import PAYMENT_METHOD_LABELS

METHOD_CHOICES = list(PAYMENT_METHOD_LABELS.items())
EXPIRED = _l("The form has expired. Please reload the page and submit it again.")


class DepositForm(FlaskForm):
    depositor = SelectField(_l("Depositor"), choices=[], validate_choice=False)
    name = StringField(_l("Depositor's name"), validators=[Length(max=64)],
                       description=_l("When the depositor is not a registered owner."))
    phone = StringField(_l("Depositor's phone"), validators=[Length(max=20)])
    copies = WholeNumberField(_l("Copies"), default=1, message=COPIES_MESSAGE,
                              validators=[InputRequired(COPIES_MESSAGE)])
    deposit_amount = MoneyField(_l("Key deposit (yuan)"), validators=[Optional()],
                                description=_l("Leave blank when no deposit is taken."))
    method = SelectField(_l("Payment method"), choices=METHOD_CHOICES, validate_choice=False)
    note = StringField(_l("Note"), validators=[Length(max=200)])
    idempotency_key = HiddenField(validators=[InputRequired(EXPIRED), Length(max=64)])
    submit = SubmitField(_l("Take into custody"))


class AuthoriseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(_l("Please enter the name of the authorised person.")), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[
        InputRequired(_l("Please enter the phone of the authorised person.")), Length(max=20)])
    id_tail = StringField(_l("Last four characters of the ID number"), validators=[
        InputRequired(_l("Enter the last four characters of the ID number: four digits, the "
                         "last of which may be X.")), Length(max=8)])
    valid_until = LocalDateTimeField(_l("Valid until"), day_end=True, validators=[
        InputRequired(_l("Enter until when the authorisation holds, e.g. 2026-12-31 18:00."))],
        description=_l("YYYY-MM-DD HH:MM; a date alone means the end of that day."))
    submit = SubmitField(_l("Authorise"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))


class TakeBackForm(FlaskForm):
    refund_method = SelectField(_l("Deposit paid back by"),
                                choices=[("", _l("The way it was paid"))] + METHOD_CHOICES,
                                validate_choice=False)
    submit = SubmitField(_l("Owner takes the key back"))
