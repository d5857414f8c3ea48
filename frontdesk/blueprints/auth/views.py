"""Views of login, logout and the user's own account."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_user, logout_user

from frontdesk.blueprints.auth import bp
from frontdesk.blueprints.auth.forms import (
    EstateSwitchForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
)
from frontdesk.services import DomainError, accounts
from frontdesk.throttle import TooManyFailures
from frontdesk.web import apply_domain_error, form_status, requires


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("desk.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a member of staff in; failed attempts are counted per account and per address."""
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        session["locale"] = request.args["lang"]
    if current_user.is_authenticated:
        return redirect(url_for("desk.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data,
                                         request.remote_addr)
        except TooManyFailures:
            flash(_("Too many failed logins. Please try again in a minute."), "danger")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            flash(_("Incorrect username or password."), "danger")
        elif not user.estates:  # a role in no estate
            flash(_("This account has no role or estate yet. "
                    "Please contact the system administrator."), "danger")
        else:
            chosen = session.get("locale")
            session.clear()
            login_user(user)
            accounts.note_login(user, locale=chosen)
            return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form), form_status(form)


@bp.post("/logout")
@requires("account.self")
def logout():
    """Log out here and everywhere else: every session of the user, and copies of it, end."""
    accounts.log_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out, here and on every other computer."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@requires("account.self")
def account():
    """Change one's password and language."""
    form = PasswordForm(prefix="pw")
    lang = LanguageForm(prefix="lang", locale=current_user.locale or "zh_CN")
    if form.submit.data and form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            login_user(current_user._get_current_object())  # this session keeps on the new token
            flash(_("Password changed."), "success")
            return redirect(url_for("auth.account"))
    elif lang.submit.data and lang.validate_on_submit():
        accounts.set_locale(current_user, lang.locale.data)
        refresh_locale()  # confirm in the newly chosen language
        flash(_("Language saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, lang=lang), form_status(form)


@bp.post("/estate")
@requires("account.self")
def switch_estate():
    """Work in another of one's estates."""
    form = EstateSwitchForm()
    form.estate_id.choices = [(e.id, e.name) for e in current_user.estates]
    if form.validate_on_submit():
        session["estate_id"] = form.estate_id.data
    else:
        flash(_("Cannot switch to that estate."), "danger")
    return redirect(url_for("desk.home"))
