"""Engine, metadata naming convention, UTC timestamps and the per-request session."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

T = TypeVar("T")

# Explicit, stable constraint names so Alembic diffs are reproducible on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, also on SQLite (which stores no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return sa.Column(UtcDateTime(), nullable=nullable, index=index)


# A request that cannot get a connection within this many seconds is answered 503 at once (app.core.overload),
# never after SQLAlchemy's default 30 s; the API takes it from ZHUQI_DB_POOL_TIMEOUT_SECONDS (engine_for).
DEFAULT_POOL_TIMEOUT_SECONDS = 5.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A failing statement's error must not carry its parameters (what a user or a liaison typed) into a log line.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_timeout", DEFAULT_POOL_TIMEOUT_SECONDS)
    return sa.create_engine(url, **kwargs)


def engine_for(settings: Any) -> Engine:
    """The engine of an API process, sized by ZHUQI_DB_POOL_SIZE / _MAX_OVERFLOW / _POOL_TIMEOUT_SECONDS
    (PostgreSQL; SQLite keeps SQLAlchemy's pool: its file lock admits one writer anyway)."""
    if settings.is_sqlite:
        return make_engine(settings.database_url)
    return make_engine(settings.database_url, pool_size=settings.db_pool_size,
                       max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout_seconds)


SQLITE_BUSY_TIMEOUT_MS = 30_000


class _SqliteWriteGate:
    """Every SQLite transaction here begins with BEGIN IMMEDIATE, so one connection at a time may be in one. Threads of
    this process queue on a lock (woken in turn, no sleeping) and only the one at the head asks SQLite; against another
    process it polls every 0.5–4 ms instead of SQLite's busy handler, whose sleeps grow to 100 ms and made the tail
    of a burst (issue 20: 20 chatbot callbacks at once, p99 773 ms). The lock is let go when the transaction ends,
    and, as a safety net, when its connection goes back to the pool."""

    FLAG = "zhuqi.holds_write_gate"

    def __init__(self, wait_seconds: float) -> None:
        self.lock = threading.Lock()
        self.wait_seconds = wait_seconds

    def begin(self, conn: sa.Connection) -> None:
        if not self.lock.acquire(timeout=self.wait_seconds):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        conn.info[self.FLAG] = True
        try:
            self._begin_immediate(conn.connection.driver_connection)
        except BaseException:
            self.release(conn.info)
            raise

    def _begin_immediate(self, raw: sqlite3.Connection) -> None:
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.0005
        raw.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.004)
        finally:
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def release(self, info: dict[str, Any]) -> None:
        if info.pop(self.FLAG, False):
            self.lock.release()


_GATES: weakref.WeakKeyDictionary[Engine, _SqliteWriteGate] = weakref.WeakKeyDictionary()


def sqlite_write_gate(engine: Engine) -> _SqliteWriteGate | None:
    return _GATES.get(engine)


