"""Forms of key loans: lend, return, and the lost-key report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from frontdesk.forms import LocalDateTimeField
from frontdesk.services.keys.loans import CONDITIONS

#: the borrower select's value for someone not on the key's lists, typed in the form
OTHER_BORROWER = "other"


class LendForm(FlaskForm):
    #: an owner or authorised person picked from the key's lists, or OTHER_BORROWER (typed)
    borrower = SelectField(_l("Choose from the key's lists"), choices=[], validate_choice=False)
    borrower_name = StringField(_l("Borrower's name"), validators=[Length(max=64)])
    borrower_phone = StringField(_l("Borrower's phone"), validators=[Length(max=20)])
    borrower_id_tail = StringField(
        _l("Last four characters of the borrower's ID number"), validators=[Length(max=8)])
    purpose = StringField(_l("Purpose"), validators=[
        InputRequired(_l("Please enter what the key is borrowed for.")), Length(max=200)])
    expected_return_at = LocalDateTimeField(
        _l("Expected return (YYYY-MM-DD HH:MM)"),
        validators=[InputRequired(_l("Please enter when the key will be returned."))])
    proxy_name = StringField(_l("Picked up by (proxy), name"), validators=[Length(max=64)])
    proxy_phone = StringField(_l("Picked up by, phone"), validators=[Length(max=20)])
    proxy_id_tail = StringField(_l("Picked up by, last four ID characters"),
                                validators=[Length(max=8)])
    manager_username = StringField(_l("Approving manager's username"),
                                   validators=[Length(max=64)])
    manager_password = PasswordField(_l("Approving manager's password"),
                                     validators=[Length(max=128)])
    approve_reason = StringField(_l("Reason for the approval"), validators=[Length(max=200)])
    submit = SubmitField(_l("Lend the key"))


class ReturnForm(FlaskForm):
    returned_at = LocalDateTimeField(_l("Returned at (YYYY-MM-DD HH:MM)"), validators=[
        InputRequired(_l("Please enter when the key was returned."))])
    condition = SelectField(_l("Condition"), choices=[(c, c) for c in CONDITIONS])
    note = StringField(_l("Note (what is damaged)"), validators=[Length(max=150)])
    submit = SubmitField(_l("Take the key back"))


class LostForm(FlaskForm):
    circumstances = TextAreaField(_l("Circumstances"), validators=[
        InputRequired(_l("Please describe how the key was lost.")), Length(max=500)])
    charge_amount = StringField(_l("Replacement charge on the unit's bill (yuan, optional)"),
                                validators=[Length(max=20)])
    submit = SubmitField(_l("Report the key lost"))


class PrintForm(FlaskForm):
    submit = SubmitField(_l("Print the loan slip"))
