"""receipt numbers unique per estate, session tokens, login failure counts

Revision ID: session_0001
Revises: chain_0001
Create Date: 2026-11-25 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa

import frontdesk.models.base


# revision identifiers, used by Alembic.
revision = 'session_0001'
down_revision = 'chain_0001'
branch_labels = None
depends_on = None


def upgrade():
    # Receipt numbers run per estate: two estates with the prefix SJ both print SJ2026-000001.
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_receipt_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_receipt_estate_id_number'),
                                          ['estate_id', 'number'])

    # Every existing user gets a token of their own; sessions signed before the upgrade,
    # which hold the user's id instead, end (the staff log in again once). The column is
    # added in place, without rebuilding the user table, which every other table refers to
    # (on SQLite a rebuild would cascade into the memberships).
    op.add_column('user', sa.Column('session_token', sa.String(length=64), nullable=False,
                                    server_default=''))
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(user.c.id)).all():
        conn.execute(user.update().where(user.c.id == user_id)
                     .values(session_token=secrets.token_urlsafe(32)))
    if conn.dialect.name != 'sqlite':  # SQLite cannot drop a default in place; the app sets it
        op.alter_column('user', 'session_token', server_default=None,
                        existing_type=sa.String(length=64), existing_nullable=False)
    op.create_index(op.f('ix_user_session_token'), 'user', ['session_token'], unique=True)

    op.create_table('login_failure_count',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failure_count'))
    )
    with op.batch_alter_table('login_failure_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_count_expires_at'), ['expires_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('login_failure_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_count_expires_at'))
    op.drop_table('login_failure_count')

    op.drop_index(op.f('ix_user_session_token'), table_name='user')
    op.drop_column('user', 'session_token')  # in place (SQLite 3.35+), as it was added

    # Fails while two estates share a receipt number: renumber one of them first.
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_receipt_estate_id_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_receipt_number'), ['number'])
