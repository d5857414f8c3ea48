"""Views of entries: log an entry or a call (opening a work order), change it, addenda, search."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.duty import acting_now, bp
from frontdesk.blueprints.duty.forms.entries import AddendumForm, EntryForm, SearchForm
from frontdesk.models import DutyEntry
from frontdesk.models.duty import ENTRY_KINDS
from frontdesk.services import DomainError
from frontdesk.services.complaints import complaints
from frontdesk.services.duty import entries, queries
from frontdesk.services.keys.loans import loan_number
from frontdesk.services.keys.registry import local_input
from frontdesk.services.workorders import crew
from frontdesk.services.workorders.orders import order_number
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


def _choices(form: EntryForm, estate_id: int) -> None:
    form.category_id.choices = [("", _("Choose a category"))] + [
        (str(c.id), c.name) for c in crew.categories(estate_id)]
    form.complaint_category.choices = [("", _("Choose a category"))] + [
        (c, c) for c in complaints.categories(estate_id)]


def _data(form: EntryForm) -> dict:
    return {name: getattr(form, name).data for name in (
        "kind", "at", "caller_name", "caller_phone", "content", "handling", "call_result",
        "unit_code", "person", "work_order_no", "key_loan_no")}


def _order_spec(form: EntryForm) -> dict | None:
    if not form.open_work_order.data:
        return None
    return {"category_id": form.category_id.data, "priority": form.priority.data,
            "area": form.area.data}


def _complaint_spec(form: EntryForm) -> dict | None:
    if not form.open_complaint.data:
        return None
    return {"category": form.complaint_category.data, "request": form.complaint_request.data}


@bp.route("/entries/new", methods=["GET", "POST"])
@requires("duty.log")
def new_entry():
    """Log an entry (a call: caller, number, result) in the shift its time falls in."""
    estate = require_estate()
    now = acting_now()
    form = EntryForm()
    _choices(form, estate.id)
    if not form.is_submitted():
        form.at.data = None
        form.at.raw_data = [local_input(now, estate.id)]
        if request.args.get("call"):
            form.kind.data = "来电"
        elif request.args.get("kind") in ENTRY_KINDS:
            form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            entry = entries.add_entry(current_user, estate, _data(form), now,
                                      work_order=_order_spec(form),
                                      complaint=_complaint_spec(form))
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            if entry.work_order is not None:
                flash(_("Entry saved; work order %(no)s opened.",
                        no=order_number(entry.work_order)), "success")
            if entry.complaint_id is not None:
                flash(_("Entry saved; complaint registered."), "success")
            if entry.work_order is None and entry.complaint_id is None:
                flash(_("Entry saved."), "success")
            return redirect(url_for("duty.shift", shift_id=entry.shift_id))
    return render_template("duty/entry_form.html", form=form, entry=None), form_status(form)


def _fill(form: EntryForm, entry: DutyEntry) -> None:
    form.kind.data = entry.kind
    form.at.raw_data = [local_input(entry.at, entry.estate_id)]
    for name in ("caller_name", "caller_phone", "content", "handling", "call_result"):
        getattr(form, name).data = getattr(entry, name)
    form.unit_code.data = entry.unit.code if entry.unit else ""
    form.person.data = entry.person.phone or entry.person.name if entry.person else ""
    form.work_order_no.data = order_number(entry.work_order) if entry.work_order else ""
    form.key_loan_no.data = loan_number(entry.key_loan) if entry.key_loan else ""


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@requires("duty.log")
def edit_entry(entry_id: int):
    """Change an entry of a shift not yet handed over."""
    entry = scoped_get(DutyEntry, entry_id)
    form = EntryForm()
    _choices(form, entry.estate_id)
    if not form.is_submitted():
        _fill(form, entry)
    status = None
    if form.validate_on_submit():
        try:
            entries.edit_entry(current_user, entry, _data(form), acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
            status = 422
        else:
            flash(_("Entry changed."), "success")
            return redirect(url_for("duty.shift", shift_id=entry.shift_id))
    return render_template("duty/entry_form.html", form=form,
                           entry=entry), status or form_status(form)


@bp.route("/entries/<int:entry_id>/addendum", methods=["GET", "POST"])
@requires("duty.log")
def addendum(entry_id: int):
    """Add to an entry, also one of a shift handed over: a new entry pointing at it."""
    entry = scoped_get(DutyEntry, entry_id)
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            entries.add_addendum(current_user, entry, form.content.data, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Addendum added."), "success")
            return redirect(url_for("duty.shift", shift_id=entry.shift_id))
    return render_template("duty/addendum.html", form=form, entry=entry,
                           row=queries.EntryRow(entry, "")), form_status(form)


@bp.get("/entries")
@requires("duty.view")
def search():
    """Find entries by date range, kind, unit and text."""
    estate = require_estate()
    form = SearchForm(request.args)
    ok = form.validate()
    page = entries.search(estate, start=form.start.data if ok else None,
                          end=form.end.data if ok else None, kind=form.kind.data or "",
                          unit_code=form.unit_code.data or "", text=form.q.data or "",
                          page=request.args.get("page", 1, type=int))
    rows = [queries.EntryRow(e, "") for e in page.items]
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("duty/search.html", form=form, page=page, rows=rows,
                           args=args), form_status(form)
