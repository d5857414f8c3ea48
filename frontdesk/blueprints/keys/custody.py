"""Views of key custody (托管): deposit, the custody page, authorisations, take back, voucher."""

from __future__ import annotations

import secrets
from io import BytesIO

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.keys import acting_now, bp
from frontdesk.blueprints.keys.forms.custody import (
    AuthoriseForm,
    DepositForm,
    RevokeForm,
    TakeBackForm,
)
from frontdesk.models import Key, KeyAuthorisation, KeyCustody, Person
from frontdesk.money import format_money
from frontdesk.pdf.key_custody import custody_pdf as render_custody_pdf
from frontdesk.services import DomainError
from frontdesk.services.keys import custody as custodies
from frontdesk.services.keys import queries
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get

OWNER_PREFIX = "person:"
TYPED = "typed"


@bp.route("/<int:key_id>/deposit", methods=["GET", "POST"])
@requires("keys.manage")
def deposit(key_id: int):
    """Take a key into custody from its owner, with an optional key deposit."""
    key = scoped_get(Key, key_id)
    owners = custodies.unit_owners(key.unit_id)
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
                custody = custodies.deposit_key(
                    current_user, key, depositor=depositor, copies=form.copies.data,
                    deposit_amount=form.deposit_amount.data, method=form.method.data,
                    idempotency_key=form.idempotency_key.data, note=form.note.data,
                    now=acting_now())
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
                                   where=queries.where(key)),
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
    return custodies.Depositor(name=form.name.data or "", phone=form.phone.data or "")


def _custody_page(custody: KeyCustody, authorise_form: AuthoriseForm | None = None,
                  take_back_form: TakeBackForm | None = None, status: int = 200):
    now = acting_now()
    return render_template(
        "keys/custody.html", info=queries.custody_info(custody, now), key=custody.key,
        where=queries.where(custody.key), now=now,
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
        data["valid_until"] = custodies.local_to_utc(form.valid_until.data, estate.timezone)
        try:
            custodies.authorise(current_user, custody, data, now=acting_now())
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
            custodies.revoke(current_user, authorisation, now=acting_now())
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
        if custodies.deposit_left(custody) > 0 and not current_user.can("refunds.request"):
            flash(_("This key has a deposit to refund; only staff who may request refunds can "
                    "take it back."), "danger")
        else:
            try:
                result = custodies.take_back(current_user, custody, now=acting_now(),
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
    data = queries.custody_document(custody, now=acting_now(), printed_by=current_user.full_name)
    pdf = render_custody_pdf(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"key-custody-{custody.id}.pdf")
