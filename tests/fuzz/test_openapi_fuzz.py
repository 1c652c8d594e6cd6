"""Schema-driven fuzzing of our own OpenAPI contract with schemathesis, in-process (ASGI), for every operation and
every role: city, district and street admins, a liaison, an enterprise user (a bearer token from the mini-program
sign-in) and anonymous callers (who must get 401 wherever a credential is required). Valid and invalid inputs
("mode: all"); the checks are DESIGN §10's "0 server errors under schema-driven fuzzing" plus conformance of every
status code and body to the contract, and rejection of invalid input.

Bounded for CI: ZHUQI_FUZZ_EXAMPLES examples per operation and role in the fuzzing phase, plus the schema's own
examples and the coverage phase's boundary cases; generation is derandomized, so CI is reproducible. The default is 1,
which keeps the README's `pytest` quick; .ci/run's PostgreSQL pass sets 4 (the database where an out-of-range number or
a control character turns into a driver error, and the one production runs on). A deeper run is one variable away:

    ZHUQI_FUZZ_EXAMPLES=200 pytest tests/fuzz                # more examples, still deterministic
    ZHUQI_FUZZ_RANDOM=1 pytest tests/fuzz                    # a fresh random seed, named in any failure
    ZHUQI_FUZZ_RANDOM=<seed> pytest tests/fuzz               # replays that seed

A failure prints a curl command that reproduces it; tests/api/test_fuzz_findings.py keeps a regression test for each
bug found. The database is seeded once per module and restored between operations (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.chatbot.conftest import card_sign, robot_sign
from tests.fakes.mini_program_login import DINGTALK_SECRET
from tests.fuzz.conftest import CARD_SECRET, World

pytestmark = pytest.mark.fuzz

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, negative_data_rejection]
MAX_EXAMPLES = max(1, int(os.environ.get("ZHUQI_FUZZ_EXAMPLES") or 1))


def _seed() -> int | None:
    """None: derandomized (the default). An integer: that seed. 1/true/random: a fresh one."""
    value = (os.environ.get("ZHUQI_FUZZ_RANDOM") or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return None
    if value in ("1", "true", "yes", "on", "random"):
        return random.SystemRandom().getrandbits(32)
    return int(value)


SEED = _seed()
# The committed contract; tests/api/test_platform.py keeps it equal to what the app serves.
CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def _schema(phases: dict[str, bool]) -> schemathesis.schemas.BaseSchema:
    config = schemathesis.Config.from_dict({
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none",
                       "deterministic": SEED is None},
        "phases": {"stateful": {"enabled": False}, **{name: {"enabled": on} for name, on in phases.items()}},
        **({"seed": SEED} if SEED is not None else {}),
    })
    return schemathesis.openapi.from_path(CONTRACT, config=config)


# Every operation and role: the schema's examples and MAX_EXAMPLES generated ones (valid and invalid).
fuzzing = _schema({"examples": True, "fuzzing": True, "coverage": False})
# Every operation once: the coverage phase's deterministic boundary cases (each missing, mistyped, too long, too
# small … parameter and body field, unexpected methods and content types). They are many (~50 per operation) and
# the same for every role, so each is sent as the role the operation is for and again without a credential.
coverage = _schema({"examples": False, "fuzzing": False, "coverage": True})

ROLES = {"city": "city", "district": "xihu", "street": "xixi_admin", "liaison": "xixi_liaison",
         "enterprise": "enterprise"}
PUBLIC = {"/healthz", "/readyz", "/metrics"}
ROBOT, CARD = "/api/v1/callbacks/dingtalk", "/api/v1/callbacks/dingtalk/card"
# Routes whose credential is in the request itself, not a bearer key: a vendor's login code (the fake vendors accept
# any code the fuzzer sends: a sign-in), a refresh token, a DingTalk callback signature. What they answer anonymous
# callers, besides a 422 for any invalid input, by status and problem `code`.
CREDENTIAL_IN_REQUEST: dict[str, dict[int, str | None]] = {
    "/api/v1/auth/wechat": {200: None, 401: "invalid_login_code"},
    "/api/v1/auth/dingtalk": {200: None, 401: "invalid_login_code"},
    "/api/v1/auth/refresh": {401: "unauthenticated"},
    ROBOT: {401: "invalid_signature"}, CARD: {401: "invalid_signature"},
}
# Refused before authentication, whatever the route.
PRE_AUTH = {405: "method_not_allowed", 404: "not_found", 422: "validation_error", 413: "payload_too_large"}
# Who an operation is for, in the coverage phase: the city admin (the widest reach) unless it serves enterprise
# users only, takes no bearer key at all, or is a DingTalk callback (signed like DingTalk does).
COVERAGE_ROLE = {
    "/api/v1/me": "enterprise", "/api/v1/me/binding": "enterprise", "/api/v1/auth/logout": "enterprise",
    "/api/v1/attachments": "enterprise", "/api/v1/attachments/{attachment_id}": "enterprise",
    **{path: "anonymous" for path in (*PUBLIC, "/api/v1/auth/wechat", "/api/v1/auth/dingtalk",
                                      "/api/v1/auth/refresh")},
    ROBOT: "liaison", CARD: "liaison",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]


def _signed(path: str, world: World) -> dict[str, str]:
    """Valid DingTalk callback signature headers at the app's clock (the callback's "auth")."""
    timestamp = str(int(world.app.state.clock().timestamp() * 1000))
    if path == ROBOT:
        return {"timestamp": timestamp, "sign": robot_sign(timestamp, DINGTALK_SECRET)}
    return {"x-ddpaas-signature-timestamp": timestamp, "x-ddpaas-signature": card_sign(timestamp, CARD_SECRET)}


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
@fuzzing.parametrize()
@settings(suppress_health_check=SUPPRESSED)
def test_fuzz(case, role, fuzz_world):  # type: ignore[no-untyped-def]
    _send(case, role, fuzz_world)


@coverage.parametrize()
@settings(suppress_health_check=SUPPRESSED)
def test_coverage(case, fuzz_world):  # type: ignore[no-untyped-def]
    role = COVERAGE_ROLE.get(case.operation.path, "city")
    _send(case, role, fuzz_world)
    if role != "anonymous":
        _send(case, "anonymous", fuzz_world)


def _send(case, role: str, world: World) -> None:  # type: ignore[no-untyped-def]
    path = case.operation.path
    headers = dict(world.headers[ROLES[role]]) if role != "anonymous" else {}
    if path in (ROBOT, CARD) and role != "anonymous":
        headers.update(_signed(path, world))
    if case.method.upper() not in SAFE_METHODS:
        world.dirty = True  # the next operation starts from the seeded rows again
    try:
        response = case.call_and_validate(headers=headers, checks=CHECKS, app=world.app)
    except BaseException as exc:
        replay = "" if SEED is None else f"; ZHUQI_FUZZ_EXAMPLES={MAX_EXAMPLES} ZHUQI_FUZZ_RANDOM={SEED} replays it"
        exc.add_note(f"role: {role}{replay}")
        raise
    if role == "anonymous" and path not in PUBLIC:
        _assert_anonymous(case, path, response)


def _assert_anonymous(case, path, response) -> None:  # type: ignore[no-untyped-def]
    """Without a credential: 401. Only what is refused before authentication may answer otherwise: another method
    than the operation's (405), a path no route matches (404), a body too large (413), a NUL byte, a repeated or
    unknown query parameter or a body that cannot be parsed at all (422; FastAPI reads the body before it resolves
    dependencies). Nothing about the data is revealed either way. Where the credential is in the request, the route's
    own answers (CREDENTIAL_IN_REQUEST), and a 422 for any invalid input."""
    allowed = {**PRE_AUTH, **CREDENTIAL_IN_REQUEST.get(path, {401: "unauthenticated"})}
    code = response.json().get("code")
    assert response.status_code in allowed and allowed[response.status_code] == code, (response.status_code,
                                                                                       response.text)
    assert response.status_code != 405 or case.method.upper() != case.operation.method.upper()
    if response.status_code == 422 and path not in CREDENTIAL_IN_REQUEST:
        assert any(sign in response.text for sign in ("NUL", "json_invalid", "body_invalid", "given more than once",
                                                      "unknown query parameter")), response.text
