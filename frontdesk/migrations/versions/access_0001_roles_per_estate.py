"""roles per estate: a role belongs to the user's membership of an estate

Each role a user held (globally) is given to them in every estate they were a member of, so
nobody loses a permission in an estate where they had it; a role of a user who belonged to no
estate had no effect and has nowhere to go. Downgrading folds the roles back into one set per
user (the union over estates).

Revision ID: access_0001
Revises: b35b48360e11
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'access_0001'
down_revision = 'b35b48360e11'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estate_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_user_role_user_id_role', type_='unique')

    op.execute(
        "INSERT INTO user_role (user_id, estate_id, role) "
        "SELECT r.user_id, m.estate_id, r.role FROM user_role r "
        "JOIN user_estate m ON m.user_id = r.user_id "
        "WHERE r.estate_id IS NULL"
    )
    op.execute("DELETE FROM user_role WHERE estate_id IS NULL")

    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.alter_column('estate_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_user_role_user_id_estate_id_role'), ['user_id', 'estate_id', 'role'])
        batch_op.create_foreign_key(
            batch_op.f('fk_user_role_user_id_user_estate'), 'user_estate',
            ['user_id', 'estate_id'], ['user_id', 'estate_id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_role_user_id_user_estate'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_user_role_user_id_estate_id_role'),
                                 type_='unique')

    op.execute(
        "DELETE FROM user_role WHERE id NOT IN "
        "(SELECT keep FROM (SELECT MIN(id) AS keep FROM user_role GROUP BY user_id, role) k)"
    )

    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_column('estate_id')
        batch_op.create_unique_constraint(batch_op.f('uq_user_role_user_id_role'),
                                          ['user_id', 'role'])
