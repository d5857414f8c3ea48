"""duty log: entries and handover items refer to their complaint by a foreign key

Revision ID: links_0001
Revises: complaints_0001
Create Date: 2026-12-02 11:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'links_0001'
down_revision = 'complaints_0001'
branch_labels = None
depends_on = None


def upgrade():
    # a complaint id that names no complaint is cleared rather than refusing the upgrade
    for table in ('duty_entry', 'duty_handover_item'):
        op.execute(f"UPDATE {table} SET complaint_id = NULL WHERE complaint_id IS NOT NULL "
                   f"AND complaint_id NOT IN (SELECT id FROM complaint)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f'fk_{table}_complaint_id_complaint', 'complaint',
                                        ['complaint_id'], ['id'])


def downgrade():
    for table in ('duty_handover_item', 'duty_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_complaint_id_complaint', type_='foreignkey')
