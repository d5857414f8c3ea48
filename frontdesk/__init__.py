"""frontdesk: the front-desk system of a residential estate's service centre."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request, session
from flask_login import current_user

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Build and wire up the application; no data is changed here."""
    instance_path = os.environ.get("FRONTDESK_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
    )
    app.config.from_object("frontdesk.config.Defaults")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="FRONTDESK")
    if test_config:
        app.config.update(test_config)
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        from frontdesk.catalogs import compiled_directory

        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_directory(app.instance_path))
    if app.config["PROXY_FIX_X_FOR"]:  # behind a reverse proxy: the client's own address
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        db_path = Path(app.instance_path) / "frontdesk.sqlite"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"

    register_extensions(app)
    register_input_rules(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, jobs and threads
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone() -> str:
    from flask import has_request_context

    from frontdesk.web import current_estate

    if not has_request_context():
        return "Asia/Shanghai"
    estate = current_estate() if current_user and current_user.is_authenticated else None
    return estate.timezone if estate else "Asia/Shanghai"


def register_input_rules(app: Flask) -> None:
    """Keep malformed input at the edge: bounded ints in args and URLs, no control characters."""
    from frontdesk import web

    app.request_class = web.Request
    app.url_map.converters["int"] = web.IdConverter  # before any rule is added
    app.before_request(web.refuse_control_characters)


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    import sqlalchemy as sa
    from flask_babel import refresh as flask_babel_refresh

    from frontdesk import models, planner
    from frontdesk.extensions import (
        babel,
        bootstrap,
        csrf,
        db,
        jobs,
        login_manager,
        migrate,
        throttle,
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    # Flask-Babel caches the locale on g, which lives as long as the app context; choose it
    # again for every request, also where one app context serves several (the test client).
    app.before_request(flask_babel_refresh)
    bootstrap.init_app(app)
    throttle.init_app(app)
    jobs.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(token: str):
        # The session holds the user's session token, not the id: logging out, a new
        # password or deactivation replace the token and so end every session at once.
        # One statement for the user, the estates and the roles: every request needs them.
        # The options stay with the object, so that its reload after a commit is one too.
        memberships = sa.orm.joinedload(models.User.memberships)
        user = db.session.scalars(
            sa.select(models.User)
            .where(models.User.session_token == str(token))
            .options(memberships.joinedload(models.Membership.estate),
                     memberships.joinedload(models.Membership.roles))
            # also when the session holds the user already (a test's app context)
            .execution_options(populate_existing=True)
        ).unique().first()
        return user if user is not None and user.active else None

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():

            @sa.event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=5000")
                cursor.close()

            @sa.event.listens_for(db.engine, "savepoint")
            def _sqlite_savepoint_writes(conn, _name):
                # The driver begins a transaction only before a write, so a SAVEPOINT may be
                # what starts one: SQLite then reads in it as a reader, and a write after
                # another connection's commit fails at once ("database is locked") instead of
                # waiting. A savepoint is taken to write: start its transaction as the writer.
                if not conn.connection.dbapi_connection.in_transaction:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")

            planner.optimize_sqlite(db.engine)


def register_blueprints(app: Flask) -> None:
    """Register the blueprints of every area."""
    from frontdesk.blueprints.admin import bp as admin_bp
    from frontdesk.blueprints.audit import bp as audit_bp
    from frontdesk.blueprints.auth import bp as auth_bp
    from frontdesk.blueprints.billing import bp as billing_bp
    from frontdesk.blueprints.callbacks import bp as callbacks_bp
    from frontdesk.blueprints.complaints import bp as complaints_bp
    from frontdesk.blueprints.desk import bp as desk_bp
    from frontdesk.blueprints.duty import bp as duty_bp
    from frontdesk.blueprints.fees import bp as fees_bp
    from frontdesk.blueprints.imports import bp as imports_bp
    from frontdesk.blueprints.jobs import bp as jobs_bp
    from frontdesk.blueprints.keys import bp as keys_bp
    from frontdesk.blueprints.meters import bp as meters_bp
    from frontdesk.blueprints.movein import bp as movein_bp
    from frontdesk.blueprints.payments import bp as payments_bp
    from frontdesk.blueprints.register import bp as register_bp
    from frontdesk.blueprints.reports import bp as reports_bp
    from frontdesk.blueprints.statements import bp as statements_bp
    from frontdesk.blueprints.visitors import bp as visitors_bp
    from frontdesk.blueprints.workorders import bp as workorders_bp

    for bp in (auth_bp, desk_bp, register_bp, imports_bp, audit_bp, admin_bp, fees_bp,
               reports_bp, statements_bp, meters_bp, billing_bp, payments_bp, keys_bp,
               workorders_bp, duty_bp, movein_bp, complaints_bp, callbacks_bp,
               visitors_bp, jobs_bp):
        app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        """Tell a load balancer whether the app and its database answer."""
        import sqlalchemy as sa

        from frontdesk.extensions import db

        try:
            db.session.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the database is down
            db.session.rollback()
            return jsonify(status="error", db="down"), 503
        return jsonify(status="ok", db="ok")


def register_errorhandlers(app: Flask) -> None:
    """Render errors as pages in the user's language."""
    from frontdesk import web

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/healthz"):
            return jsonify(status="error"), code
        message = error.message if isinstance(error, web.BadInput) else None
        return render_template("errors.html", code=code, message=message), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.errorhandler(code)(render_error)


def _logged_in() -> bool:
    """Tell whether the request is a logged-in user's, without loading the user again.

    ``current_user.is_authenticated`` reads the user's ``active`` column, which a commit
    earlier in the request has expired: asking it here would cost a query per response."""
    user = g.get("_login_user")
    return "_user_id" in session or (user is not None and not user.is_anonymous)


def register_security_headers(app: Flask) -> None:
    """Send a Content-Security-Policy and the usual hardening headers.

    Every response to a logged-in user (pages, PDFs, exports: most carry personal data) is
    marked ``Cache-Control: no-store``, so that neither the browser nor a proxy keeps a copy;
    only the static assets stay cacheable.
    """

    @app.after_request
    def add_headers(response):
        static = (request.endpoint or "").rpartition(".")[2] == "static"
        if not static and _logged_in() \
                and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"  # a view's own no-store is kept
        response.headers.setdefault(
            "Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"]
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=()")
        return response


def register_template_helpers(app: Flask) -> None:
    """Expose masking, estate and permission helpers to templates."""
    from flask_babel import get_locale

    from frontdesk import labels, money, web

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["mask_phone"] = web.mask_phone_for
    app.jinja_env.filters["mask_id"] = web.mask_id_for
    app.jinja_env.filters["localtime"] = web.localtime
    app.jinja_env.filters["money"] = money.format_money
    app.jinja_env.globals["current_estate"] = web.current_estate
    app.jinja_env.globals["role_label"] = web.role_label
    app.jinja_env.globals["list_sep"] = web.list_sep
    app.jinja_env.globals["occupancy_label"] = web.occupancy_label
    app.jinja_env.globals["audit_object_label"] = web.audit_object_label
    app.jinja_env.globals["audit_action_label"] = web.audit_action_label
    app.jinja_env.globals["audit_changes"] = web.audit_changes
    app.jinja_env.filters["percent"] = labels.percent
    app.jinja_env.globals["permission_label"] = web.permission_label
    app.jinja_env.globals["job_kind_label"] = web.job_kind_label
    app.jinja_env.globals["job_status_label"] = web.job_status_label

    from frontdesk.services.jobs import live_progress

    app.jinja_env.globals["job_progress"] = live_progress

    @app.context_processor
    def _working_estate() -> dict:
        # current_user.can() in a template answers for the estate being worked in, also on
        # pages that no guarded view prepared (error pages)
        from flask import has_request_context

        if has_request_context():
            web.current_estate()
        return {}


def register_commands(app: Flask) -> None:
    """Add the flask commands."""
    from frontdesk.cli import register

    register(app)
