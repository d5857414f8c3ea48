"""Views of the administration pages."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.admin import bp
from frontdesk.blueprints.admin.forms import EstateForm, UserForm, user_form
from frontdesk.models import ROLES, Estate, User
from frontdesk.permissions import PERMISSIONS
from frontdesk.services import DomainError, accounts
from frontdesk.services.register import records
from frontdesk.web import (
    apply_domain_error,
    form_status,
    require_estate,
    requires,
    role_label,
    scoped_get,
)


def _administered() -> list[Estate]:
    """Return the estates whose staff the administrator manages."""
    ids = accounts.administered_estate_ids(current_user)
    return [e for e in current_user.estates if e.id in ids]


def _user_form(estates: list[Estate], **kwargs) -> UserForm:
    return user_form(estates, [(r, role_label(r)) for r in ROLES], **kwargs)


def _chosen_roles(form: UserForm, estates: list[Estate]) -> dict[Estate, list[str]]:
    return {e: form[f"roles_{e.id}"].data or [] for e in estates}


def _manageable_user(user_id: int) -> User:
    """Load a user the administrator may change.

    404 for a user of no estate the administrator manages; 403 for one who also works in an
    estate the administrator does not manage.
    """
    user = accounts.user_by_id(user_id)
    estate_ids = {m.estate_id for m in user.memberships} if user is not None else set()
    if not estate_ids & accounts.administered_estate_ids(current_user):
        abort(404)
    if not accounts.can_manage(current_user, user):
        abort(403)
    return user


@bp.get("/users")
@requires("admin.users")
def users():
    """List the staff of the administrator's estates with their roles there."""
    estates = _administered()
    staff = accounts.users_sharing_estates({e.id for e in estates})
    return render_template("admin/users.html", users=staff, estates=estates, roles=ROLES,
                           manageable={u.id for u in staff
                                       if accounts.can_manage(current_user, u)})


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user():
    """Create a staff account with roles in the administrator's estates."""
    estates = _administered()
    form = _user_form(estates)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(current_user, form.data, _chosen_roles(form, estates))
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("User %(u)s created.", u=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("form_page.html", form=form, title=_("New user"),
                           back=url_for("admin.users")), form_status(form)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def edit_user(user_id: int):
    """Change a staff account's roles in each estate, status or password."""
    user = _manageable_user(user_id)
    estates = _administered()
    form = _user_form(estates, obj=user)
    if not form.is_submitted():
        for e in estates:
            form[f"roles_{e.id}"].data = sorted(user.roles_in(e.id))
    if form.validate_on_submit():
        try:
            accounts.update_user(current_user, user, form.data, _chosen_roles(form, estates))
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("User %(u)s saved.", u=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("form_page.html", form=form, title=_("Edit user %(u)s", u=user.username),
                           back=url_for("admin.users")), form_status(form)


@bp.get("/roles")
@requires("admin.users")
def roles():
    """Show each role, what it may do and who holds it in the current estate."""
    estate = require_estate()
    staff = accounts.users_sharing_estates({estate.id})
    holders = {r: [u for u in staff if r in u.roles_in(estate.id)] for r in ROLES}
    grants = {r: sorted(p for p, roles in PERMISSIONS.items() if r in roles) for r in ROLES}
    return render_template("admin/roles.html", roles=ROLES, holders=holders, grants=grants)


@bp.get("/estates")
@requires("admin.estates")
def estates():
    """List the estates the user administers."""
    return render_template("admin/estates.html",
                           estates=[e for e in current_user.estates
                                    if current_user.can("admin.estates", e.id)])


@bp.route("/estates/new", methods=["GET", "POST"])
@requires("admin.estates")
def new_estate():
    """Create an estate."""
    form = EstateForm()
    if form.validate_on_submit():
        try:
            estate = records.create_estate(current_user, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Estate %(n)s created.", n=estate.name), "success")
            return redirect(url_for("admin.estates"))
    return render_template("form_page.html", form=form, title=_("New estate"),
                           back=url_for("admin.estates")), form_status(form)


@bp.route("/estates/<int:estate_id>/edit", methods=["GET", "POST"])
@requires("admin.estates")
def edit_estate(estate_id: int):
    """Change an estate's details."""
    estate = scoped_get(Estate, estate_id)
    form = EstateForm(obj=estate)
    if form.validate_on_submit():
        try:
            records.update_estate(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.estates"))
    return render_template("form_page.html", form=form, title=_("Edit estate %(n)s", n=estate.name),
                           back=url_for("admin.estates")), form_status(form)
