"""The desk screen's search form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Unit no. / name / last digits of phone or ID / plate"),
                    validators=[Length(max=64)])
