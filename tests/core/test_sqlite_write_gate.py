"""The SQLite write gate (app.db): threads of a process queue on a lock for BEGIN IMMEDIATE, another process is
polled for, a transaction that ends by any path lets the gate go, and a wait past the limit is an OperationalError
(the API answers it 503), never a hang."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from app.db import _SqliteWriteGate, make_engine, sqlite_write_gate


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def _increment(engine: sa.Engine, times: int, errors: list[BaseException]) -> None:
    try:
        for _ in range(times):
            with engine.begin() as conn:
                n = conn.execute(sa.text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                conn.execute(sa.text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
    except BaseException as exc:  # noqa: BLE001 — reported by the test
        errors.append(exc)


def test_threads_and_a_second_engine_write_in_turn(engine, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")  # another process's engine: its own gate
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_increment, args=(e, 25, errors)) for e in [engine] * 6 + [other] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:  # read-modify-write in 200 transactions, none lost
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 200
    assert not sqlite_write_gate(engine).lock.locked()  # type: ignore[union-attr]
    other.dispose()


def test_every_way_a_transaction_ends_lets_the_gate_go(engine):
    gate = sqlite_write_gate(engine)
    assert gate is not None
    with engine.begin():
        assert gate.lock.locked()
    assert not gate.lock.locked()
    with pytest.raises(ZeroDivisionError), engine.begin():
        1 / 0  # noqa: B018 — rolled back
    assert not gate.lock.locked()
    conn = engine.connect()
    conn.execute(sa.text("SELECT 1"))  # autobegins
    assert gate.lock.locked()
    conn.close()  # closed without commit or rollback
    assert not gate.lock.locked()


def test_a_writer_held_elsewhere_past_the_limit_is_an_operational_error(tmp_path):
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    waiter = sqlite3.connect(path, isolation_level=None)
    gate = _SqliteWriteGate(wait_seconds=0.2)
    with pytest.raises(sa.exc.OperationalError, match="locked"):
        gate._begin_immediate(waiter)
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000  # restored for the other statements
    holder.execute("COMMIT")
    gate._begin_immediate(waiter)  # free again: no wait
    waiter.execute("COMMIT")
    holder.close()
    waiter.close()
