"""Views of key loans: lend, return, the loan slip, open and overdue loans, lost keys.

The views act at :func:`frontdesk.blueprints.keys.acting_now` (``app.config["FRONTDESK_NOW"]``
when a test freezes the clock, the real time otherwise).
"""

from __future__ import annotations

from io import BytesIO

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.keys import acting_now, bp
from frontdesk.blueprints.keys.forms.loans import (
    OTHER_BORROWER,
    LendForm,
    LostForm,
    PrintForm,
    ReturnForm,
)
from frontdesk.labels import BORROWER_KIND_LABELS
from frontdesk.models import Key, KeyLoan
from frontdesk.pdf.key_loan import loan_slip
from frontdesk.services import DomainError
from frontdesk.services.keys import borrowers, loans, queries, registry
from frontdesk.throttle import TooManyFailures
from frontdesk.web import (
    apply_domain_error,
    form_status,
    localtime,
    mask_phone_for,
    require_estate,
    requires,
    scoped_get,
)

BORROWER_LABELS = BORROWER_KIND_LABELS


@bp.app_template_global()
def key_loan_label(kind: str) -> str:
    """Name a kind of borrower (owner, authorised, approved) in the UI."""
    return str(BORROWER_LABELS.get(kind, kind or ""))


@bp.route("/<int:key_id>/lend", methods=["GET", "POST"])
@requires("keys.manage")
def lend(key_id: int):
    """Lend a key in the cabinet; a borrower not on its lists needs a manager's approval."""
    key = scoped_get(Key, key_id)
    now = acting_now()
    ctx = queries.lend_context(key, now)
    form = LendForm()
    form.borrower.choices = _borrower_options(ctx.choices)
    if not form.is_submitted() and not ctx.choices:
        form.borrower.data = OTHER_BORROWER
    status = None
    if form.validate_on_submit():
        try:
            loan = _lend(form, key, ctx, now)
        except TooManyFailures:  # counted with the logins of that account and this address
            flash(_("Too many wrong manager passwords. Please try again in a minute."), "danger")
            loan, status = None, 429
        if loan is not None:
            flash(_("Key %(tag)s lent to %(name)s (loan %(number)s).", tag=key.tag,
                    name=loan.borrower_name, number=loans.loan_number(loan)), "success")
            return redirect(url_for("keys.loan", loan_id=loan.id))
    form.manager_password.data = ""
    return render_template("keys/loan_lend.html", form=form, ctx=ctx,
                           other=OTHER_BORROWER), status or form_status(form)


def _lend(form: LendForm, key: Key, ctx: queries.LendContext, now) -> KeyLoan | None:
    """Lend the key to the person picked or typed; None with the form's errors set."""
    picked = form.borrower.data if form.borrower.data != OTHER_BORROWER else ""
    if ctx.choices and not form.borrower.data and not form.borrower_name.data:
        form.borrower.errors = [_("Choose the borrower, or someone else and type their name.")]
        return None
    try:
        approver = borrowers.approver_for(current_user, key.estate_id,
                                          form.manager_username.data,
                                          form.manager_password.data,
                                          address=request.remote_addr)
        return loans.lend_key(
            current_user, key, borrower=picked or None, borrower_name=form.borrower_name.data,
            borrower_phone=form.borrower_phone.data,
            borrower_id_tail=form.borrower_id_tail.data, purpose=form.purpose.data,
            expected_return_at=form.expected_return_at.data, now=now,
            proxy_name=form.proxy_name.data, proxy_phone=form.proxy_phone.data,
            proxy_id_tail=form.proxy_id_tail.data,
            approve_reason=form.approve_reason.data, approver=approver)
    except DomainError as e:
        apply_domain_error(form, e)
        return None


def _borrower_options(choices: list[borrowers.BorrowerChoice]) -> list[tuple[str, str]]:
    """Offer the key's owners and authorised people, then someone else (typed, approved)."""
    options = [("", _("Choose the borrower"))] if choices else []
    for c in choices:
        detail = dict(name=c.name, phone=mask_phone_for(c.phone), tail=c.id_tail)
        if c.kind == "owner":
            options.append((c.value, _("%(name)s · owner · %(phone)s · ID ending %(tail)s",
                                       **detail)))
        else:
            options.append((c.value, _("%(name)s · authorised until %(until)s · %(phone)s · "
                                       "ID ending %(tail)s", until=localtime(c.valid_until),
                                       **detail)))
    options.append((OTHER_BORROWER, _("Someone else (type the name below; a manager approves)")))
    return options


def _loan_page(loan: KeyLoan, return_form: ReturnForm | None = None, status: int = 200):
    now = acting_now()
    if return_form is None:
        return_form = ReturnForm(formdata=None)
        return_form.returned_at.raw_data = [registry.local_input(now, loan.estate_id)]
    return render_template("keys/loan.html", view=queries.loan_view(loan, now),
                           return_form=return_form, print_form=PrintForm(formdata=None)), status


@bp.get("/loans/<int:loan_id>")
@requires("keys.view")
def loan(loan_id: int):
    """Show a loan, with the return form while the key is out and its slip."""
    return _loan_page(scoped_get(KeyLoan, loan_id))


@bp.post("/loans/<int:loan_id>/return")
@requires("keys.manage")
def return_loan(loan_id: int):
    """Take a lent key back: time, condition; the member of staff is the one logged in."""
    loan = scoped_get(KeyLoan, loan_id)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            loans.return_key(current_user, loan, returned_at=form.returned_at.data,
                                 condition=form.condition.data, note=form.note.data,
                                 now=acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Key taken back."), "success")
            return redirect(url_for("keys.loan", loan_id=loan.id))
    return _loan_page(loan, form, 422)


@bp.post("/loans/<int:loan_id>/slip.pdf")
@requires("keys.manage")
def print_loan(loan_id: int):
    """Print the 钥匙借用单: the first print is the original, every later one is marked 补打."""
    loan = scoped_get(KeyLoan, loan_id)
    form = PrintForm()
    if not form.validate_on_submit():
        return redirect(url_for("keys.loan", loan_id=loan.id))
    print_no = loans.print_loan(current_user, loan)
    data = queries.slip_data(loan, print_no=print_no, printed_by=current_user.full_name,
                               printed_at=acting_now())
    pdf = loan_slip(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"key-loan-{data['number']}.pdf")


@bp.get("/loans", endpoint="loans")
@requires("keys.view")
def loans_list():
    """List the estate's open loans, the oldest first, overdue ones marked."""
    estate = require_estate()
    return render_template("keys/loans.html", rows=queries.open_loans(estate.id, acting_now()))


@bp.get("/loans/overdue")
@requires("keys.view")
def overdue_loans():
    """List the loans past their expected return with how late they are."""
    estate = require_estate()
    return render_template("keys/loans_overdue.html",
                           rows=queries.overdue_loans(estate.id, acting_now()))


@bp.route("/<int:key_id>/lost", methods=["GET", "POST"])
@requires("keys.manage")
def report_lost(key_id: int):
    """Report a key lost, closing its open loan and optionally charging the unit."""
    key = scoped_get(Key, key_id)
    form = LostForm()
    if form.validate_on_submit():
        try:
            loans.report_lost(current_user, key, circumstances=form.circumstances.data,
                                  charge_amount=form.charge_amount.data, now=acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Key %(tag)s reported lost.", tag=key.tag), "success")
            return redirect(url_for("keys.show", key_id=key.id))
    return render_template("keys/loan_lost.html", form=form,
                           ctx=queries.loss_context(key)), form_status(form)
