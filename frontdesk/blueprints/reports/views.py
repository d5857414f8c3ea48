"""Views of the finance reports: pages, their PDFs and .xlsx exports, and the dashboard's data."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.reports import bp
from frontdesk.blueprints.reports.forms import ArrearsForm, DailyReportForm, DashboardForm
from frontdesk.labels import AGE_BUCKET_LABELS, PAYMENT_METHOD_LABELS
from frontdesk.pdf.arrears import arrears as arrears_pdf_document
from frontdesk.pdf.daily_report import daily_report as daily_report_pdf_document
from frontdesk.services import DomainError, periods
from frontdesk.services.fees import daily_report, reports, reports_xlsx
from frontdesk.web import apply_domain_error, form_status, require_estate, requires


def _labels() -> dict:
    return {"methods": PAYMENT_METHOD_LABELS, "buckets": AGE_BUCKET_LABELS}


def _print_stamp(report: dict, estate) -> dict:
    """Add when and by whom a report is printed."""
    now = datetime.now(ZoneInfo(estate.timezone))
    return {**report, "printed_at": now.strftime("%Y-%m-%d %H:%M"),
            "printed_by": current_user.full_name}


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


def _daily(estate) -> tuple[DailyReportForm, dict | None]:
    """Read the report form from the query string (today when empty) and run the report."""
    if not request.args:
        form = DailyReportForm(None, day=periods.estate_today(estate))
    else:
        form = DailyReportForm(request.args)
        if not form.validate():
            return form, None
    try:
        return form, daily_report.daily_report(estate, **form.report_range())
    except DomainError as e:
        apply_domain_error(form, e)
        return form, None


def _arrears(estate) -> tuple[ArrearsForm, dict | None]:
    """Read the as-of date from the query string (today when empty) and run the report."""
    form = ArrearsForm(request.args) if request.args else ArrearsForm(None)
    if request.args and not form.validate():
        return form, None
    try:
        report = reports.arrears(estate, form.as_of.data)
    except DomainError as e:
        apply_domain_error(form, e)
        return form, None
    form.as_of.data = report["as_of"]
    return form, report


def _download(data: bytes, mimetype: str, name: str):
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def _daily_name(report: dict, suffix: str) -> str:
    if report["mode"] == "day":
        return f"daily-report-{report['day'].isoformat()}.{suffix}"
    return f"daily-report-{report['start']:%Y%m%d-%H%M}-{report['end']:%Y%m%d-%H%M}.{suffix}"


@bp.get("/daily")
@requires("reports.finance")
def daily():
    """Show the daily cashier report of a day or a shift, by cashier and payment method."""
    estate = require_estate()
    form, report = _daily(estate)
    return render_template("reports/daily.html", form=form, report=report, **_labels()), \
        form_status(form, failed=report is None)


@bp.get("/daily.pdf")
@requires("reports.finance")
def daily_pdf():
    """Print the daily cashier report (收费日报)."""
    estate = require_estate()
    form, report = _daily(estate)
    if report is None:
        _form_errors(form)
        return redirect(url_for("reports.daily", **request.args))
    pdf = daily_report_pdf_document(_print_stamp(report, estate),
                                    font_path=current_app.config["PDF_FONT_PATH"])
    return _download(pdf, "application/pdf", _daily_name(report, "pdf"))


@bp.get("/daily.xlsx")
@requires("reports.finance")
def daily_xlsx():
    """Export the daily cashier report to Excel."""
    estate = require_estate()
    form, report = _daily(estate)
    if report is None:
        _form_errors(form)
        return redirect(url_for("reports.daily", **request.args))
    return _download(reports_xlsx.daily_report_workbook(report), reports_xlsx.XLSX_MIMETYPE,
                     _daily_name(report, "xlsx"))


@bp.get("/arrears")
@requires("reports.finance")
def arrears():
    """Show arrears per building and unit, by age past the due date, as of a date."""
    estate = require_estate()
    form, report = _arrears(estate)
    return render_template("reports/arrears.html", form=form, report=report, **_labels()), \
        form_status(form, failed=report is None)


@bp.get("/arrears.pdf")
@requires("reports.finance")
def arrears_pdf():
    """Print arrears by building (欠费明细)."""
    estate = require_estate()
    form, report = _arrears(estate)
    if report is None:
        _form_errors(form)
        return redirect(url_for("reports.arrears", **request.args))
    pdf = arrears_pdf_document(_print_stamp(report, estate),
                               font_path=current_app.config["PDF_FONT_PATH"])
    return _download(pdf, "application/pdf", f"arrears-{report['as_of'].isoformat()}.pdf")


@bp.get("/arrears.xlsx")
@requires("reports.finance")
def arrears_xlsx():
    """Export arrears by building to Excel."""
    estate = require_estate()
    form, report = _arrears(estate)
    if report is None:
        _form_errors(form)
        return redirect(url_for("reports.arrears", **request.args))
    return _download(reports_xlsx.arrears_workbook(report), reports_xlsx.XLSX_MIMETYPE,
                     f"arrears-{report['as_of'].isoformat()}.xlsx")


@bp.get("/dashboard")
@requires("reports.finance")
def dashboard():
    """Show collection rate and arrears per building for a period, as charts and a table."""
    estate = require_estate()
    period = request.args.get("period") or periods.estate_today(estate).strftime("%Y-%m")
    form = DashboardForm(None, period=period)
    try:
        data = reports.dashboard(estate, period)
    except DomainError as e:
        apply_domain_error(form, e)
        data = None
    return render_template("reports/dashboard.html", form=form, data=data, **_labels()), \
        form_status(form, failed=data is None)


@bp.get("/dashboard/data")
@requires("reports.finance")
def dashboard_data():
    """Give the dashboard's figures as JSON for its charts; amounts and rates as strings."""
    estate = require_estate()
    period = request.args.get("period") or periods.estate_today(estate).strftime("%Y-%m")
    as_of = None
    if request.args.get("as_of"):
        try:
            as_of = datetime.strptime(request.args["as_of"], "%Y-%m-%d").date()
        except ValueError:
            return jsonify(error=_("Enter the date as year-month-day, e.g. 2026-11-24.")), 400
    try:
        data = reports.dashboard(estate, period, as_of)
    except DomainError as e:
        return jsonify(error=str(e.message)), 400
    payload = reports.as_json(data)
    payload["buckets"] = [{"key": k, "label": str(AGE_BUCKET_LABELS[k])}
                          for k in data["bucket_keys"]]
    payload["labels"] = {
        "rate": _("Collection rate"),
        "arrears": _("Arrears (yuan)"),
        "no_bills": _("Nothing billed"),
    }
    return jsonify(payload)
