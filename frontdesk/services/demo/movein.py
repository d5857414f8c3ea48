"""Demo data: building 10 of the demo estate in the middle of its move-in campaign.

A new building of 24 units, each with a water and an electricity meter: a third handed over
through complete move-ins, a third in progress (some with defects at work with engineering,
one paused), a third not started. Made through the move-in services, as the desk would.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Building, Estate, Meter, Unit, User
from frontdesk.services import transactional
from frontdesk.services.demo import DEMO_ESTATE, DEMO_USERS, _person
from frontdesk.services.movein import cases, handover, inspection
from frontdesk.services.register.records import sort_key, unit_code

BUILDING = "10"
FLOORS, PER_FLOOR = 6, 4


def _new_building(estate: Estate, rng: random.Random) -> list[Unit]:
    building = Building(estate_id=estate.id, number=BUILDING, name="10号楼（新交付）",
                        usage="住宅", floors=FLOORS, elevator=True, sort_key=sort_key(BUILDING))
    db.session.add(building)
    db.session.flush()
    units = []
    for floor in range(1, FLOORS + 1):
        for k in range(1, PER_FLOOR + 1):
            room = f"{floor}{k:02d}"
            gross = Decimal(rng.choice(["89.50", "118.75", "132.40"]))
            unit = Unit(estate_id=estate.id, building_id=building.id, entrance="1", floor=floor,
                        room=room, code=unit_code(BUILDING, "1", room), gross_area=gross,
                        inner_area=(gross * Decimal("0.80")).quantize(Decimal("0.01")),
                        usage="住宅", status="未交房")
            units.append(unit)
    db.session.add_all(units)
    db.session.flush()
    for unit in units:
        for kind, prefix in (("water", "S"), ("electricity", "D")):
            db.session.add(Meter(estate_id=estate.id, unit_id=unit.id,
                                 building_id=building.id, kind=kind,
                                 number=f"{prefix}{BUILDING}-{unit.room}"))
    db.session.flush()
    return units


def _register_owner(desk: User, case, rng: random.Random, now: datetime) -> None:
    person = _person(rng, case.estate_id)
    cases.add_resident(desk, case, {"name": person.name, "phone": person.phone,
                                    "id_type": "居民身份证", "id_number": person.id_number},
                       {"role": "owner", "is_primary": True}, now)
    cases.residents_done(desk, case, now)


def _readings(desk: User, case, rng: random.Random, now: datetime) -> None:
    meters = handover.unit_meters(case.unit_id)
    values = {m.id: str(rng.randrange(0, 40)) for m in meters}
    handover.handover_readings(desk, case, values, now)


@transactional
def load_demo_movein(now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Add building 10 with its move-in campaign under way, in one transaction; return what
    was made."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    estate = db.session.scalar(sa.select(Estate).where(Estate.name == DEMO_ESTATE))
    desk = db.session.scalar(sa.select(User).where(User.username == DEMO_USERS["frontdesk"][0]))
    units = _new_building(estate, rng)
    handed, in_progress = units[:8], units[8:16]
    for n, unit in enumerate(handed):
        when = now - timedelta(days=20 - n)
        case = cases.open_movein(desk, unit, when)
        cases.verify_documents(desk, case, {"identity_checked": True,
                                            "contract_no": f"HT-10-{unit.room}",
                                            "contract_date": when.date() - timedelta(days=90)},
                               when)
        _register_owner(desk, case, rng, when)
        cases.sign_agreements(desk, case, {"service_agreement_date": when.date(),
                                           "rules_date": when.date()}, when)
        _readings(desk, case, rng, when)
        ok = {(r["room"], i): ("ok", "") for r in case_checklist(case) for i in r["items"]}
        inspection.save_inspection(desk, case, ok, when)
        handover.hand_over_keys(desk, case, [{"kind": "入户门", "handed": 2, "kept": n % 2},
                                             {"kind": "信箱", "handed": 1, "kept": 0}], [],
                                when, cabinet="C1", slot=unit.room)
        proposal = handover.propose_fees(unit, None, when.date())
        handover.take_first_fees(desk, case, months=proposal.months, prepaid=proposal.prepaid,
                                 deposit=proposal.deposit, method="wechat",
                                 idempotency_key=secrets.token_hex(16), now=when)
        local = cases.local_date(estate.id, when)
        cases.complete(desk, case, start_date=local, handover_date=local, now=when)
    defects = 0
    for n, unit in enumerate(in_progress):
        when = now - timedelta(days=3, hours=n)
        case = cases.open_movein(desk, unit, when)
        cases.verify_documents(desk, case, {"identity_checked": True,
                                            "contract_no": f"HT-10-{unit.room}",
                                            "contract_date": when.date() - timedelta(days=90)},
                               when)
        if n % 4 == 3:
            cases.pause(desk, case, "业主下次携带购房合同原件再来", when)
            continue
        _register_owner(desk, case, rng, when)
        _readings(desk, case, rng, when)
        results = {(r["room"], i): ("ok", "") for r in case_checklist(case) for i in r["items"]}
        if n % 2 == 0:
            results[("卫生间", "水电")] = ("defect", "地漏排水缓慢")
            results[("客厅", "墙面")] = ("defect", "墙面有裂缝约 30 厘米")
            defects += 2
        inspection.save_inspection(desk, case, results, when)
    return {"units": len(units), "handed_over": len(handed), "in_progress": len(in_progress),
            "defects": defects}


def case_checklist(case) -> list[dict]:
    from frontdesk.services.movein.setup import settings_of

    return settings_of(case.estate_id).checklist
