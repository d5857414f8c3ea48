"""Forms that pick what a printed notice or statement covers.

A unit's notice and statement are sent by GET (no CSRF token); a building's notices start a
job, so their form is posted with a token.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, ValidationError

from frontdesk.forms import DateField
from frontdesk.services import DomainError
from frontdesk.services.periods import parse_period


class _PeriodForm(FlaskForm):
    period = StringField(_l("Period"), validators=[
        InputRequired(message=_l("Enter the period as year-month, e.g. 2026-11.")),
    ], description=_l("Bills of this month and any earlier arrears are listed."))

    def validate_period(self, field):
        try:
            field.data = parse_period(field.data)
        except DomainError as e:
            raise ValidationError(str(e.message)) from None


class NoticeForm(_PeriodForm):
    class Meta:
        csrf = False


class StatementForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[InputRequired(message=_l("Enter the start date."))])
    end = DateField(_l("To"), validators=[InputRequired(message=_l("Enter the end date."))],
                    description=_l("Both days included; at most three years."))


class BuildingNoticesForm(_PeriodForm):
    """The period of a building's notices: posted (it starts a job), so with a CSRF token."""
