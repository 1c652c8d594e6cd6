"""Schemathesis with hostile values (issue 14): each generated request, valid by the contract, gets one query
parameter, path parameter or JSON body value replaced by a boundary date (0001-01-01, 9999-12-31, 9999-W52, …), a
number past a 32- or 64-bit column, or a control character (NUL, C0, DEL, C1, separators) before, inside or after
it (tests/fuzz/hostile.py). Every operation, as the role it is for (DingTalk callbacks signed like DingTalk does);
the check is DESIGN §10's: 0 server errors, and every answer as the contract says.

Bounded for CI (< 60 s): ZHUQI_HOSTILE_EXAMPLES examples per operation (default below), derandomized like the
ordinary fuzzing; ZHUQI_FUZZ_RANDOM works here too.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.fuzz import hostile
from tests.fuzz.conftest import World
from tests.fuzz.test_openapi_fuzz import (
    CARD,
    CONTRACT,
    COVERAGE_ROLE,
    ROBOT,
    ROLES,
    SEED,
    SUPPRESSED,
    _signed,
)

pytestmark = pytest.mark.fuzz

EXAMPLES = max(1, int(os.environ.get("ZHUQI_HOSTILE_EXAMPLES") or 8))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

schema = schemathesis.openapi.from_path(CONTRACT, config=schemathesis.Config.from_dict({
    "generation": {"mode": "positive", "max-examples": EXAMPLES, "database": "none", "deterministic": SEED is None},
    "phases": {"stateful": {"enabled": False}, "examples": {"enabled": False}, "coverage": {"enabled": False},
               "fuzzing": {"enabled": True}},
    **({"seed": SEED} if SEED is not None else {}),
}))
hostile.install(schema)


@schema.parametrize()
@settings(suppress_health_check=SUPPRESSED)
def test_hostile_values(case, fuzz_world):  # type: ignore[no-untyped-def]
    path = case.operation.path
    role = COVERAGE_ROLE.get(path, "city")
    world: World = fuzz_world
    headers = dict(world.headers[ROLES[role]]) if role != "anonymous" else {}
    if path in (ROBOT, CARD):
        headers.update(_signed(path, world))
    if case.method.upper() not in SAFE_METHODS:
        world.dirty = True
    try:
        case.call_and_validate(headers=headers, checks=CHECKS, app=world.app)
    except BaseException as exc:
        exc.add_note(f"role: {role}; hostile query={case.query!r} path={case.path_parameters!r} body={case.body!r}"[:2000])
        raise
