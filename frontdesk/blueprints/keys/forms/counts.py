"""Forms of the cabinet count (盘点) pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from frontdesk.services.keys.counts import MAX_SCAN_CHARS, MAX_SCAN_TAGS

NOTE_TOO_LONG = _l("At most 200 characters.")


class StartCountForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200,
                                                                   message=NOTE_TOO_LONG)])
    submit = SubmitField(_l("Start the count"))


class ScanForm(FlaskForm):
    tags = TextAreaField(
        _l("Tag numbers"),
        description=_l("Scan or type tag numbers, one per line or separated by spaces or "
                       "commas."),
        validators=[
            InputRequired(message=_l("Scan or type at least one tag number.")),
            Length(max=MAX_SCAN_CHARS, message=_l(
                "Too much text at once: scan at most %(n)s tags per batch.", n=MAX_SCAN_TAGS)),
        ],
        render_kw={"rows": 4, "autofocus": True, "autocomplete": "off"},
    )
    #: the cabinet the page was filtered by, to come back to it
    cabinet = HiddenField()
    submit = SubmitField(_l("Mark found"))


class MarkForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200,
                                                                   message=NOTE_TOO_LONG)])
    cabinet = HiddenField()
    found = SubmitField(_l("Found"))
    missing = SubmitField(_l("Missing"))


class FinishForm(FlaskForm):
    #: how many unmarked keys the user agreed to record missing (the confirmation step)
    confirm_missing = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Finish the count"))
