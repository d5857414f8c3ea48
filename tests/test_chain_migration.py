"""Upgrading re-chains the receipts and key loans already written; downgrading gives back the
old hashes; an upgrade over a record that the old hashes do not vouch for is refused."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_migrate import downgrade, upgrade

from frontdesk import create_app
from frontdesk.extensions import db
from frontdesk.models import ChainEntry, Receipt
from frontdesk.services import chain
from frontdesk.services.fees import payments
from frontdesk.services.keys import loans
from tests import factories
from tests.conftest import World
from tests.revisions import revision_before

ROOT = Path(__file__).resolve().parent.parent
REVISION = "chain_0001"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
OWNER = {"borrower_name": "张三", "borrower_phone": "13812345678", "borrower_id_tail": "4477"}


def _migration():
    path = next((ROOT / "frontdesk" / "migrations" / "versions").glob("chain_0001_*.py"))
    spec = importlib.util.spec_from_file_location("chain_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def scratch(tmp_path):
    """An app on a database of its own, to migrate down and up (not the suite's database)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
                      "TESTING": True, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        world = World()
        desk = world.users["frontdesk"]
        for n in range(3):
            payments.take_payment(desk, world.unit, amount=f"{10 + n}", method="cash",
                                  idempotency_key=f"m{n}", purpose="prepaid", payer="张三")
        voided = db.session.scalar(sa.select(Receipt).order_by(Receipt.id))
        payments.void_receipt(world.users["finance"], voided, "收错户")
        keys = [factories.key(world.estate, world.unit, f"K-{n}", slot=str(n)) for n in range(2)]
        db.session.commit()
        lent = [loans.lend_key(desk, k, **OWNER, purpose="开门", now=NOW,
                               expected_return_at=NOW + timedelta(hours=8)) for k in keys]
        loans.return_key(desk, lent[0], returned_at=NOW + timedelta(hours=1),
                         condition="完好", now=NOW + timedelta(hours=2))
        assert chain.verify().ok
        yield world
        db.session.remove()
        db.engine.dispose()


def _old_chains_hold(migration) -> None:
    with db.engine.connect() as conn:
        migration._check_all(conn)


def test_downgrade_gives_back_the_old_hashes_and_upgrade_rechains(scratch):
    downgrade(revision=revision_before(current_app, REVISION))
    assert "chain_entry" not in sa.inspect(db.engine).get_table_names()
    _old_chains_hold(_migration())

    upgrade()
    db.session.expire_all()
    report = chain.verify()
    assert report.ok, report.problems
    # chains registered since (locked duty shifts) have no records here
    assert {k: v for k, v in report.records.items() if v} == {"receipts": 3, "key_loans": 2}
    # three issues and a void; two lendings and a return, in the order they happened
    assert report.link_count("receipts") == 4 and report.link_count("key_loans") == 3
    events = db.session.scalars(sa.select(ChainEntry.event)
                                .where(ChainEntry.chain == "key_loans")
                                .order_by(ChainEntry.seq)).all()
    assert events == ["lend", "lend", "return"]
    # new links chain on after the re-chained ones
    payments.take_payment(scratch.users["frontdesk"], scratch.unit, amount="5", method="cash",
                          idempotency_key="after", purpose="prepaid")
    assert chain.verify().ok


def test_an_upgrade_over_an_altered_record_is_refused_and_changes_nothing(scratch):
    migration = _migration()
    downgrade(revision=revision_before(current_app, REVISION))
    number = db.session.scalar(sa.select(Receipt.number).order_by(Receipt.id.desc()).limit(1))
    db.session.execute(sa.text("UPDATE receipt SET content = '{}' WHERE number = :n"),
                       {"n": number})
    db.session.commit()
    with pytest.raises(migration.ChainBroken, match=f"receipt {number} .* does not hold"):
        _old_chains_hold(migration)
    with pytest.raises(SystemExit):  # flask db upgrade logs that message and exits 1
        upgrade()
    db.session.rollback()
    assert "chain_entry" not in sa.inspect(db.engine).get_table_names()
