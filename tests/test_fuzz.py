"""Malformed input at every endpoint: never a server error, and a refused post writes nothing.

One estate with a record of every kind is built once for the module; a user with every role
opens every page, and the forms found on them are the ones posted. Each GET endpoint is then
called with generated bad query arguments and each POST endpoint with its form, some fields
replaced by generated bad values (Hypothesis): NUL and other control characters, numbers too
large for the database, 1e309, nan, letters where numbers belong, very long text, markup, blank.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from frontdesk import models
from frontdesk.extensions import db
from frontdesk.permissions import ALL_ROLES
from frontdesk.web import CONTROL_IN_ARGS, CONTROL_IN_FORMS
from tests import factories
from tests.conftest import World, empty_all_tables, login, make_app

FUZZER = "fuzzer"
#: endpoints not walked: no login needed, or they end the fuzzing user's session
SKIPPED = {"static", "bootstrap.static", "auth.login", "auth.logout", "healthz"}
#: a record of the estate for every id in a URL (the user is another one than the fuzzer)
MODELS = {
    "estate_id": models.Estate, "building_id": models.Building, "unit_id": models.Unit,
    "person_id": models.Person, "occupancy_id": models.Occupancy, "vehicle_id": models.Vehicle,
    "user_id": models.User, "fee_item_id": models.FeeItem, "tariff_id": models.Tariff,
    "meter_id": models.Meter, "reading_id": models.MeterReading, "bill_line_id": models.BillLine,
    "bill_run_id": models.BillRun, "receipt_id": models.Receipt, "refund_id": models.Refund,
    "key_id": models.Key, "custody_id": models.KeyCustody,
    "authorisation_id": models.KeyAuthorisation, "loan_id": models.KeyLoan,
    "count_id": models.KeyCount, "count_item_id": models.KeyCountItem,
    "order_id": models.WorkOrder, "cost_id": models.WorkOrderCost,
    "photo_id": models.WorkOrderPhoto, "category_id": models.WorkOrderCategory,
    "definition_id": models.ShiftDefinition, "shift_id": models.DutyShift,
    "entry_id": models.DutyEntry,
    "case_id": models.MoveinCase, "move_out_id": models.MoveOut,
    "complaint_id": models.Complaint, "visit_id": models.Visit,
}
#: query arguments the views read, besides the fields of the forms sent by GET
QUERY_ARGS = ("page", "q", "status", "state", "building_id", "building", "object_type",
              "object_id", "user_id", "kind", "period", "cabinet", "unit_code", "as_of", "day",
              "start", "end", "year", "month", "id", "lang", "next")
#: tables a refused post may write to: counters of failed password checks
UNCOUNTED = re.compile(r"attempt|throttl|failure|login", re.I)


# the estate ------------------------------------------------------------------------------------


def build_estate(world: World) -> None:
    """Give the world's estate fees, readings, a posted run, payments, keys, loans and a count."""
    from frontdesk.services import periods
    from frontdesk.services.demo.fees import load_demo_fees
    from frontdesk.services.demo.meters import load_demo_meters
    from frontdesk.services.fees import billing, payments, refunds
    from frontdesk.services.keys import counts, custody, loans, registry

    estate = world.estate
    fuzzer = factories.user(list(ALL_ROLES), [estate], username=FUZZER, full_name="全角色")
    world.unit.handover_date = date(2024, 5, 1)
    factories.unit(world.building, "2", 15, "1501", handover_date=date(2024, 5, 1))
    db.session.commit()
    today = periods.estate_today(estate)
    month = today.year * 12 + today.month - 1
    done = [f"{(month - n) // 12:04d}-{(month - n) % 12 + 1:02d}" for n in (3, 2, 1)]
    load_demo_fees(None, estate)
    load_demo_meters(None, estate, periods=tuple(done))
    for period in done[1:]:
        billing.post_bill_run(None, estate, period, today=today)
    payments.take_payment(fuzzer, world.unit, amount=Decimal("5000.00"), method="cash",
                          idempotency_key="fuzz-1", today=today)
    refunds.request_refund(fuzzer, world.unit, source="prepaid", amount=Decimal("1.00"),
                            method="cash", reason="多交")
    now = datetime.now(UTC)
    cabinet = [k for k in registry.bulk_register(fuzzer, world.building, kind="入户门",
                                                 per_unit=2, cabinet="A1")
               if k.unit_id == world.unit.id]
    registry.register_key(fuzzer, estate, {"tag": "GG-01", "area": "设备间", "kind": "设备间",
                                           "cabinet": "B1", "slot": "1", "copies": 1})
    lent, kept = cabinet[0], cabinet[1]
    for key in (lent, kept):
        held = custody.deposit_key(fuzzer, key, depositor=world.person, now=now)
    custody.authorise(fuzzer, held, {"name": "李四", "phone": "13900002222", "id_tail": "1234",
                                     "valid_until": now + timedelta(days=30)}, now=now)
    loans.lend_key(fuzzer, lent, borrower_name=world.person.name,
                   borrower_phone=world.person.phone,
                   borrower_id_tail=world.person.id_number[-4:], purpose="装修",
                   expected_return_at=now + timedelta(hours=8), now=now)
    counts.start_count(fuzzer, estate, now)
    order = factories.work_order(estate, fuzzer, state="in_progress", unit=world.unit,
                                 assignee=fuzzer, team="水电组", created_at=now)
    factories.work_order_cost(order, fuzzer)
    factories.work_order_photo(order, fuzzer)
    _movein(fuzzer, world, now)
    _complaints_and_visits(fuzzer, estate, world, now)
    db.session.commit()
    _work_orders(world, fuzzer, now)
    _duty(fuzzer, world.estate, now)


