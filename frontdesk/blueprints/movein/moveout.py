"""Views of move-out and transfer: start, the clearance, final readings, override, complete."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.movein import acting_now, bp
from frontdesk.blueprints.movein.forms.cases import ConfirmForm
from frontdesk.blueprints.movein.forms.moveout import (
    MoveOutCompleteForm,
    MoveOutForm,
    OverrideForm,
)
from frontdesk.models import MoveOut, Unit
from frontdesk.services import DomainError
from frontdesk.services.movein import cases, handover, moveout
from frontdesk.web import apply_domain_error, form_status, requires, scoped_get


@bp.route("/units/<int:unit_id>/move-out", methods=["GET", "POST"])
@requires("movein.handle")
def start_move_out(unit_id: int):
    """Start a move-out (迁出) or a transfer (过户) to a new owner."""
    unit = scoped_get(Unit, unit_id)
    existing = moveout.open_move_out(unit.id)
    if existing is not None:
        return redirect(url_for("movein.move_out", move_out_id=existing.id))
    form = MoveOutForm()
    if form.validate_on_submit():
        owner = {k: form.data[k] for k in ("name", "phone", "id_type", "id_number")}
        try:
            move = moveout.start(current_user, unit, form.kind.data, acting_now(),
                                 new_owner=owner)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return redirect(url_for("movein.move_out", move_out_id=move.id))
    return render_template("form_page.html", form=form,
                           title=_("Move-out or transfer of %(code)s", code=unit.code),
                           intro=_("A transfer names the new owner: their move-in case starts "
                                   "when the transfer completes."),
                           back=url_for("movein.unit", unit_id=unit.id)), form_status(form)


def _page(move: MoveOut, status: int = 200, **forms):
    now = acting_now()
    unit = move.unit
    meters = handover.unit_meters(unit.id)
    complete_form = forms.get("complete_form") or MoveOutCompleteForm(formdata=None)
    if complete_form.end_date.data is None and not complete_form.is_submitted():
        complete_form.end_date.data = cases.local_date(unit.estate_id, now)
    return render_template(
        "movein/move_out.html", move=move, unit=unit, clearance=moveout.clearance(unit, now),
        owners=moveout.current_owners(unit.id), meters=meters,
        lasts={m.id: handover.last_reading(m.id) for m in meters},
        readings_form=ConfirmForm(formdata=None, prefix="readings"),
        override_form=forms.get("override_form") or OverrideForm(formdata=None),
        complete_form=complete_form,
        errors=forms.get("errors") or {}, typed=request.form), status


@bp.get("/move-outs/<int:move_out_id>")
@requires("movein.handle")
def move_out(move_out_id: int):
    """Show the clearance: fees owed, open key loans, keys held, deposits; and what is left."""
    return _page(scoped_get(MoveOut, move_out_id))


@bp.post("/move-outs/<int:move_out_id>/readings")
@requires("movein.handle")
def final_readings(move_out_id: int):
    """Record the final readings (billed by this month's bill run)."""
    move = scoped_get(MoveOut, move_out_id)
    if not ConfirmForm(prefix="readings").validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return redirect(url_for("movein.move_out", move_out_id=move.id))
    values = {m.id: request.form.get(f"reading-{m.id}", "")
              for m in handover.unit_meters(move.unit_id)}
    try:
        moveout.final_readings(current_user, move, values, acting_now())
    except DomainError as e:
        if not e.field:
            flash(str(e.message), "danger")
        return _page(move, 422, errors={e.field or "": str(e.message)})
    flash(_("Final readings recorded."), "success")
    return redirect(url_for("movein.move_out", move_out_id=move.id))


@bp.post("/move-outs/<int:move_out_id>/override")
@requires("movein.override")
def override(move_out_id: int):
    """A manager lets the move-out complete with fees owed, with a reason."""
    move = scoped_get(MoveOut, move_out_id)
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            moveout.override(current_user, move, form.reason.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Override recorded."), "success")
            return redirect(url_for("movein.move_out", move_out_id=move.id))
    return _page(move, 422, override_form=form)


@bp.post("/move-outs/<int:move_out_id>/complete")
@requires("movein.handle")
def complete_move_out(move_out_id: int):
    """Complete: occupancies end, keys go back; a transfer opens the new owner's case."""
    move = scoped_get(MoveOut, move_out_id)
    form = MoveOutCompleteForm()
    if form.validate_on_submit():
        try:
            move, new_case = moveout.complete(current_user, move, end_date=form.end_date.data,
                                              return_keys=form.return_keys.data,
                                              now=acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            if new_case is not None:
                flash(_("Transfer completed; the new owner's move-in has started."), "success")
                return redirect(url_for("movein.case", case_id=new_case.id))
            flash(_("Move-out completed."), "success")
            return redirect(url_for("movein.move_out", move_out_id=move.id))
    return _page(move, 422, complete_form=form)
