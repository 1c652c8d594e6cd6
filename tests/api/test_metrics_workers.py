"""A real `zhuqi serve --workers 2`: /metrics counts every request of both worker processes (prometheus-client's
multiprocess mode), whichever worker answers the scrape, and the metrics token is enforced."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.crash.conftest import free_port

TOKEN = "scrape-token-" + "w" * 24
REQUESTS = 80


def _healthz_count(text: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "zhuqi_http_requests_total" and s.labels.get("route") == "/healthz")


@pytest.mark.slow
def test_metrics_sum_both_workers_and_need_the_token(tmp_path: Path):
    port = free_port()
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's file is removed at start
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUQI_")}
    env.update(ZHUQI_DATABASE_URL=f"sqlite:///{tmp_path / 'zhuqi.db'}", ZHUQI_METRICS_TOKEN=TOKEN,
               ZHUQI_RUN_WORKERS_IN_PROCESS="false", ZHUQI_ATTACHMENTS_DIR=str(tmp_path / "att"),
               PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    zhuqi = Path(sys.executable).parent / "zhuqi"
    server = subprocess.Popen([str(zhuqi), "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        time.sleep(1.0)  # the second worker too
        before = _healthz_count(httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text)

        def hit(_: int) -> int:  # a new connection each time, so the kernel hands them to both workers
            return httpx.get(base + "/healthz", timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(hit, range(REQUESTS))) == {200}
        pids = {p.name.removeprefix("counter_").removesuffix(".db") for p in metrics_dir.glob("counter_*.db")}
        assert len(pids) >= 2 and "1" not in pids, pids  # both workers counted into the shared directory

        for _ in range(6):  # each scrape lands on either worker; every one sees the whole server
            r = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
            assert r.status_code == 200
            assert _healthz_count(r.text) == before + REQUESTS
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = httpx.get(base + "/metrics", headers=headers, timeout=30)
            assert r.status_code == 401 and r.json()["status"] == 401
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