def _work_orders(world: World, fuzzer, now) -> None:
    """Give the estate an engineer, an order waiting for dispatch and one waiting for a callback."""
    from frontdesk.services.workorders import crew, orders

    estate = world.estate
    engineer = factories.engineer(estate, "fuzz_engineer", team="水电组", skills=["水电"])
    category = crew.categories(estate.id)[0]
    db.session.commit()
    report = {"source": "来访", "reporter_name": "张三", "reporter_phone": "13812345678",
              "unit_id": world.unit.id, "category_id": category.id, "description": "漏水"}
    orders.report(fuzzer, estate, report, now)
    done = orders.report(fuzzer, estate, report, now)
    orders.dispatch(fuzzer, done, engineer, now)
    orders.accept(engineer, done, now)
    orders.start(engineer, done, now)
    orders.complete(engineer, done, "修好了", now)


def _duty(fuzzer, estate, now) -> None:
    """Give the estate a shift on duty now with an entry (or the last one, between shifts)."""
    from frontdesk.services.duty import entries

    entries.add_entry(fuzzer, estate, {"kind": "巡查", "at": now, "content": "巡查大堂"}, now)


def _movein(fuzzer, world: World, now: datetime) -> None:
    """A move-in case in progress on a new unit, and a move-out of the world's unit."""
    from frontdesk.services.movein import cases, moveout

    unit = factories.unit(world.building, "3", 2, "201", status="未交房")
    cases.open_movein(fuzzer, unit, now)
    moveout.start(fuzzer, world.unit, "moveout", now)


def _complaints_and_visits(fuzzer, estate, world, now) -> None:
    """Give the estate a complaint in every step, a completed work order and visitors."""
    from frontdesk.services.complaints import complaints
    from frontdesk.services.visitors import visits

    steps = [("investigate", "查明"), ("propose", "道歉"), ("approve", ""), ("agree", "同意"),
             ("carry_out", "已处理")]
    for n in range(len(steps) + 1):
        c = complaints.register(fuzzer, estate, {
            "name": "张三", "phone": "13812345678", "unit_id": world.unit.id, "channel": "电话",
            "category": "噪音", "content": f"投诉 {n}"}, now)
        for action, note in steps[:n]:
            complaints.take_step(fuzzer, c, action, {"note": note}, now)
    factories.work_order(estate, fuzzer, unit=world.unit, state="completed", completed_at=now)
    visits.check_in(fuzzer, estate, {"name": "访客", "purpose": "拜访", "unit_id": world.unit.id},
                    now)


