"""Time the desk screen's search on the demo estate (1,000+ units) through the HTTP routes.

Usage: python benchmarks/desk_search.py [--repeat 20]
Prints one line per query kind and a last line `desk_search units=N p50_ms=… max_ms=…`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import Occupancy, Person, Unit, Vehicle
    from frontdesk.services import demo

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                          "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            demo.load_demo()
            units = db.session.scalar(sa.select(sa.func.count(Unit.id)))
            person = db.session.scalars(
                sa.select(Person).join(Occupancy).order_by(Person.id.desc())).first()
            plate = db.session.scalars(sa.select(Vehicle.plate)).first()
            queries = {
                "code": "5-2-1203", "code_prefix": "5-2", "name": person.name,
                "phone_tail": person.phone[-4:], "id_tail": person.id_number[-4:],
                "plate": plate, "surname": person.name[0],
            }
        client = app.test_client()
        client.post("/login", data={"username": "desk", "password": demo.DEMO_PASSWORD})
        all_ms = []
        for kind, q in queries.items():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                r = client.get("/desk", query_string={"q": q}, follow_redirects=True)
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200
            all_ms += times
            print(f"{kind:12s} q={q!r:14s} p50_ms={statistics.median(times):.1f} "
                  f"max_ms={max(times):.1f}")
        print(f"desk_search units={units} p50_ms={statistics.median(all_ms):.1f} "
              f"max_ms={max(all_ms):.1f}")


if __name__ == "__main__":
    main()
