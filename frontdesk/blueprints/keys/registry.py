"""Views of the key register: the key list, a key's page, registering and editing keys."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.keys import acting_now, bp
from frontdesk.blueprints.keys.forms.registry import BulkForm, KeyForm
from frontdesk.labels import KEY_STATUS_LABELS
from frontdesk.models import Building, Key
from frontdesk.models.keys import KEY_KINDS, KEY_STATUSES
from frontdesk.services import DomainError
from frontdesk.services.keys import queries, registry
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.app_template_global()
def key_status_label(status: str) -> str:
    """Name a key's status (在柜 / 借出 / 已归还业主 / 遗失) in the user's language."""
    return str(KEY_STATUS_LABELS.get(status, status))


@bp.get("/")
@requires("keys.view")
def index():
    """List the estate's keys, filtered by status, building and tag or unit."""
    estate = require_estate()
    status = request.args.get("status") or None
    if status not in KEY_STATUSES:
        status = None
    building_id = request.args.get("building_id", type=int)
    q = request.args.get("q", "")[:40]
    page = request.args.get("page", 1, type=int)
    pagination = queries.list_keys(estate.id, status=status, building_id=building_id, q=q,
                                page=page)
    return render_template("keys/index.html", pagination=pagination,
                           rows=queries.key_rows(pagination.items),
                           buildings=registry.buildings_of(estate.id), status=status,
                           building_id=building_id, q=q)


@bp.route("/new", methods=["GET", "POST"])
@requires("keys.manage")
def new_key():
    """Register one key of a unit or a public area."""
    estate = require_estate()
    form = KeyForm()
    if not form.is_submitted() and request.args.get("unit_code"):
        form.unit_code.data = request.args["unit_code"][:40]
    if form.validate_on_submit():
        try:
            key = registry.register_key(current_user, estate, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Key %(tag)s registered.", tag=key.tag), "success")
            return redirect(url_for("keys.show", key_id=key.id))
    status = form_status(form)
    return render_template("form_page.html", form=form, title=_("Register a key"),
                           back=url_for("keys.index")), status


@bp.route("/bulk", methods=["GET", "POST"])
@requires("keys.manage")
def bulk_new():
    """Register keys for every unit of a building at once (e.g. the developer's keys)."""
    estate = require_estate()
    form = BulkForm()
    form.building_id.choices = [(b.id, b.label) for b in registry.buildings_of(estate.id)]
    if form.validate_on_submit():
        if form.building_id.data not in dict(form.building_id.choices):
            form.building_id.errors = [_("Choose a building of this estate.")]
        else:
            building = scoped_get(Building, form.building_id.data)
            try:
                created = registry.bulk_register(
                    current_user, building, kind=form.kind.data, per_unit=form.per_unit.data,
                    pattern=form.pattern.data, cabinet=form.cabinet.data,
                    first_slot=form.first_slot.data, copies=form.copies.data,
                    note=form.note.data)
            except DomainError as e:
                apply_domain_error(form, e)
            else:
                flash(_("%(n)s keys registered for %(b)s.", n=len(created), b=building.label),
                      "success")
                return redirect(url_for("keys.index", building_id=building.id))
    status = form_status(form)
    return render_template("form_page.html", form=form, title=_("Register keys of a building"),
                           intro=_("Every unit of the building gets the same number of keys of "
                                   "one kind. If any of the tags is already registered, nothing "
                                   "is registered."),
                           back=url_for("keys.index")), status


@bp.get("/<int:key_id>")
@requires("keys.view")
def show(key_id: int):
    """Show a key with its whole history: custody, authorisations, loans, losses, changes."""
    key = scoped_get(Key, key_id)
    now = acting_now()
    return render_template("keys/show.html", history=queries.key_history(key, now), now=now)


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
@requires("keys.manage")
def edit_key(key_id: int):
    """Change a key's tag, unit or area, kind, copies or place in the cabinet."""
    key = scoped_get(Key, key_id)
    form = KeyForm(obj=key)
    if not form.is_submitted():
        form.unit_code.data = queries.where(key) if key.unit_id else ""
        if key.kind not in KEY_KINDS:
            form.kind.data, form.kind_other.data = "其他", key.kind
    if form.validate_on_submit():
        try:
            registry.update_key(current_user, key, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Key %(tag)s saved.", tag=key.tag), "success")
            return redirect(url_for("keys.show", key_id=key.id))
    status = form_status(form)
    return render_template("form_page.html", form=form, title=_("Edit key %(tag)s", tag=key.tag),
                           back=url_for("keys.show", key_id=key.id)), status
