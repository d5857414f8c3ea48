"""Forms of the finance reports: each is sent with GET, so the report's address can be kept."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Optional

from frontdesk.forms import DateField


class LocalDateTimeField(DateTimeLocalField):
    """A local date and time (YYYY-MM-DDTHH:MM from the browser, or with a space)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                         **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip()
        for fmt in self.format:
            try:
                self.data = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                str(_l("Enter the date and time as year-month-day hour:minute, "
                       "e.g. 2026-11-24 08:30."))
            )
        if not 1900 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(str(_l("The date is out of range.")))


class _QueryForm(FlaskForm):
    class Meta:
        csrf = False


class DailyReportForm(_QueryForm):
    day = DateField(_l("Date"), validators=[Optional()])
    start = LocalDateTimeField(_l("Shift start"), validators=[Optional()])
    end = LocalDateTimeField(_l("Shift end"), validators=[Optional()])

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
