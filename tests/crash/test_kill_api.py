"""`kill -9` of the API process in the middle of a burst of intake: whatever got a 201 is in the database with its
timeline, nothing is half-written, and retrying the requests whose answer was lost (same Idempotency-Key) creates
nothing twice."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.crash import invariants
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, appeal_body

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only]

CLIENTS = 8


def test_kill_9_during_intake_loses_nothing_acknowledged(crash_db, procs):
    api, base = procs.api(crash_db)
    acknowledged: dict[str, int] = {}  # Idempotency-Key → appeal id, for every 201
    unanswered: dict[str, dict] = {}  # sent, but the connection died before an answer
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        usccs = (XIXI_ENTERPRISE, HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE)
        with httpx.Client(base_url=base, timeout=10, headers=crash_db.headers("city")) as http:
            i = 0
            while not stop.is_set():
                key, body = f"burst-{n}-{i}-{uuid.uuid4().hex[:8]}", appeal_body(usccs[i % 3])
                i += 1
                try:
                    response = http.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:  # the server died with this request in flight: keep it for a retry
                    with lock:
                        unanswered[key] = body
                    return
                if response.status_code == 201:
                    with lock:
                        acknowledged[key] = response.json()["id"]
                else:
                    assert response.status_code == 503, response.text  # nothing else is acceptable

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    api.kill()  # SIGKILL: no shutdown, no rollback, connections cut mid-transaction
    api.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 150, procs.log_text()

    with crash_db.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, number FROM appeal")).all())
        submitted = set(conn.execute(sa.text("SELECT appeal_id FROM appeal_event WHERE type = 'submitted'"))
                        .scalars())
    missing = [aid for aid in acknowledged.values() if aid not in rows or aid not in submitted]
    assert not missing, f"acknowledged with 201 but not in the database: {missing}"
    assert invariants.problems(crash_db.engine) == []

    # Retry what got no answer, on a new API process: each is either the stored first answer or a first write.
    _, base = procs.api(crash_db)
    replayed = 0
    with httpx.Client(base_url=base, timeout=10, headers=crash_db.headers("city")) as http:
        for key, body in unanswered.items():
            response = http.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": key})
            assert response.status_code == 201, response.text
            replayed += response.headers.get("Idempotent-Replayed") == "true"
            acknowledged[key] = response.json()["id"]
    with crash_db.engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM appeal")).scalar_one()
    assert total == len(set(acknowledged.values())) == len(acknowledged), (total, len(acknowledged))
    assert invariants.problems(crash_db.engine) == []
    print(f"kill -9: {len(acknowledged) - len(unanswered)} acknowledged before the kill; {len(unanswered)} in flight, "
          f"retried with their key: {replayed} had committed (replayed), {len(unanswered) - replayed} had not; "
          f"{total} appeals; outbox tables: {invariants.outbox_tables(crash_db.engine) or 'none yet'}")
