"""What the move-in pages, the printed 入住登记表 and 交房验收单, and the progress export show."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.labels import (
    PRINTED_DEFECT_STATES,
    PRINTED_MOVEIN_STEPS,
    PRINTED_WORK_ORDER_STATES,
)
from frontdesk.models import (
    Building,
    Estate,
    MoveinCase,
    MoveinDefect,
    MoveOut,
    Unit,
    WorkOrder,
)
from frontdesk.models.movein import STEPS
from frontdesk.services.fees.queries import user_names
from frontdesk.services.movein import cases, handover, inspection
from frontdesk.services.movein.setup import settings_of
from frontdesk.services.workorders.orders import order_number

UNIT_STAGES = ("handed_over", "in_progress", "not_started")


# one unit ---------------------------------------------------------------------------------------


def cases_of_unit(unit_id: int) -> list[MoveinCase]:
    """Return a unit's move-in cases, newest first."""
    return list(db.session.scalars(sa.select(MoveinCase).where(MoveinCase.unit_id == unit_id)
                                   .order_by(MoveinCase.id.desc())))


def move_outs_of_unit(unit_id: int) -> list[MoveOut]:
    return list(db.session.scalars(sa.select(MoveOut).where(MoveOut.unit_id == unit_id)
                                   .order_by(MoveOut.id.desc())))


@dataclass
class UnitBlock:
    """The small block of the desk's unit card: the unit's move-in state and what to open."""

    case: MoveinCase | None
    move_out: MoveOut | None
    last: MoveinCase | None
    done: int = 0
    total: int = len(STEPS)


def unit_block(unit: Unit) -> UnitBlock:
    """Return the move-in state of a unit for its card."""
    from frontdesk.services.movein.moveout import open_move_out

    case = cases.open_case(unit.id)
    last = None
    if case is None:
        last = db.session.scalars(sa.select(MoveinCase).where(MoveinCase.unit_id == unit.id)
                                  .order_by(MoveinCase.id.desc()).limit(1)).first()
    done = sum(1 for s in case.steps if s.state != "pending") if case else 0
    return UnitBlock(case=case, move_out=open_move_out(unit.id), last=last, done=done)


@dataclass
class DefectRow:
    defect: MoveinDefect
    state: str
    order_state: str
    order_no: str


def defect_rows(case: MoveinCase) -> list[DefectRow]:
    rows = []
    for d in case.defects:
        order = d.work_order
        rows.append(DefectRow(d, inspection.defect_state(d), order.state if order else "",
                              order_number(order) if order else ""))
    return rows


def checklist_rows(case: MoveinCase) -> list[dict]:
    """The estate's checklist (the inspection form), rooms with their items."""
    return settings_of(case.estate_id).checklist


# progress across the estate ---------------------------------------------------------------------


@dataclass
class ProgressRow:
    """A building's (or the estate's) move-in campaign at a glance."""

    label: str
    building_id: int | None
    units: int = 0
    handed_over: int = 0
    in_progress: int = 0
    not_started: int = 0
    open_defects: int = 0


@dataclass
class UnitProgress:
    unit: Unit
    stage: str
    case: MoveinCase | None
    steps_done: int
    open_defects: int


@dataclass
class Progress:
    estate: Estate
    building: Building | None
    rows: list[ProgressRow]
    total: ProgressRow
    units: list[UnitProgress] = field(default_factory=list)


def _stage(unit_id: int, handover_date, open_cases: set[int]) -> str:
    if unit_id in open_cases:
        return "in_progress"
    return "handed_over" if handover_date is not None else "not_started"


def progress(estate: Estate, building: Building | None = None) -> Progress:
    """Count units handed over, in progress and not started, and open defects, per building;
    with a building, list its units."""
    open_cases = dict(db.session.execute(
        sa.select(MoveinCase.unit_id, MoveinCase.id).where(MoveinCase.estate_id == estate.id,
                                                           MoveinCase.state == "open")).all())
    defects = dict(db.session.execute(
        sa.select(MoveinCase.unit_id, sa.func.count(MoveinDefect.id))
        .join(MoveinCase, MoveinCase.id == MoveinDefect.case_id)
        .outerjoin(WorkOrder, WorkOrder.id == MoveinDefect.work_order_id)
        .where(MoveinDefect.estate_id == estate.id, MoveinDefect.accepted_at.is_(None),
               sa.or_(WorkOrder.id.is_(None), WorkOrder.state != "cancelled"))
        .group_by(MoveinCase.unit_id)).all())
    q = (sa.select(Unit.id, Unit.building_id, Unit.handover_date)
         .where(Unit.estate_id == estate.id))
    if building is not None:
        q = q.where(Unit.building_id == building.id)
    buildings = list(db.session.scalars(
        sa.select(Building).where(Building.estate_id == estate.id).order_by(Building.sort_key)))
    rows = {b.id: ProgressRow(b.label, b.id) for b in buildings
            if building is None or b.id == building.id}
    total = ProgressRow("合计", None)
    for unit_id, building_id, handover_date in db.session.execute(q):
        stage = _stage(unit_id, handover_date, set(open_cases))
        for row in (rows[building_id], total):
            row.units += 1
            setattr(row, stage, getattr(row, stage) + 1)
            row.open_defects += defects.get(unit_id, 0)
    result = Progress(estate, building, list(rows.values()), total)
    if building is not None:
        units = list(db.session.scalars(sa.select(Unit).where(Unit.building_id == building.id)
                                        .order_by(Unit.entrance, Unit.floor, Unit.room)))
        case_rows = {c.unit_id: c for c in db.session.scalars(
            sa.select(MoveinCase).where(MoveinCase.id.in_(list(open_cases.values()))))}
        for unit in units:
            case = case_rows.get(unit.id)
            done = sum(1 for s in case.steps if s.state != "pending") if case else 0
            result.units.append(UnitProgress(unit, _stage(unit.id, unit.handover_date,
                                                          set(open_cases)),
                                             case, done, defects.get(unit.id, 0)))
    return result


