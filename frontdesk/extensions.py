"""Flask extensions, created unbound and bound to the app in create_app."""

from functools import cached_property

from babel import support
from flask import has_app_context
from flask_babel import Babel, Domain, get_locale
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
        locale = get_locale() if has_app_context() else None
        if locale is None:
            return support.NullTranslations()
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


class FrontdeskBabel(Babel):
    """Flask-Babel with the catalogs found by :class:`CatalogDomain`."""

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
