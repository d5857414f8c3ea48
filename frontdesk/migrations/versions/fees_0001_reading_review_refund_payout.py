"""reading review (reviewed_by/at) and the refund's paid step (paid_by/at, method, payee)

Revision ID: fees_0001
Revises: access_0001
Create Date: 2026-12-02 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import frontdesk.models.base


# revision identifiers, used by Alembic.
revision = 'fees_0001'
down_revision = 'access_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meter_reading', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meter_reading_reviewed_by_id_user'), 'user', ['reviewed_by_id'], ['id'])

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_method', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('payee', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_refund_paid_at'), ['paid_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_refund_paid_by_id_user'), 'user', ['paid_by_id'], ['id'])

    # Until now an approval paid the refund out: such refunds left the drawer when they were
    # approved, by the method asked for. Who handed the money over was not recorded.
    refund = sa.table('refund', sa.column('state', sa.String), sa.column('decided_at'),
                      sa.column('paid_at'), sa.column('method', sa.String),
                      sa.column('paid_method', sa.String))
    op.execute(refund.update().where(refund.c.state == 'approved')
               .values(state='paid', paid_at=refund.c.decided_at, paid_method=refund.c.method))


def downgrade():
    refund = sa.table('refund', sa.column('state', sa.String))
    op.execute(refund.update().where(refund.c.state == 'paid').values(state='approved'))
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refund_paid_by_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refund_paid_at'))
        batch_op.drop_column('payee')
        batch_op.drop_column('paid_method')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('paid_by_id')

    with op.batch_alter_table('meter_reading', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meter_reading_reviewed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
