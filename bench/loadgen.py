"""An open-loop HTTP/1.1 load generator for latency at a fixed rate.

wrk is closed-loop: when the server slows down, wrk sends less, and the latency it reports hides the queueing
(coordinated omission). Here request i is due at t0 + i/rate whatever happens; its latency is measured from that
due time to the last byte of the response, so waiting for a free connection counts. Plain asyncio streams keep
the client cheap (≈ 0.1 ms of CPU per request), which matters when it shares two cores with the server and
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.common import percentile


@dataclass
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LatencyRun:
    rate: float
    seconds: float
    sent: int
    latencies_ms: list[float]
    statuses: Counter[int]
    errors: int

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def achieved_rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (f"rate {self.rate:.0f}/s for {self.seconds:.0f}s: sent {self.sent}, ok {self.ok}, "
                f"statuses {dict(self.statuses)}, errors {self.errors}, p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms, "
                f"max {max(self.latencies_ms, default=float('nan')):.1f} ms")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _open_loop(host: str, port: int, requests: list[Request], rate: float, seconds: float,
                     connections: int, timeout: float) -> LatencyRun:
    payloads = [r.encode(f"{host}:{port}") for r in requests]
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = await idle.get()
        reader, writer = conn
        try:
            writer.write(payloads[i % len(payloads)])
            status = await asyncio.wait_for(_read_response(reader), timeout)
            statuses[status] += 1
            latencies.append((loop.time() - due) * 1000)
            idle.put_nowait(conn)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            writer.close()
            try:
                idle.put_nowait(await asyncio.open_connection(host, port))
            except OSError:
                pass

    tasks = []
    t0 = loop.time() + 0.05
    for i in range(total):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        _, writer = idle.get_nowait()
        writer.close()
    return LatencyRun(rate, seconds, total, latencies, statuses, errors)


def open_loop(base_url: str, requests: list[Request], *, rate: float, seconds: float, connections: int = 64,
              timeout: float = 30.0) -> LatencyRun:
    host_port = base_url.split("://", 1)[1].rstrip("/")
    host, _, port = host_port.partition(":")
    started = time.perf_counter()
    result = asyncio.run(_open_loop(host, int(port or 80), requests, rate, seconds, connections, timeout))
    result.seconds = max(seconds, time.perf_counter() - started - 0.05) if result.sent else seconds
    return result
