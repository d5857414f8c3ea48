"""Time the desk screen's search through the HTTP routes, per kind of query.

Usage::

    python benchmarks/desk_search.py [--repeat 20]
    python benchmarks/desk_search.py --people 50000 [--units 20000] [--estates N | --one-estate]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_search] [--keep]

Without ``--people`` it searches the demo estate (1,000+ units). With ``--people`` it builds a
property company's register (benchmarks/company.py: estates of ~3,000 units as in DESIGN.md
section 10, or all of it in one estate with ``--one-estate``) and searches its first estate as
one of that estate's desk users.

The database is a temporary SQLite file unless ``--database-url`` names one. A PostgreSQL
database is created for the run and dropped after it (``--keep`` keeps it; ``--reuse`` searches
one kept from an earlier run without building anything); one that already exists is refused
unless ``--reuse`` is given, and so is any database whose name starts with ``test``.

Each kind (full unit code, code prefix, full name, surname of one character, phone tail, ID
tail, plate) is asked ``--repeat`` times, taking turns over several queries that find something,
after a warm-up. A search that finds one unit answers with a redirect to its card: the search
request alone is timed, and the card on a line of its own (``--follow`` times the two together).
Prints one line per kind with p50/p95/max and the p95 of the CPU time this process spent (the
whole cost on SQLite, less sensitive to other load on the machine than the time taken; on
PostgreSQL the server's share is not in it), and a last line
`desk_search units=N p50_ms=… max_ms=…` over every search request.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("code", "code_prefix", "name", "surname", "phone_tail", "id_tail", "plate")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


@contextmanager
def database(url: str | None, *, keep: bool, reuse: bool):
    """Yield the URL of the database to use: a temporary SQLite file, or the one named,
    created for the run (PostgreSQL) and dropped after it unless kept or reused."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    parsed = sa.engine.make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "postgresql":
        if not reuse and name and Path(name).exists():
            sys.exit(f"{name} exists: remove it, or give --reuse to search it again")
        yield url
        return
    if name.lower().startswith("test") or name in ("", "postgres"):
        sys.exit(f"refusing to build in the database {name!r}: give one of its own, "
                 "e.g. .../bench_search")
    server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and not reuse:
            sys.exit(f"database {name} exists: drop it, or give --reuse to search it again")
        if not exists:
            if reuse:
                sys.exit(f"database {name} does not exist: nothing to reuse")
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        if not (keep or reuse):
            with server.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def sample_queries(estate_id: int, rng: random.Random, n: int = 8) -> dict[str, list[str]]:
    """Queries of each kind that find something in the estate, read from its register."""
    from frontdesk.extensions import db
    from frontdesk.models import Occupancy, Person, Unit, Vehicle

    def pick(q) -> list:
        rows = list(db.session.execute(q.limit(2000)))
        return [r for r in rng.sample(rows, min(n, len(rows)))]

    units = [u for (u,) in pick(sa.select(Unit.code).where(Unit.estate_id == estate_id)
                                .order_by(Unit.id))]
    people = pick(sa.select(Person.name, Person.phone_tail, Person.id_tail)
                  .join(Occupancy, Occupancy.person_id == Person.id)
                  .where(Person.estate_id == estate_id, Occupancy.end_date.is_(None))
                  .order_by(Person.id))
    plates = [p for (p,) in pick(sa.select(Vehicle.plate).where(Vehicle.estate_id == estate_id)
                                 .order_by(Vehicle.id))]
    return {
        "code": units,
        "code_prefix": list(dict.fromkeys(c.rsplit("-", 1)[0] for c in units)),
        "name": [p.name for p in people],
        "surname": list(dict.fromkeys(p.name[0] for p in people)),
        "phone_tail": [p.phone_tail for p in people],
        "id_tail": [p.id_tail for p in people],
        "plate": plates,
    }


