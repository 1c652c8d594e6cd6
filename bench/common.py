"""Shared plumbing for the benchmarks: results, the machine, databases, uvicorn servers, wrk and an open-loop
load generator. Every benchmark module (`bench/bench_*.py`) exposes `run(ctx: Context) -> list[Result]`.

Nothing here is imported by the app; the app never imports `bench`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "bench" / "out"  # generated details (EXPLAIN plans, raw figures); git-ignored
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_SECRET = "bench-secret-key-" + "b" * 32


@dataclass
class Result:
    """One target: the figure, its baseline (measured in the same run) and whether it meets the target."""

    name: str
    figure: float | None
    unit: str
    target: str
    passed: bool | None  # None: informational, or not measurable here (hook)
    baseline: str = ""
    detail: str = ""

    def line(self) -> str:
        verdict = {True: "PASS", False: "SHORT", None: "INFO"}[self.passed]
        fig = "—" if self.figure is None else f"{self.figure:,.3g}" if abs(self.figure) < 1000 else f"{self.figure:,.0f}"
        text = f"{self.name:<34} {fig:>10} {self.unit:<6} target {self.target:<12} {verdict:<5}"
        if self.baseline:
            text += f"  [{self.baseline}]"
        if self.detail:
            text += f"  {self.detail}"
        return text


def machine() -> dict[str, Any]:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "kernel": platform.release()}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Context:
    """What a benchmark module gets: flags, where PostgreSQL is, helpers, and a place for details."""

    quick: bool = False
    pg: str = DEFAULT_PG
    reseed: bool = False
    appeals: int = 1_000_000
    compare: Path | None = None  # another copy of the code, benchmarked side by side as "before"
    details: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="zhuqi-bench-")))

    # -- reporting -------------------------------------------------------------------------------------------
    def log(self, message: str) -> None:
        stamp = f"{time.monotonic() - self.started:7.1f}s"
        print(f"  · {stamp} {message}", file=sys.stderr, flush=True)

    def detail(self, title: str, text: str) -> None:
        """Kept for RESULTS.md: EXPLAIN plans, per-round figures."""
        self.details.append(f"### {title}\n\n```\n{text.rstrip()}\n```\n")

    # -- databases -------------------------------------------------------------------------------------------
    def pg_url(self, database: str) -> str:
        return f"{self.pg}/{database}"

    def pg_version(self) -> str:
        engine = sa.create_engine(self.pg_url("postgres"))
        with engine.connect() as conn:
            version = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
        engine.dispose()
        return version

    def pg_exists(self, database: str) -> bool:
        engine = sa.create_engine(self.pg_url("postgres"))
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first()
        engine.dispose()
        return found is not None

    def fresh_pg(self, database: str) -> str:
        """Drops and re-creates a benchmark database (only names starting with bench_ are touched)."""
        assert database.startswith("bench_"), database
        engine = sa.create_engine(self.pg_url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
        return self.pg_url(database)

    def sqlite_url(self, name: str) -> str:
        path = self.workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for the real app under uvicorn: no in-process worker, test secrets."""
    return {"ZHUQI_DATABASE_URL": database_url, "ZHUQI_ENV": "test", "ZHUQI_SECRET_KEY": BENCH_SECRET,
            "ZHUQI_RUN_WORKERS_IN_PROCESS": "false", **extra}


@contextmanager
def serve(target: str, env: dict[str, str], *, workers: int = 2, ready_path: str = "/healthz",
          log_path: Path | None = None, code_dir: Path = REPO) -> Iterator[str]:
    """Runs uvicorn on the app factory `target` with the same settings for every server we compare; yields its URL.
    `code_dir` serves another copy of the code (e.g. the commit before an optimisation) for a before/after."""
    port = free_port()
    launcher = code_dir / "app" / "core" / "serving.py"
    if not launcher.exists():  # an older copy of the code (--compare): serve it the same way
        shutil.copy(REPO / "app" / "core" / "serving.py", launcher)
    # The launcher of `zhuqi serve` (uvicorn with TCP_NODELAY kept for --workers N, see app.core.serving).
    cmd = [sys.executable, "-m", "app.core.serving", target, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    full_env = {**os.environ, **env, "PYTHONPATH": str(code_dir)}
    log = open(log_path or os.devnull, "ab")  # noqa: SIM115 — closed below
    proc = subprocess.Popen(cmd, cwd=code_dir, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited with {proc.returncode} before it was ready")
            try:
                if httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} not ready after 60 s")
            time.sleep(0.2)
        yield base
    finally:
        stop_group(proc)
        log.close()


def stop_group(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stops a server we started in its own session (uvicorn and its worker processes)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


# -- wrk (closed loop: maximum throughput) -----------------------------------------------------------------------

@dataclass
class WrkRun:
    rps: float
    requests: int
    errors: int  # non-2xx responses plus socket errors
    p50_ms: float
    p99_ms: float
    raw: str


def _lua_string(value: str) -> str:
    level = "=" * 3
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


def wrk_script(path: str, bodies: list[str], headers: dict[str, str], method: str = "POST") -> str:
    """A wrk Lua script cycling through the given bodies (one per request)."""
    header_lines = "\n".join(f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    body_list = ",\n".join(_lua_string(b) for b in bodies) or '""'
    return f"""
wrk.method = "{method}"
{header_lines}
local bodies = {{
{body_list}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, {_lua_string(path)}, nil, bodies[(i % #bodies) + 1])
end
"""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, script: str, *, seconds: float, connections: int = 32, threads: int = 1) -> WrkRun:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
        script_path = f.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s",
             "-s", script_path, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script_path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return WrkRun(rps, requests, errors, _ms(p50.group(1)) if p50 else float("nan"),
                  _ms(p99.group(1)) if p99 else float("nan"), out)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def now_utc() -> datetime:
    return datetime.now(UTC)


def dump_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def results_json(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
