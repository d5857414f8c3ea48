"""Forms of the login and account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"),
                           validators=[DataRequired(_l("Please enter your username.")),
                                       Length(max=64)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Please enter your password.")),
                                         Length(max=128)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password."))],
    )
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(_l("Please enter a new password."))])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(_l("Please repeat the new password.")),
                    EqualTo("new_password", _l("The two new passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    #: each language is named in itself, so the choice reads the same in every language
    locale = SelectField(_l("Language"), choices=[("zh_CN", "简体中文"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class EstateSwitchForm(FlaskForm):
    estate_id = SelectField(_l("Estate"), coerce=int)
    submit = SubmitField(_l("Switch"))
