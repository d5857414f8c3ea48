"""Views of payments, receipts, refunds and late-fee waivers."""

import secrets
from io import BytesIO

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk import labels
from frontdesk.blueprints.payments import bp
from frontdesk.blueprints.payments.forms import (
    DecideRefundForm,
    PaymentForm,
    PayRefundForm,
    PrintForm,
    RefundForm,
    VoidForm,
    WaiveForm,
)
from frontdesk.models import BillLine, Deposit, Receipt, Refund, Unit
from frontdesk.money import format_money
from frontdesk.pdf.receipt import receipt_pdf
from frontdesk.pdf.refund_voucher import refund_voucher as refund_voucher_pdf
from frontdesk.services import DomainError
from frontdesk.services.fees import (
    bill_queries,
    corrections,
    late_fees,
    payments,
    receipts,
    refunds,
)
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.route("/units/<int:unit_id>/new", methods=["GET", "POST"])
@requires("payments.take")
def take(unit_id: int):
    """Take a payment for a unit: its open bills with late fees, amount, method and payer."""
    unit = scoped_get(Unit, unit_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            payment = payments.take_payment(
                current_user, unit, amount=form.amount.data, method=form.method.data,
                idempotency_key=form.idempotency_key.data, line_ids=form.line_ids.data,
                payer=form.payer.data, note=form.note.data, purpose=form.purpose.data,
                deposit_kind=form.deposit_kind.data or None, reference=form.reference.data,
                tendered=form.tendered.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            receipt = bill_queries.receipt_of(payment)
            flash(_("Payment of %(amount)s yuan recorded; receipt %(number)s.",
                    amount=format_money(payment.amount), number=receipt.number), "success")
            owed = bill_queries.still_owed(receipt)
            if owed:
                flash(_("The unit still owes %(owed)s yuan after this payment.",
                        owed=format_money(owed)), "warning")
            return redirect(url_for("payments.receipt", receipt_id=receipt.id))
    fees = bill_queries.unit_fees(unit)
    if not form.is_submitted():
        # every open bill ticked, the amount their total: the clerk unticks what is not paid
        form.idempotency_key.data = secrets.token_hex(16)
        form.payer.data = fees.payer
        form.line_ids.data = [ol.line.id for ol in fees.lines]
        form.amount.data = fees.total_due if fees.total_due > 0 else None
    if form.idempotency_key.errors:
        flash(form.idempotency_key.errors[0], "danger")
    status = form_status(form)
    return render_template("payments/take.html", form=form, unit=unit, fees=fees,
                           ticked=set(form.line_ids.data or []),
                           reference_methods=payments.REFERENCE_METHODS), status


@bp.get("/receipts")
@requires("fees.view")
def receipt_list():
    """List the estate's receipts, newest first, by number or unit code."""
    estate = require_estate()
    q = request.args.get("q", "")[:40]
    page = request.args.get("page", 1, type=int)
    return render_template("payments/receipts.html", q=q,
                           receipts=receipts.list_receipts(estate.id, q=q, page=page))


def _receipt_page(receipt: Receipt, void_form: VoidForm | None = None, status: int = 200):
    return render_template("payments/receipt.html", receipt=receipt,
                           void_form=void_form or VoidForm(formdata=None),
                           print_form=PrintForm(formdata=None)), status


@bp.get("/receipts/<int:receipt_id>")
@requires("fees.view")
def receipt(receipt_id: int):
    """Show a receipt with its lines, its prints and the void form."""
    return _receipt_page(scoped_get(Receipt, receipt_id))


@bp.post("/receipts/<int:receipt_id>/print")
@requires("receipts.print")
def print_receipt(receipt_id: int):
    """Print a receipt: the first print is the original, every later one is marked 补打."""
    receipt = scoped_get(Receipt, receipt_id)
    if not PrintForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return redirect(url_for("payments.receipt", receipt_id=receipt.id))
    print_no = receipts.print_receipt(current_user, receipt)
    data = receipts.document_data(receipt, print_no=print_no, printed_by=current_user.full_name)
    pdf = receipt_pdf(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"receipt-{receipt.number}.pdf")


@bp.post("/receipts/<int:receipt_id>/void")
@requires("payments.void")
def void(receipt_id: int):
    """Void a receipt with a reason; its payment is reversed and its number kept."""
    receipt = scoped_get(Receipt, receipt_id)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            payments.void_receipt(current_user, receipt, form.reason.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Receipt %(number)s voided.", number=receipt.number), "success")
            return redirect(url_for("payments.receipt", receipt_id=receipt.id))
    return _receipt_page(receipt, form, 422)


@bp.route("/units/<int:unit_id>/refunds/new", methods=["GET", "POST"])
@requires("refunds.request")
def request_refund(unit_id: int):
    """Ask for a refund of a unit's prepaid balance or of one of its deposits."""
    unit = scoped_get(Unit, unit_id)
    fees = bill_queries.unit_fees(unit)
    form = RefundForm()
    form.deposit_id.choices = [("", "—")] + [
        (h.deposit.id, _("%(kind)s, %(held)s yuan held", kind=h.deposit.kind,
                         held=format_money(h.held))) for h in fees.deposits]
    if form.validate_on_submit():
        deposit = None
        if form.source.data == "deposit" and form.deposit_id.data:
            deposit = scoped_get(Deposit, form.deposit_id.data)
        try:
            refunds.request_refund(current_user, unit, source=form.source.data,
                                    amount=form.amount.data, method=form.method.data,
                                    reason=form.reason.data, deposit=deposit)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Refund requested; it waits for a manager's approval."), "success")
            return redirect(url_for("payments.refunds"))
    status = form_status(form)
    return render_template("payments/refund_new.html", form=form, unit=unit, fees=fees), status


@bp.get("/refunds", endpoint="refunds")
@requires("fees.view")
def refund_list():
    """List the estate's refunds, those waiting for approval first."""
    estate = require_estate()
    state = request.args.get("state") or None
    if state not in (None, *labels.REFUND_STATE_LABELS):
        state = None
    page = request.args.get("page", 1, type=int)
    pagination = bill_queries.list_refunds(estate.id, state, page)
    return render_template("payments/refunds.html", state=state, form=DecideRefundForm(),
                           refunds=pagination, states=labels.REFUND_STATE_LABELS,
                           names=bill_queries.refund_people(pagination.items),
                           codes=bill_queries.unit_codes(r.unit_id for r in pagination.items))


@bp.post("/refunds/<int:refund_id>/decide")
@requires("refunds.approve")
def decide_refund(refund_id: int):
    """Approve or reject a refund."""
    refund = scoped_get(Refund, refund_id)
    form = DecideRefundForm()
    if form.validate_on_submit() and (form.approve.data or form.reject.data):
        try:
            refunds.decide_refund(current_user, refund, approve=bool(form.approve.data))
        except DomainError as e:
            flash(str(e.message), "danger")
        else:
            if refund.state == "approved":
                flash(_("Refund approved."), "success")
            else:
                flash(_("Refund rejected."), "success")
    return redirect(url_for("payments.refunds"))


@bp.route("/refunds/<int:refund_id>/pay", methods=["GET", "POST"])
@requires("payments.take")
def pay_refund(refund_id: int):
    """Record that an approved refund's money was handed over; it then counts on the day's
    cashier report."""
    refund = scoped_get(Refund, refund_id)
    unit = scoped_get(Unit, refund.unit_id)
    form = PayRefundForm()
    if form.validate_on_submit():
        try:
            refunds.pay_refund(current_user, refund, method=form.method.data,
                                payee=form.payee.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Refund of %(amount)s yuan paid out to %(payee)s.",
                    amount=format_money(refund.amount), payee=refund.payee), "success")
            return redirect(url_for("payments.refunds", state="paid"))
    elif not form.is_submitted():
        form.method.data = refund.method
        form.payee.data = bill_queries.usual_payer(unit) or ""
    status = form_status(form)
    return render_template("payments/refund_pay.html", form=form, refund=refund, unit=unit,
                           names=bill_queries.refund_people([refund])), status


@bp.get("/refunds/<int:refund_id>/voucher.pdf")
@requires("receipts.print")
def refund_voucher(refund_id: int):
    """Print the refund voucher (退款单) to be signed when the money is handed over."""
    refund = scoped_get(Refund, refund_id)
    try:
        data = refunds.refund_voucher_data(refund, printed_by=current_user.full_name)
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(url_for("payments.refunds"))
    pdf = refund_voucher_pdf(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"refund-{data['number']}.pdf")


@bp.route("/lines/<int:bill_line_id>/waive", methods=["GET", "POST"])
@requires("latefee.waive")
def waive(bill_line_id: int):
    """Waive the late fee of a bill line, with a reason."""
    line = scoped_get(BillLine, bill_line_id)
    form = WaiveForm()
    if form.validate_on_submit():
        try:
            amount = corrections.waive_late_fee(current_user, line, form.reason.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Late fee waived (%(amount)s yuan as of today).",
                    amount=format_money(amount)), "success")
            return redirect(url_for("desk.unit", unit_id=line.unit_id))
    status = form_status(form)
    return render_template("payments/waive.html", form=form, line=line,
                           open_line=late_fees.line_late_fee(line)), status


@bp.app_template_global()
def payment_label(kind: str, value: str | None) -> str:
    """Name a payment method, purpose, bill line kind, refund state or source in the UI."""
    maps = {
        "method": labels.PAYMENT_METHOD_LABELS, "purpose": labels.PAYMENT_PURPOSE_LABELS,
        "kind": labels.LINE_KIND_LABELS, "state": labels.REFUND_STATE_LABELS,
        "source": labels.REFUND_SOURCE_LABELS,
    }[kind]
    return str(maps.get(value, value or ""))
