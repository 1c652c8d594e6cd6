"""`zhuqi serve --workers N` keeps TCP_NODELAY on the connections (Kludex/uvicorn#3149): the listening socket the
workers share carries the option, which accepted sockets inherit."""

from __future__ import annotations

import socket

from app.core import serving


class FakeMultiprocess:
    seen: list[socket.socket] = []

    def __init__(self, config, sockets):  # type: ignore[no-untyped-def]
        FakeMultiprocess.seen = sockets
        self.workers = config.workers

    def run(self) -> None:
        pass


def test_listener_for_several_workers_has_nodelay(monkeypatch):
    monkeypatch.setattr(serving, "Multiprocess", FakeMultiprocess)
    serving.run("app.main:create_app", host="127.0.0.1", port=0, workers=2, log_level="warning")
    (listener,) = FakeMultiprocess.seen
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # inherited on accept
        client.close()
        accepted.close()
    finally:
        listener.close()
