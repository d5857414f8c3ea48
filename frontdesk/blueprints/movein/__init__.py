"""Move-in (入住办理), move-out and transfer (迁出/过户).

One view module per feature, named as its service: ``cases`` (a unit's move-in case and its
steps, the printed 入住登记表 and 交房验收单), ``moveout`` (clearance, override, completion),
``progress`` (the campaign across the estate, its export, and the setup); forms in ``forms/``.
"""

from datetime import datetime

from flask import Blueprint, current_app

from frontdesk.services.keys.loans import clock

bp = Blueprint("movein", __name__, url_prefix="/movein")


def acting_now() -> datetime:
    """Return the time the views act at (``FRONTDESK_NOW`` when a test freezes the clock)."""
    return clock(current_app.config)


def work_order_url(order_id: int) -> str:
    """Link to a work order's page (its photos are uploaded there)."""
    from flask import url_for

    return url_for("workorders.detail", order_id=order_id)


@bp.app_template_global()
def movein_label(kind: str, code: str | None) -> str:
    """Name a move-in code in the user's language (steps, states, kinds)."""
    from frontdesk import labels

    maps = {"step": labels.MOVEIN_STEP_LABELS, "step_state": labels.MOVEIN_STEP_STATE_LABELS,
            "case": labels.MOVEIN_CASE_STATE_LABELS, "kind": labels.MOVEIN_CASE_KIND_LABELS,
            "move_out": labels.MOVE_OUT_KIND_LABELS, "defect": labels.DEFECT_STATE_LABELS,
            "order": labels.WORK_ORDER_STATES, "meter": labels.METER_KIND_LABELS}
    return labels.label(maps[kind], code)


@bp.app_template_filter("movein_step_name")
def movein_step_name(step: str) -> str:
    return movein_label("step", step)


@bp.app_template_filter("movein_reading")
def movein_reading(value) -> str:
    from frontdesk.services.fees.meters import number_text

    return number_text(value)


from frontdesk.blueprints.movein import cases  # noqa: E402,F401,I001
from frontdesk.blueprints.movein import moveout  # noqa: E402,F401
from frontdesk.blueprints.movein import progress  # noqa: E402,F401
