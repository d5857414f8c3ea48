"""Demo complaints in every step of the procedure, callbacks and a visitor log."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Estate, Unit, User
from frontdesk.services import transactional
from frontdesk.services.complaints import complaints
from frontdesk.services.visitors import visits

#: (category, channel, content, what the resident asks for)
CASES = (
    ("噪音", "电话", "楼上住户晚上十点后仍在装修，电钻声很大，影响孩子休息。", "要求夜间停止施工"),
    ("环境卫生", "来访", "单元门口垃圾桶满了两天没人清理，有异味。", "尽快清运并增加清运次数"),
    ("维修质量", "电话", "上周报修的厨房漏水，维修后又开始漏。", "重新维修并检查楼上管道"),
    ("服务态度", "来访", "保安在门岗说话态度生硬，不让快递车进入。", "要求道歉并加强培训"),
    ("收费", "信函", "本月物业费账单比上月多出 120 元，没有说明。", "核对账单并说明原因"),
    ("安全", "网络", "地下车库两盏灯坏了一个星期，晚上很暗。", "尽快更换照明"),
    ("其他", "电话", "小区健身器材有松动，担心老人使用受伤。", "检修健身器材"),
)
#: the steps taken, in order, with what was written at each
STEPS = (
    ("investigate", "已到现场查看，情况属实，已电话答复住户。"),
    ("propose", "约谈相关人员，限期整改，并向住户致歉。"),
    ("approve", "同意"),
    ("agree", "住户同意处理方案。"),
    ("carry_out", "已按方案整改完毕。"),
)
VISITORS = ("刘洋", "陈静", "杨帆", "赵磊", "孙丽", "周杰", "吴敏", "郑浩", "王芳", "冯军")
PURPOSES = ("探亲", "送快递", "装修查看", "看房", "朋友拜访", "维修上门")


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


@transactional
def load_demo_complaints(now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Give the demo estate complaints of the last three weeks in every step (some overdue,
    some waiting for a callback, some closed after one) and visitors, some still inside."""
    from frontdesk.services.demo import DEMO_ESTATE, DEMO_USERS

    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    estate = db.session.scalar(sa.select(Estate).where(Estate.name == DEMO_ESTATE))
    desk, manager = _user(DEMO_USERS["frontdesk"][0]), _user(DEMO_USERS["manager"][0])
    units = db.session.scalars(sa.select(Unit).where(Unit.estate_id == estate.id)
                               .order_by(Unit.id).limit(300)).all()
    made = 0
    # (days ago, steps taken, callback score or None)
    plan = [(0, 0, None), (1, 0, None), (2, 1, None), (3, 2, None), (4, 3, None), (5, 4, None),
            (6, 5, None), (8, 5, None), (10, 5, 5), (12, 5, 4), (14, 5, 2), (17, 5, 5),
            (19, 1, None), (20, 5, 3)]
    for n, (days, taken, score) in enumerate(plan):
        category, channel, content, request = CASES[n % len(CASES)]
        unit = rng.choice(units)
        person = next((o.person for o in unit.occupancies if o.end_date is None), None)
        at = now - timedelta(days=days, hours=rng.randint(1, 6))
        c = complaints.register(desk, estate, {
            "person_id": person.id if person else None,
            "name": person.name if person else "匿名住户",
            "phone": person.phone if person else "13800000000", "unit_id": unit.id,
            "channel": channel, "category": category, "content": content,
            "request": request}, at)
        for i, (action, note) in enumerate(STEPS[:taken]):
            # the oldest unanswered ones got their first reply late (the next day)
            step_at = at + timedelta(hours=(30 if days >= 19 else 2) + 3 * i)
            data = {"note": note, "compensation": "200.00" if n % 4 == 0 else ""}
            complaints.take_step(manager if action == "approve" else desk, c, action, data,
                                 min(step_at, now))
        if score is not None:
            done_at = min(at + timedelta(days=1, hours=4), now)
            complaints.callback(desk, c, score, "" if score >= 3 else "问题仍未完全解决",
                                done_at)
        made += 1
    inside = 0
    for n in range(24):
        at = now - timedelta(days=n // 3, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
        unit = rng.choice(units)
        v = visits.check_in(desk, estate, {
            "name": rng.choice(VISITORS), "id_tail": f"{rng.randint(0, 9999):04d}",
            "phone": f"139{rng.randint(10000000, 99999999)}", "unit_id": unit.id,
            "purpose": rng.choice(PURPOSES)}, at)
        if n >= 3:
            visits.check_out(desk, v, min(at + timedelta(hours=rng.randint(1, 3)), now))
        else:
            inside += 1
    return {"complaints": made, "visits": 24, "inside": inside}