def url_ids(world: World) -> dict[str, int]:
    """Name one record of the estate for every kind of id a URL takes."""
    ids = {}
    for arg, model in MODELS.items():
        query = sa.select(model.id).order_by(model.id).limit(1)
        if model is models.User:
            query = query.where(model.username != FUZZER)
        elif model is models.KeyCountItem:
            query = query.join(models.KeyCount).where(models.KeyCount.estate_id == world.estate.id)
        elif model is models.Estate:
            query = query.where(model.id == world.estate.id)
        else:
            query = query.where(model.estate_id == world.estate.id)
        ids[arg] = db.session.scalar(query)
    return ids


# the forms on the pages ------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  #: input type, "select" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    maxlength: int | None = None
    required: bool = False
    low: int | None = None  #: min of a number input
    high: int | None = None  #: max of a number input


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)

    def payload(self) -> dict[str, list[str]]:
        """Return what a browser sends for the form as it is shown (the first button pressed)."""
        data: dict[str, list[str]] = {}
        pressed = False
        for f in self.fields:
            if f.kind in ("checkbox", "radio") and f.value is None:
                continue
            if f.kind in ("submit", "button", "image"):
                if pressed:
                    continue
                pressed = True
            if f.kind == "file":
                continue
            data.setdefault(f.name, []).append(f.value or "")
        return data


def _number(text: str | None) -> int | None:
    return int(text) if text and re.fullmatch(r"-?\d{1,12}", text) else None


class FormParser(HTMLParser):
    """Collect the forms of a page with their fields, values, options and limits."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form((a.get("method") or "get").upper(), a.get("action") or "")
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or (tag in ("input", "select", "textarea", "button") and not a.get("name")):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        maxlength = _number(a.get("maxlength"))
        required = "required" in a
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ("on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio") and "checked" not in a:
                value = None
            form.fields.append(Field(a["name"], kind, value, maxlength=maxlength,
                                     required=required, low=_number(a.get("min")),
                                     high=_number(a.get("max"))))
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            form.fields.append(Field(a["name"], "submit", a.get("value") or ""))
        elif tag == "select":
            self._select = Field(a["name"], "select", None, required=required)
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option(a)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea", "", maxlength=maxlength,
                                   required=required)
            form.fields.append(self._textarea)

    def _option(self, a):
        value = a.get("value") or ""
        self._select.options.append(value)
        if "selected" in a or self._select.value is None:
            self._select.value = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and self._select.value is None:
                self._select.value = ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # a browser drops the line break that follows <textarea>
            value = self._textarea.value
            self._textarea.value = value[2:] if value.startswith("\r\n") else (
                value.removeprefix("\n"))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


# the walk --------------------------------------------------------------------------------------


class Site:
    """The app with the built estate, the fuzzing user's client and the forms of every page."""

    def __init__(self, app):
        self.app = app
        self.world = World()
        build_estate(self.world)
        self.ids = url_ids(self.world)
        today = date.today()
        self.good = {**GOOD, "period": f"{today:%Y-%m}",
                     "expected_return_at": f"{today + timedelta(days=1):%Y-%m-%d} 12:00",
                     "valid_until": f"{today + timedelta(days=30):%Y-%m-%d} 12:00"}
        self.client = app.test_client()
        assert login(self.client, FUZZER).status_code == 302
        self.adapter = app.url_map.bind("localhost")
        self.rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED),
                            key=lambda r: (r.endpoint, r.rule))
        self.forms: dict[tuple[str, str], Form] = {}
        for rule in self.rules:
            if "GET" in rule.methods:
                response = self.client.get(self.url(rule))
                if response.mimetype == "text/html":
                    self._collect(self.url(rule), response.get_data(as_text=True))

    def url(self, rule) -> str:
        return rule.build({a: self.ids.get(a) or self.world.unit.id for a in rule.arguments},
                          append_unknown=False)[1]

    def _collect(self, page: str, html: str) -> None:
        for form in forms_of(html):
            form.action = form.action or page
            path = urlsplit(form.action).path
            try:
                endpoint, _ = self.adapter.match(path, method=form.method)
            except HTTPException:
                continue
            self.forms.setdefault((endpoint, form.method), form)

    def rule(self, endpoint: str):
        return next(r for r in self.rules if r.endpoint == endpoint)

    def payload(self, form: Form) -> dict[str, list[str]]:
        """Return what the form sends, with good values in its blank fields."""
        data = form.payload() or {k: [v] for k, v in FALLBACK.get(
            self.adapter.match(urlsplit(form.action).path, method=form.method)[0], {}).items()}
        for name, values in data.items():
            if values == [""] and name in self.good:
                data[name] = [self.good[name]]
        return data

    def form(self, rule, method: str) -> Form:
        """Return the form a page shows for the endpoint, or an empty one aimed at it."""
        found = self.forms.get((rule.endpoint, method))
        return found if found is not None else Form(method, self.url(rule))


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    app = make_app(database_url, tmp_path_factory.mktemp("fuzz"))
    with app.app_context():
        try:
            yield Site(app)
        finally:
            db.session.rollback()
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()


