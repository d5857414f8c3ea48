"""Views of complaints: list, register, a complaint's page and steps, print, the register."""

from __future__ import annotations

import re
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.complaints import acting_now, bp
from frontdesk.blueprints.complaints.forms.complaints import (
    CallbackForm,
    CategoryForm,
    CategoryToggleForm,
    OrderForm,
    PrintForm,
    RegisterForm,
    StepForm,
)
from frontdesk.labels import (
    CHANNEL_LABELS,
    COMPLAINT_ACTIONS,
    COMPLAINT_NEXT,
    COMPLAINT_STATES,
    PRIORITY_LABELS,
    SATISFACTION_LABELS,
    WORK_ORDER_STATES,
)
from frontdesk.models import Complaint, Person, Unit
from frontdesk.models.complaints import STATES
from frontdesk.models.workorders import PRIORITIES
from frontdesk.pdf.complaint import complaint_sheet
from frontdesk.services import DomainError
from frontdesk.services.complaints import complaints, queries, xlsx
from frontdesk.web import (
    apply_domain_error,
    form_status,
    require_estate,
    requires,
    scoped_get,
)

PERIOD_RE = re.compile(r"(\d{4})-(\d{2})")


@bp.app_template_global()
def complaint_state_label(state: str) -> str:
    return str(COMPLAINT_STATES.get(state, state))


@bp.app_template_global()
def complaint_action_label(action: str) -> str:
    return str(COMPLAINT_ACTIONS.get(action, action))


@bp.app_template_global()
def complaint_next_label(state: str) -> str:
    return str(COMPLAINT_NEXT.get(state, state))


@bp.app_template_global()
def overdue_complaints():
    """The current estate's overdue complaints for users who see complaints, else None (for the
    desk home and the manager's pages)."""
    from frontdesk.web import current_estate

    estate = current_estate()
    if estate is None or not current_user.can("complaints.view"):
        return None
    return queries.overdue(estate.id, acting_now())


@bp.get("/")
@requires("complaints.view")
def index():
    """List the estate's complaints: open, overdue, by state or all, with a text search."""
    estate = require_estate()
    state = request.args.get("state", "open")
    if state not in ("open", "overdue", "all", *STATES):
        state = "open"
    q = (request.args.get("q") or "")[:64]
    rows = queries.complaint_list(estate.id, acting_now(), state=state, q=q)
    return render_template("complaints/index.html", rows=rows, state=state, q=q,
                           states=STATES)


def _register_form(estate) -> RegisterForm:
    form = RegisterForm()
    form.category.choices = [(c, c) for c in complaints.categories(estate.id)]
    form.channel.choices = [(c, f"{c}" if str(CHANNEL_LABELS[c]) == c
                             else f"{c} · {CHANNEL_LABELS[c]}") for c in CHANNEL_LABELS]
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires("complaints.handle")
def new():
    """Register a complaint (登记); from a unit card, its unit and primary resident are filled."""
    estate = require_estate()
    form = _register_form(estate)
    unit = person = None
    unit_id = request.args.get("unit_id", type=int)
    if unit_id:
        unit = scoped_get(Unit, unit_id)
    person_id = request.args.get("person_id", type=int)
    if person_id:
        person = scoped_get(Person, person_id)
    if not form.is_submitted():
        if unit is not None:
            form.unit_code.data = unit.code
            primary = next((o.person for o in unit.occupancies
                            if o.end_date is None and o.is_primary), None)
            person = person or primary
        if person is not None:
            form.name.data, form.phone.data = person.name, person.phone
            form.person_id.data = str(person.id)
    if form.validate_on_submit():
        try:
            complaint = complaints.register(current_user, estate, {
                "person_id": form.person_id.data or None, "name": form.name.data,
                "phone": form.phone.data, "unit_code": form.unit_code.data,
                "channel": form.channel.data, "category": form.category.data,
                "content": form.content.data, "request": form.request.data}, acting_now())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Complaint %(number)s registered. The first reply is due today.",
                    number=complaints.complaint_number(complaint)), "success")
            return redirect(url_for("complaints.show", complaint_id=complaint.id))
    return render_template("complaints/new.html", form=form, unit=unit), form_status(form)


def _order_form(complaint: Complaint, formdata=True) -> OrderForm:
    form = OrderForm() if formdata else OrderForm(formdata=None)
    form.category_id.choices = [(n, n) for n in complaints.order_categories(
        complaint.estate_id)]
    form.priority.choices = [(p, str(PRIORITY_LABELS[p])) for p in PRIORITIES]
    if not form.is_submitted():
        form.priority.data = "normal"
    return form


def _page(complaint: Complaint, *, step_form=None, callback_form=None, order_form=None,
          status: int = 200):
    view = queries.complaint_view(complaint, acting_now())
    if order_form is None and complaint.state == "agreed" \
            and current_user.can("workorders.report"):
        order_form = _order_form(complaint, formdata=False)
        order_form.priority.data = "normal"
    return render_template(
        "complaints/show.html", view=view, c=complaint,
        step_form=step_form or StepForm(formdata=None),
        callback_form=callback_form or CallbackForm(formdata=None),
        order_form=order_form, print_form=PrintForm(formdata=None),
        may_approve=complaints.may_approve(current_user, complaint.estate_id),
        satisfaction_labels=SATISFACTION_LABELS, order_states=WORK_ORDER_STATES), status


@bp.get("/<int:complaint_id>")
@requires("complaints.view")
def show(complaint_id: int):
    """Show a complaint: its details, steps with who and when, work orders, the next step."""
    return _page(scoped_get(Complaint, complaint_id))


