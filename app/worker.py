"""Background work: the SLA sweeper, the outbox dispatcher and housekeeping (rows past their retention).

Each job is a plain function `run(engine, settings, now) -> int` (how much it did) that tests call directly.
`zhuqi worker` runs them in a loop; `zhuqi serve` runs the same loop in a daemon thread — inside the server process
with one server process, in the supervisor with `--workers N` (`start_beside`), so a server has one worker whatever
N is. Both hold DingTalk's Stream connection in Stream mode (run_until_stopped): one Stream connection per worker,
not per server process. Every job is safe with any number of loops running at once (row locks, compare-and-set,
unique constraints).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

import app.models  # noqa: F401  # every table in the metadata before a mapper configures (appeal.visit_id -> visit)
from app.config import Settings
from app.deps import system_clock

log = logging.getLogger("app.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval: Callable[[Settings], float]
    run: Callable[[Engine, Settings, datetime], int]


def registered_jobs() -> list[Job]:
    """Jobs are registered here, next to nothing else, so the worker has one list to read."""
    from app.appeals.sweeper import sweep_job
    from app.core.housekeeping import housekeeping_job
    from app.dingtalk import dispatch as dingtalk_dispatch
    from app.notifications import dispatcher
    from app.visits.revisits import revisit_job

    return [
        Job("sweeper", lambda s: s.sweep_interval_seconds, sweep_job),
        Job("dispatcher", lambda s: s.dispatch_interval_seconds, dispatcher.run_job),
        Job("housekeeping", lambda s: s.housekeeping_interval_seconds, housekeeping_job),
        Job("dingtalk", lambda s: s.dispatch_interval_seconds, dingtalk_dispatch.run_job),
        Job("revisit", lambda s: s.sweep_interval_seconds, revisit_job),
    ]


def run_loop(engine: Engine, settings: Settings, stop: threading.Event,
             clock: Callable[[], datetime] = system_clock) -> None:
    jobs = registered_jobs()
    next_run = {job.name: 0.0 for job in jobs}
    elapsed = 0.0
    tick = min([job.interval(settings) for job in jobs] + [1.0])
    while not stop.is_set():
        for job in jobs:
            if elapsed + 1e-9 < next_run[job.name]:
                continue
            next_run[job.name] = elapsed + job.interval(settings)
            try:
                job.run(engine, settings, clock())
            except Exception:  # one failed round must not kill the loop; the next round retries
                log.exception("background job %s failed", job.name)
        if stop.wait(tick):
            break
        elapsed += tick


def run_until_stopped(engine: Engine, settings: Settings, stop: threading.Event,
                      clock: Callable[[], datetime] = system_clock) -> None:
    """The jobs' loop and, with ZHUQI_DINGTALK_MODE=stream, DingTalk's Stream connection beside it — in
    `zhuqi worker` and in `zhuqi serve`'s in-process worker alike, so a single-process deployment (the demo, an
    intranet box) receives robot messages and card clicks without a separate worker. The connection closes
    (its state row says `stopped`) when the loop ends."""
    from app.dingtalk import setup as dingtalk_setup

    stream = dingtalk_setup.start_stream(engine, settings, clock=clock)
    try:
        run_loop(engine, settings, stop, clock)
    finally:
        if stream is not None:
            stream.stop()


def start_in_process(engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> threading.Event:
    """`zhuqi serve` with ZHUQI_RUN_WORKERS_IN_PROCESS: the worker in a daemon thread; setting the event stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_until_stopped, args=(engine, settings, stop, clock), name="zhuqi-worker",
                              daemon=True)
    thread.start()
    log.info("background jobs running in-process: %s", ", ".join(j.name for j in registered_jobs()) or "none")
    return stop


def _worker_engine(settings: Settings) -> Engine:
    """A process that runs the worker outside the app factory: subscribers, registries and caches as the app has."""
    from app import wiring
    from app.core import refcache
    from app.db import make_engine

    wiring.install(settings)  # subscribers and registries, DingTalk's included, bound to these settings
    engine = make_engine(settings.database_url)
    refcache.configure(engine, settings.cache_seconds)
    return engine


def start_beside(settings: Settings, *, join_seconds: float = 30.0) -> Callable[[], None]:
    """`zhuqi serve --workers N`: the one worker of the server, in a thread of the supervisor process (the N server
    processes run none). Returns what stops it: the loop ends, the Stream connection closes (state `stopped`),
    the engine is disposed."""
    engine = _worker_engine(settings)
    stop = threading.Event()
    thread = threading.Thread(target=run_until_stopped, args=(engine, settings, stop), name="zhuqi-worker",
                              daemon=True)
    thread.start()
    log.info("background jobs running beside the server processes: %s",
             ", ".join(j.name for j in registered_jobs()) or "none")

    def stop_worker() -> None:
        stop.set()
        thread.join(join_seconds)
        engine.dispose()

    return stop_worker


def run_worker(settings: Settings, *, once: bool = False) -> int:
    engine = _worker_engine(settings)
    if once:
        for job in registered_jobs():
            log.info("%s: %d", job.name, job.run(engine, settings, system_clock()))
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("worker started: %s", ", ".join(j.name for j in registered_jobs()) or "no jobs")
    run_until_stopped(engine, settings, stop)  # ZHUQI_DINGTALK_MODE=stream: with DingTalk's Stream link
    engine.dispose()
    return 0