PRINTED_STAGES = {"handed_over": "已交房", "in_progress": "办理中", "not_started": "未开始"}


def progress_xlsx(report: Progress) -> bytes:
    """The progress as an .xlsx workbook: buildings, and the units of a chosen building."""
    import openpyxl

    from frontdesk.services.fees.reports_xlsx import _cell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("入住进度")
    ws.append([_cell(ws, h, bold=True) for h in
               ("楼栋", "户数", "已交房", "办理中", "未开始", "未完成整改")])
    for r in [*report.rows, report.total]:
        ws.append([_cell(ws, r.label), r.units, r.handed_over, r.in_progress, r.not_started,
                   r.open_defects])
    if report.units:
        ws2 = wb.create_sheet("房屋")
        ws2.append([_cell(ws2, h, bold=True) for h in
                    ("房号", "状态", "进度", "已办步骤", "交房日期", "未完成整改")])
        for u in report.units:
            ws2.append([_cell(ws2, u.unit.code), _cell(ws2, u.unit.status),
                        _cell(ws2, PRINTED_STAGES[u.stage]),
                        f"{u.steps_done}/{len(STEPS)}" if u.case else "",
                        u.unit.handover_date.isoformat() if u.unit.handover_date else "",
                        u.open_defects])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# printing ---------------------------------------------------------------------------------------


def _local(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value else ""


def movein_details(case: MoveinCase) -> list[tuple[str, str]]:
    """The 入住信息 printed on the 入住登记表: contract, agreements, handover and move-in dates."""
    verify = cases.step_of(case, "verify").data or {}
    agreements = cases.step_of(case, "agreements").data or {}
    unit = db.session.get(Unit, case.unit_id)
    return [
        ("购房合同号", verify.get("contract_no", "")),
        ("合同日期", verify.get("contract_date", "")),
        ("物业服务协议", agreements.get("service_agreement_date", "")),
        ("管理规约", agreements.get("rules_date", "")),
        ("交房日期", unit.handover_date.isoformat() if unit.handover_date else ""),
        ("入住日期", case.start_date.isoformat() if case.start_date else ""),
    ]


def _inspection_by_room(items: list[dict]) -> list[dict]:
    """One printed row per room: the items found in order, and the defects with their notes."""
    rooms: dict[str, dict] = {}
    for i in items:
        row = rooms.setdefault(i["room"], {"room": i["room"], "ok": [], "defects": []})
        if i["state"] == "ok":
            row["ok"].append(i["item"])
        else:
            row["defects"].append(f"{i['item']}：{i['note']}")
    return [{"room": r["room"], "ok": "、".join(r["ok"]) or "—",
             "defects": "；".join(r["defects"]) or "无"} for r in rooms.values()]


def handover_sheet_data(case: MoveinCase, *, printed_at: str, printed_by: str) -> dict:
    """The plain data of the 交房验收单: readings, inspection, defects, keys, fees, steps."""
    unit = db.session.get(Unit, case.unit_id)
    estate = db.session.get(Estate, case.estate_id)
    tz = ZoneInfo(estate.timezone)
    owner = handover.custody.unit_owners(unit.id)
    person = case.person or (owner[0] if owner else None)
    names = user_names(s.done_by_id for s in case.steps)
    steps = [{"step": PRINTED_MOVEIN_STEPS[s.step],
              "state": {"done": "已办", "skipped": "跳过", "pending": "未办"}[s.state],
              "by": names.get(s.done_by_id, ""), "at": _local(s.done_at, tz),
              "reason": s.reason} for s in case.steps]
    readings = cases.step_of(case, "readings").data.get("readings") or []
    items = cases.step_of(case, "inspection").data.get("items") or []
    keys = cases.step_of(case, "keys").data or {}
    fees = cases.step_of(case, "fees").data or {}
    return {
        "estate": {"name": estate.name, "address": estate.address, "phone": estate.phone},
        "unit": {"code": unit.code, "building": unit.building.label,
                 "gross_area": unit.gross_area, "handover_date": unit.handover_date},
        "owner": {"name": person.name if person else "", "phone": person.phone if person else ""},
        "case_no": f"RZ-{case.estate_id}-{case.id:06d}",
        "steps": steps,
        "readings": [{"kind": {"water": "水表", "electricity": "电表", "gas": "燃气表"}.get(
            r["kind"], r["kind"]), "number": r["number"], "value": r["value"],
            "unit": r.get("unit", ""), "period": r["period"]} for r in readings],
        "inspection": _inspection_by_room(items),
        "defects": [{"room": r.defect.room, "item": r.defect.item, "note": r.defect.note,
                     "order_no": r.order_no,
                     "order_state": PRINTED_WORK_ORDER_STATES.get(r.order_state, ""),
                     "state": PRINTED_DEFECT_STATES[r.state],
                     "accepted": r.defect.accepted_by_name} for r in defect_rows(case)],
        "keys": [{"kind": k["kind"], "handed": k["handed"], "kept": k["kept"],
                  "tag": k.get("tag", "")} for k in keys.get("keys") or []],
        "authorised": keys.get("authorised") or [],
        "fees": fees,
        "printed_at": printed_at,
        "printed_by": printed_by,
    }
