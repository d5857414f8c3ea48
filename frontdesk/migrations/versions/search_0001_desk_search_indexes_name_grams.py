"""desk search: person indexes within an estate, the pieces of names kept by triggers, a code
index for prefixes on PostgreSQL, and the planner's statistics

Revision ID: search_0001
Revises: jobs_0001
Create Date: 2026-12-02 13:30:00

- person: (estate_id, name), (estate_id, phone_tail), (estate_id, id_tail) replace the indexes
  on name, phone_tail and id_tail alone (every lookup is within one estate).
- person_name_gram: each person's surname (first character) and every two adjacent characters
  of the name, so that a name search reads an index instead of every name (LIKE '%…%' can use
  no index; pg_trgm and FTS5's trigrams need three characters, and most names are two or
  three). Filled from the people there are, then kept by triggers on person: insert (once
  per statement on PostgreSQL), update of name or estate_id, delete (on PostgreSQL the
  foreign key's ON DELETE CASCADE).
  On SQLite a table rebuild (batch_alter_table on person) drops these triggers: a later
  migration that rebuilds person must call create_sqlite_triggers() of this module again.
- unit: (estate_id, code text_pattern_ops) and vehicle: (estate_id, plate text_pattern_ops) on
  PostgreSQL, which the code-prefix and plate searches read as a byte range whatever the
  database's collation (SQLite's unique indexes serve them).
- ANALYZE, so that SQLite's planner has statistics (it has none until ANALYZE runs).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'search_0001'
down_revision = 'jobs_0001'
branch_labels = None
depends_on = None

#: positions 1 … 63 of a name of at most 64 characters, for SQLite's triggers (which allow no
#: WITH clause); json_each is built into SQLite since 3.38
_POSITIONS = "[" + ",".join(str(n) for n in range(1, 64)) + "]"

_SQLITE_GRAMS = f"""
    INSERT OR IGNORE INTO person_name_gram (estate_id, gram, name, person_id)
    SELECT NEW.estate_id, substr(NEW.name, 1, 1), NEW.name, NEW.id WHERE length(NEW.name) > 0
    UNION
    SELECT NEW.estate_id, substr(NEW.name, p.value, 2), NEW.name, NEW.id
    FROM json_each('{_POSITIONS}') AS p WHERE p.value < length(NEW.name);
"""


def _grams_of(rows: str, positions: str) -> str:
    """SELECT the grams of the people in ``rows`` (a table or transition table)."""
    return f"""
    SELECT estate_id, substr(name, 1, 1), name, id FROM {rows} WHERE length(name) > 0
    UNION
    SELECT r.estate_id, substr(r.name, p, 2), r.name, r.id
    FROM {rows} AS r CROSS JOIN LATERAL {positions} AS p"""


_PG_SERIES = "generate_series(1, length(r.name) - 1)"

#: inserts: once per statement over all its rows (bulk inserts and imports write thousands)
_PG_INSERT = f"""
CREATE FUNCTION person_name_gram_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_name_gram (estate_id, gram, name, person_id)
    {_grams_of("inserted", _PG_SERIES)}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