@bp.post("/<int:complaint_id>/step")
@requires("complaints.handle")
def step(complaint_id: int):
    """Take the next step of the procedure (the action comes with the form)."""
    complaint = scoped_get(Complaint, complaint_id)
    action = request.form.get("action", "")
    if action == "callback":
        form = CallbackForm()
        data = {"satisfaction": form.satisfaction.data, "comment": form.comment.data}
        kwargs = {"callback_form": form}
    else:
        form = StepForm()
        data = {"note": form.note.data, "compensation": form.compensation.data}
        kwargs = {"step_form": form}
    if form.validate_on_submit():
        try:
            complaints.take_step(current_user, complaint, action, data, acting_now())
        except DomainError as e:
            if e.field in ("note", "compensation", "satisfaction", "comment"):
                apply_domain_error(form, e)
            else:
                flash(e.message, "danger")
        else:
            flash(_("%(step)s: recorded.", step=complaint_action_label(action)), "success")
            return redirect(url_for("complaints.show", complaint_id=complaint.id))
    return _page(complaint, status=422, **kwargs)


@bp.post("/<int:complaint_id>/orders")
@requires("complaints.handle")
def open_order(complaint_id: int):
    """Open a work order to carry the complaint out (落实)."""
    complaint = scoped_get(Complaint, complaint_id)
    if not current_user.can("workorders.report"):
        abort(403)
    form = _order_form(complaint)
    if form.validate_on_submit():
        try:
            order = complaints.open_order(current_user, complaint, {
                "category": form.category_id.data, "description": form.description.data,
                "area": form.area.data, "priority": form.priority.data}, acting_now())
        except DomainError as e:
            if e.field in ("category_id", "description", "area", "priority"):
                apply_domain_error(form, e)
            else:
                flash(e.message, "danger")
        else:
            from frontdesk.services.workorders.orders import order_number

            flash(_("Work order %(number)s opened.", number=order_number(order)), "success")
            return redirect(url_for("complaints.show", complaint_id=complaint.id))
    return _page(complaint, order_form=form, status=422)


@bp.post("/<int:complaint_id>/sheet.pdf")
@requires("complaints.view")
def print_sheet(complaint_id: int):
    """Print the 投诉处理单: the first print is the original, every later one is marked 补打."""
    complaint = scoped_get(Complaint, complaint_id)
    form = PrintForm()
    if not form.validate_on_submit():
        return redirect(url_for("complaints.show", complaint_id=complaint.id))
    print_no = complaints.print_complaint(current_user, complaint)
    data = queries.print_data(complaint, print_no=print_no, printed_by=current_user.full_name,
                              printed_at=acting_now())
    pdf = complaint_sheet(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"complaint-{data['number']}.pdf")


def _period(estate) -> tuple[str, bool]:
    """Return the month asked for (YYYY-MM; this month when absent) and whether it was bad."""
    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    this = acting_now().astimezone(tz).strftime("%Y-%m")
    text = (request.args.get("period") or "").strip()
    if not text:
        return this, False
    match = PERIOD_RE.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        return this, True
    return text, False


@bp.get("/register")
@requires("complaints.view")
def register():
    """The complaint register of a month: by category with satisfaction, and every complaint."""
    estate = require_estate()
    period, bad = _period(estate)
    if bad:
        flash(_("Enter the month as YYYY-MM, e.g. 2026-11."), "danger")
    data = queries.register_month(estate.id, period, acting_now())
    return render_template("complaints/register.html", data=data), 422 if bad else 200


@bp.get("/register.xlsx")
@requires("complaints.view")
def register_xlsx():
    """Export the month's complaint register as .xlsx."""
    from frontdesk.services.fees.reports_xlsx import XLSX_MIMETYPE

    estate = require_estate()
    period, bad = _period(estate)
    if bad:
        flash(_("Enter the month as YYYY-MM, e.g. 2026-11."), "danger")
        return redirect(url_for("complaints.register"))
    data = queries.register_month(estate.id, period, acting_now())
    body = xlsx.register_workbook(data, estate.name, ZoneInfo(estate.timezone or "Asia/Shanghai"))
    return send_file(BytesIO(body), mimetype=XLSX_MIMETYPE,
                     download_name=f"complaints-{period}.xlsx")


@bp.route("/categories", methods=["GET", "POST"])
@requires("complaints.approve")
def categories():
    """The estate's list of complaint categories: add one, retire one or use it again."""
    estate = require_estate()
    form = CategoryForm()
    toggle = CategoryToggleForm()
    status = 200
    if request.method == "POST":
        try:
            if "name" in request.form and ("retire" in request.form
                                           or "restore" in request.form):
                if toggle.validate_on_submit():
                    complaints.set_category_active(current_user, estate, toggle.name.data,
                                                   "restore" in request.form)
                    flash(_("Saved."), "success")
                    return redirect(url_for("complaints.categories"))
                status = 422
            elif form.validate_on_submit():
                complaints.add_category(current_user, estate, form.name.data)
                flash(_("Saved."), "success")
                return redirect(url_for("complaints.categories"))
            else:
                status = 422
        except DomainError as e:
            apply_domain_error(form, e)
            status = 422
    rows = complaints.categories(estate.id, active_only=False)
    active = set(complaints.categories(estate.id))
    return render_template("complaints/categories.html", form=form, rows=rows, active=active,
                           toggle=CategoryToggleForm(formdata=None)), status
