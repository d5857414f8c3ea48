"""Views of the cabinet count (盘点): start, mark or scan, finish, and the report."""

from __future__ import annotations

from io import BytesIO

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

from frontdesk.blueprints.keys import bp
from frontdesk.blueprints.keys.forms.counts import FinishForm, MarkForm, ScanForm, StartCountForm
from frontdesk.labels import COUNT_EXPECTED_LABELS, COUNT_GROUP_LABELS, COUNT_STATE_LABELS
from frontdesk.models import KeyCount, KeyCountItem
from frontdesk.models.base import utcnow
from frontdesk.pdf.key_count import key_count_report
from frontdesk.services import DomainError
from frontdesk.services.keys import counts
from frontdesk.web import apply_domain_error, form_status, require_estate, requires, scoped_get

GROUP_LABELS = COUNT_GROUP_LABELS
EXPECTED_LABELS = COUNT_EXPECTED_LABELS
STATE_FILTERS = COUNT_STATE_LABELS


@bp.app_template_global()
def key_count_label(kind: str, value: str | None) -> str:
    """Name a count report group, an expected status or an item filter in the UI."""
    labels = {"group": GROUP_LABELS, "expected": EXPECTED_LABELS, "state": STATE_FILTERS}[kind]
    return str(labels.get(value, value or ""))


def _count_item(count_item_id: int) -> KeyCountItem:
    """Load a count item of one of the user's estates, or 404."""
    item = counts.count_item(count_item_id)
    if item is None:
        abort(404)
    scoped_get(KeyCount, item.count_id)
    return item


def _cabinet_arg(value: str | None) -> str | None:
    """Read the cabinet filter: blank for all cabinets, "-" for the keys without a cabinet."""
    value = (value or "")[:16]
    if not value:
        return None
    return "" if value == "-" else value


def _count_page(count: KeyCount, *, scan_form: ScanForm | None = None,
                scan_result: counts.ScanResult | None = None, status: int = 200):
    cabinet_arg = (request.values.get("cabinet") or "")[:16]
    cabinet = _cabinet_arg(cabinet_arg)
    state = request.args.get("state")
    if state not in STATE_FILTERS:
        state = None
    return render_template(
        "keys/count.html", count=count, cabinet=cabinet, cabinet_arg=cabinet_arg, state=state,
        rows=counts.item_rows(count, cabinet, state),
        cabinets=counts.cabinets(count),
        tally=counts.tallies([count.id])[count.id],
        scan_form=scan_form or ScanForm(formdata=None, cabinet=cabinet_arg),
        scan_result=scan_result, mark_form=MarkForm(formdata=None),
        finish_form=FinishForm(formdata=None)), status


def _back_to_count(count: KeyCount, cabinet_arg: str, anchor: str | None = None):
    args = {"count_id": count.id}
    if cabinet_arg:
        args["cabinet"] = cabinet_arg[:16]
    return redirect(url_for("keys.count", **args, _anchor=anchor))


@bp.get("/counts", endpoint="counts")
@requires("keys.manage")
def counts_list():
    """List the estate's cabinet counts, the one in progress first."""
    estate = require_estate()
    page = request.args.get("page", 1, type=int)
    pagination = counts.list_counts(estate.id, page)
    return render_template(
        "keys/counts.html", counts=pagination,
        tallies=counts.tallies([c.id for c in pagination.items]),
        open_count=counts.open_count(estate.id))


@bp.route("/counts/new", methods=["GET", "POST"])
@requires("keys.manage")
def start_count():
    """Start a count: every key held is listed with the status the register gives it."""
    estate = require_estate()
    form = StartCountForm()
    if form.validate_on_submit():
        try:
            count = counts.start_count(current_user, estate, utcnow(), note=form.note.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("Count started with %(n)s keys.", n=len(count.items)), "success")
            return redirect(url_for("keys.count", count_id=count.id))
    status = form_status(form)
    return render_template("keys/count_new.html", form=form,
                           open_count=counts.open_count(estate.id),
                           keys=counts.countable_keys(estate.id)), status


