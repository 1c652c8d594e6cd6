"""Bearer tokens through the API: expired, tampered, alg none, wrong signature, revoked → 401;
refresh rotates, and a replayed refresh token ends the session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.accounts.helpers import bearer, wechat_sign_in
from tests.helpers import assert_problem


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parts(token: str) -> tuple[dict, dict, str]:
    h, p, s = token.split(".")
    dec = lambda x: json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))  # noqa: E731
    return dec(h), dec(p), s


def _me(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def tokens(client, fakes):  # type: ignore[no-untyped-def]
    return wechat_sign_in(client, fakes, "o-token")


def test_valid_token_works(client, tokens):
    assert _me(client, tokens["access_token"]).status_code == 200


def test_expired_by_the_injected_clock(client, tokens, clock):
    clock.advance(hours=2, seconds=-1)
    assert _me(client, tokens["access_token"]).status_code == 200
    clock.advance(seconds=1)
    body = assert_problem(_me(client, tokens["access_token"]), 401, code="unauthenticated")
    assert "过期" in body["detail"]
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert _me(client, refreshed.json()["access_token"]).status_code == 200
    clock.advance(days=31)
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}),
                   401)


def test_tampered_payload(client, tokens):
    header, payload, sig = _parts(tokens["access_token"])
    forged = {**payload, "sub": "eu:999", "exp": payload["exp"] + 86400 * 365}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(forged).encode())}.{sig}"
    r = _me(client, token)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS512", "RS256"])
def test_other_algorithms(client, tokens, settings, alg):
    from app.accounts.tokens import derive_key

    _, payload, _ = _parts(tokens["access_token"])
    signing_input = f"{_b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{_b64(json.dumps(payload).encode())}"
    key = derive_key(settings.secret_key.get_secret_value())
    for sig in ("", _b64(hmac.new(key, signing_input.encode(), hashlib.sha512).digest()),
                _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())):
        assert_problem(_me(client, f"{signing_input}.{sig}"), 401)


def test_wrong_signature_key(client, tokens):
    from app.accounts.tokens import derive_key

    header, payload, _ = _parts(tokens["access_token"])
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    sig = _b64(hmac.new(derive_key("not-our-secret"), signing_input.encode(), hashlib.sha256).digest())
    assert_problem(_me(client, f"{signing_input}.{sig}"), 401)


def test_refresh_token_is_not_an_access_token(client, tokens):
    assert_problem(_me(client, tokens["refresh_token"]), 401)
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}), 401)


@pytest.mark.parametrize("token", ["x", "a.b.c", "eyJ.eyJ.", "zq_notakey", "." * 2, "é.é.é".encode(),
                                   "a" * 5000, b"\xff\xfe.\x00.x"])
def test_garbage_tokens(client, token):
    prefix = b"Bearer " if isinstance(token, bytes) else "Bearer "
    r = client.get("/api/v1/me", headers={"Authorization": prefix + token})
    assert r.status_code in (401, 413) and r.status_code != 500


def test_logout_revokes_both_tokens(client, tokens):
    r = client.post("/api/v1/auth/logout", headers=bearer(tokens))
    assert r.status_code == 200 and r.json() == {"status": "logged_out"}
    assert_problem(_me(client, tokens["access_token"]), 401)
    assert_problem(client.post("/api/v1/auth/logout", headers=bearer(tokens)), 401)
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)


def test_logout_ends_only_that_session(client, fakes):
    phone = wechat_sign_in(client, fakes, "o-two")
    tablet = wechat_sign_in(client, fakes, "o-two")
    client.post("/api/v1/auth/logout", headers=bearer(phone))
    assert_problem(_me(client, phone["access_token"]), 401)
    assert _me(client, tablet["access_token"]).status_code == 200


def test_refresh_rotates(client, tokens):
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    fresh = r.json()
    assert fresh["refresh_token"] != tokens["refresh_token"] and fresh["access_token"] != tokens["access_token"]
    assert _me(client, fresh["access_token"]).status_code == 200
    assert_problem(_me(client, tokens["access_token"]), 401)  # the old pair is retired


def test_replayed_refresh_token_ends_the_session(client, tokens):
    fresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    assert_problem(_me(client, fresh["access_token"]), 401)  # possible theft: the whole session is over
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}), 401)


def test_deactivated_user_is_401(client, tokens, session):
    from app.accounts.models import EnterpriseUser

    user = session.get(EnterpriseUser, tokens["user"]["id"])
    user.active = False
    session.add(user)
    session.commit()
    assert_problem(_me(client, tokens["access_token"]), 401)


def test_api_keys_cannot_log_out(client, keys):
    assert_problem(client.post("/api/v1/auth/logout", headers=keys["city"]), 403)
    assert_problem(client.get("/api/v1/me", headers=keys["city"]), 403)
