"""Every view declares its roles: anonymous → login, wrong role → 403, other estate's id → 404.

Roles belong to an estate: a user with every role in one estate gets 403 or 404 for every URL
with another estate's ids, and no page without ids shows them anything of the other estate.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from frontdesk.extensions import db
from frontdesk.models import UserRole
from frontdesk.permissions import ALL_ROLES
from tests import factories
from tests.conftest import login

OPEN_ENDPOINTS = {"static", "bootstrap.static", "auth.login", "healthz"}


def guarded_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in OPEN_ENDPOINTS),
        key=lambda r: r.endpoint,
    )


def method_of(rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


class OtherEstate:
    """Records of one estate, of every kind a URL names: by default one the test users do not
    belong to."""

    def __init__(self, estate, username: str = "stranger"):
        self.estate = estate
        self.building = factories.building(estate, "7")
        self.unit = factories.unit(self.building, "1", 3, "301")
        self.person = factories.person(estate, "外人", "13900001111", "110101198001010012")
        self.occupancy = factories.occupancy(self.unit, self.person)
        self.vehicle = factories.vehicle(estate, "沪B99999", self.person, self.unit)
        self.user = factories.user("frontdesk", [estate], username=username)
        self._fees(estate)
        self._complaints(estate)
        self._jobs(estate)
        db.session.commit()

    def _jobs(self, estate):
        from frontdesk.models import Job, JobFile

        self.job = Job(estate_id=estate.id, kind="notices", started_by_id=self.user.id,
                       status="done", backend="inline",
                       params={"building_id": self.building.id, "period": "2026-10"})
        db.session.add(self.job)
        db.session.flush()
        db.session.add(JobFile(job_id=self.job.id, role="result", filename="外人.pdf",
                               mimetype="application/pdf", size=4, content=b"%PDF"))

    def _fees(self, estate):
        from datetime import date
        from decimal import Decimal

        from frontdesk.models import (
            BillLine,
            BillRun,
            FeeItem,
            Meter,
            MeterReading,
            Payment,
            Receipt,
            Refund,
            Tariff,
        )

        self.fee_item = FeeItem(estate_id=estate.id, code="WY", name="物业费", method="area")
        db.session.add(self.fee_item)
        db.session.flush()
        self.tariff = Tariff(estate_id=estate.id, fee_item_id=self.fee_item.id, scope="estate",
                             valid_from=date(2025, 1, 1), price=Decimal("2.35"))
        self.meter = Meter(estate_id=estate.id, unit_id=self.unit.id, kind="water", number="W1")
        self.bill_run = BillRun(estate_id=estate.id, period="2026-10")
        db.session.add_all([self.tariff, self.meter, self.bill_run])
        db.session.flush()
        self.reading = MeterReading(estate_id=estate.id, meter_id=self.meter.id,
                                    period="2026-10", value=Decimal("10"))
        self.bill_line = BillLine(estate_id=estate.id, unit_id=self.unit.id,
                                  fee_item_id=self.fee_item.id, period="2026-10",
                                  amount=Decimal("210.33"), explanation="x",
                                  due_date=date(2026, 10, 15), bill_run_id=self.bill_run.id)
        self.payment = Payment(estate_id=estate.id, unit_id=self.unit.id, amount=Decimal("1"),
                               method="cash", cashier_id=self.user.id,
                               idempotency_key=f"k-other-{estate.id}")
        db.session.add_all([self.reading, self.bill_line, self.payment])
        db.session.flush()
        self.receipt = Receipt(estate_id=estate.id, year=2026, seq=1,
                               number=f"X{estate.id}X2026-000001",
                               payment_id=self.payment.id, unit_id=self.unit.id,
                               amount=Decimal("1"), cashier_id=self.user.id, content={},
                               prev_hash="0" * 64, hash="0" * 64)
        self.refund = Refund(estate_id=estate.id, unit_id=self.unit.id, source="prepaid",
                             amount=Decimal("1"), method="cash", reason="x",
                             requested_by_id=self.user.id)
        db.session.add_all([self.receipt, self.refund])
        self._keys(estate)
        self._duty(estate)

    def _duty(self, estate):
        from datetime import UTC, date, datetime

        from frontdesk.models import DutyEntry, DutyShift, ShiftDefinition

        self.definition = ShiftDefinition(estate_id=estate.id, name="白班", start_minute=510,
                                          end_minute=1050)
        db.session.add(self.definition)
        db.session.flush()
        self.shift = DutyShift(estate_id=estate.id, definition_id=self.definition.id,
                               day=date(2026, 11, 1), name="白班",
                               starts_at=datetime(2026, 11, 1, 0, 30, tzinfo=UTC),
                               ends_at=datetime(2026, 11, 1, 9, 30, tzinfo=UTC))
        db.session.add(self.shift)
        db.session.flush()
        self.entry = DutyEntry(estate_id=estate.id, shift_id=self.shift.id, kind="巡查",
                               at=datetime(2026, 11, 1, 1, 0, tzinfo=UTC), content="外人的记录",
                               created_by_id=self.user.id)
        db.session.add(self.entry)

    def _keys(self, estate):
        from datetime import UTC, datetime

        from frontdesk.models import (
            Key,
            KeyAuthorisation,
            KeyCount,
            KeyCountItem,
            KeyCustody,
            KeyLoan,
        )

        now = datetime(2026, 11, 1, tzinfo=UTC)
        self.key = Key(estate_id=estate.id, tag="OTHER-1", unit_id=self.unit.id, kind="入户门")
        db.session.add(self.key)
        db.session.flush()
        self.custody = KeyCustody(estate_id=estate.id, key_id=self.key.id, depositor_name="外人")
        self.loan = KeyLoan(estate_id=estate.id, seq=1, key_id=self.key.id,
                            borrower_kind="owner", borrower_name="外人",
                            borrower_phone="13900001111", borrower_id_tail="0012",
                            purpose="x", expected_return_at=now, lent_by_id=self.user.id,
                            content={}, prev_hash="0" * 64, hash="0" * 64)
        self.key_count = KeyCount(estate_id=estate.id, started_by_id=self.user.id)
        db.session.add_all([self.custody, self.loan, self.key_count])
        db.session.flush()
        self.authorisation = KeyAuthorisation(estate_id=estate.id, custody_id=self.custody.id,
                                              name="甲", phone="13900002222", id_tail="1234",
                                              valid_until=now)
        self.count_item = KeyCountItem(count_id=self.key_count.id, key_id=self.key.id,
                                       expected_status="in_cabinet")
        db.session.add_all([self.authorisation, self.count_item])
        self._workorders(estate)
        self._movein(estate)

    def _workorders(self, estate):
        engineer = factories.engineer(estate, f"eng_{self.user.username}", team="水电组")
        self.work_order = factories.work_order(estate, self.user, state="in_progress",
                                               unit=self.unit, assignee=engineer, team="水电组",
                                               reporter_name="外人",
                                               reporter_phone="13900001111")
        self.work_order_cost = factories.work_order_cost(self.work_order, engineer)
        self.work_order_photo = factories.work_order_photo(self.work_order, self.user)
        self.category = factories.category(estate, "水电")

    def _movein(self, estate):
        from frontdesk.models import MoveinCase, MoveOut

        moving_in = factories.unit(self.building, "1", 4, "401")
        self.movein_case = MoveinCase(estate_id=estate.id, unit_id=moving_in.id,
                                      opened_by_id=self.user.id)
        self.move_out = MoveOut(estate_id=estate.id, unit_id=self.unit.id, kind="moveout",
                                opened_by_id=self.user.id)
        db.session.add_all([self.movein_case, self.move_out])

    def _complaints(self, estate):
        from datetime import UTC, datetime

        from frontdesk.models import Complaint, Visit

        now = datetime(2026, 11, 1, tzinfo=UTC)
        self.complaint = Complaint(estate_id=estate.id, seq=1, name="外人",
                                   phone="13900001111", unit_id=self.unit.id, channel="电话",
                                   category="其他", content="x", registered_at=now,
                                   registered_by_id=self.user.id, reply_due_at=now)
        self.visit = Visit(estate_id=estate.id, name="外人", purpose="x", in_at=now,
                           received_by_id=self.user.id)
        db.session.add_all([self.complaint, self.visit])
        db.session.flush()

    def args(self) -> dict[str, int]:
        return {
            "estate_id": self.estate.id, "building_id": self.building.id, "unit_id": self.unit.id,
            "person_id": self.person.id, "occupancy_id": self.occupancy.id,
            "vehicle_id": self.vehicle.id, "user_id": self.user.id,
            "fee_item_id": self.fee_item.id, "tariff_id": self.tariff.id,
            "meter_id": self.meter.id, "reading_id": self.reading.id,
            "bill_line_id": self.bill_line.id, "bill_run_id": self.bill_run.id,
            "receipt_id": self.receipt.id, "refund_id": self.refund.id,
            "key_id": self.key.id, "custody_id": self.custody.id,
            "authorisation_id": self.authorisation.id, "loan_id": self.loan.id,
            "count_id": self.key_count.id, "count_item_id": self.count_item.id,
            "order_id": self.work_order.id, "cost_id": self.work_order_cost.id,
            "photo_id": self.work_order_photo.id, "category_id": self.category.id,
            "definition_id": self.definition.id, "shift_id": self.shift.id,
            "entry_id": self.entry.id,
            "case_id": self.movein_case.id, "move_out_id": self.move_out.id,
            "complaint_id": self.complaint.id, "visit_id": self.visit.id,
            "job_id": self.job.id,
        }


def test_every_view_declares_its_roles(app):
    missing = [r.endpoint for r in guarded_rules(app)
               if not getattr(app.view_functions[r.endpoint], "roles", None)]
    assert missing == []


def test_anonymous_requests_are_sent_to_login(app, world, client):
    other = OtherEstate(world.other_estate).args()
    for rule in guarded_rules(app):
        url = rule.build({a: other.get(a, 1) for a in rule.arguments}, append_unknown=False)[1]
        response = client.open(url, method=method_of(rule))
        assert response.status_code == 302, rule.endpoint
        assert response.headers["Location"].startswith("/login"), rule.endpoint


def test_users_without_the_role_get_403(app, world):
    other = OtherEstate(world.other_estate).args()
    roleless = factories.user("frontdesk", [world.estate], username="roleless")
    db.session.commit()
    roleless_client = app.test_client()
    assert login(roleless_client, "roleless").status_code == 302
    db.session.execute(db.delete(UserRole).where(UserRole.user_id == roleless.id))
    db.session.commit()
    clients = {}
    checked = 0
    for rule in guarded_rules(app):
        roles = app.view_functions[rule.endpoint].roles
        outsiders = [r for r in ALL_ROLES if r not in roles]
        if outsiders:
            role = outsiders[0]
            if role not in clients:
                clients[role] = app.test_client()
                assert login(clients[role], role).status_code == 302
            client = clients[role]
        else:
            client = roleless_client
        url = rule.build({a: other.get(a, world.unit.id) for a in rule.arguments},
                         append_unknown=False)[1]
        response = client.open(url, method=method_of(rule))
        assert response.status_code == 403, (rule.endpoint, response.status_code)
        checked += 1
    assert checked == len(guarded_rules(app))


def test_another_estates_ids_give_404(app, world):
    other = OtherEstate(world.other_estate)
    args = other.args()
    clients = {}
    with_ids = [r for r in guarded_rules(app) if set(r.arguments) & set(args)]
    assert len(with_ids) >= 10
    for rule in with_ids:
        role = app.view_functions[rule.endpoint].roles[0]
        if role not in clients:
            clients[role] = app.test_client()
            assert login(clients[role], role).status_code == 302
        url = rule.build({a: args[a] for a in rule.arguments}, append_unknown=False)[1]
        response = clients[role].open(url, method=method_of(rule))
        assert response.status_code == 404, (rule.endpoint, role, response.status_code)


@pytest.mark.parametrize("endpoint", ["desk.unit", "register.edit_unit", "register.unit_residents"])
def test_own_estates_records_open(app, world, desk, endpoint):
    from flask import url_for

    with app.test_request_context():
        url = url_for(endpoint, unit_id=world.unit.id)
    assert desk.get(url).status_code == 200


def test_every_id_in_a_url_is_covered_by_the_other_estate_check(app, world):
    args = set(OtherEstate(world.other_estate).args())
    in_urls = {a for r in guarded_rules(app) for a in r.arguments
               if isinstance(r._converters[a], IntegerConverter)}
    assert in_urls - args == set()


# a second estate, through every endpoint ------------------------------------------------------

#: what the pages of estate A (the world's) may show only to A's staff
OURS_ONLY = ("阳光花园", "张三", "13812345678", "京A12345", "外人", "13900001111", "沪B99999",
             "OTHER-1", "our_clerk", "前台甲", "frontdesk测试")


def logged_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def our_records(app, world) -> dict[str, int]:
    """Give estate A every kind of record a URL names, and some audit events of its staff."""
    ours = OtherEstate(world.estate, username="our_clerk").args()
    logged_in(app, "our_clerk")
    logged_in(app, "admin").post(f"/admin/users/{ours['user_id']}/edit", data={
        "username": "our_clerk", "full_name": "前台甲", "active": "y",
        f"roles_{world.estate.id}": ["frontdesk", "finance"]})
    return ours


def test_every_role_in_another_estate_gives_403_or_404_for_our_ids(app, world):
    ours = our_records(app, world)
    factories.user(list(ALL_ROLES), [world.other_estate], username="everything_in_b")
    db.session.commit()
    client = logged_in(app, "everything_in_b")
    with_ids = [r for r in guarded_rules(app) if set(r.arguments) & set(ours)]
    assert len(with_ids) >= 50
    for rule in with_ids:
        url = rule.build({a: ours[a] for a in rule.arguments}, append_unknown=False)[1]
        response = client.open(url, method=method_of(rule))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)


def test_pages_without_ids_show_another_estates_staff_nothing_of_ours(app, world):
    our_records(app, world)
    factories.user(list(ALL_ROLES), [world.other_estate], username="everything_in_b")
    db.session.commit()
    client = logged_in(app, "everything_in_b")
    pages = [r for r in guarded_rules(app) if not r.arguments and "GET" in r.methods]
    assert len(pages) >= 30
    for rule in pages:
        response = client.get(rule.rule)
        assert response.status_code < 500, (rule.endpoint, response.status_code)
        if response.mimetype.startswith("text/"):
            text = response.get_data(as_text=True)
            assert [s for s in OURS_ONLY if s in text] == [], rule.endpoint


def test_a_role_in_our_estate_opens_only_what_that_role_may_do_there(app, world):
    """Working in B with every role there does not lend those roles to A's records."""
    ours = our_records(app, world)
    mixed = factories.user(list(ALL_ROLES), [world.other_estate], username="mixed")
    factories.grant(mixed, "engineering", world.estate)
    db.session.commit()
    client = logged_in(app, "mixed")
    assert client.post("/estate", data={"estate_id": world.other_estate.id}).status_code == 302
    checked = 0
    for rule in guarded_rules(app):
        if not set(rule.arguments) & set(ours) \
                or "engineering" in app.view_functions[rule.endpoint].roles:
            continue
        url = rule.build({a: ours[a] for a in rule.arguments}, append_unknown=False)[1]
        response = client.open(url, method=method_of(rule))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
        checked += 1
    assert checked >= 40
