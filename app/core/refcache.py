"""Reference data every request reads and admins rarely change — SLA policies, the urgency rules, the calendar,
the unit ladder, which units have chat channels, API keys — kept per process for a few seconds.

Why: each of these was one more round trip and ORM load on every intake (issue 9 measured the intake at 0.15× a
bare INSERT with them). What it costs: a change made through *another* process (API replica, worker) reaches this
one after at most `ZHUQI_CACHE_SECONDS` (default 5); a change made through this process is seen at once, because
every commit that touched a cached table clears the cache (ORM flushes and bulk statements on those tables are
both caught below). A revoked API key or a deactivated user therefore keeps working on other replicas for at most
those seconds. `ZHUQI_CACHE_SECONDS=0` turns the cache off.

One reload at a time: when a value expires, the first request to ask reloads it and, while it does, the others
are answered with the value it replaces (expired less than one more period ago), instead of every thread of both
workers reloading at the same instant — that stampede, every 5 s, made intake's p99 at half load 110–300 ms instead
of 40–55 ms (bench/RESULTS.md, issue 20). A change from another process is therefore seen within the expiry plus the
time of one reload.

The expiry uses the monotonic clock: it is infrastructure timing, like a connection pool's, not domain time.
Values must be immutable (frozen dataclasses, tuples, frozensets): they are shared between threads.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

T = TypeVar("T")

DEFAULT_SECONDS = 5.0
_CHANGED = "zhuqi.refcache.changed"
# Table names whose rows feed a cached value; a write to any of them clears the engine's cache at commit.
# For some tables only a few columns matter (a channel's send counters change with every message sent).
_TRACKED: dict[str, tuple[str, ...] | None] = {}


# Refusals (an unknown or revoked API key) are remembered too, so a flood of invented keys costs no query after
# the first of each; bounded, because the keys come from outside: the oldest refusal goes first.
MAX_REFUSALS = 10_000


class _Store:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.values: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self.refusals: dict[tuple[Any, ...], tuple[float, str]] = {}  # insertion order = age
        self.reloading: set[tuple[Any, ...]] = set()  # keys being reloaded right now (their old value is served)
        self.generation = 0
        self.lock = threading.Lock()


_stores: weakref.WeakKeyDictionary[Engine, _Store] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def track(*table_names: str, columns: tuple[str, ...] | None = None) -> None:
    """Declares tables whose changes must clear the cache (called by the modules that cache their rows);
    with `columns`, an update clears it only when one of those columns changed."""
    for name in table_names:
        _TRACKED[name] = columns


def configure(engine: Engine, seconds: float) -> None:
    with _stores_lock:
        _stores[engine] = _Store(seconds)


def _store(engine: Engine) -> _Store:
    store = _stores.get(engine)
    if store is None:
        with _stores_lock:
            store = _stores.setdefault(engine, _Store(DEFAULT_SECONDS))
    return store


def _usable_store(session: OrmSession) -> _Store | None:
    bind = session.get_bind()
    store = _store(bind if isinstance(bind, Engine) else bind.engine)
    if store.seconds <= 0 or session.info.get(_CHANGED):
        return None  # off, or the session changed reference data itself: it must see its own writes
    return store


def peek(session: OrmSession, key: tuple[Any, ...], *, now: Callable[[], float] = time.monotonic) -> Any | None:
    """The fresh cached value under `key` (or the one being reloaded right now), or None; never loads (no I/O:
    safe on the event loop)."""
    store = _usable_store(session)
    hit = store.values.get(key) if store is not None else None
    return hit[1] if hit is not None and _servable(store, key, hit[0], now()) else None  # type: ignore[arg-type]


def _servable(store: _Store, key: tuple[Any, ...], expires: float, moment: float) -> bool:
    return expires > moment or (key in store.reloading and expires + store.seconds > moment)


def cached(session: OrmSession, key: tuple[Any, ...], load: Callable[[], T], *,
           now: Callable[[], float] = time.monotonic) -> T:
    """The value under `key` for the session's database: from the process cache while fresh, else `load()` — by
    one caller at a time once it has expired: the others get the expiring value meanwhile (module docstring)."""
    store = _usable_store(session)
    if store is None:
        return load()
    moment = now()
    hit = store.values.get(key)
    if hit is not None and hit[0] > moment:
        return hit[1]  # type: ignore[no-any-return]
    claimed = False
    if hit is not None and hit[0] + store.seconds > moment:  # expired moments ago: reload it once
        with store.lock:
            if key in store.reloading:
                return hit[1]  # type: ignore[no-any-return]
            store.reloading.add(key)
            claimed = True
    generation = store.generation
    try:
        value = load()
    except BaseException:
        with store.lock:
            if store.values.get(key) is hit:
                store.values.pop(key, None)  # a reload that failed (a key revoked since) leaves nothing to serve
        raise
    finally:
        if claimed:
            with store.lock:
                store.reloading.discard(key)
    with store.lock:
        if store.generation == generation:  # not cleared while loading: the value is not older than the clear
            store.values[key] = (moment + store.seconds, value)
    return value


def refusal(session: OrmSession, key: tuple[Any, ...], *, now: Callable[[], float] = time.monotonic) -> str | None:
    """The reason `key` was refused moments ago in this process (see `refuse`), or None; no I/O."""
    store = _usable_store(session)
    hit = store.refusals.get(key) if store is not None else None
    return hit[1] if hit is not None and hit[0] > now() else None


def refuse(session: OrmSession, key: tuple[Any, ...], reason: str, *, generation: int | None = None,
           now: Callable[[], float] = time.monotonic) -> None:
    """Remembers for a few seconds that `key` was refused (for `reason`). With `generation` (from `generation()`
    before the load), not if the cache was cleared meanwhile: a key created since then must not be refused."""
    store = _usable_store(session)
    if store is None:
        return
    with store.lock:
        if generation is not None and store.generation != generation:
            return
        store.refusals.pop(key, None)
        while len(store.refusals) >= MAX_REFUSALS:
            del store.refusals[next(iter(store.refusals))]
        store.refusals[key] = (now() + store.seconds, reason)


def generation(session: OrmSession) -> int | None:
    store = _usable_store(session)
    return store.generation if store is not None else None


def clear(engine: Engine) -> None:
    store = _store(engine)
    with store.lock:
        store.values.clear()
        store.refusals.clear()
        store.generation += 1


def changed(session: OrmSession) -> None:
    """Marks the session's transaction as one that changed reference data: the cache is cleared when it commits."""
    session.info[_CHANGED] = True


def _engine_of(session: OrmSession) -> Engine | None:
    bind = session.bind
    if bind is None:
        return None
    return bind if isinstance(bind, Engine) else bind.engine


def _relevant_update(obj: Any, columns: tuple[str, ...] | None) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in columns or attrs.keys())


@event.listens_for(OrmSession, "before_flush")
def _on_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    # before_flush: attribute histories still hold the pending changes (after a flush they are reset).
    for obj in (*session.new, *session.deleted):
        if getattr(type(obj), "__tablename__", None) in _TRACKED:
            changed(session)
            return
    for obj in session.dirty:
        table = getattr(type(obj), "__tablename__", None)
        if table in _TRACKED and _relevant_update(obj, _TRACKED[table]):
            changed(session)
            return


@event.listens_for(OrmSession, "do_orm_execute")
def _on_bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is not None and mapper.local_table.name in _TRACKED:  # bulk statements: any column counts
            changed(state.session)


@event.listens_for(OrmSession, "after_commit")
def _on_commit(session: OrmSession) -> None:
    if session.info.pop(_CHANGED, None):
        engine = _engine_of(session)
        if engine is not None:
            clear(engine)


@event.listens_for(OrmSession, "after_soft_rollback")
def _on_rollback(session: OrmSession, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)
