"""Forms of the key pages, one module per feature: registry, custody, loans, counts."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField

COPIES_MESSAGE = _l("The number of copies is a whole number from 1 to 99.")


class WholeNumberField(StringField):
    """A whole number typed in a text box; letters give a clear message, blank gives None."""

    def __init__(self, label=None, validators=None, *, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Enter a whole number.")

    def process_formdata(self, valuelist):
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValueError(str(self.message))
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)
