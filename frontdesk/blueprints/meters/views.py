"""Views of meters and readings: lists, the reading grid, a meter's page, shared meters, import."""

from decimal import Decimal
from io import BytesIO
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.meters import bp
from frontdesk.blueprints.meters.forms import (
    ApproveForm,
    ConfirmForm,
    GridForm,
    MeterForm,
    ReadingForm,
    ReviewForm,
    SharedMeterForm,
    UploadForm,
)
from frontdesk.models import Building, Meter, MeterReading
from frontdesk.models.fees import METER_KINDS
from frontdesk.services import DomainError, jobs, periods, uploads
from frontdesk.services.fees import meters, queries, readings, readings_import
from frontdesk.web import (
    apply_domain_error,
    form_status,
    require_estate,
    requires,
    scoped_get,
    started_job,
)

CELL_PREFIX = "reading-"


def quantity(value: Decimal | None) -> str:
    """Show a reading or consumption with thousands separators and no trailing zeros."""
    if value is None:
        return ""
    text = f"{value:,.4f}"
    return text.rstrip("0").rstrip(".")


@bp.context_processor
def _helpers():
    return {
        "kind_label": lambda kind: str(meters.METER_KIND_LABELS.get(kind, kind)),
        "reading_kind_label": lambda kind: str(meters.READING_KIND_LABELS.get(kind, kind)),
        "basis_label": lambda basis: str(meters.APPORTION_LABELS.get(basis, basis)),
        "meter_unit": lambda kind: meters.METER_UNITS.get(kind, ""),
        "quantity": quantity,
        "meter_kinds": METER_KINDS,
    }


def _kind(default: str | None = "water") -> str | None:
    kind = request.values.get("kind", "")
    return kind if kind in METER_KINDS else default


def _folder() -> Path:
    configured = current_app.config.get("IMPORT_FOLDER")
    return uploads.folder(configured, current_app.instance_path) / "readings"


# lists -----------------------------------------------------------------------------------------


@bp.get("/")
@requires("meters.read")
def index():
    """List the estate's buildings with their meters, and the shared meters."""
    estate = require_estate()
    return render_template("meters/index.html", buildings=queries.building_meter_counts(estate.id),
                           shared=queries.shared_meters(estate.id),
                           period=meters.current_period(estate))


@bp.get("/buildings/<int:building_id>")
@requires("meters.read")
def building(building_id: int):
    """List a building's unit meters, of one kind or all, with their last readings."""
    building = scoped_get(Building, building_id)
    kind = _kind(None)
    return render_template("meters/building.html", building=building, kind=kind,
                           rows=queries.meters_of_building(building.id, kind))


@bp.get("/flagged")
@requires("meters.read")
def flagged():
    """List readings flagged for a consumption far above the meter's average."""
    estate = require_estate()
    data = queries.flagged_page(estate.id, request.args.get("page", 1, type=int))
    return render_template("meters/flagged.html", page=data.page, labels=data.labels,
                           averages=data.averages, names=data.names,
                           review=ReviewForm(back="flagged"))


# the grid --------------------------------------------------------------------------------------


@bp.route("/buildings/<int:building_id>/grid", methods=["GET", "POST"])
@requires("meters.read")
def grid(building_id: int):
    """Enter a building's readings of one kind for a period, all at once."""
    building = scoped_get(Building, building_id)
    estate = require_estate()
    current = meters.current_period(estate)
    kind = _kind()
    period_text = request.values.get("period", "").strip()[:16] or current
    errors: dict[int, str] = {}
    typed: dict[str, str] = {}
    status = 200
    form = GridForm()
    if request.method == "POST":
        typed = {k[len(CELL_PREFIX):]: v[:40] for k, v in request.form.items()
                 if k.startswith(CELL_PREFIX)}
        status = 422
        if not form.validate_on_submit():
            flash(_("The form has expired. Please reload the page and submit it again."),
                  "danger")
        else:
            try:
                saved = readings.save_grid(current_user, building, kind, period_text, typed)
            except readings.ReadingsRefused as e:
                errors = e.errors
                flash(e.message, "danger")
            except DomainError as e:
                flash(e.message, "danger")
            else:
                flash(_("Readings saved: %(n)s.", n=saved), "success")
                period = periods.parse_period(period_text, loose=True)
                return redirect(url_for("meters.grid", building_id=building.id, kind=kind,
                                        period=period))
    try:
        period = periods.parse_period(period_text, loose=True)
    except DomainError as e:
        if request.method == "GET":
            flash(e.message, "danger")
        period = current
    return render_template("meters/grid.html", building=building, kind=kind, period=period,
                           period_text=period_text, current=current,
                           rows=queries.grid_rows(building, kind, period), errors=errors,
                           typed=typed, form=form, prefix=CELL_PREFIX), status


