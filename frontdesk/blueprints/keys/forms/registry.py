"""Forms of the key register: one key, and the keys of a whole building."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from frontdesk.blueprints.keys.forms import COPIES_MESSAGE, WholeNumberField
from frontdesk.models.keys import KEY_KINDS
from frontdesk.services.validation import record_id

KIND_CHOICES = [(k, k) for k in KEY_KINDS]


class KeyForm(FlaskForm):
    tag = StringField(_l("Tag number"), validators=[
        InputRequired(_l("Please enter the tag number.")), Length(max=32)],
        description=_l("The number on the key's tag, unique in the estate, e.g. 3-2-1502-RHM-01."))
    unit_code = StringField(_l("Unit code"), validators=[Length(max=40)],
                            description=_l("The unit the key opens, e.g. 3-2-1502; leave it "
                                           "blank for a public area."))
    area = StringField(_l("Public area"), validators=[Length(max=64)],
                       description=_l("For a key of no unit, e.g. the plant room of building 3."))
    kind = SelectField(_l("Kind of key"), choices=KIND_CHOICES, validate_choice=False)
    kind_other = StringField(_l("Other kind"), validators=[Length(max=16)],
                             description=_l("Only with the kind Other."))
    copies = WholeNumberField(_l("Copies"), default=1, message=COPIES_MESSAGE,
                              validators=[InputRequired(COPIES_MESSAGE)])
    cabinet = StringField(_l("Cabinet"), validators=[Length(max=16)])
    slot = StringField(_l("Slot"), validators=[Length(max=16)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Save"))


class BulkForm(FlaskForm):
    building_id = SelectField(_l("Building"), coerce=record_id, choices=[],
                              validate_choice=False)
    kind = SelectField(_l("Kind of key"), choices=KIND_CHOICES, validate_choice=False)
    per_unit = WholeNumberField(
        _l("Keys per unit"), default=1,
        message=_l("Keys per unit is a whole number from 1 to 10."),
        validators=[InputRequired(_l("Keys per unit is a whole number from 1 to 10."))])
    pattern = StringField(
        _l("Tag pattern or prefix"), default=_l("{code}-{kind_code}-{n}"),
        validators=[Length(max=64)],
        description=_l("Placeholders: {code} the unit code (3-2-1502), {building}, {entrance}, "
                       "{floor}, {room}, {kind_code} (RHM for a door key …) and {n} (the key's "
                       "number in its unit, 01, 02 …). The default pattern gives the first door "
                       "key of 3-2-1502 the tag 3-2-1502-RHM-01. Without placeholders the text "
                       "is a prefix followed by a running number, e.g. KF- gives KF-001, "
                       "KF-002 …"))
    cabinet = StringField(_l("Cabinet"), validators=[Length(max=16)])
    first_slot = WholeNumberField(
        _l("First slot number"),
        message=_l("The first slot is a whole number from 1 to 100000."),
        description=_l("Slots are numbered on from it; leave blank for no slots."))
    copies = WholeNumberField(_l("Copies per key"), default=1, message=COPIES_MESSAGE,
                              validators=[InputRequired(COPIES_MESSAGE)])
    note = StringField(_l("Note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Register keys"))
