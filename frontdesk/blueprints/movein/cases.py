"""Views of a move-in case: start it, its page, each step, skip, pause, complete, print."""

from __future__ import annotations

import secrets
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.movein import acting_now, bp, work_order_url
from frontdesk.blueprints.movein.forms.cases import (
    AcceptForm,
    AgreementsForm,
    CompleteForm,
    ConfirmForm,
    DefectForm,
    FeesForm,
    KeysForm,
    ReasonForm,
    ResidentForm,
    SkipForm,
    StartForm,
    VerifyForm,
)
from frontdesk.labels import MOVEIN_STEP_LABELS
from frontdesk.models import MoveinCase, Unit
from frontdesk.pdf.handover_sheet import handover_sheet
from frontdesk.pdf.registration import registration_form
from frontdesk.services import DomainError
from frontdesk.services.movein import cases, handover, inspection, queries
from frontdesk.services.register.queries import registration_data, unit_card
from frontdesk.services.validation import record_id
from frontdesk.web import (
    apply_domain_error,
    form_status,
    mask_id_for,
    mask_phone_for,
    occupancy_label,
    requires,
    scoped_get,
)


def _back(case: MoveinCase):
    return redirect(url_for("movein.case", case_id=case.id))


def _now_local(case: MoveinCase):
    return acting_now().astimezone(ZoneInfo(case.unit.building.estate.timezone))


# the unit and the case -------------------------------------------------------------------------


@bp.get("/units/<int:unit_id>")
@requires("movein.handle")
def unit(unit_id: int):
    """Show a unit's move-in cases and move-outs, and start a new one."""
    unit = scoped_get(Unit, unit_id)
    return render_template("movein/unit.html", unit=unit, block=queries.unit_block(unit),
                           cases=queries.cases_of_unit(unit.id),
                           move_outs=queries.move_outs_of_unit(unit.id),
                           start_form=StartForm(formdata=None))


@bp.post("/units/<int:unit_id>/start")
@requires("movein.handle")
def start(unit_id: int):
    """Open the unit's move-in case (or continue the open one)."""
    unit = scoped_get(Unit, unit_id)
    existing = cases.open_case(unit.id)
    if existing is not None:
        return _back(existing)
    if not StartForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return redirect(url_for("movein.unit", unit_id=unit.id))
    try:
        case = cases.open_movein(current_user, unit, acting_now())
    except DomainError as e:
        flash(str(e.message), "danger")
        return redirect(url_for("movein.unit", unit_id=unit.id))
    flash(_("Move-in of %(code)s started.", code=unit.code), "success")
    return _back(case)


def _case_page(case: MoveinCase, status: int = 200, **forms):
    defects = queries.defect_rows(case)
    names = queries.user_names([s.done_by_id for s in case.steps] + [case.opened_by_id,
                                                                       case.completed_by_id])
    complete_form = forms.pop("complete_form", None) or CompleteForm(formdata=None)
    if not complete_form.is_submitted():
        complete_form.handover_date.data = case.unit.handover_date or _now_local(case).date()
        complete_form.start_date.data = _now_local(case).date()
    return render_template(
        "movein/case.html", case=case, unit=case.unit, steps=case.steps, names=names,
        defects=defects, work_order_url=work_order_url,
        missing=cases.missing_steps(case),
        skip_form=forms.pop("skip_form", None) or SkipForm(formdata=None),
        pause_form=forms.pop("pause_form", None) or ReasonForm(formdata=None, prefix="pause"),
        cancel_form=forms.pop("cancel_form", None) or ReasonForm(formdata=None, prefix="cancel"),
        resume_form=ConfirmForm(formdata=None), complete_form=complete_form,
        defect_form=forms.pop("defect_form", None) or DefectForm(formdata=None),
        accept_form=forms.pop("accept_form", None) or AcceptForm(formdata=None),
    ), status


@bp.get("/cases/<int:case_id>")
@requires("movein.handle")
def case(case_id: int):
    """Show a case: its steps (who did each and when), defects and what is left to do."""
    return _case_page(scoped_get(MoveinCase, case_id))


