"""Views of the work-order setup: the estate's categories, service levels and its crew."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.workorders import bp
from frontdesk.blueprints.workorders.forms.setup import CategoryForm, EngineerForm, SettingsForm
from frontdesk.models import WorkOrderCategory
from frontdesk.services import DomainError
from frontdesk.services.workorders import crew, queries
from frontdesk.web import apply_domain_error, require_estate, requires, scoped_get


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _setup_page(status: int = 200, *, new_form=None, settings_form=None, failed=None):
    """Show the setup page; ``failed`` is (category id, its form) of a refused rename."""
    estate = require_estate()
    categories = crew.ensure_categories(estate.id, active_only=False)
    forms = {}
    for c in categories:
        if failed and failed[0] == c.id:
            forms[c.id] = failed[1]
        else:
            forms[c.id] = CategoryForm(formdata=None, prefix=f"c{c.id}", obj=c)
    if settings_form is None:
        row = crew.settings(estate.id)
        settings_form = SettingsForm(formdata=None, obj=row)
        settings_form.day_start.data = _clock(row.day_start_minute)
        settings_form.day_end.data = _clock(row.day_end_minute)
    return render_template(
        "workorders/setup.html", categories=categories, category_forms=forms,
        new_form=new_form or CategoryForm(formdata=None, prefix="new"),
        settings_form=settings_form, crew=crew.crew(estate.id)), status


@bp.get("/setup")
@requires("workorders.configure")
def setup():
    """Show the categories, the service levels and working hours, and the crew."""
    return _setup_page()


@bp.post("/setup/categories")
@requires("workorders.configure")
def add_category():
    """Add a category to the estate's list."""
    form = CategoryForm(prefix="new")
    if form.validate_on_submit():
        try:
            category = crew.save_category(current_user, require_estate(), {
                "name": form.name.data, "team": form.team.data, "active": True})
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Category %(name)s added.", name=category.name), "success")
            return redirect(url_for("workorders.setup"))
    return _setup_page(422, new_form=form)


@bp.post("/setup/categories/<int:category_id>")
@requires("workorders.configure")
def edit_category(category_id: int):
    """Rename a category, change its team, retire it or bring it back."""
    category = scoped_get(WorkOrderCategory, category_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if form.validate_on_submit():
        try:
            crew.save_category(current_user, require_estate(), {
                "name": form.name.data, "team": form.team.data,
                "active": form.active.data}, category)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Category %(name)s saved.", name=category.name), "success")
            return redirect(url_for("workorders.setup"))
    return _setup_page(422, failed=(category.id, form))


@bp.post("/setup/settings")
@requires("workorders.configure")
def save_settings():
    """Set the response and completion targets per priority and the working hours."""
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            crew.update_settings(current_user, require_estate(), {
                name: form[name].data for name in (
                    "urgent_response_minutes", "urgent_completion_minutes",
                    "normal_response_minutes", "normal_completion_minutes", "working_hours",
                    "day_start", "day_end")})
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Service levels saved. They apply to orders reported from now on."),
                  "success")
            return redirect(url_for("workorders.setup"))
    return _setup_page(422, settings_form=form)


@bp.route("/setup/crew/<int:user_id>", methods=["GET", "POST"])
@requires("workorders.configure")
def edit_engineer(user_id: int):
    """Set an engineer's team, skills, on-duty and lead flags."""
    estate = require_estate()
    user = queries.user_by_id(user_id)
    if user is None or not crew.is_engineer(estate.id, user):
        abort(404)
    profile = crew.profile(estate.id, user)
    form = EngineerForm(obj=None if _posted() else profile)
    form.skills.choices = [(c.name, c.name) for c in crew.categories(estate.id)]
    if form.validate_on_submit():
        try:
            crew.update_engineer(current_user, estate, user, {
                "team": form.team.data, "skills": form.skills.data,
                "on_duty": form.on_duty.data, "is_lead": form.is_lead.data})
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("%(name)s saved.", name=user.full_name), "success")
            return redirect(url_for("workorders.setup"))
    return render_template("workorders/engineer_edit.html", form=form, user=user,
                           profile=profile), 422 if _posted() else 200


def _posted() -> bool:
    from flask import request

    return request.method == "POST"
