"""Forms of the payment pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.forms import MoneyField
from frontdesk.labels import PAYMENT_METHOD_LABELS, PAYMENT_PURPOSE_LABELS, REFUND_SOURCE_LABELS
from frontdesk.services.fees.payments import DEPOSIT_KINDS
from frontdesk.services.validation import record_id

METHOD_CHOICES = list(PAYMENT_METHOD_LABELS.items())
PURPOSE_CHOICES = list(PAYMENT_PURPOSE_LABELS.items())
SOURCE_CHOICES = list(REFUND_SOURCE_LABELS.items())
REASON_REQUIRED = _l("Please give the reason.")


class IdListField(Field):
    """The ids of the ticked checkboxes of one name."""

    def process_formdata(self, valuelist):
        self.data = []
        for value in valuelist:
            if not str(value).isdigit() or len(str(value)) > 12:
                self.data = []
                raise ValueError(str(_l("A ticked bill is not an open bill of this unit any "
                                        "more. Please reload the page.")))
            self.data.append(int(value))

    def _value(self):
        return ""


class PaymentForm(FlaskForm):
    amount = MoneyField(_l("Amount received (yuan)"),
                        validators=[InputRequired(_l("Please enter the amount."))])
    method = SelectField(_l("Payment method"), choices=METHOD_CHOICES)
    purpose = SelectField(_l("Payment for"), choices=PURPOSE_CHOICES, default="bills")
    deposit_kind = SelectField(_l("Kind of deposit"),
                               choices=[("", "—")] + [(k, k) for k in DEPOSIT_KINDS],
                               validators=[Optional()])
    payer = StringField(_l("Payer"), validators=[Length(max=64)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    #: cash only: what the payer handed over, for the change (找零)
    tendered = MoneyField(_l("Cash handed over (yuan)"), validators=[Optional()])
    #: WeChat, Alipay, card or transfer: the transaction number on the payer's app or slip
    reference = StringField(_l("Transaction number"), validators=[Length(max=64)])
    line_ids = IdListField()
    idempotency_key = HiddenField(validators=[
        InputRequired(_l("The form has expired. Please reload the page and submit it again.")),
        Length(max=64)])
    submit = SubmitField(_l("Take payment and issue receipt"))


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason for the void"),
                         validators=[InputRequired(REASON_REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Void receipt"))


class PrintForm(FlaskForm):
    submit = SubmitField(_l("Print"))


class RefundForm(FlaskForm):
    source = SelectField(_l("Refund of"), choices=SOURCE_CHOICES)
    deposit_id = SelectField(_l("Deposit"), coerce=record_id, choices=[],
                             validate_choice=False, validators=[Optional()])
    amount = MoneyField(_l("Amount to refund (yuan)"),
                        validators=[InputRequired(_l("Please enter the amount."))])
    method = SelectField(_l("Paid back by"), choices=METHOD_CHOICES)
    reason = TextAreaField(_l("Reason"),
                           validators=[InputRequired(REASON_REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Request refund"))


class DecideRefundForm(FlaskForm):
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class PayRefundForm(FlaskForm):
    """Hand an approved refund's money over: how, and to whom."""

    method = SelectField(_l("Paid back by"), choices=METHOD_CHOICES)
    payee = StringField(_l("Paid to (signs the voucher)"),
                        validators=[InputRequired(_l("Please enter who receives the money.")),
                                    Length(max=64)])
    submit = SubmitField(_l("Record as paid out"))


class WaiveForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the waiver"),
                           validators=[InputRequired(REASON_REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Waive late fee"))
