"""Flask extensions, created unbound and bound to the app in create_app."""

from functools import cached_property

from babel import support
from flask import has_app_context
from flask.globals import _cv_app
from flask_babel import Babel, Domain, get_domain, get_locale
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from frontdesk.jobqueue import JobQueue
from frontdesk.models.base import Base
from frontdesk.throttle import FailureThrottle


class CatalogDomain(Domain):
    """The message domain, finding catalogs under their language_TERRITORY names too.

    Babel parses "zh_CN" as zh_Hans_CN (it adds the script), so Flask-Babel alone would look
    for translations/zh_Hans_CN and never load translations/zh_CN, the name pybabel and
    translators use. This looks under both names.
    """

    def get_translations(self):
        # Every message of a page comes here (a page has a hundred or more): the translations
        # chosen for the request's locale are kept beside Flask-Babel's own per-request state,
        # which is read without going through the `g` proxy. flask_babel.refresh() drops the
        # locale, and with it this shortcut.
        state = _babel_state()
        if state is not None:
            kept = getattr(state, "frontdesk_translations", None)
            if kept is not None and kept[0] is self \
                    and kept[1] is getattr(state, "babel_locale", None):
                return kept[2]
        locale = get_locale() if has_app_context() else None
        if locale is None:
            return support.NullTranslations()
        translations = self._load(locale)
        state = _babel_state()
        if state is not None:
            state.frontdesk_translations = (self, locale, translations)
        return translations

    def _load(self, locale):
        key = (str(locale), self.domain[0])
        if key not in self.cache:
            names = [str(locale)]
            if locale.script and locale.territory:
                names.append(f"{locale.language}_{locale.territory}")
            translations = support.Translations()
            for dirname in self.translation_directories:
                catalog = support.Translations.load(dirname, names, self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):  # merge() does not copy the plural rule
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return self.cache[key]


def _babel_state():
    """Flask-Babel's state of the current app context (``g._flask_babel``), if it has one."""
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else getattr(app_ctx.g, "_flask_babel", None)


def _translations():
    state = _babel_state()
    domain = getattr(state, "babel_domain", None) if state is not None else None
    return (domain or get_domain()).get_translations()


class FrontdeskBabel(Babel):
    """Flask-Babel with the catalogs found by :class:`CatalogDomain`, and templates' messages
    translated without Flask-Babel's lookups of the request's domain on every message."""

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: _translations().ugettext(s),
            ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: _translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        )

    @cached_property
    def domain_instance(self):
        return CatalogDomain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = FrontdeskBabel()
bootstrap = Bootstrap5()
throttle = FailureThrottle()
jobs = JobQueue()
