"""Demo work orders: an engineering crew and four weeks of repairs in every state.

The crew: the demo ``engineer`` (李工程, lead of 水电组) and eng1…eng5 (水电组 and 土建组, one
off duty), each with skills. The orders are reported, dispatched (by skill, then the fewest
orders, as the routing suggestion ranks), accepted, paused, completed, called back and closed
through the services of :mod:`frontdesk.services.workorders.orders`, each step at an explicit
moment of the past four weeks, so that their steps, due times and breaches are real: some
responses and completions are late, some long pauses are late by the wall clock only, two
chargeable repairs are billed to their units, one unsatisfied callback reopened its order. The
newest orders are still open.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Membership, Occupancy, Person, User, UserRole
from frontdesk.models.workorders import WorkOrder
from frontdesk.services import transactional
from frontdesk.services.workorders import crew, orders

#: username, name, team, skills, lead, on duty; "engineer" is the demo's existing login
CREW = [
    ("engineer", "李工程", "水电组", ["水电", "消防", "电梯"], True, True),
    ("eng1", "张建国", "水电组", ["水电", "门窗"], False, True),
    ("eng2", "王志强", "水电组", ["水电", "电梯"], False, True),
    ("eng3", "刘德明", "土建组", ["土建", "门窗"], False, True),
    ("eng4", "赵永红", "土建组", ["土建", "绿化", "其他"], False, True),
    ("eng5", "孙海涛", "土建组", ["土建", "消防"], False, False),
]
CATEGORY_TEAMS = {"水电": "水电组", "电梯": "水电组", "消防": "水电组", "土建": "土建组",
                  "门窗": "土建组", "绿化": "土建组"}
CATEGORY_WEIGHTS = {"水电": 34, "土建": 16, "门窗": 16, "电梯": 8, "消防": 5, "绿化": 8, "其他": 6}
#: what residents report, and what the engineer writes on completion
REPAIRS = {
    "水电": [("厨房水槽下水管漏水，柜子里积水", "更换下水管及密封圈，试水无渗漏"),
           ("卫生间马桶水箱一直流水", "更换进水阀，调试正常"),
           ("客厅插座没电，空开跳闸", "更换损坏插座，线路绝缘检测正常"),
           ("热水器进水角阀滴水", "更换角阀，试压正常")],
    "土建": [("阳台外墙渗水，墙面起皮", "外墙缝隙打胶，内墙铲除起皮处"),
           ("楼道台阶瓷砖松动", "重新铺贴瓷砖并勾缝"),
           ("卫生间顶面石膏板开裂", "修补裂缝并重新刷漆")],
    "门窗": [("入户门锁芯卡住打不开", "更换锁芯，交付新钥匙三把"),
           ("卧室窗户关不严，漏风", "调整合页并更换密封条"),
           ("单元门闭门器漏油", "更换闭门器")],
    "电梯": [("电梯运行时有异响", "已通知维保单位到场，调整导靴"),
           ("电梯按钮失灵", "更换楼层按钮")],
    "消防": [("楼道灭火器压力不足", "更换灭火器两具"),
           ("消防应急灯不亮", "更换应急灯电池")],
    "绿化": [("楼下树枝遮挡窗户", "修剪树枝并清运"),
           ("草坪喷灌头损坏漏水", "更换喷头")],
    "其他": [("信报箱门变形关不上", "校正箱门"),
           ("楼道声控灯不灵敏", "更换感应开关")],
}
MATERIALS = {
    "水电": [("下水管", "根", "35.00"), ("角阀", "个", "28.00"), ("进水阀", "个", "45.00"),
           ("五孔插座", "个", "18.00")],
    "土建": [("防水胶", "支", "26.00"), ("瓷砖胶", "袋", "38.00")],
    "门窗": [("锁芯", "个", "120.00"), ("密封条", "米", "6.50"), ("闭门器", "个", "160.00")],
    "电梯": [("按钮", "个", "85.00")],
    "消防": [("灭火器", "具", "95.00"), ("应急灯电池", "块", "32.00")],
    "绿化": [("喷头", "个", "22.00")],
    "其他": [("感应开关", "个", "30.00")],
}
PUBLIC_AREAS = ["电梯厅", "地下车库", "楼道", "单元门", "屋面", "花园"]
PAUSE_REASONS = ["等配件到货", "业主临时不在家", "需物业经理审批", "等待维保单位"]
GOOD_COMMENTS = ["师傅很专业，上门准时", "修得很好", "", "态度好", "处理及时"]
CANCEL_REASONS = ["业主自行修好", "重复报修", "业主要求取消"]

#: the states asked for and how many, newest first; ages in days before now
PLAN = [
    ("pending", 3, (0.01, 0.08)), ("dispatched", 3, (0.02, 0.4)), ("accepted", 2, (0.3, 1.5)),
    ("in_progress", 3, (0.5, 3)), ("paused", 3, (1, 6)), ("completed", 5, (1, 6)),
    ("called_back", 4, (3, 14)), ("closed", 18, (6, 28)), ("cancelled", 3, (2, 25)),
    ("reopened", 1, (12, 20)),
]


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _crew(estate: Estate) -> dict[str, User]:
    """Add eng1…eng5 (password demo1234) and give every engineer a profile."""
    from frontdesk.services.demo import DEMO_PASSWORD

    password_hash = generate_password_hash(DEMO_PASSWORD)
    users = {}
    for username, name, team, skills, lead, on_duty in CREW:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, full_name=name, password_hash=password_hash)
            user.memberships = [Membership(estate=estate, roles=[UserRole(role="engineering")])]
            db.session.add(user)
            db.session.flush()
        profile = crew.profile(estate.id, user)
        profile.team, profile.skills = team, list(skills)
        profile.is_lead, profile.on_duty = lead, on_duty
        users[username] = user
    for category in crew.categories(estate.id):
        category.team = CATEGORY_TEAMS.get(category.name, "")
    db.session.flush()
    return users


class _Demo:
    """Lives the orders through the services, one step after another."""

    def __init__(self, estate: Estate, desk: User, now: datetime, rng: random.Random,
                 engineers: dict[str, User]):
        self.estate, self.desk, self.now, self.rng = estate, desk, now, rng
        self.crew = [(u, crew.profile(estate.id, u)) for u in engineers.values()]
        self.load = {u.id: 0 for u in engineers.values()}
        self.categories = {c.name: c for c in crew.categories(estate.id)}
        self.buildings = list(db.session.scalars(
            sa.select(Building).where(Building.estate_id == estate.id).order_by(Building.id)))
        # residents who can be called back: (unit id, name, phone), a sample of the estate
        rows = db.session.execute(
            sa.select(Occupancy.unit_id, Person.name, Person.phone)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.estate_id == estate.id, Occupancy.role == "owner")
            .order_by(Occupancy.id).limit(400)).all()
        self.residents = [tuple(r) for r in rows]
        self.chargeable_left = 3
        self.made: list[WorkOrder] = []

    def report(self, at: datetime, category: str, *, public: bool = False,
               chargeable: bool = False, urgent: bool = False) -> WorkOrder:
        rng = self.rng
        description = rng.choice(REPAIRS[category])[0]
        data = {"category_id": self.categories[category].id, "description": description,
                "priority": "urgent" if urgent else "normal"}
        if public:
            building = rng.choice(self.buildings)
            data.update(source="巡查", reporter_name="秩序部巡查", building_id=building.id,
                        area=rng.choice(PUBLIC_AREAS))
        else:
            unit_id, name, phone = rng.choice(self.residents)
            data.update(source=rng.choice(["电话", "电话", "来访", "投诉"]), reporter_name=name,
                        reporter_phone=phone, unit_id=unit_id)
            if rng.random() < 0.3:
                data["appointment_at"] = at + _hours(rng, 3, 30)
            if chargeable:
                data.update(chargeable=True, quote_amount="300.00")
        order = orders.report(self.desk, self.estate, data, at)
        if chargeable:
            orders.set_quote(self.desk, order, {"quote_amount": "300.00",
                                                "confirmed_by": order.reporter_name},
                             at + timedelta(minutes=20))
        self.made.append(order)
        return order

    def engineer_for(self, order: WorkOrder) -> User:
        """Choose as the routing rule does (skill, then fewest orders), kept in memory here."""
        name = order.category.name
        on_duty = [(u, p) for u, p in self.crew if p.on_duty]
        skilled = [u for u, p in on_duty if name in p.skills] or [u for u, _ in on_duty]
        fewest = min(self.load[u.id] for u in skilled)
        user = self.rng.choice([u for u in skilled if self.load[u.id] == fewest])
        self.load[user.id] += 1
        return user

    def costs(self, order: WorkOrder, engineer: User, at: datetime) -> None:
        rng = self.rng
        name, unit_name, price = rng.choice(MATERIALS[order.category.name])
        orders.add_cost(engineer, order, {"kind": "material", "name": name,
                                          "quantity": "1" if order.chargeable
                                          else str(rng.choice([1, 1, 2])),
                                          "unit_name": unit_name, "unit_price": price}, at)
        if order.chargeable:
            orders.add_cost(engineer, order, {"kind": "labour", "name": "上门维修人工",
                                              "quantity": "1", "unit_name": "次",
                                              "unit_price": "60.00"}, at)

    def path(self, target: str, taken: bool, urgent: bool) -> list[tuple[str, timedelta]]:
        """Draw the steps to a target state and the time before each."""
        rng = self.rng
        if target == "pending":
            return []
        if target == "cancelled":
            steps = [("dispatch", _hours(rng, 0.1, 0.5))] if rng.random() < 0.5 else []
            return steps + [("cancel", _hours(rng, 0.2, 3))]
        # an urgent order is seen to at once: respond in 15 min, complete in 4 h
        quick = _hours(rng, 0.02, 0.1) if urgent else _hours(rng, 0.05, 0.6)
        if taken:
            steps = [("take", quick)]
        else:
            steps = [("dispatch", quick)]
            if target == "dispatched":
                return steps
            # one response in six comes late
            late = rng.random() < 1 / 6
            steps.append(("accept", _hours(rng, 2.5, 5) if late
                          else _hours(rng, 0.02, 0.1) if urgent else _hours(rng, 0.05, 1.2)))
        if target == "accepted":
            return steps
        steps.append(("start", _hours(rng, 0.1, 0.8) if urgent else _hours(rng, 0.5, 8)))
        steps.append(("costs", _hours(rng, 0.2, 1)))
        if target == "in_progress":
            return steps
        if target == "paused" or (not urgent and rng.random() < 0.25):
            steps.append(("pause", _hours(rng, 0.5, 3)))
            if target == "paused":
                return steps
            # a long pause: late by the wall clock, on time in running time
            steps.append(("resume", _hours(rng, 20, 50)))
        # one completion in six comes after its target (48 h of running time, 4 h when urgent)
        slow = rng.random() < 1 / 6
        steps.append(("complete", (_hours(rng, 4, 6) if urgent else _hours(rng, 50, 60)) if slow
                      else _hours(rng, 0.5, 2) if urgent else _hours(rng, 1, 10)))
        if target == "reopened":
            steps += [("reopen", _hours(rng, 4, 24)), ("accept", _hours(rng, 0.5, 2)),
                      ("start", _hours(rng, 1, 5)), ("complete", _hours(rng, 1, 4))]
            target = "closed"
        if target == "completed":
            return steps
        steps.append(("callback", _hours(rng, 2, 40)))
        if target == "closed":
            steps.append(("close", _hours(rng, 0.5, 12)))
        return steps

    def live(self, target: str, age_days: float) -> WorkOrder:
        """Report an order ``age_days`` ago and take it to the target state, steps in between."""
        rng = self.rng
        category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        public = category in ("电梯", "消防", "绿化") or rng.random() < 0.15
        chargeable = (not public and self.chargeable_left > 0 and category in ("水电", "门窗")
                      and target in ("in_progress", "completed", "called_back", "closed"))
        self.chargeable_left -= chargeable
        urgent = rng.random() < 0.12
        t = self.now - timedelta(days=age_days)
        order = self.report(t, category, public=public, chargeable=chargeable, urgent=urgent)
        engineer = self.engineer_for(order)
        taken = bool(order.team) and rng.random() < 0.1 \
            and crew.profile(self.estate.id, engineer).team == order.team
        steps = self.path(target, taken, urgent)
        # the newest orders' steps are squeezed in before now
        total = sum((delta for _, delta in steps), timedelta())
        room = (self.now - t) * 0.9
        scale = min(1.0, room / total) if total else 1.0
        desk, reopened = self.desk, False
        for action, delta in steps:
            t += delta * scale
            if action == "dispatch":
                orders.dispatch(desk, order, engineer, t)
            elif action == "take":
                orders.take(engineer, order, t)
            elif action == "cancel":
                orders.cancel(desk, order, rng.choice(CANCEL_REASONS), t)
            elif action == "costs":
                self.costs(order, engineer, t)
            elif action == "pause":
                orders.pause(engineer, order, rng.choice(PAUSE_REASONS), t)
            elif action == "complete":
                note = "再次检修，问题已解决" if reopened else rng.choice(REPAIRS[category])[1]
                orders.complete(engineer, order, note, t)
            elif action == "reopen":
                reopened = True
                orders.callback(desk, order, rng.choice([1, 2]), "还是有问题，要求重新处理", t)
            elif action == "callback":
                score = rng.choices([5, 4, 3], [60, 30, 10])[0]
                orders.callback(desk, order, score, rng.choice(GOOD_COMMENTS), t)
            elif action == "close":
                orders.close(desk, order, t)
            else:  # accept, start, resume
                getattr(orders, action)(engineer, order, t)
        return order


@transactional
def load_demo_workorders(now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Give the demo estate its engineering crew and four weeks of work orders."""
    from frontdesk.services.demo import DEMO_ESTATE, DEMO_USERS

    now = (now or datetime.now(UTC)).astimezone(UTC)
    estate = db.session.scalar(sa.select(Estate).where(Estate.name == DEMO_ESTATE))
    desk = db.session.scalar(sa.select(User).where(User.username == DEMO_USERS["frontdesk"][0]))
    engineers = _crew(estate)
    rng = random.Random(seed)
    demo = _Demo(estate, desk, now, rng, engineers)
    lives = [(rng.uniform(youngest, oldest), target)
             for target, how_many, (youngest, oldest) in PLAN for _ in range(how_many)]
    # reported oldest first, so that the orders' numbers follow their report times
    for age, target in sorted(lives, reverse=True):
        demo.live(target, age)
    billed = sum(1 for o in demo.made if o.bill_line_id)
    return {"engineers": len(engineers), "orders": len(demo.made), "billed": billed,
            "amount": int(sum((orders.costs_total(o) for o in demo.made if o.bill_line_id),
                              Decimal(0)))}
