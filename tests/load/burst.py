"""A burst client: N connections opened first, then one request on each sent at the same instant (and with
`rounds` > 1 the next one on a connection as soon as its answer arrived); a latency runs from the moment its
request was sent (for the first round: the burst's start) to the response's last byte. Plain asyncio streams keep the client cheap (it shares two
cores with the server and PostgreSQL); httpx's pool costs more than the server under 200 connections.
Shared by tests/load/test_burst.py and bench/bench_burst.py."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def encode(self, host: str) -> bytes:
        payload = b"" if self.body is None else json.dumps(self.body, ensure_ascii=False).encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(payload)}"]
        if self.body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    call: int = -1  # the index of the call it answers

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Burst:
    connections: int
    replies: list[Reply]
    latencies_ms: list[float]
    timeouts: int
    errors: list[str]
    seconds: float

    @property
    def statuses(self) -> Counter[int]:
        return Counter(r.status for r in self.replies)

    @property
    def per_second(self) -> float:
        return len(self.replies) / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(1 for r in self.replies if r.status >= 500)

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]

    def summary(self) -> str:
        return (f"{self.connections} connections: statuses {dict(sorted(self.statuses.items()))}, timeouts "
                f"{self.timeouts}, errors {len(self.errors)}, p50 {self.percentile(50):.0f} ms, p99 "
                f"{self.percentile(99):.0f} ms, max {max(self.latencies_ms, default=float('nan')):.0f} ms")


async def _read(reader: asyncio.StreamReader) -> Reply:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "chunked" in headers.get("transfer-encoding", ""):
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                break
    elif headers.get("content-length"):
        body = await reader.readexactly(int(headers["content-length"]))
    return Reply(status, headers, body)


async def _burst(host: str, port: int, calls: list[Call], connections: int, timeout: float) -> Burst:
    loop = asyncio.get_running_loop()
    streams = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(connections)))
    payloads = [c.encode(f"{host}:{port}") for c in calls]
    rounds = len(payloads) // connections
    replies: list[Reply] = []
    latencies: list[float] = []
    errors: list[str] = []
    timeouts = 0
    start = loop.time()

    async def one(stream: tuple[asyncio.StreamReader, asyncio.StreamWriter], first: int) -> None:
        nonlocal timeouts
        reader, writer = stream
        try:
            for index in range(first, first + rounds):
                sent = loop.time()
                writer.write(payloads[index])
                reply = await asyncio.wait_for(_read(reader), timeout)
                latencies.append((loop.time() - sent) * 1000)
                reply.call = index
                replies.append(reply)
        except TimeoutError:
            timeouts += 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
        finally:
            writer.close()

    await asyncio.gather(*(one(stream, i * rounds) for i, stream in enumerate(streams)))
    return Burst(connections, replies, latencies, timeouts, errors, loop.time() - start)


def burst(base_url: str, call: Call | list[Call], connections: int, *, rounds: int = 1,
          timeout: float = 30.0) -> Burst:
    """`connections` connections, each sending `rounds` requests one after the other: the same `call` every time,
    or the calls of the list in turn (connection i sends calls i*rounds … i*rounds+rounds-1, cyclically)."""
    host, _, port = base_url.split("://", 1)[1].rstrip("/").partition(":")
    total = connections * rounds
    calls = [call] * total if isinstance(call, Call) else [call[i % len(call)] for i in range(total)]
    return asyncio.run(_burst(host, int(port or 80), calls, connections, timeout))
