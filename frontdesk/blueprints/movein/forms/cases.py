"""Forms of a move-in case and its steps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.blueprints.keys.forms import WholeNumberField
from frontdesk.forms import DateField, LocalDateTimeField, MoneyField
from frontdesk.labels import MOVEIN_STEP_LABELS, PAYMENT_METHOD_LABELS
from frontdesk.models.keys import KEY_KINDS
from frontdesk.models.movein import STEPS
from frontdesk.models.register import ID_TYPES

REASON_REQUIRED = _l("Please give a reason.")
EXPIRED = _l("The form has expired. Please reload the page and submit it again.")
ROLE_CHOICES = [("owner", _l("Owner")), ("member", _l("Household member")),
                ("tenant", _l("Tenant"))]


class StartForm(FlaskForm):
    submit = SubmitField(_l("Start the move-in"))


class SkipForm(FlaskForm):
    step = SelectField(_l("Step"), choices=[(s, MOVEIN_STEP_LABELS[s]) for s in STEPS])
    reason = StringField(_l("Reason for skipping"),
                         validators=[InputRequired(REASON_REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Skip the step"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(REASON_REQUIRED),
                                                   Length(max=200)])
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class VerifyForm(FlaskForm):
    identity_checked = BooleanField(_l("The owner's identity document was checked"))
    contract_no = StringField(_l("Purchase contract number"), validators=[
        InputRequired(_l("Purchase contract number is required.")), Length(max=64)])
    contract_date = DateField(_l("Contract date"), validators=[
        InputRequired(_l("Contract date is required."))])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Save: documents checked"))


class AgreementsForm(FlaskForm):
    service_agreement_date = DateField(_l("Property service agreement signed on"), validators=[
        InputRequired(_l("Enter the date the agreement was signed."))])
    rules_date = DateField(_l("Estate rules signed on"), validators=[
        InputRequired(_l("Enter the date the rules were signed."))])
    submit = SubmitField(_l("Save: agreements signed"))


class ResidentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Name is required.")),
                                               Length(max=64)])
    phone = StringField(_l("Mobile / phone"), validators=[Length(max=20)])
    id_type = SelectField(_l("ID type"), choices=[(t, t) for t in ID_TYPES])
    id_number = StringField(_l("ID number"), validators=[Length(max=32)])
    role = SelectField(_l("Resident type"), choices=ROLE_CHOICES)
    is_primary = BooleanField(_l("Primary contact"))
    emergency_contact = StringField(_l("Emergency contact"), validators=[Length(max=64)])
    emergency_phone = StringField(_l("Emergency phone"), validators=[Length(max=20)])
    plate = StringField(_l("Plate number (if any)"), validators=[Length(max=16)])
    submit = SubmitField(_l("Register resident"))


class KeyRowForm(Form):
    kind = SelectField(_l("Kind"), choices=[("", "—")] + [(k, k) for k in KEY_KINDS],
                       validate_choice=False)
    handed = WholeNumberField(_l("Handed to the owner"))
    kept = WholeNumberField(_l("Left with the desk"))


class AuthorisedForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Length(max=20)])
    id_tail = StringField(_l("ID last four"), validators=[Length(max=8)])
    valid_until = LocalDateTimeField(_l("Valid until"), day_end=True)


class KeysForm(FlaskForm):
    rows = FieldList(FormField(KeyRowForm), min_entries=4, max_entries=9)
    cabinet = StringField(_l("Cabinet"), validators=[Length(max=16)])
    slot = StringField(_l("Slot"), validators=[Length(max=16)])
    people = FieldList(FormField(AuthorisedForm), min_entries=2, max_entries=5)
    submit = SubmitField(_l("Save: keys handed over"))


class FeesForm(FlaskForm):
    months = WholeNumberField(_l("Months of management fee paid in advance"),
                              validators=[InputRequired(_l("Enter the number of months."))])
    prepaid = MoneyField(_l("Prepaid management fee (yuan)"), validators=[Optional()])
    deposit = MoneyField(_l("Decoration deposit (yuan)"), validators=[Optional()])
    method = SelectField(_l("Payment method"), choices=list(PAYMENT_METHOD_LABELS.items()))
    reference = StringField(_l("Transaction number"), validators=[Length(max=64)])
    payer = StringField(_l("Payer"), validators=[Length(max=64)])
    idempotency_key = HiddenField(validators=[InputRequired(EXPIRED), Length(max=64)])
    submit = SubmitField(_l("Take payment and issue one receipt"))


class CompleteForm(FlaskForm):
    handover_date = DateField(_l("Handover date (fees accrue from it)"), validators=[Optional()])
    start_date = DateField(_l("Move-in date"), validators=[
        InputRequired(_l("Enter the move-in date."))])
    submit = SubmitField(_l("Complete the move-in"))


class DefectForm(FlaskForm):
    room = StringField(_l("Room in the unit"), validators=[InputRequired(_l("Room is required.")),
                                               Length(max=32)])
    item = StringField(_l("Item"), validators=[InputRequired(_l("Item is required.")),
                                               Length(max=32)])
    note = TextAreaField(_l("Description"), validators=[
        InputRequired(_l("Description is required.")), Length(max=200)])
    submit = SubmitField(_l("Record the defect and open a work order"))


class AcceptForm(FlaskForm):
    defect_id = HiddenField(validators=[InputRequired(EXPIRED), Length(max=12)])
    accepted_by_name = StringField(_l("Accepted by (resident)"), validators=[
        InputRequired(_l("Accepted by is required.")), Length(max=64)])
    accept_note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Record acceptance"))