@bp.post("/cases/<int:case_id>/skip")
@requires("movein.handle")
def skip(case_id: int):
    """Skip a step with a reason."""
    case = scoped_get(MoveinCase, case_id)
    form = SkipForm()
    if form.validate_on_submit():
        try:
            cases.skip(current_user, case, form.step.data, form.reason.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Step skipped."), "success")
            return _back(case)
    return _case_page(case, 422, skip_form=form)


@bp.post("/cases/<int:case_id>/pause")
@requires("movein.handle")
def pause(case_id: int):
    """Pause the case until the owner's next visit."""
    case = scoped_get(MoveinCase, case_id)
    form = ReasonForm(prefix="pause")
    if form.validate_on_submit():
        try:
            cases.pause(current_user, case, form.reason.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("The case is paused."), "success")
            return _back(case)
    return _case_page(case, 422, pause_form=form)


@bp.post("/cases/<int:case_id>/resume")
@requires("movein.handle")
def resume(case_id: int):
    """Resume a paused case."""
    case = scoped_get(MoveinCase, case_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return _back(case)
    try:
        cases.resume(current_user, case, acting_now())
    except DomainError as e:
        flash(str(e.message), "danger")
    else:
        flash(_("The case is resumed."), "success")
    return _back(case)


@bp.post("/cases/<int:case_id>/cancel")
@requires("movein.handle")
def cancel(case_id: int):
    """Cancel a case opened by mistake."""
    case = scoped_get(MoveinCase, case_id)
    form = ReasonForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            cases.cancel(current_user, case, form.reason.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("The case is cancelled."), "success")
            return _back(case)
    return _case_page(case, 422, cancel_form=form)


@bp.post("/cases/<int:case_id>/complete")
@requires("movein.handle")
def complete(case_id: int):
    """完成: the unit becomes 已入住 from the move-in date; fees accrue from the handover."""
    case = scoped_get(MoveinCase, case_id)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            cases.complete(current_user, case, start_date=form.start_date.data,
                           handover_date=form.handover_date.data, now=acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Move-in of %(code)s completed.", code=case.unit.code), "success")
            return _back(case)
    return _case_page(case, 422, complete_form=form)


# the steps ------------------------------------------------------------------------------------


def _step_page(case: MoveinCase, step: str, form, status: int = 200, **context):
    return render_template("movein/step.html", case=case, unit=case.unit, step=step,
                           row=cases.step_of(case, step), title=MOVEIN_STEP_LABELS[step],
                           form=form, **context), status


def _run(form, action, message: str):
    """Call a step's service with the form; return a redirect, or None to show the form."""
    try:
        action()
    except DomainError as e:
        apply_domain_error(form, e)
        return None
    flash(message, "success")
    return True


@bp.route("/cases/<int:case_id>/verify", methods=["GET", "POST"])
@requires("movein.handle")
def verify(case_id: int):
    """核验资料: identity and the purchase contract."""
    case = scoped_get(MoveinCase, case_id)
    form = VerifyForm()
    if form.validate_on_submit() and _run(form, lambda: cases.verify_documents(
            current_user, case, form.data, acting_now()), _("Documents checked.")):
        return _back(case)
    return _step_page(case, "verify", form, form_status(form))


@bp.route("/cases/<int:case_id>/agreements", methods=["GET", "POST"])
@requires("movein.handle")
def agreements(case_id: int):
    """签署协议: the property service agreement and the estate rules."""
    case = scoped_get(MoveinCase, case_id)
    form = AgreementsForm()
    if form.validate_on_submit() and _run(form, lambda: cases.sign_agreements(
            current_user, case, form.data, acting_now()), _("Agreements recorded.")):
        return _back(case)
    return _step_page(case, "agreements", form, form_status(form))


@bp.route("/cases/<int:case_id>/residents", methods=["GET", "POST"])
@requires("movein.handle")
def residents(case_id: int):
    """登记住户: register the owner(s), household members and their vehicles."""
    case = scoped_get(MoveinCase, case_id)
    form = ResidentForm()
    if not form.is_submitted() and case.person is not None \
            and not cases.case_occupancies(case):
        form.process(obj=case.person)
        form.role.data, form.is_primary.data = "owner", True
    if form.validate_on_submit():
        person = {k: form.data[k] for k in ("name", "phone", "id_type", "id_number",
                                            "emergency_contact", "emergency_phone")}
        data = {"role": form.role.data, "is_primary": form.is_primary.data,
                "plate": form.plate.data}
        if _run(form, lambda: cases.add_resident(current_user, case, person, data, acting_now()),
                _("%(name)s registered.", name=form.name.data)):
            return redirect(url_for("movein.residents", case_id=case.id))
    return _step_page(case, "residents", form, form_status(form),
                      registered=cases.case_occupancies(case),
                      done_form=ConfirmForm(formdata=None))


@bp.post("/cases/<int:case_id>/residents/done")
@requires("movein.handle")
def residents_done(case_id: int):
    """Finish 登记住户 once the owner is registered."""
    case = scoped_get(MoveinCase, case_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return redirect(url_for("movein.residents", case_id=case.id))
    try:
        cases.residents_done(current_user, case, acting_now())
    except DomainError as e:
        flash(str(e.message), "danger")
        return redirect(url_for("movein.residents", case_id=case.id))
    flash(_("Residents registered."), "success")
    return _back(case)


@bp.route("/cases/<int:case_id>/readings", methods=["GET", "POST"])
@requires("movein.handle")
def readings(case_id: int):
    """交房抄表: the readings at handover become the meters' first readings."""
    case = scoped_get(MoveinCase, case_id)
    form = ConfirmForm()
    meters = handover.unit_meters(case.unit_id)
    kinds_without = [k for k in ("water", "electricity", "gas")
                     if not any(m.kind == k for m in meters)]
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        values = {m.id: request.form.get(f"reading-{m.id}", "") for m in meters}
        new = {}
        for kind in kinds_without:
            number = request.form.get(f"number-{kind}", "").strip()
            if number:
                new[kind] = number
                values[f"new-{kind}"] = request.form.get(f"new-{kind}", "")
        try:
            handover.handover_readings(current_user, case, values, acting_now(), new_meters=new)
        except DomainError as e:
            errors[e.field or ""] = str(e.message)
            if not e.field:
                flash(str(e.message), "danger")
        else:
            flash(_("Handover readings recorded."), "success")
            return _back(case)
    lasts = {m.id: handover.last_reading(m.id) for m in meters}
    return _step_page(case, "readings", form, 422 if form.is_submitted() else 200,
                      meters=meters, lasts=lasts, kinds_without=kinds_without, errors=errors,
                      typed=request.form)


@bp.route("/cases/<int:case_id>/inspection", methods=["GET", "POST"])
@requires("movein.handle")
def inspect(case_id: int):
    """验房: the checklist by room and item; each defect opens a work order to engineering."""
    case = scoped_get(MoveinCase, case_id)
    form = ConfirmForm()
    checklist = queries.checklist_rows(case)
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        results = {}
        for i, r in enumerate(checklist):
            for j, item in enumerate(r["items"]):
                results[(r["room"], item)] = (request.form.get(f"c-{i}-{j}", "ok"),
                                              request.form.get(f"n-{i}-{j}", ""))
        try:
            inspection.save_inspection(current_user, case, results, acting_now())
        except DomainError as e:
            errors[e.field or ""] = str(e.message)
            flash(str(e.message), "danger")
        else:
            flash(_("Inspection recorded."), "success")
            return _back(case)
    return _step_page(case, "inspection", form, 422 if form.is_submitted() else 200,
                      checklist=checklist, errors=errors, typed=request.form)


@bp.route("/cases/<int:case_id>/keys", methods=["GET", "POST"])
@requires("movein.handle")
def keys(case_id: int):
    """移交钥匙: keys handed over; those left with the desk go into custody."""
    case = scoped_get(MoveinCase, case_id)
    form = KeysForm()
    if not form.is_submitted():
        form.rows[0].kind.data = "入户门"
        form.rows[1].kind.data = "信箱"
    if form.validate_on_submit():
        tz = _now_local(case).tzinfo
        people = [{**p, "valid_until": p["valid_until"].replace(tzinfo=tz)
                   if p.get("valid_until") else None} for p in form.people.data]
        if _run(form, lambda: handover.hand_over_keys(
                current_user, case, form.rows.data, people, acting_now(),
                cabinet=form.cabinet.data, slot=form.slot.data), _("Keys recorded.")):
            return _back(case)
    return _step_page(case, "keys", form, form_status(form))


@bp.route("/cases/<int:case_id>/fees", methods=["GET", "POST"])
@requires("movein.handle")
def fees(case_id: int):
    """首期缴费: prepaid management fee and decoration deposit, one payment, one receipt."""
    case = scoped_get(MoveinCase, case_id)
    if not current_user.can("payments.take"):
        abort(403)
    form = FeesForm()
    today = _now_local(case).date()
    months = form.months.data if form.is_submitted() else request.args.get("months", type=int)
    if months is not None and not 1 <= months <= handover.MAX_MONTHS:
        months = None
    proposal = handover.propose_fees(case.unit, months, today)
    if not form.is_submitted():
        form.months.data = proposal.months
        form.prepaid.data = proposal.prepaid or None
        form.deposit.data = proposal.deposit or None
        form.payer.data = case.person.name if case.person else ""
        form.idempotency_key.data = secrets.token_hex(16)
    if form.validate_on_submit() and _run(form, lambda: handover.take_first_fees(
            current_user, case, months=form.months.data, prepaid=form.prepaid.data,
            deposit=form.deposit.data, method=form.method.data,
            idempotency_key=form.idempotency_key.data, payer=form.payer.data,
            reference=form.reference.data, now=acting_now()), _("Payment taken.")):
        return _back(case)
    if form.idempotency_key.errors:
        flash(form.idempotency_key.errors[0], "danger")
    return _step_page(case, "fees", form, form_status(form), proposal=proposal)


# defects ----------------------------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/defects")
@requires("movein.handle")
def add_defect(case_id: int):
    """Record a defect found after the inspection; it opens a work order."""
    case = scoped_get(MoveinCase, case_id)
    form = DefectForm()
    if form.validate_on_submit():
        try:
            inspection.add_defect(current_user, case, form.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Defect recorded; a work order went to engineering."), "success")
            return _back(case)
    return _case_page(case, 422, defect_form=form)


@bp.post("/cases/<int:case_id>/defects/accept")
@requires("movein.handle")
def accept(case_id: int):
    """Record the resident's acceptance of a fixed defect."""
    case = scoped_get(MoveinCase, case_id)
    form = AcceptForm()
    if form.validate_on_submit():
        defect = next((d for d in case.defects
                       if d.id == record_id(form.defect_id.data)), None)
        if defect is None:
            form.accepted_by_name.errors = [_("Choose a defect of this case.")]
        else:
            try:
                inspection.accept_fix(current_user, defect, form.data, acting_now())
            except DomainError as e:
                apply_domain_error(form, e)
            else:
                flash(_("The resident's acceptance is recorded."), "success")
                return _back(case)
    return _case_page(case, 422, accept_form=form)


# printing ---------------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/registration.pdf")
@requires("movein.handle")
def registration_pdf(case_id: int):
    """Print the 入住登记表: the unit's registration form with the move-in's details."""
    case = scoped_get(MoveinCase, case_id)
    data = registration_data(
        unit_card(case.unit), printed_at=_now_local(case).strftime("%Y-%m-%d %H:%M"),
        printed_by=current_user.full_name, mask_id=lambda v: mask_id_for(v, whole=True),
        mask_phone=mask_phone_for, role_label=occupancy_label)
    data.update(title="入住登记表", movein=queries.movein_details(case),
                document_no=f"RZ-{case.estate_id}-{case.id:06d}")
    pdf = registration_form(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"movein-registration-{case.unit.code}.pdf")


@bp.get("/cases/<int:case_id>/handover.pdf")
@requires("movein.handle")
def handover_pdf(case_id: int):
    """Print the 交房验收单: readings, inspection, defects, keys, fees, signatures."""
    case = scoped_get(MoveinCase, case_id)
    data = queries.handover_sheet_data(
        case, printed_at=_now_local(case).strftime("%Y-%m-%d %H:%M"),
        printed_by=current_user.full_name)
    pdf = handover_sheet(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"handover-{case.unit.code}.pdf")

