"""Forms of the finance reports: each is sent with GET, so the report's address can be kept."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Optional

from frontdesk.forms import DateField, LocalDateTimeField


class _QueryForm(FlaskForm):
    class Meta:
        csrf = False


class DailyReportForm(_QueryForm):
    day = DateField(_l("Date"), validators=[Optional()])
    start = LocalDateTimeField(_l("Shift start"), picker=True, validators=[Optional()])
    end = LocalDateTimeField(_l("Shift end"), picker=True, validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (self.start.data is None) != (self.end.data is None):
            missing = self.start if self.start.data is None else self.end
            missing.errors = [str(_l("Enter both the start and the end of the shift."))]
            return False
        if self.start.data is not None and self.end.data <= self.start.data:
            self.end.errors = [str(_l("The end of the shift must be after its start."))]
            return False
        return True

    def report_range(self) -> dict:
        """Return the service's arguments: the shift when one is given, else the day."""
        if self.start.data is not None:
            return {"start": self.start.data, "end": self.end.data}
        return {"day": self.day.data}


class ArrearsForm(_QueryForm):
    as_of = DateField(_l("As of"), validators=[Optional()])


class DashboardForm(_QueryForm):
    period = StringField(_l("Period"), validators=[Optional()])
