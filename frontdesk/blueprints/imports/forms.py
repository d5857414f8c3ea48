"""Forms of the import pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import InputRequired, Regexp

from frontdesk.services.register.sheets import KIND_LABELS, KINDS


class UploadForm(FlaskForm):
    """A file to check before it is imported, and what it holds."""

    kind = SelectField(_l("The file holds"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    file = FileField(_l("File (.csv or .xlsx)"),
                     validators=[FileRequired(_l("Choose a file to import."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(FlaskForm):
    """Confirm the import of a checked file, named by the token it is kept under."""

    token = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{32}$")])
