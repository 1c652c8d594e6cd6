"""Appeal numbers ZQ<year>-<seq>: at least six digits, never truncated past a million, one per appeal, in order.
On PostgreSQL the sequence is read by the appeal's own INSERT (app.appeals.numbering.number_expression)."""

from __future__ import annotations

import sqlalchemy as sa

from app.appeals.numbering import format_number, looks_like_number
from tests.helpers import appeal_body


def test_format_number_pads_to_six_digits_and_never_truncates():
    assert format_number(2026, 42) == "ZQ2026-000042"
    assert format_number(2026, 1_234_567) == "ZQ2026-1234567"
    assert looks_like_number("zq2026-1234567")


def test_numbers_follow_one_another(client, keys, clock):
    year = clock.now.year  # the test clock's year in Shanghai is the same on these dates
    numbers = [client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["number"]
               for _ in range(3)]
    assert all(n.startswith(f"ZQ{year}-") for n in numbers), numbers
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    fetched = client.get("/api/v1/appeals", params={"text": numbers[1]}, headers=keys["city"]).json()["items"]
    assert [a["number"] for a in fetched] == [numbers[1]]


def test_past_a_million_the_number_grows_a_digit(client, keys, engine):
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval('appeal_number_seq', 999999)"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM appeal_number_counter"))
    first = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["number"]
    if engine.dialect.name == "postgresql":
        assert first.endswith("-1000000"), first
    else:
        assert first.endswith("-000001"), first