#: a changed name or estate: the person's grams written again
_PG_UPDATE = f"""
CREATE FUNCTION person_name_gram_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person_name_gram WHERE person_id = OLD.id;
    INSERT INTO person_name_gram (estate_id, gram, name, person_id)
    SELECT NEW.estate_id, substr(NEW.name, 1, 1), NEW.name, NEW.id WHERE length(NEW.name) > 0
    UNION
    SELECT NEW.estate_id, substr(NEW.name, p, 2), NEW.name, NEW.id
    FROM generate_series(1, length(NEW.name) - 1) AS p
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""


def create_sqlite_triggers():
    """The triggers that keep person_name_gram in step with person on SQLite."""
    op.execute(f"""
        CREATE TRIGGER person_name_gram_insert AFTER INSERT ON person
        BEGIN {_SQLITE_GRAMS} END""")
    op.execute(f"""
        CREATE TRIGGER person_name_gram_update AFTER UPDATE OF name, estate_id ON person
        WHEN OLD.name IS NOT NEW.name OR OLD.estate_id IS NOT NEW.estate_id
        BEGIN
            DELETE FROM person_name_gram WHERE person_id = OLD.id;
            {_SQLITE_GRAMS}
        END""")
    # before the delete, so that it holds with foreign keys off as well
    op.execute("""
        CREATE TRIGGER person_name_gram_delete BEFORE DELETE ON person
        BEGIN DELETE FROM person_name_gram WHERE person_id = OLD.id; END""")


def _fill():
    """The grams of the people there are, as the triggers would have written them."""
    if op.get_bind().dialect.name == "sqlite":
        select = f"""
            SELECT estate_id, substr(name, 1, 1), name, id FROM person WHERE length(name) > 0
            UNION
            SELECT r.estate_id, substr(r.name, p.value, 2), r.name, r.id
            FROM person AS r JOIN json_each('{_POSITIONS}') AS p ON p.value < length(r.name)"""
    else:
        select = _grams_of("person", _PG_SERIES)
    op.execute(f"INSERT INTO person_name_gram (estate_id, gram, name, person_id) {select}")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_name')
        batch_op.drop_index('ix_person_phone_tail')
        batch_op.drop_index('ix_person_id_tail')
        batch_op.create_index('ix_person_estate_name', ['estate_id', 'name'], unique=False)
        batch_op.create_index('ix_person_estate_phone_tail', ['estate_id', 'phone_tail'],
                              unique=False)
        batch_op.create_index('ix_person_estate_id_tail', ['estate_id', 'id_tail'], unique=False)

    op.create_table(
        'person_name_gram',
        sa.Column('estate_id', sa.Integer(), nullable=False),
        sa.Column('gram', sa.String(length=2), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_person_name_gram_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('estate_id', 'gram', 'name', 'person_id',
                                name=op.f('pk_person_name_gram')),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_person_name_gram_person_id'), 'person_name_gram', ['person_id'],
                    unique=False)
    _fill()
    if sqlite:
        create_sqlite_triggers()
    else:
        op.execute(_PG_INSERT)
        op.execute(_PG_UPDATE)
        op.execute("""
            CREATE TRIGGER person_name_gram_insert AFTER INSERT ON person
            REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION person_name_gram_insert()""")
        op.execute("""
            CREATE TRIGGER person_name_gram_update AFTER UPDATE OF name, estate_id ON person
            FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                               OR OLD.estate_id IS DISTINCT FROM NEW.estate_id)
            EXECUTE FUNCTION person_name_gram_update()""")
        op.create_index('ix_unit_estate_code_pattern', 'unit', ['estate_id', 'code'],
                        postgresql_ops={'code': 'text_pattern_ops'})
        op.create_index('ix_vehicle_estate_plate_pattern', 'vehicle', ['estate_id', 'plate'],
                        postgresql_ops={'plate': 'text_pattern_ops'})
    for table in ('person', 'person_name_gram', 'occupancy', 'unit', 'vehicle'):
        op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS person_name_gram_{name}")
    else:
        op.drop_index('ix_vehicle_estate_plate_pattern', table_name='vehicle')
        op.drop_index('ix_unit_estate_code_pattern', table_name='unit')
        op.execute("DROP TRIGGER IF EXISTS person_name_gram_update ON person")
        op.execute("DROP TRIGGER IF EXISTS person_name_gram_insert ON person")
        op.execute("DROP FUNCTION IF EXISTS person_name_gram_update()")
        op.execute("DROP FUNCTION IF EXISTS person_name_gram_insert()")
    op.drop_index(op.f('ix_person_name_gram_person_id'), table_name='person_name_gram')
    op.drop_table('person_name_gram')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_estate_id_tail')
        batch_op.drop_index('ix_person_estate_phone_tail')
        batch_op.drop_index('ix_person_estate_name')
        batch_op.create_index('ix_person_id_tail', ['id_tail'], unique=False)
        batch_op.create_index('ix_person_phone_tail', ['phone_tail'], unique=False)
        batch_op.create_index('ix_person_name', ['name'], unique=False)
