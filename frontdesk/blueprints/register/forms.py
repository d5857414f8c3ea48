"""Forms of the register pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from frontdesk.forms import AreaField, DateField
from frontdesk.models.register import BUILDING_USAGES, ID_TYPES, UNIT_STATUSES

_usages = [(u, u) for u in BUILDING_USAGES]
NUMBER = _l("请输入整数。")


class BuildingForm(FlaskForm):
    number = StringField(_l("楼栋号"), validators=[InputRequired(_l("请填写楼栋号。")),
                                                 Length(max=16)])
    name = StringField(_l("楼栋名称"), validators=[Length(max=64)])
    usage = SelectField(_l("用途"), choices=_usages)
    floors = IntegerField(_l("楼层数"), validators=[InputRequired(NUMBER),
                                                 NumberRange(1, 200, _l("楼层数应在 1 到 200 之间。"))])
    elevator = BooleanField(_l("有电梯"))
    submit = SubmitField(_l("保存"))


class UnitForm(FlaskForm):
    entrance = StringField(_l("单元"), validators=[InputRequired(_l("请填写单元。")), Length(max=8)])
    floor = IntegerField(_l("楼层"), validators=[InputRequired(NUMBER)])
    room = StringField(_l("房号"), validators=[InputRequired(_l("请填写房号。")), Length(max=16)])
    gross_area = AreaField(_l("建筑面积（m²）"))
    inner_area = AreaField(_l("套内面积（m²）"))
    usage = SelectField(_l("用途"), choices=_usages)
    status = SelectField(_l("状态"), choices=[(s, s) for s in UNIT_STATUSES])
    handover_date = DateField(_l("交房日期"), validators=[Optional()])
    submit = SubmitField(_l("保存"))


class PersonForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[InputRequired(_l("请填写姓名。")), Length(max=64)])
    phone = StringField(_l("手机/电话"), validators=[Length(max=20)])
    id_type = SelectField(_l("证件类型"), choices=[(t, t) for t in ID_TYPES])
    id_number = StringField(_l("证件号码"), validators=[Length(max=32)])
    emergency_contact = StringField(_l("紧急联系人"), validators=[Length(max=64)])
    emergency_phone = StringField(_l("紧急联系电话"), validators=[Length(max=20)])
    note = TextAreaField(_l("备注"), validators=[Length(max=500)])
    submit = SubmitField(_l("保存"))


ROLE_CHOICES = [("owner", _l("业主")), ("tenant", _l("租户")), ("member", _l("家庭成员"))]


class ResidentForm(PersonForm):
    """A new person and their occupancy of a unit."""

    role = SelectField(_l("身份"), choices=ROLE_CHOICES)
    start_date = DateField(_l("起始日期"), validators=[InputRequired(_l("请填写起始日期。"))])
    is_primary = BooleanField(_l("主要联系人"))


class LinkUnitForm(FlaskForm):
    """Link an existing person to a unit by its code."""

    unit_code = StringField(_l("房号（如 3-2-1502）"),
                            validators=[InputRequired(_l("请填写房号。")), Length(max=40)])
    role = SelectField(_l("身份"), choices=ROLE_CHOICES)
    start_date = DateField(_l("起始日期"), validators=[InputRequired(_l("请填写起始日期。"))])
    is_primary = BooleanField(_l("主要联系人"))
    submit = SubmitField(_l("关联房屋"))


class EndOccupancyForm(FlaskForm):
    end_date = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期。"))])
    submit = SubmitField(_l("确认迁出"))


class VehicleForm(FlaskForm):
    plate = StringField(_l("车牌号"), validators=[InputRequired(_l("请填写车牌号。")), Length(max=16)])
    note = StringField(_l("备注"), validators=[Length(max=200)])
    submit = SubmitField(_l("添加车辆"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("删除"))
