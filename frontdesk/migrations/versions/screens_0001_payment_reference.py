"""payment: the transaction number of a WeChat, Alipay, card or transfer payment

Revision ID: screens_0001
Revises: session_0001
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'screens_0001'
down_revision = 'session_0001'
branch_labels = None
depends_on = None


def upgrade():
    # existing payments had no transaction number: they get "" (none recorded)
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=64), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('reference')
