"""work orders: the intake form's one-time key, so that a double submit makes one order

Revision ID: wo_desk_0001
Revises: workorders_0001
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'wo_desk_0001'
down_revision = 'workorders_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_work_order_estate_id_intake_key'),
                                          ['estate_id', 'intake_key'])


def downgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_work_order_estate_id_intake_key'),
                                 type_='unique')
        batch_op.drop_column('intake_key')
