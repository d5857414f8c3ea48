"""Forms of an order's page: dispatch, cancel, quote, callback, close; and the list's filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from frontdesk.labels import PRIORITY_LABELS, WORK_ORDER_STATES
from frontdesk.models.workorders import PRIORITIES, STATES

REASON_REQUIRED = _l("Please give a reason.")
#: 5 (very satisfied) first, as the call script reads them
SCORES = [(str(n), str(n)) for n in range(5, 0, -1)]


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validate_choice=False, choices=[
        ("", _l("All states")), ("open", _l("Not finished"))] + [
        (s, WORK_ORDER_STATES[s]) for s in STATES])
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False, choices=[
        ("", _l("All priorities"))] + [(p, PRIORITY_LABELS[p]) for p in PRIORITIES])
    overdue = SelectField(_l("Due"), validate_choice=False, choices=[
        ("", _l("All")), ("1", _l("Overdue only"))])
    q = StringField(_l("Search"), validators=[Length(max=64)])
    submit = SubmitField(_l("Filter"))


class DispatchForm(FlaskForm):
    assignee_id = SelectField(_l("Engineer"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Dispatch"))


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[
        InputRequired(REASON_REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Cancel the order"))


class QuoteForm(FlaskForm):
    quote_amount = StringField(_l("Quoted amount (yuan)"), validators=[
        InputRequired(_l("Please enter the quoted amount.")), Length(max=20)])
    confirmed_by = StringField(_l("Confirmed by (the resident's name)"),
                               validators=[Length(max=64)],
                               description=_l("Leave it blank until the resident agrees."))
    submit = SubmitField(_l("Save the quote"))


class CallbackForm(FlaskForm):
    satisfaction = RadioField(_l("Satisfaction"), choices=SCORES, validate_choice=False,
                              validators=[InputRequired(_l("Choose a satisfaction from 1 to 5."))])
    comment = TextAreaField(_l("The resident's comment"), validators=[Length(max=500)])
    submit = SubmitField(_l("Record the callback"))


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Close the order"))
