"""Numbers given per estate (work orders GD…, complaints TS…): the next in an estate's sequence.

The estate's row is locked (``FOR NO KEY UPDATE`` on PostgreSQL) so that numbers of one estate
are given one at a time; rows that merely refer to the estate can still be inserted meanwhile.
The model's (estate_id, seq) unique constraint refuses a number given twice whatever happens.
"""

from __future__ import annotations

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Estate


def next_seq(model, estate_id: int) -> int:
    """Return the next ``seq`` of a model's rows in an estate, holding the estate's numbering."""
    db.session.execute(sa.select(Estate.id).where(Estate.id == estate_id)
                       .with_for_update(key_share=True))
    last = db.session.scalar(sa.select(sa.func.max(model.seq)).where(model.estate_id == estate_id))
    return (last or 0) + 1
