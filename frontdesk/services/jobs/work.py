"""What each kind of job does, given its parameters; each is one transaction or writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, User
from frontdesk.money import format_money
from frontdesk.pdf.notice import payment_notice
from frontdesk.services import DomainError
from frontdesk.services.fees import billing, readings_import, statements
from frontdesk.services.register import imports

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What a job leaves for its reader."""

    #: [category, text] pairs, shown as the page's messages are
    messages: list[list[str]] = field(default_factory=list)
    bill_run_id: int | None = None
    #: the page that shows what was imported
    result_page: str | None = None
    #: (file name, mimetype, contents) of a file to download
    file: tuple[str, str, bytes] | None = None


def _building(estate: Estate, building_id) -> Building | None:
    building = db.session.get(Building, building_id) if building_id else None
    if building_id and (building is None or building.estate_id != estate.id):
        raise DomainError(billing.OTHER_ESTATES_BUILDING)
    return building


def bill_run(actor: User, estate: Estate, params: dict, progress: Progress,
             data: bytes | None) -> Outcome:
    """Post a bill run (one transaction) and say what it posted and what it held."""
    building = _building(estate, params.get("building_id"))
    try:
        run = billing.post_bill_run(actor, estate, params["period"], building, progress=progress)
    except billing.NothingToPost as e:
        return Outcome(messages=[["warning", str(e.message)]])
    out = Outcome(bill_run_id=run.id, messages=[["success", _(
        "Posted %(n)s bill lines for %(period)s, %(total)s in all.", n=run.lines,
        period=run.period, total=format_money(run.total))]])
    left = run.preview.total
    if left.held:
        out.messages.append(["warning", _(
            "%(n)s lines (%(total)s) are held, not posted, until their flagged readings are "
            "reviewed; post %(period)s again after the review to bill them.", n=left.held,
            total=format_money(left.held_amount), period=run.period)])
    return out


def notices(actor: User, estate: Estate, params: dict, progress: Progress,
            data: bytes | None) -> Outcome:
    """Print the payment notices of a building's units with something due, as one PDF."""
    building = _building(estate, params["building_id"])
    progress(0, 2)
    gathered = statements.building_notices(building, params["period"],
                                           printed_by=actor.full_name)
    progress(1, 2)
    pdf = payment_notice(gathered, font_path=current_app.config["PDF_FONT_PATH"])
    progress(2, 2)
    name = f"notices-{building.number}-{params['period']}.pdf"
    return Outcome(file=(name, "application/pdf", pdf), messages=[["success", _(
        "Payment notices of %(n)s units are ready to download.", n=len(gathered["units"]))]])


def register_import(actor: User, estate: Estate, params: dict, progress: Progress,
                    data: bytes | None) -> Outcome:
    """Import a register file claimed when the job was started."""
    progress(0, 1)
    result = imports.import_file(actor, estate, params["kind"], data or b"", params["filename"],
                                 max_rows=current_app.config["IMPORT_MAX_ROWS"])
    progress(1, 1)
    if result.kind == "building":
        text = _("Imported %(n)s buildings from %(file)s.", n=result.rows, file=result.filename)
    elif result.kind == "unit":
        text = _("Imported %(n)s units from %(file)s.", n=result.rows, file=result.filename)
    else:
        text = _("Imported %(n)s rows of residents from %(file)s.", n=result.rows,
                 file=result.filename)
    return Outcome(messages=[["success", text]],
                   result_page="people" if result.kind == "person" else "buildings")


def readings_import_(actor: User, estate: Estate, params: dict, progress: Progress,
                     data: bytes | None) -> Outcome:
    """Import a file of meter readings claimed when the job was started."""
    progress(0, 1)
    rows, filename = readings_import.import_file(
        actor, estate, data or b"", params["filename"],
        max_rows=current_app.config["IMPORT_MAX_ROWS"])
    progress(1, 1)
    return Outcome(messages=[["success", _("Imported %(n)s readings from %(file)s.", n=rows,
                                           file=filename)]], result_page="meters")


KINDS: dict[str, Callable[..., Outcome]] = {
    "bill_run": bill_run,
    "notices": notices,
    "register_import": register_import,
    "readings_import": readings_import_,
}