@bp.get("/buildings/<int:building_id>/sheet.xlsx")
@requires("meters.read")
def sheet(building_id: int):
    """Send the reading sheet of a building: its meters and last readings, to fill in."""
    building = scoped_get(Building, building_id)
    estate = require_estate()
    kind = _kind()
    try:
        period = periods.parse_period(request.args.get("period", "")[:16]
                                      or meters.current_period(estate), loose=True)
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(url_for("meters.grid", building_id=building.id, kind=kind))
    data = readings_import.reading_sheet(building, kind, period)
    return send_file(BytesIO(data), mimetype=uploads.XLSX_MIMETYPE, as_attachment=True,
                     download_name=_("readings-%(building)s-%(kind)s-%(period)s.xlsx",
                                     building=building.number, kind=kind, period=period))


# one meter -------------------------------------------------------------------------------------


def _meter_page(meter: Meter, form: ReadingForm, status: int = 200):
    page = queries.meter_page(meter)
    return render_template("meters/meter.html", meter=meter, label=page.label, rows=page.rows,
                           shared=page.shared, names=page.names, form=form,
                           approve=ApproveForm(back="meter"),
                           review=ReviewForm(back="meter")), status


@bp.get("/<int:meter_id>")
@requires("meters.read")
def meter(meter_id: int):
    """Show a meter with its readings, and the form for a reading, rollover or replacement."""
    meter = scoped_get(Meter, meter_id)
    form = ReadingForm(period=meters.current_period(require_estate()))
    return _meter_page(meter, form)


@bp.post("/<int:meter_id>/readings")
@requires("meters.read")
def record(meter_id: int):
    """Record a reading of one meter: normal, rollover or replacement."""
    meter = scoped_get(Meter, meter_id)
    form = ReadingForm()
    if form.validate_on_submit():
        try:
            reading = readings.record_reading(current_user, meter, form.period.data,
                                            form.value.data, form.kind.data,
                                            form.old_final.data, form.new_start.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Reading for %(period)s saved: consumption %(used)s.",
                    period=reading.period, used=quantity(reading.consumption)), "success")
            if reading.flagged:
                flash(_("The consumption is more than three times the recent average: the "
                        "reading is flagged for review."), "warning")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return _meter_page(meter, form, 422)


@bp.route("/new", methods=["GET", "POST"])
@requires("meters.read")
def new_meter():
    """Add a unit's meter."""
    estate = require_estate()
    form = MeterForm()
    if form.validate_on_submit():
        try:
            meter = meters.create_meter(current_user, estate, kind=form.kind.data,
                                        number=form.number.data, unit_code=form.unit_code.data,
                                        multiplier=form.multiplier.data,
                                        max_value=form.max_value.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Meter %(n)s added.", n=meter.number), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return render_template("form_page.html", form=form, title=_("Add a unit's meter"),
                           back=url_for("meters.index")), form_status(form)


# shared meters ---------------------------------------------------------------------------------


