"""Views of the printed 派工单, the work-order reports, their .xlsx export and the dashboard.

The reports and the dashboard are the managers' (``workorders.reports``); the slip is printed by
anyone who may see the order (``workorders.view`` and :func:`orders.can_see`), and every print is
counted: the first is the original, later ones are marked 补打.
"""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, jsonify, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.workorders import acting_now, bp
from frontdesk.blueprints.workorders.forms.reports import ReportRangeForm
from frontdesk.labels import PRIORITY_LABELS, WORK_ORDER_STATES
from frontdesk.models.workorders import WorkOrder
from frontdesk.pdf.work_order import work_order_slip
from frontdesk.services import DomainError
from frontdesk.services.workorders import orders, reports, reports_xlsx
from frontdesk.services.workorders.slip import slip_data
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get

#: the late orders listed on the report's page (the export lists every one)
LATE_SHOWN = 200


@bp.post("/<int:order_id>/slip.pdf")
@requires("workorders.view")
def slip(order_id: int):
    """Print an order's 派工单; the first print is the original, later ones are marked 补打."""
    order = scoped_get(WorkOrder, order_id)
    if not orders.can_see(current_user, order):
        abort(404)
    now = acting_now()
    print_no = orders.print_order(current_user, order)
    data = slip_data(order, print_no=print_no, printed_by=current_user.full_name,
                     printed_at=now)
    pdf = work_order_slip(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"work-order-{data['number']}.pdf")


def _report(estate) -> tuple[ReportRangeForm, dict | None]:
    """Read the range from the query string (the last 30 days when empty) and run the report."""
    now = acting_now()
    if request.args.get("start") or request.args.get("end"):
        form = ReportRangeForm(request.args)
        if not form.validate():
            return form, None
    else:
        start, end = reports.default_range(estate, now)
        form = ReportRangeForm(None, start=start, end=end)
    try:
        return form, reports.report(estate, form.start.data, form.end.data, now)
    except DomainError as e:
        apply_domain_error(form, e)
        return form, None


def _query(data: dict) -> dict:
    return {"start": data["start"].isoformat(), "end": data["end"].isoformat()}


def duration(seconds: int | None) -> str:
    """Word an average time for the page: 3 h 05 min, 40 min, or — when there is none."""
    if seconds is None:
        return "—"
    hours, minutes = divmod(int(seconds) // 60, 60)
    if not hours:
        return _("%(m)s min", m=minutes)
    return _("%(h)s h %(m)02d min", h=hours, m=minutes)


def _page(template: str, form, data, **extra):
    return render_template(template, form=form, data=data, query=_query(data) if data else {},
                           states=WORK_ORDER_STATES, priorities=PRIORITY_LABELS,
                           number=orders.order_number, place=orders.location_text,
                           duration=duration, **extra), \
        form_status(form, failed=data is None)


@bp.get("/reports")
@requires("workorders.reports")
def reports_page():
    """Show open orders, service-level breaches, times and satisfaction for a date range."""
    estate = require_estate()
    form, data = _report(estate)
    return _page("workorders/reports.html", form, data, shown=LATE_SHOWN)


@bp.get("/reports.xlsx")
@requires("workorders.reports")
def reports_xlsx_export():
    """Export the work-order report of a date range to Excel."""
    estate = require_estate()
    form, data = _report(estate)
    if data is None:
        return _page("workorders/reports.html", form, data, shown=LATE_SHOWN)
    name = f"work-orders-{data['start'].isoformat()}-{data['end'].isoformat()}.xlsx"
    return send_file(BytesIO(reports_xlsx.report_workbook(data)),
                     mimetype=reports_xlsx.XLSX_MIMETYPE, as_attachment=True,
                     download_name=name)


@bp.get("/dashboard")
@requires("workorders.reports")
def dashboard():
    """Show the managers' charts: open orders by category, breaches, satisfaction."""
    estate = require_estate()
    form, data = _report(estate)
    return _page("workorders/dashboard.html", form, data)


@bp.get("/dashboard/data")
@requires("workorders.reports")
def dashboard_data():
    """Give the dashboard's figures as JSON for its charts."""
    estate = require_estate()
    form, data = _report(estate)
    if data is None:
        errors = [str(m) for messages in form.errors.values() for m in messages]
        return jsonify(error=errors[0] if errors else _("The range is not valid.")), 422
    payload = reports.as_json(data, _("Unassigned"))
    payload["labels"] = {
        "open": _("Open orders"),
        "response": _("Late responses"),
        "completion": _("Late completions"),
        "satisfaction": _("Average satisfaction (1–5)"),
    }
    return jsonify(payload)
