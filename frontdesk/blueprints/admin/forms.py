"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.fields import SelectMultipleField


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[InputRequired(_l("请填写用户名。")),
                                                  Length(max=32)])
    full_name = StringField(_l("姓名"), validators=[InputRequired(_l("请填写姓名。")),
                                                 Length(max=64)])
    password = PasswordField(_l("密码（新建时必填；编辑时留空则不修改）"),
                             validators=[Optional(), Length(max=128)])
    roles = MultiCheckboxField(_l("角色"))
    estates = MultiCheckboxField(_l("所属小区"), coerce=int)
    active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))


class EstateForm(FlaskForm):
    name = StringField(_l("小区名称"), validators=[InputRequired(_l("请填写小区名称。")),
                                                 Length(max=100)])
    address = StringField(_l("地址"), validators=[Length(max=200)])
    phone = StringField(_l("服务中心电话"), validators=[Length(max=32)])
    timezone = SelectField(_l("时区"), choices=[("Asia/Shanghai", "Asia/Shanghai"),
                                              ("Asia/Urumqi", "Asia/Urumqi"),
                                              ("Asia/Hong_Kong", "Asia/Hong_Kong")])
    receipt_prefix = StringField(_l("收据编号前缀"), default="SJ",
                                 validators=[InputRequired(_l("请填写收据编号前缀。")),
                                             Length(max=8)])
    submit = SubmitField(_l("保存"))
