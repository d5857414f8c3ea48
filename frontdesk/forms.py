"""Form fields shared by the blueprints, with messages in the user's language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields import DateField as _DateField

from frontdesk.services.validation import parse_area


class AreaField(StringField):
    """An area in m² (> 0, two decimals); blank gives None."""

    data: Decimal | None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if valuelist:
            area, error = parse_area(valuelist[0])
            if error:
                raise ValueError(str(error))
            self.data = area

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class DateField(_DateField):
    """A date typed as YYYY-MM-DD, with a clear message when it is not one."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        try:
            self.data = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError(
                str(_l("Enter the date as year-month-day, e.g. 2026-11-24."))
            ) from None
        if not date(1900, 1, 1) <= self.data <= date(2100, 12, 31):
            self.data = None
            raise ValueError(str(_l("The date is out of range.")))
