"""Views of bill runs and bill corrections."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from frontdesk.blueprints.billing import bp
from frontdesk.blueprints.billing.forms import AdjustmentForm, CreditForm, PostForm, RunForm
from frontdesk.models import BillLine, BillRun, Unit
from frontdesk.services import DomainError, jobs
from frontdesk.services.fees import bill_queries, billing, corrections
from frontdesk.web import (
    apply_domain_error,
    form_status,
    require_estate,
    requires,
    scoped_get,
    started_job,
)

#: problems shown per page of the preview, and sample lines (the totals cover everything)
SHOWN_PROBLEMS = 200
SAMPLE_LINES = 60
PROBLEM_LABELS = {
    "flagged_reading": _l("Flagged readings not reviewed: line held"),
    "missing_reading": _l("Missing readings"),
    "no_area": _l("No area recorded"),
    "no_tariff": _l("No tariff in force"),
    "shared_unapproved": _l("Shared meter reading not approved"),
    "negative_loss": _l("Shared meter below its sub-meters"),
    "tiers": _l("Tiers do not cover the consumption"),
    "setup": _l("Fee item not fully set up"),
}


def _run_form(estate, formdata=None) -> RunForm:
    form = RunForm(formdata=formdata)
    form.building.choices = [("", _("Whole estate"))] + [
        (str(b.id), b.label) for b in estate.buildings]
    return form


@bp.get("/")
@requires("billing.run")
def runs():
    """List the estate's bill runs, newest first."""
    estate = require_estate()
    page = request.args.get("page", 1, type=int)
    runs = bill_queries.list_runs(estate.id, page)
    buildings = {b.id: b for b in estate.buildings}
    return render_template("billing/runs.html", runs=runs, buildings=buildings)


@bp.get("/preview")
@requires("billing.run")
def preview():
    """Show what a bill run for a period and scope would post, with every problem."""
    estate = require_estate()
    form = _run_form(estate, request.args if request.args else None)
    result = None
    job = started_job("bill_run")  # the post of this preview, running or ended: not again
    if job is None and request.args and form.validate():
        try:
            result = billing.preview_bill_run(estate, form.period.data,
                                              bill_queries.building_of(estate, form.building.data))
        except DomainError as e:
            apply_domain_error(form, e)
    post_form = PostForm(formdata=None, period=form.period.data, building=form.building.data)
    shown = (result.problem_page(request.args.get("problems_page", 1, type=int), SHOWN_PROBLEMS)
             if result else None)
    return render_template(
        "billing/preview.html", form=form, preview=result, post_form=post_form, job=job,
        buildings={b.id: b for b in estate.buildings},
        problems=shown.problems if shown else [], problems_page=shown.page if shown else 1,
        problems_pages=shown.pages if shown else 1, problems_start=shown.start if shown else 0,
        problem_labels=PROBLEM_LABELS,
        sample=result.sample(SAMPLE_LINES) if result else [],
        names={i.id: i.name for i in result.items} if result else {},
    ), form_status(form, failed=result is None and job is None and bool(request.args))


@bp.post("/post")
@requires("billing.run")
def post():
    """Post the previewed bill run; posting it twice bills nothing twice."""
    estate = require_estate()
    form = PostForm()
    if not form.validate():
        flash(_("The form has expired. Please preview the bill run again."), "danger")
        return redirect(url_for("billing.preview"))
    back = url_for("billing.preview", period=form.period.data, building=form.building.data)
    building = bill_queries.building_of(estate, form.building.data)
    if form.building.data and building is None:
        flash(_("The building is not in this estate."), "danger")
        return redirect(url_for("billing.preview"))
    if not form.confirm.data:
        flash(_("Nothing was posted: read what will post and what is held, then tick the "
                "confirmation and post again."), "warning")
        return redirect(back)
    try:
        job = jobs.start_bill_run(current_user, estate, form.period.data, building)
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(back)
    return redirect(url_for("billing.preview", period=form.period.data,
                            building=form.building.data, job=job.id))


@bp.get("/runs/<int:bill_run_id>")
@requires("billing.run")
def run(bill_run_id: int):
    """Show a posted run: totals per building and fee item, and its first lines."""
    bill_run = scoped_get(BillRun, bill_run_id)
    return render_template("billing/run.html", **bill_queries.run_page(bill_run))


def _unit_page(unit: Unit, credit_forms=None, adjust_form=None, status: int = 200):
    items = bill_queries.fee_items(unit.estate_id)
    if adjust_form is None:
        adjust_form = AdjustmentForm(formdata=None)
    adjust_form.fee_item.choices = [(i.id, f"{i.code} {i.name}") for i in items]
    return render_template(
        "billing/unit.html", unit=unit, lines=bill_queries.lines_of_unit(unit),
        items={i.id: i for i in items}, credit_forms=credit_forms or {},
        credit_form=CreditForm(formdata=None), adjust_form=adjust_form), status


@bp.get("/units/<int:unit_id>")
@requires("fees.view")
def unit_lines(unit_id: int):
    """Show a unit's bill lines, with credit notes and adjustments for finance."""
    return _unit_page(scoped_get(Unit, unit_id))


@bp.post("/lines/<int:bill_line_id>/credit")
@requires("bills.correct")
def credit(bill_line_id: int):
    """Reverse the unpaid part of a bill line with a credit note."""
    line = scoped_get(BillLine, bill_line_id)
    unit = bill_queries.unit_of(line)
    form = CreditForm()
    if form.validate():
        try:
            corrections.credit_line(current_user, line, form.reason.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Credit note added for %(period)s.", period=line.period), "success")
            return redirect(url_for("billing.unit_lines", unit_id=unit.id))
    return _unit_page(unit, credit_forms={line.id: form}, status=422)


@bp.post("/units/<int:unit_id>/adjust")
@requires("bills.correct")
def adjust(unit_id: int):
    """Add an adjustment line to a unit's bill."""
    unit = scoped_get(Unit, unit_id)
    form = AdjustmentForm()
    items = {i.id: i for i in bill_queries.fee_items(unit.estate_id)}
    form.fee_item.choices = [(i.id, i.name) for i in items.values()]
    if form.validate():
        try:
            corrections.adjust(current_user, unit, items[form.fee_item.data],
                               form.period.data, form.amount.data, form.reason.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Adjustment added."), "success")
            return redirect(url_for("billing.unit_lines", unit_id=unit.id))
    return _unit_page(unit, adjust_form=form, status=422)