@bp.get("/counts/<int:count_id>")
@requires("keys.manage")
def count(count_id: int):
    """Show a count's keys (by cabinet), the scan box, the mark buttons and the finish button."""
    return _count_page(scoped_get(KeyCount, count_id))


@bp.post("/counts/<int:count_id>/scan")
@requires("keys.manage")
def scan_count(count_id: int):
    """Mark found the keys whose tags were scanned; show the tags that matched no key."""
    count = scoped_get(KeyCount, count_id)
    form = ScanForm()
    if form.validate_on_submit():
        try:
            result = counts.scan_tags(current_user, count, form.tags.data, utcnow())
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            if result.found or result.already:
                flash(_("%(n)s keys marked found.", n=len(result.found)), "success")
            # the box keeps the tags that matched nothing, to be corrected and scanned again
            scan_form = ScanForm(formdata=None, tags="\n".join(result.problems),
                                 cabinet=form.cabinet.data)
            return _count_page(count, scan_form=scan_form, scan_result=result)
    return _count_page(count, scan_form=form, status=422)


@bp.post("/count-items/<int:count_item_id>/mark")
@requires("keys.manage")
def mark_count_item(count_item_id: int):
    """Mark one key of a count found or missing, with a note."""
    item = _count_item(count_item_id)
    form = MarkForm()
    cabinet = form.cabinet.data or ""
    if not form.validate_on_submit() or not (form.found.data or form.missing.data):
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        if not form.errors:
            flash(_("The form has expired. Please reload the page and submit it again."),
                  "danger")
        return _back_to_count(item.count, cabinet, f"item-{item.id}")
    try:
        counts.mark_item(current_user, item, bool(form.found.data), utcnow(),
                             note=form.note.data or "")
    except DomainError as e:
        flash(str(e.message), "danger")
    else:
        if item.found:
            flash(_("Key %(tag)s marked found.", tag=item.key.tag), "success")
        else:
            flash(_("Key %(tag)s marked missing.", tag=item.key.tag), "warning")
    return _back_to_count(item.count, cabinet, f"item-{item.id}")


@bp.post("/counts/<int:count_id>/finish")
@requires("keys.manage")
def finish_count(count_id: int):
    """Close a count; keys expected in the cabinet and not marked are recorded missing."""
    count = scoped_get(KeyCount, count_id)
    form = FinishForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please reload the page and submit it again."), "danger")
        return redirect(url_for("keys.count", count_id=count.id))
    try:
        counts.finish_count(current_user, count, utcnow(),
                                confirmed_missing=form.confirm_missing.data)
    except counts.MissingNotConfirmed as e:
        confirm = FinishForm(formdata=None, confirm_missing=len(e.tags))
        return render_template("keys/count_finish.html", count=count, tags=e.tags,
                               form=confirm)
    except DomainError as e:
        flash(str(e.message), "danger")
        return redirect(url_for("keys.count", count_id=count.id))
    flash(_("Count finished."), "success")
    return redirect(url_for("keys.count_report", count_id=count.id))


@bp.get("/counts/<int:count_id>/report")
@requires("keys.manage")
def count_report(count_id: int):
    """Show expected against found: missing keys, keys out on loan with their borrowers."""
    count = scoped_get(KeyCount, count_id)
    return render_template("keys/count_report.html", count=count,
                           report=counts.report(count, utcnow()))


@bp.get("/counts/<int:count_id>/report.pdf")
@requires("keys.manage")
def count_report_pdf(count_id: int):
    """Print the count report (钥匙盘点表) with signature lines."""
    count = scoped_get(KeyCount, count_id)
    data = counts.report_document(counts.report(count, utcnow()),
                                  printed_by=current_user.full_name)
    pdf = key_count_report(data, font_path=current_app.config["PDF_FONT_PATH"])
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"key-count-{count.id}.pdf")
