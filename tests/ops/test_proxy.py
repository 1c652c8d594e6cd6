"""deploy/nginx.conf run for real: Debian's nginx (the package deploy/nginx.Dockerfile installs) in front of two
`zhuqi serve` on free ports, as docker-compose puts it in front of api1 and api2. Only the addresses differ from
the shipped file (upstreams, listen port, the /tmp paths moved under the test's directory).

Skipped loudly when nginx is not installed; .ci/run installs it and sets ZHUQI_NGINX_REQUIRED=1, which turns the
skip into a failure."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.crash.conftest import free_port
from tests.ops.conftest import REPO, Zhuqi, wait_ready, zhuqi_env

pytestmark = pytest.mark.slow
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[callable, Path]]:  # type: ignore[valid-type]
    if NGINX is None:
        message = "!!! nginx is not installed (apt-get install nginx-light): deploy/nginx.conf NOT exercised !!!"
        if os.environ.get("ZHUQI_NGINX_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    started: list[subprocess.Popen[bytes]] = []
    access_log = tmp_path / "nginx-access.log"

    def start(upstreams: list[int], port: int) -> None:
        conf = (REPO / "deploy" / "nginx.conf").read_text()
        conf = conf.replace("server api1:8000", f"server 127.0.0.1:{upstreams[0]}")
        conf = conf.replace("server api2:8000", f"server 127.0.0.1:{upstreams[1]}")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};").replace("/tmp/nginx", f"{tmp_path}/nginx")
        assert conf.count("127.0.0.1:") == 3, "deploy/nginx.conf changed shape: update this test"
        path = tmp_path / "nginx.conf"
        path.write_text(conf)
        # As root (CI), nginx's workers would switch to `nobody`, who cannot enter the test's private directory.
        user = " user root;" if os.geteuid() == 0 else ""
        with open(access_log, "ab") as out:
            started.append(subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(path), "-e", "stderr",
                                             "-g", f"daemon off;{user}"], stdout=out, stderr=subprocess.STDOUT))

    try:
        yield start, access_log
    finally:
        for proc in started:
            proc.send_signal(signal.SIGQUIT)  # graceful stop of master and workers
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _through(base: str, path: str, tries: int = 50) -> httpx.Response:
    for _ in range(tries):  # nginx takes a moment to listen
        try:
            return httpx.get(base + path, timeout=10)
        except httpx.ConnectError:
            time.sleep(0.1)
    raise AssertionError(f"{base} never listened")


def _upstreams(log: Path, marker: str) -> list[str]:
    return [m.group(1) for line in log.read_text().splitlines() if marker in line
            for m in [re.search(r"upstream=(\S+(?:, \S+)*) upstream_status", line)] if m]


def test_requests_through_nginx_reach_both_replicas_and_survive_one_going_down(zhuqi: Zhuqi, nginx, tmp_path: Path):
    start_nginx, access_log = nginx
    zhuqi.env = zhuqi_env(f"sqlite:///{tmp_path / 'proxy.db'}", tmp_path / "attachments",
                          ZHUQI_RUN_WORKERS_IN_PROCESS="false")
    ports = [free_port(), free_port()]
    servers = []
    for port in ports:  # one after the other: both migrate the same SQLite file
        servers.append(zhuqi.start("serve", "--port", str(port)))
        wait_ready(f"http://127.0.0.1:{port}", servers[-1])
    proxy_port = free_port()
    start_nginx(ports, proxy_port)
    base = f"http://127.0.0.1:{proxy_port}"

    ready = _through(base, "/readyz")
    assert ready.status_code == 200 and ready.json()["migrations"] == "head", ready.text
    answers = [httpx.get(f"{base}/healthz?round=1&n={i}", timeout=10) for i in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    problem = httpx.get(f"{base}/api/v1/appeals", headers={"Authorization": "Bearer zq_wrong"}, timeout=10)
    assert problem.status_code == 401 and problem.headers["content-type"].startswith("application/problem+json")
    time.sleep(0.3)  # access log lines are written when each request ends
    landed = _upstreams(access_log, "round=1")
    assert len(landed) == 20, access_log.read_text()
    assert {f"127.0.0.1:{p}" for p in ports} == set(landed), landed  # both replicas answered

    servers[1].send_signal(signal.SIGTERM)  # one replica goes away (a restart, a crash)
    servers[1].wait(timeout=20)
    answers = [httpx.get(f"{base}/healthz?round=2&n={i}", timeout=10) for i in range(10)]
    assert [a.status_code for a in answers] == [200] * 10  # every request still answered, by the other
    time.sleep(0.3)
    assert all(hops.endswith(f"127.0.0.1:{ports[0]}") for hops in _upstreams(access_log, "round=2"))
