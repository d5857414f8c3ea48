"""Form fields shared by the blueprints, with messages in the user's language."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields import DateField as _DateField
from wtforms.widgets import DateTimeLocalInput

from frontdesk.money import money_text
from frontdesk.services import DomainError
from frontdesk.services.fees.payments import parse_amount
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


class MoneyField(StringField):
    """An amount in yuan: more than 0, at most 10,000,000, whole fen; blank gives None."""

    data: Decimal | None

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = parse_amount(valuelist[0])
            except DomainError as e:
                raise ValueError(str(e.message)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else money_text(self.data)


class LocalDateTimeField(StringField):
    """A local time (the estate's timezone) typed as YYYY-MM-DD HH:MM, or with a T as the
    browser's picker sends it; gives a naive datetime, blank gives None.

    ``day_end=True`` also takes a date alone, as the end of that day (23:59);
    ``picker=True`` shows the browser's date-and-time picker instead of a text box.
    """

    FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")

    data: datetime | None

    def __init__(self, label=None, validators=None, *, day_end: bool = False,
                 picker: bool = False, **kwargs):
        if picker:
            kwargs.setdefault("widget", DateTimeLocalInput())
        super().__init__(label, validators, **kwargs)
        self.day_end = day_end
        self.display_format = self.FORMATS[1] if picker else self.FORMATS[0]

    def process_formdata(self, valuelist):
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        value = self._parse(text)
        if value is None:
            raise ValueError(str(_l("Enter the time as year-month-day hour:minute, "
                                    "e.g. 2026-11-24 18:30.")))
        if not 1900 <= value.year <= 2100:
            raise ValueError(str(_l("The date is out of range.")))
        self.data = value

    def _parse(self, text: str) -> datetime | None:
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        if self.day_end:
            try:
                return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(23, 59))
            except ValueError:
                pass
        return None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.data.strftime(self.display_format)
