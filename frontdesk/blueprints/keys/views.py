"""Views of the key register and key custody (托管)."""

from __future__ import annotations

import secrets
from io import BytesIO

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.keys import bp
from frontdesk.blueprints.keys.forms import (
    AuthoriseForm,
    BulkForm,
    DepositForm,
    KeyForm,
    RevokeForm,
    TakeBackForm,
)
from frontdesk.models import Building, Key, KeyAuthorisation, KeyCustody, Person
from frontdesk.models.keys import KEY_KINDS, KEY_STATUSES
from frontdesk.money import format_money
from frontdesk.pdf.key_custody import custody_pdf as render_custody_pdf
from frontdesk.services import DomainError
from frontdesk.services.keys import loans as key_loans
from frontdesk.services.keys import registry as keys
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get

OWNER_PREFIX = "person:"
TYPED = "typed"


def _now():
    """Return the time the key views act at (frozen in tests, as the loan views do)."""
    return key_loans.clock(current_app.config)


@bp.app_template_global()
def key_status_label(status: str) -> str:
    """Name a key's status (在柜 / 借出 / 已归还业主 / 遗失) in the user's language."""
    return str(keys.KEY_STATUS_LABELS.get(status, status))


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
    pagination = keys.list_keys(estate.id, status=status, building_id=building_id, q=q,
                                page=page)
    return render_template("keys/index.html", pagination=pagination,
                           rows=keys.key_rows(pagination.items),
                           buildings=keys.buildings_of(estate.id), status=status,
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
            key = keys.register_key(current_user, estate, form.data)
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
    form.building_id.choices = [(b.id, b.label) for b in keys.buildings_of(estate.id)]
    if form.validate_on_submit():
        if form.building_id.data not in dict(form.building_id.choices):
            form.building_id.errors = [_("Choose a building of this estate.")]
        else:
            building = scoped_get(Building, form.building_id.data)
            try:
                created = keys.bulk_register(
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
    now = _now()
    return render_template("keys/show.html", history=keys.key_history(key, now), now=now)


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
@requires("keys.manage")
def edit_key(key_id: int):
    """Change a key's tag, unit or area, kind, copies or place in the cabinet."""
    key = scoped_get(Key, key_id)
    form = KeyForm(obj=key)
    if not form.is_submitted():
        form.unit_code.data = keys.where(key) if key.unit_id else ""
        if key.kind not in KEY_KINDS:
            form.kind.data, form.kind_other.data = "其他", key.kind
    if form.validate_on_submit():
        try:
            keys.update_key(current_user, key, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Key %(tag)s saved.", tag=key.tag), "success")
            return redirect(url_for("keys.show", key_id=key.id))
    status = form_status(form)
    return render_template("form_page.html", form=form, title=_("Edit key %(tag)s", tag=key.tag),
                           back=url_for("keys.show", key_id=key.id)), status


@bp.route("/<int:key_id>/deposit", methods=["GET", "POST"])
@requires("keys.manage")
def deposit(key_id: int):
    """Take a key into custody from its owner, with an optional key deposit."""
    key = scoped_get(Key, key_id)
    owners = keys.unit_owners(key.unit_id)
    form = DepositForm()
    form.depositor.choices = [(f"{OWNER_PREFIX}{p.id}", p.name) for p in owners] + [
        (TYPED, _("Someone else (type the name and phone)"))]
    if not form.is_submitted():
        form.idempotency_key.data = secrets.token_hex(16)
        form.copies.data = key.copies
    if form.validate_on_submit():
        depositor = _depositor(form, owners)
        if form.deposit_amount.data is not None and not current_user.can("payments.take"):
            form.deposit_amount.errors = [_("Only staff who take payments can take a deposit.")]
        else:
            try:
                custody = keys.deposit_key(
                    current_user, key, depositor=depositor, copies=form.copies.data,
                    deposit_amount=form.deposit_amount.data, method=form.method.data,
                    idempotency_key=form.idempotency_key.data, note=form.note.data,
                    now=_now())
            except DomainError as e:
                apply_domain_error(form, e)
            else:
                flash(_("Key %(tag)s taken into custody.", tag=key.tag), "success")
                return redirect(url_for("keys.custody", custody_id=custody.id))
    if form.idempotency_key.errors:
        flash(form.idempotency_key.errors[0], "danger")
    status = form_status(form)
    return render_template("form_page.html", form=form,
                           title=_("Custody of key %(tag)s · %(where)s", tag=key.tag,
                                   where=keys.where(key)),
                           intro=_("The owner deposits the key with the service centre. A key "
                                   "deposit is taken as a payment with a receipt."),
                           back=url_for("keys.show", key_id=key.id)), status


def _depositor(form: DepositForm, owners: list[Person]):
    """Return the owner chosen in the form, or the name and phone typed."""
    choice = form.depositor.data or ""
    if choice.startswith(OWNER_PREFIX):
        chosen = next((p for p in owners if f"{OWNER_PREFIX}{p.id}" == choice), None)
        if chosen is not None:
            return chosen
    return keys.Depositor(name=form.name.data or "", phone=form.phone.data or "")


def _custody_page(custody: KeyCustody, authorise_form: AuthoriseForm | None = None,
                  take_back_form: TakeBackForm | None = None, status: int = 200):
    now = _now()
    return render_template(
        "keys/custody.html", info=keys.custody_info(custody, now), key=custody.key,
        where=keys.where(custody.key), now=now, is_valid=keys.is_valid,
        authorise_form=authorise_form or AuthoriseForm(formdata=None),
        take_back_form=take_back_form or TakeBackForm(formdata=None),
        revoke_form=RevokeForm(formdata=None)), status


@bp.get("/custodies/<int:custody_id>")
@requires("keys.view")
def custody(custody_id: int):
    """Show a custody: depositor, deposit, the authorised list and the owner's changes."""
    return _custody_page(scoped_get(KeyCustody, custody_id))


@bp.post("/custodies/<int:custody_id>/authorisations")
@requires("keys.manage")
def authorise(custody_id: int):
    """Add a person the owner authorises to borrow the key."""
    custody = scoped_get(KeyCustody, custody_id)
    form = AuthoriseForm()
    if form.validate_on_submit():
        estate = require_estate()
        data = dict(form.data)
        data["valid_until"] = keys.local_to_utc(form.valid_until.data, estate.timezone)
        try:
            keys.authorise(current_user, custody, data, now=_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("%(name)s may now borrow the key.", name=form.name.data), "success")
            return redirect(url_for("keys.custody", custody_id=custody.id))
    return _custody_page(custody, authorise_form=form, status=422)


@bp.post("/authorisations/<int:authorisation_id>/revoke")
@requires("keys.manage")
def revoke(authorisation_id: int):
    """Withdraw an authorisation at the owner's request."""
    authorisation = scoped_get(KeyAuthorisation, authorisation_id)
    if not RevokeForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
    else:
        try:
            keys.revoke(current_user, authorisation, now=_now())
        except DomainError as e:
            flash(str(e.message), "danger")
        else:
            flash(_("The authorisation of %(name)s is revoked.", name=authorisation.name),
                  "success")
    return redirect(url_for("keys.custody", custody_id=authorisation.custody_id))


@bp.post("/custodies/<int:custody_id>/take-back")
@requires("keys.manage")
def take_back(custody_id: int):
    """The owner takes the key back; a deposit is asked to be refunded."""
    custody = scoped_get(KeyCustody, custody_id)
    form = TakeBackForm()
    if form.validate_on_submit():
        if keys.deposit_left(custody) > 0 and not current_user.can("refunds.request"):
            flash(_("This key has a deposit to refund; only staff who may request refunds can "
                    "take it back."), "danger")
        else:
            try:
                result = keys.take_back(current_user, custody, now=_now(),
                                        refund_method=form.refund_method.data or None)
            except DomainError as e:
                apply_domain_error(form, e)
            else:
                if result.refund is not None:
                    flash(_("Key %(tag)s returned to its owner. The refund of the deposit "
                            "(%(a)s yuan) waits for a manager's approval.",
                            tag=custody.key.tag, a=format_money(result.refund.amount)), "success")
                else:
                    flash(_("Key %(tag)s returned to its owner.", tag=custody.key.tag),
                          "success")
                return redirect(url_for("keys.custody", custody_id=custody.id))
    return _custody_page(custody, take_back_form=form, status=422)


@bp.get("/custodies/<int:custody_id>/receipt.pdf")
@requires("keys.view")
def custody_pdf(custody_id: int):
    """Print the 钥匙托管凭证 of a custody for the owner and the desk to sign."""
    custody = scoped_get(KeyCustody, custody_id)
    data = keys.custody_document(custody, now=_now(), printed_by=current_user.full_name)
    pdf = render_custody_pdf(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"key-custody-{custody.id}.pdf")
