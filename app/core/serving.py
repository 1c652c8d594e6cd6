"""Runs an ASGI app factory under uvicorn, as `uvicorn.run` does, with one fix for `--workers N`.

With several workers uvicorn binds the listening socket itself and hands it to the worker processes; that socket
is created with `proto=0`, so asyncio never sets TCP_NODELAY on the connections it accepts (it checks
`proto == IPPROTO_TCP`), and on Linux every keep-alive response written in two segments (headers, then body)
waits for the client's delayed ACK: +40 ms per request (Kludex/uvicorn#3149). Setting TCP_NODELAY on the listening
socket fixes it: accepted sockets inherit the option. A single worker is not affected (asyncio binds that socket).

`python -m app.core.serving MODULE:FACTORY [--host H] [--port P] [--workers N]` is what `zhuqi serve` and the
benchmarks run.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def run(factory: str, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info",
        access_log: bool = True) -> None:
    config = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                            access_log=access_log)
    if config.workers <= 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


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