# what is sent ----------------------------------------------------------------------------------

#: good values for blank fields, so that the one bad value of a post is what is judged
GOOD = {
    "name": "王五", "full_name": "王五", "username": "wangwu", "password": "Secret-pass-123",
    "phone": "13900003333", "address": "上海市测试路 2 号", "receipt_prefix": "AB",
    "number": "99", "floors": "18", "floor": "3", "entrance": "1", "room": "301",
    "plate": "沪A88888", "unit_code": "3-2-1502", "code": "TST", "tag": "T-1", "copies": "1",
    "per_unit": "1", "borrower_name": "张三", "borrower_phone": "13812345678",
    "borrower_id_tail": "4477", "id_tail": "1234", "purpose": "维修", "circumstances": "丢失",
    "reason": "测试原因", "amount": "10.00", "price": "2.35", "value": "1", "tags": "GG-01",
    "valid_from": "2026-01-01", "valid_to": "2030-12-31", "start_date": "2024-06-01",
    "end_date": "2026-11-01", "object_id": "1", "pw-current_password": "not-the-password",
}
#: bad values everyone tries: control characters, numbers beyond every range, not-numbers,
#: letters and odd digits where numbers belong, impossible dates, markup, very long text, blank
NASTY = [
    "\x00", "a\x00b", "99999999999999999999", "2147483648", "-2147483649", "-1", "0", "1e309",
    "-1e309", "1E400", "nan", "NaN", "-inf", "Infinity", "1e-400", "0x1A", "abc", "12abc",
    "１２", "٣", " ", "", "<script>alert(1)</script>", "' OR '1'='1' --", "%00", "../../etc/passwd",
    "x" * 5000, "9" * 400, "2026-13", "0000-00-00", "2026-02-30", "9999-12-31", "1.005",
    "1,000,000.00", "\u202e", "😀", "{code}{", "%s%s", "null", "[]", "3-2-1502\x0b",
]
#: control characters refused everywhere; tab and line breaks are refused in query arguments
CONTROLS = [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127, 133, 159)]
LINE_CONTROLS = ["\t", "\n", "\r"]

#: text as typed: any character but the control characters the edge refuses
typed_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
bad_values = st.one_of(
    st.sampled_from([v for v in NASTY if not CONTROL_IN_ARGS.search(v)]),
    st.integers(-(10**25), 10**25).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    typed_text,
)


