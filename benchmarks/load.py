"""Load the desk pages of a company-size installation through gunicorn, as clerks at work do.

Builds a company (benchmarks/company.py: 50,000 people in ~20,000 units over 7 estates by
default) in its own database, starts gunicorn on it, logs in the clerks (desk users spread over
the estates) and lets each, in a thread with its own session, repeat a visit at the desk:

- search the estate (by unit code, name, phone tail or plate, at random), then open a unit card;
- half the visits: take a payment of the unit's unpaid bills (the real form: CSRF token,
  one-time key, the bills ticked), open the receipt and print its PDF;
- a quarter of the visits: register a work order for the unit (the real intake form).

Between two requests a clerk thinks 1–3 s (``--think``; ``--think 0`` for saturation).
Redirects are followed by hand and timed as requests of their own. A request fails when it
raises or answers 4xx/5xx. The client runs on the standard library (http.client, threads); it
shares the machine's cores with gunicorn and the database, which the figures include.

Usage::

    python benchmarks/load.py                         # 50 clerks, 1–3 s, 60 s, gunicorn -w 4
    python benchmarks/load.py --clerks 1 --think 0    # one clerk with no think time
    python benchmarks/load.py --clerks 50 --think 0   # saturation
    python benchmarks/load.py --database-url sqlite:////tmp/load.sqlite --people 5000

Options: ``--database-url`` (default a PostgreSQL database ``bench_load`` on
postgresql+psycopg://postgres@127.0.0.1:5432, created and dropped by the run; an SQLite file is
removed after the run), ``--people`` (50000), ``--estates``, ``--workers`` (4), ``--threads``
(gunicorn threads per worker, 1), ``--duration`` seconds (60), ``--port``, ``--seed``,
``--keep`` (leave the database for a later ``--reuse``), ``--reuse`` (use the company already in
the database instead of building one), ``--app-dir`` (serve another checkout's ``wsgi:app`` on
the same data, to compare two versions).

Prints one line per kind of request (count, errors, p50/p95/p99 in ms) and, last, one line for
all kinds, with the CPU that gunicorn's workers and the database's server processes spent per
request (what the figures would be on an idle machine depends on it)::

    load clerks=50 think=1-3 seconds=60 requests=N rps=R p50_ms=… p95_ms=… p99_ms=… errors=E \
        app_cpu_ms=… db_cpu_ms=…
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.company import build_company, describe_company  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_DATABASE = "bench_load"
SEARCH_KINDS = ("code", "name", "phone_tail", "plate")


# the database ------------------------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    """Return the plain psycopg URL of the server's maintenance database and the database name."""
    parts = urllib.parse.urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def create_database(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).unlink(missing_ok=True)
        return
    import psycopg

    admin, name = _admin_url(url)
    if name in ("", "test", "postgres"):
        raise SystemExit(f"refusing to use the database {name!r}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).unlink(missing_ok=True)
        return
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# gunicorn -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int, instance: str,
                   app_dir: Path = ROOT):
    env = dict(os.environ, FRONTDESK_SQLALCHEMY_DATABASE_URI=url,
               FRONTDESK_INSTANCE_PATH=instance, FRONTDESK_SECRET_KEY="bench-load")
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers),
           "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
           "--backlog", "2048", "wsgi:app"]
    log = open(Path(instance) / "gunicorn.log", "wb")  # noqa: SIM115 - closed by stop_gunicorn
    proc = subprocess.Popen(cmd, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_gunicorn(proc) -> str:
    """Stop gunicorn; return the tail of its log (tracebacks of the requests that failed)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log.close()
    lines = Path(proc.log.name).read_text(errors="replace").splitlines()
    return "\n".join(lines[-30:])


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database."""
    if not url.startswith("postgresql"):
        return []
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,))]


class CpuMeter:
    """CPU used by gunicorn's workers and the database's server processes during the run."""

    def __init__(self, master_pid: int, url: str):
        self.master_pid, self.url = master_pid, url
        self.start: dict[str, dict[int, float]] = {}

    def _read(self) -> dict[str, dict[int, float]]:
        return {"app": {p: _cpu_of(p) for p in _children(self.master_pid)},
                "db": {p: _cpu_of(p) for p in _backends(self.url)}}

    def begin(self) -> None:
        self.start = self._read()

    def end(self) -> dict[str, float]:
        now = self._read()
        return {kind: sum(max(0.0, cpu - self.start[kind].get(pid, 0.0))
                          for pid, cpu in now[kind].items()) for kind in now}


