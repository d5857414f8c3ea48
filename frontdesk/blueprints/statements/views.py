"""Views of the printed fee documents: pick a period or date range, get the PDF."""

from datetime import date
from io import BytesIO

from flask import current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from frontdesk.blueprints.statements import bp
from frontdesk.blueprints.statements.forms import BuildingNoticesForm, NoticeForm, StatementForm
from frontdesk.models import Building, Unit
from frontdesk.pdf.notice import payment_notice
from frontdesk.pdf.statement import statement
from frontdesk.services import DomainError, jobs, periods
from frontdesk.services.fees import statements
from frontdesk.web import apply_domain_error, requires, scoped_get, started_job


def _send_pdf(pdf: bytes, name: str):
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=name)


def _font() -> str:
    return current_app.config["PDF_FONT_PATH"]


def _unit_page(unit: Unit, notice_form: NoticeForm | None = None,
               statement_form: StatementForm | None = None):
    """Show the unit's print form, with the defaults or with what was typed and its errors."""
    today = periods.estate_today(unit.building.estate)
    if notice_form is None:
        notice_form = NoticeForm(formdata=None, period=today.strftime("%Y-%m"))
    if statement_form is None:
        statement_form = StatementForm(formdata=None, start=date(today.year, 1, 1), end=today)
    return render_template("statements/unit.html", unit=unit, notice_form=notice_form,
                           statement_form=statement_form)


def _building_page(building: Building, form: BuildingNoticesForm | None = None):
    """Show the building's print form, and the job printing its notices if one was started."""
    if form is None:
        today = periods.estate_today(building.estate)
        form = BuildingNoticesForm(formdata=None, period=today.strftime("%Y-%m"))
    job = started_job("notices")
    if job is not None and job.params.get("building_id") != building.id:
        job = None
    return render_template("statements/building.html", building=building, form=form, job=job)


@bp.get("/units/<int:unit_id>")
@requires("fees.view")
def unit(unit_id: int):
    """Pick the period of a unit's payment notice or the range of its statement."""
    return _unit_page(scoped_get(Unit, unit_id))


@bp.get("/units/<int:unit_id>/notice.pdf")
@requires("fees.view")
def unit_notice(unit_id: int):
    """Print a unit's payment notice (缴费通知单) for a period."""
    unit = scoped_get(Unit, unit_id)
    if not request.args:
        return _unit_page(unit)
    form = NoticeForm(request.args)
    if form.validate():
        try:
            data = statements.unit_notice(unit, form.period.data,
                                          printed_by=current_user.full_name)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return _send_pdf(payment_notice(data, font_path=_font()),
                             f"notice-{unit.code}-{form.period.data}.pdf")
    return _unit_page(unit, notice_form=form), 422


@bp.get("/units/<int:unit_id>/statement.pdf")
@requires("fees.view")
def unit_statement(unit_id: int):
    """Print a unit's statement (对账单) for a date range."""
    unit = scoped_get(Unit, unit_id)
    if not request.args:
        return _unit_page(unit)
    form = StatementForm(request.args)
    if form.validate():
        try:
            data = statements.unit_statement(unit, form.start.data, form.end.data,
                                             printed_by=current_user.full_name)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return _send_pdf(statement(data, font_path=_font()),
                             f"statement-{unit.code}-{form.start.data}-{form.end.data}.pdf")
    return _unit_page(unit, statement_form=form), 422


@bp.get("/buildings/<int:building_id>")
@requires("fees.view")
def building(building_id: int):
    """Pick the period of a building's payment notices."""
    return _building_page(scoped_get(Building, building_id))


@bp.post("/buildings/<int:building_id>/notices")
@requires("fees.view")
def building_notices(building_id: int):
    """Start printing the payment notices of every unit of a building with something due.

    A job: the page shows its progress, then the PDF to download.
    """
    building = scoped_get(Building, building_id)
    form = BuildingNoticesForm()
    if not form.validate():
        return _building_page(building, form), 422
    job = jobs.start_notices(current_user, building, form.period.data)
    return redirect(url_for("statements.building", building_id=building.id, job=job.id))
