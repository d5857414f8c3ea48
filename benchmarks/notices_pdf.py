"""Time the payment notices (缴费通知单) of a whole building: data from the database, then the PDF.

Usage: python benchmarks/notices_pdf.py [--units 1000] [--lines 3]
Builds a temporary SQLite estate (schema by `flask db upgrade`) with one building of N units,
each with an owner, a few open bill lines (one of them an old arrear with a late fee) and some
prepaid balance, then times services.statements.building_notices + pdf.notice.payment_notice.
Prints the parts and a last line `notices_pdf units=N pages=P seconds=S` (target: ≤ 15 s).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

PERIOD = "2026-11"


def build_estate(units: int, lines: int) -> int:
    """Insert the estate with plain bulk inserts and return the building's id."""
    from frontdesk.extensions import db
    from frontdesk.models import (
        BillLine,
        Building,
        Estate,
        FeeItem,
        Occupancy,
        Person,
        PrepaidEntry,
        Unit,
    )

    estate = Estate(name="基准花园", address="上海市基准路 100 号", phone="021-55550000")
    db.session.add(estate)
    db.session.flush()
    building = Building(estate_id=estate.id, number="1", name="1号楼", floors=30,
                        sort_key="00000001")
    db.session.add(building)
    db.session.flush()
    items = [
        FeeItem(estate_id=estate.id, code="PM", name="物业费", method="area",
                late_daily_rate=Decimal("0.0005"), late_cap_ratio=Decimal("0.3")),
        FeeItem(estate_id=estate.id, code="WATER", name="水费", method="metered",
                meter_kind="water", tier_mode="annual", late_daily_rate=Decimal("0.0005")),
        FeeItem(estate_id=estate.id, code="ELEC", name="电费", method="metered",
                meter_kind="electricity", late_daily_rate=Decimal("0.0005")),
    ]
    db.session.add_all(items)
    db.session.flush()

    now = datetime.now(UTC)
    db.session.execute(sa.insert(Unit), [
        {"estate_id": estate.id, "building_id": building.id, "entrance": str(1 + n // 500),
         "floor": 1 + n % 500 // 20, "room": f"{1 + n % 500 // 20}{1 + n % 20:02d}",
         "code": f"1-{1 + n // 500}-{1 + n % 500 // 20}{1 + n % 20:02d}",
         "gross_area": Decimal("89.50") + n % 7, "status": "已入住"}
        for n in range(units)
    ])
    unit_ids = list(db.session.scalars(
        sa.select(Unit.id).where(Unit.building_id == building.id).order_by(Unit.id)))
    db.session.execute(sa.insert(Person), [
        {"estate_id": estate.id, "name": f"业主{n:04d}", "phone": f"138{n:08d}",
         "phone_tail": f"{n:04d}"[-4:]} for n in range(units)
    ])
    person_ids = list(db.session.scalars(
        sa.select(Person.id).where(Person.estate_id == estate.id).order_by(Person.id)))
    db.session.execute(sa.insert(Occupancy), [
        {"estate_id": estate.id, "unit_id": u, "person_id": p, "role": "owner",
         "start_date": date(2020, 1, 1), "is_primary": True}
        for u, p in zip(unit_ids, person_ids, strict=True)
    ])

    rows = []
    months = ["2026-07", "2026-09", "2026-10", PERIOD]
    for n, unit_id in enumerate(unit_ids):
        area = Decimal("89.50") + n % 7
        pm = (area * Decimal("2.35")).quantize(Decimal("0.01"))
        for k in range(lines):
            item = items[k % len(items)]
            period = months[-1 - k // len(items)] if k else months[0]
            if item.code == "PM":
                amount = pm
                text = f"{area:.2f} m² × 2.3500 元/m²·月 × 1 月 = {amount}"
            else:
                used = Decimal(10 + (n + k) % 40)
                amount = used * Decimal("5.00")
                text = f"{used:.2f} 阶梯：{used:.2f} × 5.0000 = {amount:.2f}"
            year, month = int(period[:4]), int(period[5:])
            rows.append({
                "estate_id": estate.id, "unit_id": unit_id, "fee_item_id": item.id,
                "period": period, "kind": "charge", "quantity": Decimal("0"),
                "price": Decimal("0"), "amount": amount, "explanation": text,
                "due_date": date(year, month, 15),
                "settled": Decimal("20.00") if k == 1 else Decimal("0"),
                "late_fee_waived": False, "reason": "", "created_at": now,
            })
    db.session.execute(sa.insert(BillLine), rows)
    db.session.execute(sa.insert(PrepaidEntry), [
        {"estate_id": estate.id, "unit_id": u, "amount": Decimal("50.00"), "kind": "payment",
         "created_at": now}
        for u in unit_ids[::5]
    ])
    db.session.commit()
    return building.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=3, help="open bill lines per unit")
    parser.add_argument("--keep", help="write the PDF to this path")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from pypdf import PdfReader

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import Building
    from frontdesk.pdf.base import register_fonts
    from frontdesk.pdf.notice import payment_notice
    from frontdesk.services.fees import statements

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        with app.app_context():
            upgrade()
            start = time.perf_counter()
            building_id = build_estate(args.units, args.lines)
            print(f"setup units={args.units} lines_per_unit={args.lines} "
                  f"seconds={time.perf_counter() - start:.2f}")
            font_path = app.config["PDF_FONT_PATH"]
            start = time.perf_counter()
            register_fonts(font_path)  # once per process in a running server
            print(f"font_load seconds={time.perf_counter() - start:.2f}")
            db.session.expunge_all()

            start, cpu_start = time.perf_counter(), time.process_time()
            building = db.session.get(Building, building_id)
            data = statements.building_notices(building, PERIOD, today=date(2026, 11, 24),
                                               printed_by="基准")
            data_seconds = time.perf_counter() - start
            pdf = payment_notice(data, font_path=font_path)
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            db.engine.dispose()

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    if args.keep:
        Path(args.keep).write_bytes(pdf)
    print(f"data seconds={data_seconds:.2f} notices={len(data['units'])}")
    print(f"render seconds={seconds - data_seconds:.2f} bytes={len(pdf)}")
    print(f"cpu seconds={cpu_seconds:.2f} (wall clock differs when the machine is busy)")
    print(f"notices_pdf units={args.units} pages={pages} seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
