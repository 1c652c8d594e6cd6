"""Background work: the SLA sweeper and the outbox dispatcher, as a loop (`zhuqi worker`) or in-process."""

from __future__ import annotations

import logging
import signal
import threading

from app.config import Settings

log = logging.getLogger("app.worker")


def run_worker(settings: Settings, *, once: bool = False) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("worker started (no background jobs registered yet)")
    while not once and not stop.wait(settings.sweep_interval_seconds):
        pass
    return 0
