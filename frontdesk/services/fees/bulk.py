"""Writing a table's rows in batches of thousands, inside the session's transaction.

Each batch is one DB-API ``executemany``, or with psycopg one ``COPY``, which PostgreSQL runs
with the same constraints, indexes and triggers as an INSERT. The batch is written by a thread
of its own, so that the caller computes the next batch meanwhile: the database's work (SQLite's
and psycopg's calls let other threads run) overlaps the caller's.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from itertools import repeat

import sqlalchemy as sa

from frontdesk.extensions import db

#: rows of a COPY formatted and sent at a time
COPY_SLICE = 1000


class RowWriter:
    """Inserts batches of rows into one table on the session's connection.

    Values come by column (``varying``: a list per column; ``constants``: one value for every
    row), so each column's bind processor runs once per distinct value: a bill run's lines
    repeat few prices, amounts and dates.

    ``write`` prepares the batch, hands it to a worker thread and returns; the next ``write``
    or ``wait`` first waits for it. The caller may use the connection meanwhile (psycopg
    serialises a connection's use, and SQLite connections are serialised by the library). A
    unique or foreign key violation raises sa.exc.IntegrityError, from ``write`` or ``wait``;
    ``close`` must follow in any case.
    """

    def __init__(self, table: sa.Table):
        self.table = table
        self._worker: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def write(self, n: int, varying: dict[str, list], constants: dict) -> None:
        self.wait()
        conn = db.session.connection()
        dialect = conn.dialect
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            job = _copy, *_copy_data(conn, self.table, n, varying, constants)
        else:
            job = _executemany, *_executemany_data(conn, self.table, n, varying, constants)
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rows")
        run, sql, data = job
        self._pending = self._worker.submit(run, conn.connection.driver_connection, dialect,
                                            sql, data)

    def wait(self) -> None:
        """Wait for the batch being written, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the batch being written and stop the worker; raises nothing."""
        if self._pending is not None:
            self._pending.exception()
            self._pending = None
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None


def _columns(table: sa.Table, dialect, n: int, keys: list[str], varying: dict[str, list],
             constants: dict) -> list:
    """Return each column's values as the driver takes them (bind processors applied)."""
    columns = []
    for key in keys:
        process = table.c[key].type.bind_processor(dialect)
        if key in constants:
            value = constants[key]
            columns.append(repeat(process(value) if process else value, n))
        elif process is None:
            columns.append(varying[key])
        else:
            columns.append(list(map(_memoised(process), varying[key])))
    return columns


def _executemany_data(conn: sa.Connection, table: sa.Table, n: int, varying: dict[str, list],
                      constants: dict) -> tuple[str, list]:
    """Return an INSERT and its parameters, as ``execute(insert, rows)`` would send them."""
    dialect = conn.dialect
    keys = [*varying, *constants]
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    columns = _columns(table, dialect, n, [compiled.binds[name].key for name in names],
                       varying, constants)
    params = list(zip(*columns, strict=False)) if compiled.positional else [
        dict(zip(names, row, strict=True)) for row in zip(*columns, strict=False)]
    return compiled.string, params


def _executemany(raw, dialect, sql: str, params: list) -> None:
    """Run one executemany on the driver's connection (in the worker thread)."""
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, params)
    except dialect.dbapi.IntegrityError as e:
        raise sa.exc.IntegrityError(sql, None, e) from e
    finally:
        cursor.close()


def _copy_data(conn: sa.Connection, table: sa.Table, n: int, varying: dict[str, list],
               constants: dict) -> tuple[str, tuple]:
    """Return a COPY statement and what its rows are written from (in the worker thread)."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    keys = [*varying, *constants]
    sql = (f"COPY {quote(table.name)} ({', '.join(quote(table.c[k].name) for k in keys)}) "
           "FROM STDIN")
    # one column's values share a type and (bound) a scale: equal values, equal text
    texts = [_memoised(_text) if process is None else _memoised(lambda v, p=process: _text(p(v)))
             for process in (table.c[k].type.bind_processor(dialect) for k in varying)]
    tail = "".join(f"\t{_text(_processed(table, dialect, k, v))}" for k, v in constants.items())
    return sql, (n, list(varying.values()), texts, f"{tail}\n")


def _copy_rows(n: int, columns: list[list], texts: list, end: str) -> Iterator[str]:
    """Yield the rows in PostgreSQL's text format, a slice at a time."""
    for start in range(0, n, COPY_SLICE):
        stop = min(n, start + COPY_SLICE)
        cells = [list(map(text, column[start:stop])) for column, text in zip(columns, texts,
                                                                           strict=True)]
        yield end.join(map("\t".join, zip(*cells, strict=True))) + end


def _processed(table: sa.Table, dialect, key: str, value):
    process = table.c[key].type.bind_processor(dialect)
    return process(value) if process else value


def _text(value) -> str:
    """Write a value as COPY's text format reads it."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                     .replace("\r", "\\r"))
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)  # int, Decimal (bind processors give them their column's scale)


def _copy(raw, dialect, sql: str, data: tuple) -> None:
    """Run one COPY on the driver's connection (in the worker thread), formatting the rows a
    slice at a time so that the server works on the first while the next are written."""
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for text in _copy_rows(*data):
                copy.write(text)
    except dialect.dbapi.IntegrityError as e:
        raise sa.exc.IntegrityError(sql, None, e) from e


def _memoised(process):
    cache: dict = {}

    def convert(value):
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = process(value)
            return out

    return convert
