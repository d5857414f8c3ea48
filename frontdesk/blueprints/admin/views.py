"""Views of the administration pages."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.admin import bp
from frontdesk.blueprints.admin.forms import EstateForm, UserForm
from frontdesk.extensions import db
from frontdesk.models import ROLES, Estate, User
from frontdesk.permissions import PERMISSIONS
from frontdesk.services import DomainError, accounts, register
from frontdesk.web import apply_domain_error, requires, role_label, scoped_get


def _user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.roles.choices = [(r, role_label(r)) for r in ROLES]
    form.estates.choices = [(e.id, e.name) for e in sorted(current_user.estates,
                                                           key=lambda e: e.id)]
    return form


def _chosen_estates(form: UserForm) -> list[Estate]:
    return [e for e in current_user.estates if e.id in (form.estates.data or [])]


def _scoped_user(user_id: int) -> User:
    """Load a user who shares an estate with the administrator, or 404."""
    user = db.session.get(User, user_id)
    if user is None or not (user.estate_ids & current_user.estate_ids):
        abort(404)
    return user


@bp.get("/users")
@requires("admin.users")
def users():
    """List the staff of the administrator's estates."""
    return render_template("admin/users.html",
                           users=accounts.users_sharing_estates(current_user.estate_ids))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user():
    """Create a staff account."""
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(current_user, form.data, _chosen_estates(form))
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("User %(u)s created.", u=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("form_page.html", form=form, title=_("New user"),
                           back=url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def edit_user(user_id: int):
    """Change a staff account's roles, estates, status or password."""
    user = _scoped_user(user_id)
    form = _user_form(obj=user)
    if not form.is_submitted():
        form.roles.data = sorted(user.role_names)
        form.estates.data = sorted(user.estate_ids & current_user.estate_ids)
    if form.validate_on_submit():
        others = [e for e in user.estates if e.id not in current_user.estate_ids]
        try:
            accounts.update_user(current_user, user, form.data, _chosen_estates(form) + others)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("User %(u)s saved.", u=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("form_page.html", form=form, title=_("Edit user %(u)s", u=user.username),
                           back=url_for("admin.users"))


@bp.get("/roles")
@requires("admin.users")
def roles():
    """Show each role, what it may do and who holds it."""
    staff = accounts.users_sharing_estates(current_user.estate_ids)
    holders = {r: [u for u in staff if r in u.role_names] for r in ROLES}
    grants = {r: sorted(p for p, roles in PERMISSIONS.items() if r in roles) for r in ROLES}
    return render_template("admin/roles.html", roles=ROLES, holders=holders, grants=grants)


@bp.get("/estates")
@requires("admin.estates")
def estates():
    """List the administrator's estates."""
    return render_template("admin/estates.html",
                           estates=sorted(current_user.estates, key=lambda e: e.id))


@bp.route("/estates/new", methods=["GET", "POST"])
@requires("admin.estates")
def new_estate():
    """Create an estate."""
    form = EstateForm()
    if form.validate_on_submit():
        try:
            estate = register.create_estate(current_user, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Estate %(n)s created.", n=estate.name), "success")
            return redirect(url_for("admin.estates"))
    return render_template("form_page.html", form=form, title=_("New estate"),
                           back=url_for("admin.estates"))


@bp.route("/estates/<int:estate_id>/edit", methods=["GET", "POST"])
@requires("admin.estates")
def edit_estate(estate_id: int):
    """Change an estate's details."""
    estate = scoped_get(Estate, estate_id)
    form = EstateForm(obj=estate)
    if form.validate_on_submit():
        try:
            register.update_estate(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.estates"))
    return render_template("form_page.html", form=form, title=_("Edit estate %(n)s", n=estate.name),
                           back=url_for("admin.estates"))