def with_control(controls: list[str]):
    """Text with a control character somewhere."""
    return st.one_of(
        st.sampled_from([v for v in NASTY if CONTROL_IN_FORMS.search(v)]),
        st.builds(lambda a, c, b: a + c + b, typed_text, st.sampled_from(controls), typed_text),
    )


#: what is posted to endpoints whose form no page shows in the built estate
FALLBACK = {
    "billing.post": {"period": "2026-10", "building": ""},
    "billing.credit": {"reason": "冲红"},
    "imports.confirm": {"token": "0" * 32},
    "meters.confirm_import": {"token": "0" * 32},
    "meters.approve": {"back": "shared"},
    "keys.start_count": {"note": ""},
    "keys.revoke": {"submit": "1"},
    "auth.switch_estate": {"estate_id": "1"},
}
#: money, rates, readings and counts typed as text
NUMERIC = re.compile(r"amount|price|^value$|multiplier|max_value|discount|rate|ratio|^reading-|"
                     r"copies|per_unit|first_slot")
PLAIN_NUMBER = re.compile(r"-?\d{1,9}(\.\d{1,4})?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def controlled(value: str, in_query: bool) -> bool:
    """Tell whether the app's edge must refuse the value (it holds a control character)."""
    return bool((CONTROL_IN_ARGS if in_query else CONTROL_IN_FORMS).search(value))


def must_refuse(f: Field | None, value: str) -> bool:
    """Tell whether a post with this value in this field is refused whatever the other fields say.

    Only what the page states for certain counts: a control character, a required field left
    blank, text beyond its maximum length, a number or date field that holds no number or date,
    a required choice that is not offered, a required amount or count that is no number. (An
    optional field may be ignored, e.g. the payment method of a custody without a deposit.)
    """
    if controlled(value, in_query=False):
        return True
    if f is None:
        return False
    text = value.strip()
    if not text:
        return f.required
    if f.maxlength is not None and len(value) > f.maxlength:
        return True
    if f.kind == "number":
        if not re.fullmatch(r"-?\d{1,12}", text):
            return True
        return (f.low is not None and int(text) < f.low) or (
            f.high is not None and int(text) > f.high)
    if f.kind == "date":
        try:
            day = date.fromisoformat(text) if DATE.fullmatch(text) else None
        except ValueError:
            day = None
        return day is None or not date(1900, 1, 1) <= day <= date(2100, 12, 31)
    if f.kind == "select":
        return f.required and value not in f.options
    return f.required and bool(NUMERIC.search(f.name)) and not PLAIN_NUMBER.fullmatch(text)


def row_counts() -> dict[str, int]:
    """Count the rows of every table (in one query)."""
    tables = [t.name for t in db.metadata.sorted_tables if not UNCOUNTED.search(t.name)]
    query = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    counts = dict(db.session.execute(sa.text(query)).all())
    db.session.commit()
    return counts


@dataclass
class Outcome:
    status: int
    error: str = ""
    location: str = ""


def send(site, method: str, url: str, data) -> Outcome:
    """Make a request as the fuzzing user; an exception counts as a server error."""
    try:
        if method == "GET":
            response = site.client.get(url, query_string=data)
        else:
            response = site.client.post(url, data=data)
    except Exception as e:  # noqa: BLE001 - any exception is the server error being looked for
        db.session.rollback()
        return Outcome(500, f"{type(e).__name__}: {str(e)[:300]}")
    outcome = Outcome(response.status_code, location=response.headers.get("Location", ""))
    if urlsplit(outcome.location).path == "/login":  # the session ended: log in again
        login(site.client, FUZZER)
    return outcome


# the tests -------------------------------------------------------------------------------------


def _endpoints(method: str) -> list[str]:
    """Name the walked endpoints that answer a method (read from an app on no database)."""
    from frontdesk import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({r.endpoint for r in app.url_map.iter_rules()
                   if method in r.methods and r.endpoint not in SKIPPED})


GET_ENDPOINTS = _endpoints("GET")
POST_ENDPOINTS = _endpoints("POST")
#: examples per endpoint: a few in every run; FRONTDESK_FUZZ_EXAMPLES=200 for a long hunt
FUZZ = settings(max_examples=int(os.environ.get("FRONTDESK_FUZZ_EXAMPLES", 8)), deadline=None,
                derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def shown(payload) -> str:
    return repr({k: (v if len(repr(v)) < 80 else f"{repr(v)[:60]}…") for k, v in payload.items()})


def choose_options(data, form: Form, payload: dict[str, list[str]]) -> None:
    """Pick any of the offered choices of each select, as a user may, to reach more paths."""
    for f in form.fields:
        if f.kind == "select" and len(f.options) > 1:
            payload[f.name] = [data.draw(st.sampled_from(f.options), label=f.name)]


def spoil(data, names: list[str], most: int, controls: list[str]) -> dict[str, str]:
    """Draw bad values for some of the names; in half the cases one holds a control character."""
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(most, len(names)),
                                unique=True), label="fields")
    bad = {name: data.draw(bad_values, label=name) for name in chosen}
    if data.draw(st.booleans(), label="control character"):
        bad[chosen[0]] = data.draw(with_control(controls), label=chosen[0])
    return bad


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
@FUZZ
@given(data=st.data())
def test_bad_query_arguments_give_no_server_error(site, endpoint, data):
    form = site.form(site.rule(endpoint), "GET")
    query = site.payload(form)
    choose_options(data, form, query)
    bad = spoil(data, sorted(set(query) | set(QUERY_ARGS)), most=len(QUERY_ARGS),
                controls=CONTROLS + LINE_CONTROLS)
    query.update({name: [value] for name, value in bad.items()})
    outcome = send(site, "GET", urlsplit(form.action).path, query)
    assert outcome.status < 500, (endpoint, shown(query), outcome)
    if any(controlled(value, in_query=True) for value in bad.values()):
        assert outcome.status == 400, (endpoint, shown(query), outcome)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@FUZZ
