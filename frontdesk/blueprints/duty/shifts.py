"""Views of shifts: the shift on duty, the shifts of the estate, a shift's page, shift times."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from frontdesk.blueprints.duty import acting_now, bp
from frontdesk.blueprints.duty.forms.handover import DayForm
from frontdesk.blueprints.duty.forms.shifts import DefinitionForm
from frontdesk.labels import ENTRY_KIND_LABELS, HANDOVER_KIND_LABELS, SHIFT_STATE_LABELS
from frontdesk.models import DutyShift, ShiftDefinition
from frontdesk.services import DomainError
from frontdesk.services.duty import queries, shifts
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get


@bp.get("/")
@requires("duty.view")
def index():
    """Open (or join) the shift on duty now and show it; between shifts, list the shifts."""
    estate = require_estate()
    now = acting_now()
    if current_user.can("duty.log"):
        shift = shifts.open_current(current_user, estate, now)
    else:
        shift = shifts.current(estate, now, current_user)
    if shift is not None:
        return redirect(url_for("duty.shift", shift_id=shift.id))
    flash(_("No shift is on duty now."), "info")
    return redirect(url_for("duty.shift_list"))


@bp.get("/shifts")
@requires("duty.view")
def shift_list():
    """List the estate's shifts, newest first, or those of one day."""
    estate = require_estate()
    form = DayForm(request.args)
    day = form.day.data if form.validate() else None
    page = queries.list_shifts(estate, page=request.args.get("page", 1, type=int), day=day)
    counts = queries.entry_counts([s.id for s in page.items])
    return render_template("duty/shifts.html", page=page, counts=counts, form=form,
                           day=day), form_status(form)


@bp.get("/shifts/<int:shift_id>")
@requires("duty.view")
def shift(shift_id: int):
    """Show a shift: what was handed over to it, its staff, its entries with their addenda."""
    return render_template("duty/shift.html", page=queries.shift_page(scoped_get(DutyShift,
                                                                                  shift_id)))


@bp.route("/settings", methods=["GET", "POST"])
@requires("duty.configure")
def settings():
    """List the estate's shift times and add one."""
    estate = require_estate()
    form = DefinitionForm()
    if form.validate_on_submit():
        try:
            shifts.save_definition(current_user, estate, None, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Shift saved."), "success")
            return redirect(url_for("duty.settings"))
    return render_template("duty/settings.html", form=form,
                           definitions=shifts.definitions(estate)), form_status(form)


@bp.route("/settings/<int:definition_id>", methods=["GET", "POST"])
@requires("duty.configure")
def edit_definition(definition_id: int):
    """Change a shift's name or times; shifts already opened keep theirs."""
    definition = scoped_get(ShiftDefinition, definition_id)
    form = DefinitionForm(obj=None if request.method == "POST" else _form_data(definition))
    if form.validate_on_submit():
        try:
            shifts.save_definition(current_user, require_estate(), definition, form.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Shift saved."), "success")
            return redirect(url_for("duty.settings"))
    return render_template("duty/definition.html", form=form,
                           definition=definition), form_status(form)


class _Values:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _form_data(d: ShiftDefinition) -> _Values:
    return _Values(name=d.name, start=shifts.minute_text(d.start_minute),
                   end=shifts.minute_text(d.end_minute), sort_order=d.sort_order,
                   active=d.active)


@bp.app_template_global()
def duty_kind_label(kind: str) -> str:
    """Name a kind of duty entry (来电 …) in the UI."""
    return str(ENTRY_KIND_LABELS.get(kind, kind or ""))


@bp.app_template_global()
def handover_kind_label(kind: str) -> str:
    return str(HANDOVER_KIND_LABELS.get(kind, kind or ""))


@bp.app_template_global()
def shift_state_label(state: str) -> str:
    return str(SHIFT_STATE_LABELS.get(state, state or ""))


@bp.app_template_global()
def shift_hours(shift) -> str:
    """Show a shift's local start and end."""
    return queries.shift_hours(shift)


@bp.app_template_global()
def definition_hours(definition) -> str:
    """Show a definition's times: 17:00–01:00 (+1 day) for one that crosses midnight."""
    start = shifts.minute_text(definition.start_minute)
    text = f"{start}–{shifts.minute_text(definition.end_minute)}"
    return text + (" " + _("(next day)") if shifts.crosses_midnight(definition) else "")
