"""Every view declares its roles: anonymous → login, wrong role → 403, other estate's id → 404."""

from __future__ import annotations

import pytest

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
    """Records of an estate the test users do not belong to."""

    def __init__(self, estate):
        self.estate = estate
        self.building = factories.building(estate, "7")
        self.unit = factories.unit(self.building, "1", 3, "301")
        self.person = factories.person(estate, "外人", "13900001111", "110101198001010012")
        self.occupancy = factories.occupancy(self.unit, self.person)
        self.vehicle = factories.vehicle(estate, "沪B99999", self.person, self.unit)
        self.user = factories.user("frontdesk", [estate], username="stranger")
        db.session.commit()

    def args(self) -> dict[str, int]:
        return {
            "estate_id": self.estate.id, "building_id": self.building.id, "unit_id": self.unit.id,
            "person_id": self.person.id, "occupancy_id": self.occupancy.id,
            "vehicle_id": self.vehicle.id, "user_id": self.user.id,
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
