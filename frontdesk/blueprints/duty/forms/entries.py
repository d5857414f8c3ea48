"""Forms of the duty log: an entry or a call (with a work order), an addendum, the search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from frontdesk.forms import DateField, LocalDateTimeField
from frontdesk.labels import ENTRY_KIND_LABELS, PRIORITY_LABELS
from frontdesk.models.duty import ENTRY_KINDS
from frontdesk.models.workorders import PRIORITIES
from frontdesk.services.duty.entries import MAX_CONTENT, MAX_HANDLING


class EntryForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(k, ENTRY_KIND_LABELS[k]) for k in ENTRY_KINDS])
    at = LocalDateTimeField(_l("Time (YYYY-MM-DD HH:MM)"), validators=[
        InputRequired(_l("Please enter when it happened (YYYY-MM-DD HH:MM)."))])
    caller_name = StringField(_l("Caller"), validators=[Length(max=64)])
    caller_phone = StringField(_l("Caller's number"), validators=[Length(max=20)])
    content = TextAreaField(_l("Content"), validators=[
        InputRequired(_l("Please describe what happened.")), Length(max=MAX_CONTENT)])
    handling = TextAreaField(_l("Handling"), validators=[Length(max=MAX_HANDLING)])
    call_result = StringField(_l("Result of the call"), validators=[Length(max=500)])
    unit_code = StringField(_l("Unit (e.g. 3-2-1502)"), validators=[Length(max=40)])
    person = StringField(_l("Resident (name or phone)"), validators=[Length(max=64)])
    work_order_no = StringField(_l("Work order no. (GD…)"), validators=[Length(max=20)])
    key_loan_no = StringField(_l("Key loan no. (JY…)"), validators=[Length(max=20)])
    open_work_order = BooleanField(_l("Open a work order for this (source: the call, visit or "
                                      "patrol)"))
    category_id = SelectField(_l("Work order category"), coerce=str, choices=[],
                              validate_choice=False)
    priority = SelectField(_l("Work order priority"),
                           choices=[(p, PRIORITY_LABELS[p]) for p in PRIORITIES],
                           default="normal")
    area = StringField(_l("Public place (when no unit)"), validators=[Length(max=100)])
    open_complaint = BooleanField(_l("Register a complaint from this call"))
    complaint_category = SelectField(_l("Complaint category"), coerce=str, choices=[],
                                     validate_choice=False)
    complaint_request = StringField(_l("What the resident asks for"),
                                    validators=[Length(max=1000)])
    submit = SubmitField(_l("Save the entry"))


class AddendumForm(FlaskForm):
    content = TextAreaField(_l("Addendum"), validators=[
        InputRequired(_l("Please write the addendum.")), Length(max=MAX_CONTENT)])
    submit = SubmitField(_l("Add the addendum"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=[("", "")] + [(k, k) for k in ENTRY_KINDS],
                       validate_choice=False)
    unit_code = StringField(_l("Unit"), validators=[Length(max=40)])
    q = StringField(_l("Text contains"), validators=[Length(max=100)])