# the client ---------------------------------------------------------------------------------------


class Failed(Exception):
    """A request answered 4xx/5xx, or a page lacked what the next step needs."""


class FormParser(HTMLParser):
    """The inputs of a page: name → values (checkboxes only when ticked), selects' options."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = defaultdict(list)
        self.options: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[a["name"]].append(a.get("value") or "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self.options[self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


class Clerk:
    """One browser: a cookie, and timed requests recorded by kind."""

    def __init__(self, port: int, record):
        self.port = port
        self.record = record
        self.cookies: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, data=None, *, timed: bool = True):
        """Send a request; return (status, headers, body). 4xx/5xx raise Failed."""
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "frontdesk-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        error = None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            content = resp.read()
            conn.close()
            if resp.status >= 400:
                error = f"{kind}: HTTP {resp.status} on {method} {path}"
        except (OSError, http.client.HTTPException) as e:
            error = f"{kind}: {type(e).__name__} {e} on {method} {path}"
            resp, content = None, b""
        elapsed = time.perf_counter() - start
        if timed:
            self.record(kind, elapsed, error)
        if error:
            raise Failed(error)
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in value or not cookie_value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie_value
        return resp.status, resp.headers, content

    def get(self, kind, path, **kw):
        return self.request(kind, "GET", path, **kw)

    def post(self, kind, path, data, **kw):
        return self.request(kind, "POST", path, data, **kw)

    def login(self, username: str, password: str) -> None:
        _, _, html = self.get("login_form", "/login", timed=False)
        form = parse_form(html.decode())
        status, headers, _ = self.post("login", "/login", {
            "csrf_token": form.values["csrf_token"][0], "username": username,
            "password": password}, timed=False)
        if status != 302 or "/login" in headers.get("Location", "/login"):
            raise SystemExit(f"{username} could not log in")


def _path(location: str) -> str:
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Visit:
    """What a clerk does: search, the unit card, a payment and its receipt, a work order."""

    def __init__(self, clerk: Clerk, rng: random.Random, company, estate_id: int, pool,
                 think: tuple[float, float], deadline: float):
        self.clerk, self.rng, self.company = clerk, rng, company
        self.estate_id, self.pool, self.think, self.deadline = estate_id, pool, think, deadline

    def pause(self) -> None:
        low, high = self.think
        if high > 0:
            time.sleep(self.rng.uniform(low, high))
        if time.monotonic() >= self.deadline:
            raise TimeoutError

    def run(self) -> None:
        c, rng = self.clerk, self.rng
        samples = self.company.samples[self.estate_id]
        kind = rng.choice([k for k in SEARCH_KINDS if samples.get(k)])
        q = rng.choice(samples[kind])
        status, headers, _ = c.get(f"search:{kind}", "/desk?" + urllib.parse.urlencode({"q": q}))
        if status == 302:
            self.pause()
            c.get("unit", _path(headers["Location"]))
        self.pause()
        unit_id = self.pool.take(self.estate_id, rng)
        c.get("unit", f"/desk/units/{unit_id}")
        roll = rng.random()
        if roll < 0.5:
            self.pause()
            self.payment(unit_id)
        elif roll < 0.75:
            self.pause()
            self.work_order(unit_id)
        self.pause()

    def payment(self, unit_id: int) -> None:
        c = self.clerk
        _, _, html = c.get("payment_form", f"/payments/units/{unit_id}/new")
        form = parse_form(html.decode())
        v = form.values
        if not v.get("line_ids") or not v.get("amount", [""])[0]:
            return  # paid meanwhile by another clerk: nothing to take
        self.pause()
        status, headers, _ = c.post("payment", f"/payments/units/{unit_id}/new", {
            "csrf_token": v["csrf_token"][0], "idempotency_key": v["idempotency_key"][0],
            "line_ids": v["line_ids"], "amount": v["amount"][0], "method": "cash",
            "purpose": "bills", "payer": v.get("payer", [""])[0], "note": "", "tendered": "",
            "reference": "", "deposit_kind": ""})
        if status != 302 or "/receipts/" not in headers.get("Location", ""):
            raise Failed(f"payment: no receipt after the post (HTTP {status})")
        receipt = _path(headers["Location"])
        self.pause()
        _, _, html = c.get("receipt", receipt)
        token = parse_form(html.decode()).values["csrf_token"][0]
        self.pause()
        _, headers, pdf = c.post("receipt_pdf", receipt + "/print", {"csrf_token": token})
        if not pdf.startswith(b"%PDF"):
            raise Failed("receipt_pdf: not a PDF")

    def work_order(self, unit_id: int) -> None:
        c, rng = self.clerk, self.rng
        _, _, html = c.get("workorder_form", f"/workorders/new?unit_id={unit_id}")
        form = parse_form(html.decode())
        v = form.values
        categories = [o for o in form.options.get("category_id", []) if o]
        self.pause()
        status, headers, _ = c.post("workorder", f"/workorders/new?unit_id={unit_id}", {
            "csrf_token": v["csrf_token"][0], "intake_key": v["intake_key"][0],
            "unit_id": str(unit_id), "source": "来访",
            "reporter_name": v.get("reporter_name", [""])[0] or "住户",
            "reporter_phone": v.get("reporter_phone", [""])[0], "building_id": "",
            "area": "厨房", "category_id": rng.choice(categories),
            "description": rng.choice(["厨房水龙头漏水", "卫生间地漏堵塞", "入户门锁损坏",
                                       "客厅灯不亮"]),
            "priority": "normal", "appointment_at": "", "quote_amount": ""})
        if status != 302:
            raise Failed(f"workorder: the form came back (HTTP {status})")
        self.pause()
        c.get("workorder_page", _path(headers["Location"]))


class UnitPool:
    """Units with unpaid bills, handed out once each so that two clerks rarely meet."""

    def __init__(self, company):
        self.lock = threading.Lock()
        self.owing = {eid: list(ids) for eid, ids in company.owing.items()}
        self.all = company.units
        for ids in self.owing.values():
            random.Random(len(ids)).shuffle(ids)

    def take(self, estate_id: int, rng: random.Random) -> int:
        with self.lock:
            if self.owing[estate_id]:
                return self.owing[estate_id].pop()
        return rng.choice(self.all[estate_id])


# the run ------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def drive(company, port: int, clerks: int, think: tuple[float, float], duration: float,
          seed: int, meter: CpuMeter | None = None):
    """Log the clerks in, let them work for ``duration`` seconds; return times and errors."""
    lock = threading.Lock()
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    messages: list[str] = []
    measuring = threading.Event()

    def record(kind, elapsed, error):
        if not measuring.is_set():
            return
        with lock:
            times[kind].append(elapsed)
            if error:
                errors[kind] += 1
                if len(messages) < 10:
                    messages.append(error)

    by_estate = defaultdict(list)
    for username, eid in company.logins:
        by_estate[eid].append(username)
    logins = []  # round robin over the estates
    while len(logins) < clerks and any(by_estate.values()):
        for eid in company.estate_ids:
            if by_estate[eid] and len(logins) < clerks:
                logins.append((by_estate[eid].pop(0), eid))
    if len(logins) < clerks:
        raise SystemExit(f"only {len(logins)} desk users for {clerks} clerks")
    pool = UnitPool(company)
    sessions = []
    for i, (username, eid) in enumerate(logins):
        clerk = Clerk(port, record)
        clerk.login(username, company.password)
        sessions.append((clerk, eid, random.Random(seed + i)))
    start_barrier = threading.Barrier(len(sessions) + 1)
    deadline_box = {}

    def work(clerk, eid, rng):
        start_barrier.wait()
        visit = Visit(clerk, rng, company, eid, pool, think, deadline_box["t"])
        if think[1] > 0:  # clerks do not all start at the same instant
            time.sleep(rng.uniform(0, think[1]))
        while time.monotonic() < deadline_box["t"]:
            try:
                visit.run()
            except TimeoutError:
                break
            except Failed:
                if think[1] > 0:
                    time.sleep(rng.uniform(*think))

    threads = [threading.Thread(target=work, args=s, daemon=True) for s in sessions]
    for t in threads:
        t.start()
    if meter is not None:
        meter.begin()
    client_cpu = time.process_time()
    measuring.set()
    started = time.monotonic()
    deadline_box["t"] = started + duration
    start_barrier.wait()
    for t in threads:
        t.join(duration + 120)
    elapsed = time.monotonic() - started
    cpu = meter.end() if meter is not None else {}
    cpu["client"] = time.process_time() - client_cpu
    return times, errors, messages, elapsed, cpu


def report(times, errors, messages, elapsed, clerks, think_text, duration, cpu) -> None:
    every: list[float] = []
    print(f"{'kind':18s} {'count':>6s} {'errors':>6s} {'p50_ms':>8s} {'p95_ms':>8s} "
          f"{'p99_ms':>8s} {'max_ms':>8s}")
    for kind in sorted(times):
        values = sorted(t * 1000 for t in times[kind])
        every += values
        print(f"{kind:18s} {len(values):6d} {errors.get(kind, 0):6d} "
              f"{percentile(values, 50):8.1f} {percentile(values, 95):8.1f} "
              f"{percentile(values, 99):8.1f} {values[-1]:8.1f}")
    for message in messages:
        print(f"error: {message}")
    every.sort()
    n = len(every)
    per = {k: v * 1000 / n if n else 0.0 for k, v in cpu.items()}
    print("cpu_ms_per_request " + " ".join(f"{k}={v:.1f}" for k, v in per.items())
          + f" (machine load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    print(f"load clerks={clerks} think={think_text} seconds={duration:g} requests={n} "
          f"rps={n / elapsed:.1f} p50_ms={percentile(every, 50):.1f} "
          f"p95_ms={percentile(every, 95):.1f} p99_ms={percentile(every, 99):.1f} "
          f"errors={sum(errors.values())} app_cpu_ms={per.get('app', 0):.1f} "
          f"db_cpu_ms={per.get('db', 0):.1f}")


def parse_think(text: str) -> tuple[float, float]:
    m = re.fullmatch(r"\s*([\d.]+)\s*(?:-\s*([\d.]+))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError("think time is seconds, e.g. 0, 2 or 1-3")
    low = float(m.group(1))
    high = float(m.group(2)) if m.group(2) else low
    if high < low:
        raise argparse.ArgumentTypeError("think time: the low bound comes first")
    return low, high


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"{DEFAULT_SERVER}/{DEFAULT_DATABASE}")
    parser.add_argument("--people", type=int, default=50000)
    parser.add_argument("--estates", type=int, default=None)
    parser.add_argument("--clerks", type=int, default=50)
    parser.add_argument("--think", default="1-3", help="seconds between requests: 0, 2 or 1-3")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="leave the database after the run")
    parser.add_argument("--reuse", action="store_true",
                        help="use the company already in the database")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="serve the app of another checkout (to compare two versions)")
    args = parser.parse_args(argv)
    think = parse_think(args.think)
    think_text = f"{think[0]:g}" if think[0] == think[1] else f"{think[0]:g}-{think[1]:g}"
    url = args.database_url
    if not url.startswith(("sqlite", "postgresql")):
        raise SystemExit("--database-url: an sqlite:/// or postgresql+psycopg:// URL")

    if args.reuse:
        company = describe_company(url)
        print(f"reusing {company.counts['estate']} estates, {company.counts['unit']} units",
              flush=True)
    else:
        create_database(url)
        built_at = time.perf_counter()
        estates = args.estates or max(1, round(args.people / 2.5 / 3000))
        company = build_company(url, args.people, estates=estates,
                                users_per_estate=max(8, -(-args.clerks // estates)))
        print(f"built {company.counts['estate']} estates, {company.counts['unit']} units, "
              f"{company.counts['person']} people in {time.perf_counter() - built_at:.1f} s",
              flush=True)
    port = args.port or _free_port()
    proc = None
    try:
        with tempfile.TemporaryDirectory() as instance:
            proc = start_gunicorn(url, port, args.workers, args.threads, instance,
                                  args.app_dir.resolve())
            meter = CpuMeter(proc.pid, url)
            times, errors, messages, elapsed, cpu = drive(company, port, args.clerks, think,
                                                          args.duration, args.seed, meter)
            log = stop_gunicorn(proc)
            proc = None
            if errors and log:
                print("the end of gunicorn's log:", log, sep="\n")
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        if not args.keep:
            drop_database(url)
    report(times, errors, messages, elapsed, args.clerks, think_text, args.duration, cpu)


if __name__ == "__main__":
    main()
