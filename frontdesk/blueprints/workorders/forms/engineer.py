"""Forms of the engineer's day: the steps of an order, materials and labour, photos."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from frontdesk.labels import COST_KIND_LABELS
from frontdesk.models.workorders import COST_KINDS

#: where a step sends the engineer back to: the queue, their order page, the desk's order page
BACK = ("queue", "order", "detail")


class StepForm(FlaskForm):
    """A button: accept, take, start, resume, remove a cost line."""

    #: one of BACK (anything else reads as "order")
    back = HiddenField()
    submit = SubmitField(_l("OK"))


class ReasonForm(StepForm):
    """Decline or pause, with the reason."""

    reason = StringField(_l("Reason"), validators=[
        InputRequired(_l("Please give a reason.")), Length(max=200)])


class CostForm(StepForm):
    kind = SelectField(_l("Kind"), choices=[(k, COST_KIND_LABELS[k]) for k in COST_KINDS],
                       default="material")
    name = StringField(_l("Material or work"), validators=[
        InputRequired(_l("Please enter what was used or done.")), Length(max=64)])
    #: decimals typed as text: the service reads them exactly and says what is wrong
    quantity = StringField(_l("Quantity"), default="1", validators=[
        InputRequired(_l("Please enter the quantity.")), Length(max=20)])
    unit_name = StringField(_l("Unit (e.g. 个, 米, 小时)"), validators=[Length(max=8)])
    unit_price = StringField(_l("Unit price (yuan)"), validators=[
        InputRequired(_l("Please enter the unit price.")), Length(max=20)])


class CompleteForm(StepForm):
    note = TextAreaField(_l("What was done"), validators=[
        InputRequired(_l("Please write what was done.")), Length(max=1000)])
    photos = MultipleFileField(_l("Photos of the work (optional)"))


class PhotosForm(StepForm):
    photos = MultipleFileField(_l("Photos"))