@given(data=st.data())
def test_bad_form_posts_give_no_server_error_and_write_nothing(site, endpoint, data):
    form = site.form(site.rule(endpoint), "POST")
    payload = site.payload(form)
    choose_options(data, form, payload)
    fields = {f.name: f for f in form.fields}
    bad = spoil(data, sorted(n for n in payload if n != "csrf_token") or ["id"], most=3,
                controls=CONTROLS)
    payload.update({name: [value] for name, value in bad.items()})
    refused = any(must_refuse(fields.get(name), value) for name, value in bad.items())
    before = row_counts() if refused else None
    outcome = send(site, "POST", form.action, payload)
    assert outcome.status < 500, (endpoint, shown(payload), outcome)
    if any(controlled(value, in_query=False) for value in bad.values()):
        assert outcome.status == 400, (endpoint, shown(payload), outcome)
    if refused:
        after = row_counts()
        written = {t: after[t] - before[t] for t in after if after[t] != before[t]}
        assert written == {}, (endpoint, shown(payload), outcome)


@pytest.mark.parametrize("endpoint", sorted(set(GET_ENDPOINTS) | set(POST_ENDPOINTS)))
def test_a_nul_is_refused_with_a_message_and_writes_nothing(site, endpoint):
    rule = site.rule(endpoint)
    method = "POST" if endpoint in POST_ENDPOINTS else "GET"
    form = site.form(rule, method)
    payload = site.payload(form)
    name = next((n for n in payload if n != "csrf_token"), "q")
    payload[name] = ["名\x00字"]
    before = row_counts()
    response = (site.client.post(form.action, data=payload) if method == "POST"
                else site.client.get(urlsplit(form.action).path, query_string=payload))
    assert response.status_code == 400, (endpoint, name)
    assert "控制字符" in response.get_data(as_text=True), endpoint
    assert row_counts() == before, endpoint
