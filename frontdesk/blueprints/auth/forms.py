"""Forms of the login and account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")),
                                                  Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")),
                                                  Length(max=128)])
    next = HiddenField()
    submit = SubmitField(_l("登录"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。"))])
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[DataRequired(_l("请再次输入新密码。")),
                    EqualTo("new_password", _l("两次输入的新密码不一致。"))],
    )
    submit = SubmitField(_l("修改密码"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("语言"), choices=[("zh_CN", "简体中文"), ("en", "English")])
    submit = SubmitField(_l("保存"))


class EstateSwitchForm(FlaskForm):
    estate_id = SelectField(_l("小区"), coerce=int)
    submit = SubmitField(_l("切换"))
