"""long jobs: bill runs, bulk notices and imports run as jobs, with their files

Revision ID: jobs_0001
Revises: links_0001
Create Date: 2026-12-02 13:30:00

"""
from alembic import op
import sqlalchemy as sa

import frontdesk.models.base


# revision identifiers, used by Alembic.
revision = 'jobs_0001'
down_revision = 'links_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('messages', sa.JSON(), nullable=False),
    sa.Column('bill_run_id', sa.Integer(), nullable=True),
    sa.Column('result_page', sa.String(length=16), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('backend', sa.String(length=8), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('rerun_of_id', sa.Integer(), nullable=True),
    sa.Column('created_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bill_run_id'], ['bill_run.id'], name=op.f('fk_job_bill_run_id_bill_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['estate_id'], ['estate.id'], name=op.f('fk_job_estate_id_estate')),
    sa.ForeignKeyConstraint(['rerun_of_id'], ['job.id'], name=op.f('fk_job_rerun_of_id_job')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_job_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_index('ix_job_estate_created', 'job', ['estate_id', 'created_at'], unique=False)
    op.create_table('job_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', frontdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_file_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_file')),
    sa.UniqueConstraint('job_id', 'role', name=op.f('uq_job_file_job_id_role'))
    )


def downgrade():
    op.drop_table('job_file')
    op.drop_index('ix_job_estate_created', table_name='job')
    op.drop_table('job')
