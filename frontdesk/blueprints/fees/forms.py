"""Forms of the fee item and tariff pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from frontdesk.forms import DateField
from frontdesk.services.fees.items import (
    AREA_BASIS_LABELS,
    METER_KIND_LABELS,
    METHOD_LABELS,
    SCOPE_LABELS,
    TIER_MODE_LABELS,
)

NUMBER = _l("Please enter a whole number.")


class FeeItemForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(_l("Please enter the code.")),
                                               Length(max=16)],
                       description=_l("Letters and digits, e.g. WYF."))
    name = StringField(_l("Item name"),
                       validators=[InputRequired(_l("Please enter the item name.")),
                                   Length(max=64)])
    method = SelectField(_l("Method"), choices=list(METHOD_LABELS.items()))
    cycle_months = IntegerField(_l("Billing cycle (months)"), default=1, validators=[
        InputRequired(NUMBER),
        NumberRange(1, 12, _l("The billing cycle must be between 1 and 12 months.")),
    ])
    due_day = IntegerField(_l("Due day"), default=15, validators=[
        InputRequired(NUMBER),
        NumberRange(1, 28, _l("The due day must be between 1 and 28.")),
    ], description=_l("Day of the billing month by which the bill is due."))
    area_basis = SelectField(_l("Area basis (fees by area)"),
                             choices=list(AREA_BASIS_LABELS.items()))
    meter_kind = SelectField(_l("Meter kind (fees by consumption and shared fees)"),
                             choices=[("", "—"), *METER_KIND_LABELS.items()])
    tier_mode = SelectField(_l("Tiered prices (fees by consumption)"),
                            choices=list(TIER_MODE_LABELS.items()))
    vacancy_discount = StringField(_l("Vacancy discount (fees by area)"), default="0",
                                   description=_l("Share taken off for vacant units: "
                                                  "0.30 means 30 per cent off."))
    late_grace_days = IntegerField(_l("Grace days"), default=0, validators=[
        InputRequired(NUMBER),
        NumberRange(0, 365, _l("The grace days must be between 0 and 365.")),
    ], description=_l("Days after the due date before late fees start."))
    late_daily_rate = StringField(_l("Late fee per day"), default="0",
                                  description=_l("Share of the unpaid amount per day: "
                                                 "0.0005 means 0.05 per cent."))
    late_cap_ratio = StringField(_l("Late fee cap"), default="1",
                                 description=_l("Late fees never exceed this share of the "
                                                "unpaid amount (at most 1)."))
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class TierForm(Form):
    """One tier: the price up to a limit of consumption (blank limit: the open last tier)."""

    upto = StringField(_l("Up to"), validators=[Length(max=20)])
    price = StringField(_l("Price"), validators=[Length(max=20)])


class TariffForm(FlaskForm):
    scope = SelectField(_l("Applies to"), choices=list(SCOPE_LABELS.items()), validate_choice=False)
    building_id = SelectField(_l("Building (for a building tariff)"), choices=[],
                              validate_choice=False)
    unit_code = StringField(_l("Unit no. (for a unit tariff, e.g. 3-2-1502)"),
                            validators=[Length(max=40)])
    valid_from = DateField(_l("Valid from"),
                           validators=[InputRequired(_l("Please enter the first day."))])
    valid_to = DateField(_l("Valid to (last day; blank: no end)"), validators=[Optional()])
    price = StringField(_l("Price"), validators=[Length(max=30)])
    tiers = FieldList(FormField(TierForm), min_entries=4, max_entries=10)
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Add tariff"))


class EndTariffForm(FlaskForm):
    valid_to = DateField(_l("Last day"),
                         validators=[InputRequired(_l("Please enter the last day."))])
    submit = SubmitField(_l("End tariff"))
