"""Demo duty log: two weeks of 白班 and 晚班 with patrols, calls (some opening work orders),
visits and handovers, the shift running now left open."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Estate, Unit, User
from frontdesk.money import quantize_money
from frontdesk.services import transactional
from frontdesk.services.duty import entries, handover, shifts

PATROLS = ("巡查{b}号楼大堂及消防通道，畅通无杂物。", "巡查地下车库，{b}号楼出入口照明正常。",
           "巡查{b}号楼屋面及水箱间，门锁完好。", "巡查小区周界，{b}号楼侧门已上锁。")
VISITS = ("业主来访咨询装修手续，已告知需提交装修申请表。", "住户来访领取快递柜临时密码。",
          "业主来访办理车位月卡续费咨询，已引导至收费窗口。")
EVENTS = ("{b}号楼电梯短暂停梯，维保单位 20 分钟到场恢复。",
          "{b}号楼地下室积水，已通知工程部抽水。", "访客车辆占用消防通道，已联系车主挪车。")
CALLS = (("厨房水管漏水，请尽快派人维修。", "已登记派单，工程部上门"),
         ("楼上噪音扰民，请物业协调。", "已电话联系楼上住户，答应注意"),
         ("门禁卡失灵，进不了单元门。", "已约明天上午到前台重新写卡"),
         ("卫生间下水不畅。", "已登记派单"))
TASKS = ("主管交办：明日上午检查{b}号楼消防栓压力。", "交办：通知{b}号楼业主周六停水检修。")
NAMES = ("王先生", "李女士", "张阿姨", "刘先生", "陈女士", "赵先生")


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


@transactional
def load_demo_duty(estate: Estate, now: datetime | None = None, days: int = 14,
                   seed: int = 2026) -> dict[str, int]:
    """Write ``days`` days of the duty log up to ``now``; return the shifts and entries made."""
    from frontdesk.services.workorders import crew

    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    desk, manager = _user("desk"), _user("manager")
    staff = {"白班": (desk, manager), "晚班": (manager, desk)}
    units = list(db.session.scalars(sa.select(Unit).where(Unit.estate_id == estate.id)
                                    .order_by(Unit.id).limit(300)))
    categories = {c.name: c for c in crew.categories(estate.id)}
    today = now.astimezone(shifts.tz(estate)).date()
    made = logged = 0
    for k in range(days, -1, -1):
        day = today - timedelta(days=k)
        for definition in shifts.definitions(estate, active_only=True):
            occ = shifts.occurrence(estate, definition, day)
            if occ.starts_at >= now:
                continue
            outgoing, incoming = staff.get(definition.name, (desk, manager))
            until = min(occ.ends_at, now)
            span = int((until - occ.starts_at).total_seconds() // 60) - 15
            times = sorted(rng.sample(range(5, max(span, 6)), min(rng.randint(3, 6),
                                                                   max(span - 5, 1))))
            for minute in times:
                at = occ.starts_at + timedelta(minutes=minute)
                logged += _entry(rng, outgoing, estate, units, categories, at)
            made += 1
            locks_at = (occ.ends_at - timedelta(minutes=10) if definition.name == "白班"
                        else occ.ends_at + timedelta(hours=7, minutes=35))
            if locks_at >= now:
                continue
            shift = shifts.shift_at(estate, occ.starts_at + timedelta(minutes=1), outgoing,
                                    occ.starts_at)
            _hand_over(rng, outgoing, incoming, shift, estate, locks_at)
    return {"shifts": made, "entries": logged}


def _entry(rng, actor: User, estate: Estate, units: list[Unit], categories: dict,
           at: datetime) -> int:
    building = rng.randint(1, 9)
    kind = rng.choice(("巡查", "巡查", "来电", "来电", "来访", "事件", "交办"))
    unit = rng.choice(units) if units else None
    data = {"kind": kind, "at": at}
    work_order = None
    if kind == "巡查":
        data["content"] = rng.choice(PATROLS).format(b=building)
    elif kind == "来电":
        content, result = rng.choice(CALLS)
        data.update(content=content, call_result=result, caller_name=rng.choice(NAMES),
                    caller_phone=f"139{rng.randint(10000000, 99999999)}",
                    unit_code=unit.code if unit else "")
        if result.startswith("已登记派单") and "水电" in categories and unit is not None:
            work_order = {"category_id": categories["水电"].id, "priority": "normal"}
    elif kind == "来访":
        data.update(content=rng.choice(VISITS), unit_code=unit.code if unit else "")
    elif kind == "事件":
        data.update(content=rng.choice(EVENTS).format(b=building), handling="已处理完毕")
    else:
        data["content"] = rng.choice(TASKS).format(b=building)
    entries.add_entry(actor, estate, data, at, work_order=work_order)
    return 1


def _hand_over(rng, outgoing: User, incoming: User, shift, estate: Estate,
               at: datetime) -> None:
    counted = None  # as expected
    if rng.random() < 0.1:
        start, end = handover.cash_window(shift, at)
        expected = handover.takings(estate, start, end)["cash_expected"]
        counted = quantize_money(expected - 10) if expected >= 10 else None
    picked = handover.suggestions(shift, at)[: rng.randint(0, 3)]
    notes = [rng.choice(TASKS).format(b=rng.randint(1, 9))] if rng.random() < 0.5 else []
    handover.lock(outgoing, shifts.locked_shift(shift.id), incoming, picked, notes, at,
                  cash_counted=counted, cash_note="少 10 元，待查" if counted is not None else "")
