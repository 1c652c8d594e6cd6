"""Runs an ASGI app factory under uvicorn, as `uvicorn.run` does, with one fix for `--workers N`.

With several workers uvicorn binds the listening socket itself and hands it to the worker processes; that socket
is created with `proto=0`, so asyncio never sets TCP_NODELAY on the connections it accepts (it checks
`proto == IPPROTO_TCP`), and on Linux every keep-alive response written in two segments (headers, then body)
waits for the client's delayed ACK: +40 ms per request (Kludex/uvicorn#3149). Setting TCP_NODELAY on the listening
socket fixes it: accepted sockets inherit the option. A single worker is not affected (asyncio binds that socket).

With N workers, `beside` (if given) is started in the supervisor process — the one process that lives as long as
the server and is not restarted with a worker — after the metrics directory is set and before the workers are
spawned; the callable it returns is called once they have stopped. `zhuqi serve --workers N` runs its single
background worker (jobs and DingTalk's Stream connection) there, so there is one of it, not N.

`python -m app.core.serving MODULE:FACTORY [--host H] [--port P] [--workers N]` is what `zhuqi serve` and the
benchmarks run.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess


def run(factory: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info",
        access_log: bool = True, beside: Callable[[], Callable[[], None]] | None = None) -> None:
    from app.config import get_settings
    from app.core.logging import configure_logging

    # uvicorn's own lines (and the supervisor's, with N workers) go through our handler: JSON in prod, like the app's.
    configure_logging(get_settings().effective_log_format)
    config = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                            access_log=access_log, log_config=None)
    if config.workers <= 1:
        uvicorn.Server(config).run()
        return
    before = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    prepare_metrics_dir()
    stop_beside = None
    try:
        sock = config.bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stop_beside = beside() if beside is not None else None
        Multiprocess(config, sockets=[sock]).run()
    finally:  # only the workers needed it (a caller in-process, e.g. a test, keeps its environment)
        if stop_beside is not None:
            stop_beside()
        if before is None:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def prepare_metrics_dir() -> Path:
    """N workers share their counters through files (prometheus-client's multiprocess mode, app.core.metrics): the
    directory is set in the environment before the workers are spawned (they inherit it) and emptied first, so a
    restart does not add the previous run's counts. An operator's PROMETHEUS_MULTIPROC_DIR is used as given."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="zhuqi-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.core.serving")
    parser.add_argument("factory", help="import string of an app factory, e.g. app.main:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    run(args.factory, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level,
        access_log=not args.no_access_log)


if __name__ == "__main__":
    main()
