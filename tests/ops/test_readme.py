"""The README's shell blocks, run top to bottom against a live `zhuqi serve --demo`, as a newcomer would.

Every ```bash block after the two set-up commands is concatenated into one `bash -euo pipefail` script (variables
carry over from block to block, as in one terminal) and run in an empty directory next to a real server on SQLite.
`zhuqi` is this checkout's CLI on the server's database; `curl` reports each HTTP status on stderr, and the test
fails on a non-zero exit or on any answer ≥ 400 — so the README cannot drift from the product.

What the runner changes, and why: the set-up block (it installs) and the PostgreSQL block (it needs another database)
are not run, nor a block marked `<!-- readme-runner: skip — reason -->` (one: the chat robot, which needs a real
DingTalk group and DNS; tests/notifications covers it against a fake robot); a line that starts a server (`zhuqi serve …`) is not run because the runner's server is already up with
the README's exported environment; and `127.0.0.1:8000` becomes the server's free port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crash.conftest import free_port
from tests.ops.conftest import SECRET, wait_ready

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^(<!-- readme-runner: skip[^\n]*-->\n)?```bash\n(.*?)^```", re.S | re.M)
NOT_RUN = ("pip install", "postgresql+psycopg")  # the set-up commands; the PostgreSQL section
EXPORT = re.compile(r"^export (ZHUQI_\w+)='([^']*)'$", re.M)
CURL_SHIM = """
curl() { command curl -w '%{stderr}@@status %{http_code} %{url_effective}\\n' "$@"; }
"""


def readme_script(port: int) -> tuple[str, dict[str, str]]:
    blocks = [b for skip, b in BLOCK.findall((REPO / "README.md").read_text())
              if not skip and not any(m in b for m in NOT_RUN)]
    script = "\n".join(blocks)
    env = dict(EXPORT.findall(script))  # what the README exports for its server, the runner's server gets too
    lines = [line for line in script.splitlines() if not re.match(r"\s*zhuqi serve\b", line)]
    return CURL_SHIM + "\n".join(lines).replace("127.0.0.1:8000", f"127.0.0.1:{port}"), env


def test_every_readme_block_runs_in_order_against_a_fresh_demo(tmp_path: Path) -> None:
    port = free_port()
    script, readme_env = readme_script(port)
    assert script.count("curl ") > 30, "the README's blocks were not found"
    skipped = re.findall(r"<!-- readme-runner: skip", (REPO / "README.md").read_text())
    assert len(skipped) <= 1, "a new README block is excluded from the runner: make it runnable instead"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "zhuqi"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app.cli "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, **readme_env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO),
           "ZHUQI_DATABASE_URL": f"sqlite:///{tmp_path / 'zhuqi.db'}", "ZHUQI_ENV": "dev",
           "ZHUQI_SECRET_KEY": SECRET, "ZHUQI_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
           "ZHUQI_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("ZHUQI_TEST_DATABASE_URL", None)
    work = tmp_path / "work"
    work.mkdir()
    log = open(tmp_path / "serve.log", "ab")  # noqa: SIM115 — closed below
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)], cwd=work,
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env, capture_output=True,
                             text=True, timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = re.findall(r"^@@status (\d+) (\S*)", run.stderr, re.M)
    failed = [(code, url) for code, url in statuses if int(code) >= 400 or int(code) == 0]
    context = f"exit {run.returncode}\nSTDOUT:\n{run.stdout[-4000:]}\nSTDERR:\n{run.stderr[-4000:]}"
    assert run.returncode == 0, context
    assert statuses and not failed, f"{failed}\n{context}"
    # what the README says the chatbot answers is what it answered
    assert re.search(r'"title":"已签收 ZQ\d{4}-\d{6}"', run.stdout), context