def build(url: str, args) -> tuple[str, str, int]:
    """Fill the database; return (username, password, estate id) of a desk user."""
    if args.people is None:
        from flask_migrate import upgrade

        from frontdesk import create_app
        from frontdesk.extensions import db
        from frontdesk.models import Estate
        from frontdesk.services import demo

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            if not args.reuse:
                demo.load_demo()
            estate_id = db.session.scalar(sa.select(Estate.id)
                                          .where(Estate.name == demo.DEMO_ESTATE))
            db.engine.dispose()
        return "desk", demo.DEMO_PASSWORD, estate_id

    from benchmarks.company import build_company, describe_company

    if args.reuse:
        company = describe_company(url)
    else:
        started = time.perf_counter()
        company = build_company(url, args.people, units=args.units,
                                estates=1 if args.one_estate else args.estates)
        print(f"built {company.counts.get('person')} people, {company.counts.get('unit')} units "
              f"in {len(company.estate_ids)} estates in {time.perf_counter() - started:.0f} s",
              flush=True)
    username, estate_id = company.logins[0]
    return username, company.password, estate_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="requests per kind")
    parser.add_argument("--people", type=int, default=None,
                        help="build a company register of this many people (default: demo)")
    parser.add_argument("--units", type=int, default=None, help="default: people / 2.5")
    parser.add_argument("--estates", type=int, default=None,
                        help="default: one per ~3,000 units")
    parser.add_argument("--one-estate", action="store_true", help="every unit in one estate")
    parser.add_argument("--database-url", default=None,
                        help="default: a temporary SQLite file; PostgreSQL: its own database")
    parser.add_argument("--keep", action="store_true", help="keep the database built")
    parser.add_argument("--reuse", action="store_true",
                        help="search a database kept from an earlier run; build nothing")
    parser.add_argument("--follow", action="store_true",
                        help="time a search that finds one unit with the unit card it opens")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import Person, Unit

    with database(args.database_url, keep=args.keep, reuse=args.reuse) as url:
        username, password, estate_id = build(url, args)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            units = db.session.scalar(sa.select(sa.func.count(Unit.id)))
            people = db.session.scalar(sa.select(sa.func.count(Person.id)))
            estate_units = db.session.scalar(sa.select(sa.func.count(Unit.id))
                                             .where(Unit.estate_id == estate_id))
            queries = sample_queries(estate_id, random.Random(args.seed))
            db.session.remove()
        backend = sa.engine.make_url(url).get_backend_name()
        print(f"{backend}: {units} units, {people} people; searching an estate of "
              f"{estate_units} units", flush=True)
        client = app.test_client()
        r = client.post("/login", data={"username": username, "password": password})
        assert r.status_code == 302, r.text[:500]
        for kind in KINDS:  # warm up: templates compiled, connections open, caches filled
            for q in queries[kind][:3]:
                assert client.get("/desk", query_string={"q": q}).status_code in (200, 302)
        all_ms = []
        for kind in KINDS:
            times, cpu, found = [], [], 0
            for i in range(args.repeat):
                q = queries[kind][i % len(queries[kind])]
                start, start_cpu = time.perf_counter(), time.process_time()
                r = client.get("/desk", query_string={"q": q}, follow_redirects=args.follow)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                assert r.status_code in (200, 302), (kind, q, r.status_code)
                found += "/desk/units/" in (r.headers.get("Location", "") + r.text)
            assert found == args.repeat, f"{kind}: {args.repeat - found} queries found nothing"
            all_ms += times
            print(f"{kind:12s} e.g. q={queries[kind][0]!r:14s} n={len(times)} "
                  f"p50_ms={statistics.median(times):.1f} p95_ms={percentile(times, 95):.1f} "
                  f"max_ms={max(times):.1f} cpu_p95_ms={percentile(cpu, 95):.1f}", flush=True)
        if not args.follow:  # the card a single hit opens, for comparison
            times = []
            for i in range(args.repeat):
                location = client.get("/desk", query_string={
                    "q": queries["code"][i % len(queries["code"])]}).headers["Location"]
                start = time.perf_counter()
                assert client.get(location).status_code == 200
                times.append((time.perf_counter() - start) * 1000)
            print(f"{'(unit card)':12s} n={len(times)} p50_ms={statistics.median(times):.1f} "
                  f"p95_ms={percentile(times, 95):.1f} max_ms={max(times):.1f}", flush=True)
        with app.app_context():
            db.engine.dispose()
        print(f"desk_search units={units} p50_ms={statistics.median(all_ms):.1f} "
              f"max_ms={max(all_ms):.1f}")


if __name__ == "__main__":
    main()