@bp.route("/shared/new", methods=["GET", "POST"])
@requires("fees.configure")
def new_shared():
    """Add a shared meter of a building or of the whole estate."""
    estate = require_estate()
    form = SharedMeterForm()
    form.building_id.choices = [("", _("Whole estate"))] + [
        (str(b.id), b.label) for b, _counts in queries.building_meter_counts(estate.id)]
    form.fee_item_id.choices = [("", _("None yet"))] + [
        (str(i.id), f"{i.code} {i.name}") for i in queries.apportioned_items(estate.id)]
    if form.validate_on_submit():
        try:
            meter = meters.create_meter(
                current_user, estate, kind=form.kind.data, number=form.number.data, shared=True,
                building_id=int(form.building_id.data) if form.building_id.data else None,
                apportion_basis=form.apportion_basis.data,
                fee_item_id=int(form.fee_item_id.data) if form.fee_item_id.data else None,
                multiplier=form.multiplier.data, max_value=form.max_value.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Meter %(n)s added.", n=meter.number), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return render_template("form_page.html", form=form, title=_("Add a shared meter"),
                           back=url_for("meters.shared")), form_status(form)


@bp.get("/shared")
@requires("meters.read")
def shared():
    """List the shared meters with their consumption, their sub-meters' and the loss."""
    estate = require_estate()
    return render_template("meters/shared.html", shared=queries.shared_meters(estate.id),
                           approve=ApproveForm(back="shared"))


@bp.get("/approvals")
@requires("meters.approve")
def approvals():
    """List the shared meters' readings that wait for approval."""
    estate = require_estate()
    return render_template("meters/approvals.html", rows=queries.awaiting_approval(estate.id),
                           approve=ApproveForm(back="approvals"))


@bp.post("/readings/<int:reading_id>/approve")
@requires("meters.approve")
def approve(reading_id: int):
    """Approve a shared meter's reading so that its loss can be apportioned."""
    reading = scoped_get(MeterReading, reading_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            readings.approve_reading(current_user, reading)
        except DomainError as e:
            flash(e.message, "danger")
        else:
            flash(_("Reading of %(n)s for %(period)s approved.", n=reading.meter.number,
                    period=reading.period), "success")
    else:
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
    return _back(form, reading, "meters.approvals", shared_list=True)


@bp.post("/readings/<int:reading_id>/review")
@requires("meters.approve")
def review(reading_id: int):
    """Record that a flagged reading was checked and is right, so that the next post bills it."""
    reading = scoped_get(MeterReading, reading_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            readings.review_reading(current_user, reading)
        except DomainError as e:
            flash(e.message, "danger")
        else:
            flash(_("Reading of %(n)s for %(period)s reviewed: the next bill run of the period "
                    "bills it.", n=reading.meter.number, period=reading.period), "success")
    else:
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
    return _back(form, reading, "meters.flagged")


def _back(form, reading: MeterReading, fallback: str, shared_list: bool = False):
    """Return to the page the reading was approved or reviewed from."""
    if form.back.data == "meter" and current_user.can("meters.read"):
        return redirect(url_for("meters.meter", meter_id=reading.meter_id))
    if shared_list and form.back.data == "shared" and current_user.can("meters.read"):
        return redirect(url_for("meters.shared"))
    return redirect(url_for(fallback))


# import ----------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@requires("meters.read")
def upload():
    """Check an uploaded file of readings and list every problem, or preview it to confirm."""
    estate = require_estate()
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            preview = readings_import.prepare_import(
                current_user, estate, upload.read(), upload.filename or "", folder=_folder(),
                max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return render_template("meters/preview.html", preview=preview,
                                   confirm=ConfirmForm(token=preview.token)), \
                200 if preview.ok else 422
    return render_template("meters/upload.html", form=form, columns=readings_import.READING_COLUMNS,
                           job=started_job("readings_import"),
                           max_rows=current_app.config["IMPORT_MAX_ROWS"]), \
        form_status(form)


@bp.post("/import/confirm")
@requires("meters.read")
def confirm_import():
    """Import a checked file of readings; a second confirm of the same file imports nothing."""
    estate = require_estate()
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(str(uploads.GONE), "danger")
        return redirect(url_for("meters.upload"))
    try:
        job = jobs.start_readings_import(current_user, estate, form.token.data, folder=_folder())
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(url_for("meters.upload"))
    return redirect(url_for("meters.upload", job=job.id))
