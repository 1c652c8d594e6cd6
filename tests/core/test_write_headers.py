"""The write routes' shared headers: If-Match parsing and the answer built from an idempotency.Outcome."""

from __future__ import annotations

import json

import pytest

from app.core.http import created, etag
from app.core.idempotency import Outcome
from app.core.validation import parse_if_match
from app.errors import InvalidInput


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("*", None), (' "3" ', 3), ("7", 7)])
def test_if_match_names_a_version_or_any(value, expected):
    assert parse_if_match(value, resource="诉求") == expected


@pytest.mark.parametrize(("value", "says"), [('W/"3"', "强 ETag"), ('"abc"', "必须是政策的 ETag")])
def test_a_weak_or_foreign_if_match_is_a_422_naming_the_header(value, says):
    with pytest.raises(InvalidInput) as refused:
        parse_if_match(value, resource="政策")
    assert refused.value.errors[0].field == "header.If-Match" and says in refused.value.errors[0].message


def test_a_first_answer_carries_location_and_etag_and_a_replay_says_so():
    body = {"id": 4, "version": 1}
    first = created(Outcome(201, body, replayed=False), location="/api/v1/x/4", version=1)
    assert first.status_code == 201 and json.loads(first.body) == body
    assert first.headers["etag"] == etag(1) == '"1"' and first.headers["location"] == "/api/v1/x/4"
    assert "idempotent-replayed" not in first.headers
    again = created(Outcome(201, body, replayed=True))
    assert again.headers["idempotent-replayed"] == "true" and "location" not in again.headers