def _configure_sqlite(engine: Engine) -> None:
    gate = _GATES[engine] = _SqliteWriteGate(SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: concurrent writers queue (on the gate) instead of failing
        # with "database is locked" when a deferred reader tries to upgrade.
        gate.begin(conn)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: sa.Connection) -> None:
        gate.release(conn.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            gate.release(record.info)


def session_for(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def iter_session(engine: Engine) -> Iterator[Session]:
    with session_for(engine) as session:
        yield session


def release(session: Session) -> None:
    """Ends the session's transaction, if any, and so returns its connection to the pool. Loaded objects stay
    attached (expired: the next access reloads them in a new transaction). Nothing uncommitted survives it: a use
    case commits before it returns. Cheap when the session holds no connection."""
    if session.in_transaction():
        session.rollback()


_INSERTS: dict[tuple[str, tuple[tuple[str, int], ...]], Any] = {}
_DEFAULTS: dict[type, tuple[dict[str, Any], dict[str, Callable[[], Any]]]] = {}
M = TypeVar("M", bound=SQLModel)


def new_row(model: type[M], **values: Any) -> M:
    """A new row object for `insert_row`, built the way the ORM builds the rows it loads: fields' defaults and the
    values go straight into the instance, without SQLModel's per-attribute `__init__` (20× cheaper; table models
    are not validated on `__init__` either). The object is transient and behaves like any other afterwards."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        sa.orm.configure_mappers()
        static = {name: f.default for name, f in model.model_fields.items()
                  if not f.is_required() and f.default_factory is None}
        factories = {name: f.default_factory for name, f in model.model_fields.items()
                     if f.default_factory is not None}
        defaults = _DEFAULTS.setdefault(model, (static, factories))  # type: ignore[arg-type]
    row: M = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    state = row.__dict__
    state.update(defaults[0])
    for name, factory in defaults[1].items():
        if name not in values:
            state[name] = factory()
    state.update(values)
    return row


def insert_row(session: Session, row: SQLModel) -> int:
    """INSERTs a new row's set columns with one Core statement and returns its id; the object stays transient
    (outside the session), with `id` set. For the rows written on every intake and action — the appeal and its
    events — where the unit of work's bookkeeping cost more than the INSERT itself (bench/RESULTS.md). Whatever
    the session holds pending is flushed first, so foreign keys see their rows in order.

    A column set to an SQL expression (the appeal's number on PostgreSQL: app.appeals.numbering) is computed by
    the INSERT itself and its value set on the row from RETURNING. The statement is cached per table and
    expression object, so an expression must be a long-lived object, not built per call."""
    session.flush()
    table = type(row).__table__  # type: ignore[attr-defined]
    values, computed = _values_of(table, row)
    cache_key = (table.name, tuple((key, id(expression)) for key, expression in computed.items()))
    statement = _INSERTS.get(cache_key)
    if statement is None:
        insert = table.insert().values(computed) if computed else table.insert()
        statement = _INSERTS.setdefault(cache_key, insert.returning(table.c.id, *(table.c[key] for key in computed)))
    # On the session's connection, not session.execute: a plain Core statement needs none of the ORM's
    # statement handling, which cost as much again as the INSERT.
    returned = session.connection().execute(statement, values).one()
    for key, value in zip(computed, returned[1:], strict=True):
        setattr(row, key, value)
    new_id = int(returned[0])
    row.id = new_id  # type: ignore[attr-defined]
    return new_id


def insert_with_child(session: Session, parent: SQLModel, child: SQLModel, *, fk: str) -> None:
    """`insert_row` for a new row and a new row that refers to it (`child.<fk>` = the parent's id) — an appeal and
    the event of its filing — in one round trip on PostgreSQL: the parent's INSERT is a data-modifying CTE that the
    child's INSERT … SELECT reads (issue 20: one statement fewer per intake). SQLite: two INSERTs. Both rows get
    their ids (and the parent its computed columns), as with `insert_row`."""
    if not is_postgres(session):
        insert_row(session, parent)
        setattr(child, fk, parent.id)  # type: ignore[attr-defined]
        insert_row(session, child)
        return
    session.flush()
    parent_table, child_table = type(parent).__table__, type(child).__table__  # type: ignore[attr-defined]
    parent_values, computed = _values_of(parent_table, parent)
    child_values, child_computed = _values_of(child_table, child)
    if child_computed:
        raise ValueError("insert_with_child: the child row cannot carry SQL expressions")
    child_values.pop(fk, None)
    cache_key = ("with_child", parent_table.name, child_table.name, fk, tuple(parent_values),
                 tuple((key, id(expression)) for key, expression in computed.items()), tuple(child_values))
    statement = _INSERTS.get(cache_key)
    if statement is None:
        statement = _INSERTS.setdefault(cache_key, _insert_with_child_statement(
            parent_table, child_table, fk, list(parent_values), computed, list(child_values)))
    params = {**{f"p_{key}": value for key, value in parent_values.items()},
              **{f"c_{key}": value for key, value in child_values.items()}}
    child_id, parent_id, *returned = session.connection().execute(statement, params).one()
    for key, value in zip(computed, returned, strict=True):
        setattr(parent, key, value)
    parent.id = int(parent_id)  # type: ignore[attr-defined]
    setattr(child, fk, int(parent_id))
    child.id = int(child_id)  # type: ignore[attr-defined]


def _insert_with_child_statement(parent_table: sa.Table, child_table: sa.Table, fk: str, parent_keys: list[str],
                                 computed: dict[str, sa.ColumnElement[Any]], child_keys: list[str]) -> Any:
    # WITH parent_row AS (INSERT INTO parent … RETURNING id, <computed>)
    # INSERT INTO child (fk, …) SELECT parent_row.id, … FROM parent_row RETURNING child.id, child.fk, <computed>
    parent_insert = (
        parent_table.insert()
        .values({**{key: sa.bindparam(f"p_{key}", type_=parent_table.c[key].type) for key in parent_keys},
                 **computed})
        .returning(parent_table.c.id, *(parent_table.c[key] for key in computed))
        .cte("parent_row")
    )
    rows = sa.select(parent_insert.c.id,
                     *(sa.bindparam(f"c_{key}", type_=child_table.c[key].type) for key in child_keys))
    return (
        child_table.insert()
        .from_select([child_table.c[fk], *(child_table.c[key] for key in child_keys)], rows)
        .returning(child_table.c.id, child_table.c[fk],
                   *(sa.select(parent_insert.c[key]).scalar_subquery() for key in computed))
        .add_cte(parent_insert)
    )


def _values_of(table: sa.Table, row: SQLModel) -> tuple[dict[str, Any], dict[str, sa.ColumnElement[Any]]]:
    """A new row's set columns (None = not set: the column's default applies) and those set to SQL expressions."""
    values: dict[str, Any] = {}
    computed: dict[str, sa.ColumnElement[Any]] = {}
    state = row.__dict__  # a new row's values live here; the instrumented getattr cost 2 µs a column
    for column in table.columns:
        value = state.get(column.key)
        if isinstance(value, sa.ColumnElement):
            computed[column.key] = value
        elif value is not None:
            values[column.key] = value
    return values, computed


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_MEMO = "zhuqi.memo"


def memo(session: Session, key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """Reference data read several times by one use case (policies, the calendar, the unit ladder) is loaded
    once per transaction: the memo lives in the session and is dropped at every commit and rollback, so the
    next transaction reads fresh rows and nothing is cached across requests or processes."""
    cache: dict[tuple[Any, ...], Any] = session.info.setdefault(_MEMO, {})
    if key not in cache:
        cache[key] = load()
    return cache[key]  # type: ignore[no-any-return]


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_memo(session: OrmSession, *_: Any) -> None:
    session.info.pop(_MEMO, None)
