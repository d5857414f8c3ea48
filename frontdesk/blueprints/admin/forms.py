"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectMultipleField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("Username"),
                           validators=[InputRequired(_l("Please enter the username.")),
                                       Length(max=32)])
    full_name = StringField(_l("Name"), validators=[InputRequired(_l("Please enter the name.")),
                                                    Length(max=64)])
    password = PasswordField(
        _l("Password (required for a new user; leave blank to keep the current one)"),
        validators=[Optional(), Length(max=128)],
    )
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


def user_form(estates, role_choices, **kwargs) -> UserForm:
    """Return a user form with the role boxes of each estate, as fields `roles_<estate id>`."""

    class EstateRolesForm(UserForm):
        pass

    for estate in estates:
        setattr(EstateRolesForm, f"roles_{estate.id}",
                MultiCheckboxField(_l("Roles in %(estate)s", estate=estate.name),
                                   choices=role_choices))
    return EstateRolesForm(**kwargs)


class EstateForm(FlaskForm):
    name = StringField(_l("Estate name"),
                       validators=[InputRequired(_l("Please enter the estate name.")),
                                   Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    phone = StringField(_l("Service centre phone"), validators=[Length(max=32)])
    timezone = SelectField(_l("Time zone"), choices=[("Asia/Shanghai", "Asia/Shanghai"),
                                                     ("Asia/Urumqi", "Asia/Urumqi"),
                                                     ("Asia/Hong_Kong", "Asia/Hong_Kong")])
    receipt_prefix = StringField(
        _l("Receipt number prefix"), default="SJ",
        validators=[InputRequired(_l("Please enter the receipt number prefix.")), Length(max=8)],
    )
    submit = SubmitField(_l("Save"))
