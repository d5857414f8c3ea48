"""Forms of the meter pages; numbers are taken as typed and checked by the meters service."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp

from frontdesk.models.fees import METER_KINDS, READING_KINDS
from frontdesk.services.fees.meters import APPORTION_LABELS, METER_KIND_LABELS, READING_KIND_LABELS

KIND_CHOICES = [(k, METER_KIND_LABELS[k]) for k in METER_KINDS]


class MeterForm(FlaskForm):
    """A unit's meter."""

    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    number = StringField(_l("Meter number"),
                         validators=[InputRequired(_l("Please enter the meter number.")),
                                     Length(max=32)])
    unit_code = StringField(_l("Unit no. (e.g. 3-2-1502)"),
                            validators=[InputRequired(_l("Please enter the unit number.")),
                                        Length(max=40)])
    multiplier = StringField(_l("Multiplier"), default="1")
    max_value = StringField(_l("Dial maximum"), default="99999")
    submit = SubmitField(_l("Save"))


class SharedMeterForm(FlaskForm):
    """A shared (public-area) meter of a building or of the whole estate."""

    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    number = StringField(_l("Meter number"),
                         validators=[InputRequired(_l("Please enter the meter number.")),
                                     Length(max=32)])
    #: "" for the whole estate; choices are set by the view
    building_id = SelectField(_l("Covers"), choices=[])
    apportion_basis = SelectField(_l("Loss split"),
                                  choices=[(k, v) for k, v in APPORTION_LABELS.items()])
    #: "" for none yet; choices are set by the view
    fee_item_id = SelectField(_l("Billed under fee item"), choices=[])
    multiplier = StringField(_l("Multiplier"), default="1")
    max_value = StringField(_l("Dial maximum"), default="999999")
    submit = SubmitField(_l("Save"))


class ReadingForm(FlaskForm):
    """One reading of one meter: normal, a rollover of the dial, or a meter replacement."""

    period = StringField(_l("Period"),
                         validators=[InputRequired(_l("Please enter the period, e.g. 2026-11.")),
                                     Length(max=16)])
    kind = SelectField(_l("Type"), choices=[(k, READING_KIND_LABELS[k]) for k in READING_KINDS])
    value = StringField(_l("Reading"), validators=[Length(max=40)])
    old_final = StringField(_l("Old meter's final reading (replacement only)"),
                            validators=[Length(max=40)])
    new_start = StringField(_l("New meter's start reading (replacement only)"),
                            validators=[Length(max=40)])
    submit = SubmitField(_l("Save reading"))


class GridForm(FlaskForm):
    """The kind and period of a reading grid; the cells are read by the view."""

    kind = HiddenField()
    period = HiddenField()


class ApproveForm(FlaskForm):
    """Approve a shared meter's reading; ``back`` names the page to return to."""

    back = HiddenField(validators=[Regexp(r"^(shared|approvals|meter)?$")])
    submit = SubmitField(_l("Approve"))


class ReviewForm(FlaskForm):
    """Mark a flagged reading as checked and right; ``back`` names the page to return to."""

    back = HiddenField(validators=[Regexp(r"^(flagged|meter)?$")])
    submit = SubmitField(_l("Reviewed: bill it"))


class UploadForm(FlaskForm):
    file = FileField(_l("File (.csv or .xlsx)"),
                     validators=[FileRequired(_l("Choose a file to import."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(FlaskForm):
    """Confirm the import of a checked file, named by the token it is kept under."""

    token = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{32}$")])
