"""Forms of the key register and custody pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.forms import LocalDateTimeField, MoneyField
from frontdesk.labels import KEY_STATUS_LABELS, PAYMENT_METHOD_LABELS
from frontdesk.models.keys import KEY_KINDS
from frontdesk.services.validation import record_id

METHOD_CHOICES = list(PAYMENT_METHOD_LABELS.items())
KIND_CHOICES = [(k, k) for k in KEY_KINDS]
STATUS_CHOICES = list(KEY_STATUS_LABELS.items())
EXPIRED = _l("The form has expired. Please reload the page and submit it again.")


class WholeNumberField(StringField):
    """A whole number typed in a text box; letters give a clear message, blank gives None."""

    def __init__(self, label=None, validators=None, *, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Enter a whole number.")

    def process_formdata(self, valuelist):
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValueError(str(self.message))
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


COPIES_MESSAGE = _l("The number of copies is a whole number from 1 to 99.")


class KeyForm(FlaskForm):
    tag = StringField(_l("Tag number"), validators=[
        InputRequired(_l("Please enter the tag number.")), Length(max=32)],
        description=_l("The number on the key's tag, unique in the estate, e.g. 3-2-1502-RHM-01."))
    unit_code = StringField(_l("Unit code"), validators=[Length(max=40)],
                            description=_l("The unit the key opens, e.g. 3-2-1502; leave it "
                                           "blank for a public area."))
    area = StringField(_l("Public area"), validators=[Length(max=64)],
                       description=_l("For a key of no unit, e.g. the plant room of building 3."))
    kind = SelectField(_l("Kind of key"), choices=KIND_CHOICES, validate_choice=False)
    kind_other = StringField(_l("Other kind"), validators=[Length(max=16)],
                             description=_l("Only with the kind Other."))
    copies = WholeNumberField(_l("Copies"), default=1, message=COPIES_MESSAGE,
                              validators=[InputRequired(COPIES_MESSAGE)])
    cabinet = StringField(_l("Cabinet"), validators=[Length(max=16)])
    slot = StringField(_l("Slot"), validators=[Length(max=16)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Save"))


class BulkForm(FlaskForm):
    building_id = SelectField(_l("Building"), coerce=record_id, choices=[],
                              validate_choice=False)
    kind = SelectField(_l("Kind of key"), choices=KIND_CHOICES, validate_choice=False)
    per_unit = WholeNumberField(
        _l("Keys per unit"), default=1,
        message=_l("Keys per unit is a whole number from 1 to 10."),
        validators=[InputRequired(_l("Keys per unit is a whole number from 1 to 10."))])
    pattern = StringField(
        _l("Tag pattern or prefix"), default=_l("{code}-{kind_code}-{n}"),
        validators=[Length(max=64)],
        description=_l("Placeholders: {code} the unit code (3-2-1502), {building}, {entrance}, "
                       "{floor}, {room}, {kind_code} (RHM for a door key …) and {n} (the key's "
                       "number in its unit, 01, 02 …). The default pattern gives the first door "
                       "key of 3-2-1502 the tag 3-2-1502-RHM-01. Without placeholders the text "
                       "is a prefix followed by a running number, e.g. KF- gives KF-001, "
                       "KF-002 …"))
    cabinet = StringField(_l("Cabinet"), validators=[Length(max=16)])
    first_slot = WholeNumberField(
        _l("First slot number"),
        message=_l("The first slot is a whole number from 1 to 100000."),
        description=_l("Slots are numbered on from it; leave blank for no slots."))
    copies = WholeNumberField(_l("Copies per key"), default=1, message=COPIES_MESSAGE,
                              validators=[InputRequired(COPIES_MESSAGE)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Register keys"))


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
