"""Pure helpers: link tokens, CSRF tokens, safe redirects, DingTalk link wrapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.signin import tokens
from app.signin.tokens import InvalidLinkToken, LinkTokenError

SECRET = "s" * 40
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=72)


def _read(token: str, number: str = "ZQ2026-000001", now: datetime = NOW, secret: str = SECRET) -> tokens.LinkClaims:
    return tokens.read_link_token(secret, token, number=number, now=now)


class TestLinkToken:
    def test_round_trip_binds_appeal_user_unit_and_expiry(self):
        token = tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES, jti="a" * 32)
        claims = _read(token)
        assert claims == tokens.LinkClaims("ZQ2026-000001", 7, 12, EXPIRES, "a" * 32)

    def test_unit_bound_token_has_no_user(self):
        assert _read(tokens.make_link_token(SECRET, "ZQ2026-000001", None, 12, EXPIRES)).user_id is None

    def test_each_token_has_its_own_jti(self):
        one = _read(tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES))
        two = _read(tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES))
        assert one.jti != two.jti

    @pytest.mark.parametrize("now, ok", [(EXPIRES - timedelta(seconds=1), True), (EXPIRES, False),
                                         (EXPIRES + timedelta(days=1), False)])
    def test_expiry(self, now, ok):
        token = tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES)
        if ok:
            _read(token, now=now)
        else:
            with pytest.raises(InvalidLinkToken) as info:
                _read(token, now=now)
            assert info.value.reason is LinkTokenError.expired

    def test_bound_to_one_appeal(self):
        token = tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES)
        with pytest.raises(InvalidLinkToken) as info:
            _read(token, number="ZQ2026-000002")
        assert info.value.reason is LinkTokenError.wrong_appeal

    def test_other_secret_or_tampered_payload_is_refused(self):
        token = tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, EXPIRES)
        with pytest.raises(InvalidLinkToken) as info:
            _read(token, secret="t" * 40)
        assert info.value.reason is LinkTokenError.bad_signature
        forged = tokens.make_link_token(SECRET, "ZQ2026-000001", 8, 12, EXPIRES).split(".")[0] + "." + token.split(".")[1]
        with pytest.raises(InvalidLinkToken) as info:
            _read(forged)
        assert info.value.reason is LinkTokenError.bad_signature

    @pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "x" * 700, "e30.", "."])
    def test_malformed(self, junk):
        with pytest.raises(InvalidLinkToken) as info:
            _read(junk)
        assert info.value.reason in (LinkTokenError.malformed, LinkTokenError.bad_signature)

    def test_signed_json_without_the_fields_is_malformed(self):
        payload = tokens._b64(b'{"n":"ZQ2026-000001"}')
        token = f"{payload}.{tokens._mac(SECRET, tokens.LINK_DOMAIN, payload)}"
        with pytest.raises(InvalidLinkToken) as info:
            _read(token)
        assert info.value.reason is LinkTokenError.malformed

    def test_a_csrf_token_never_passes_as_a_link_mac(self):
        payload = tokens._b64(b'{"n":"ZQ2026-000001","u":1,"g":1,"e":9999999999,"j":"' + b"a" * 32 + b'"}')
        with pytest.raises(InvalidLinkToken):
            _read(f"{payload}.{tokens.csrf_token(SECRET, payload)}")

    def test_naive_expiry_is_refused(self):
        with pytest.raises(ValueError):
            tokens.make_link_token(SECRET, "ZQ2026-000001", 7, 12, datetime(2026, 3, 5))


class TestCsrf:
    def test_bound_to_the_session(self):
        token = tokens.csrf_token(SECRET, "s:abc")
        assert tokens.check_csrf(SECRET, "s:abc", token)
        assert not tokens.check_csrf(SECRET, "s:abd", token)
        assert not tokens.check_csrf(SECRET, "pre:abc", token)
        assert not tokens.check_csrf("t" * 40, "s:abc", token)

    @pytest.mark.parametrize("binding, token", [(None, "x"), ("s:abc", None), ("s:abc", ""), ("s:abc", "x" * 200)])
    def test_missing_parts_fail(self, binding, token):
        assert not tokens.check_csrf(SECRET, binding, token)


@pytest.mark.parametrize("value, expected", [
    ("/m/appeals/ZQ2026-000001", "/m/appeals/ZQ2026-000001"),
    ("/m/appeals/ZQ2026-000001?action=sign", "/m/appeals/ZQ2026-000001?action=sign"),
    ("/dashboard", "/dashboard"),
    (None, "/m/"), ("", "/m/"), ("//evil.example/m/", "/m/"), ("/\\evil.example", "/m/"),
    ("https://evil.example/m/", "/m/"), ("/m/../api/v1/units", "/m/"), ("/api/v1/units", "/m/"),
    ("/m/appeals/x\r\nSet-Cookie:a=b", "/m/"), ("/m/\n", "/m/"), ("javascript:alert(1)", "/m/"),
])
def test_safe_next_only_allows_our_pages(value, expected):
    assert tokens.safe_next(value) == expected


def test_session_ids_are_random_and_stored_hashed():
    one, two = tokens.new_session_id(), tokens.new_session_id()
    assert one != two and len(one) >= 43
    assert tokens.session_key(one) != one and len(tokens.session_key(one)) == 64


def test_urls_and_dingtalk_wrapping():
    url = tokens.appeal_url("https://zhuqi.example.gov.cn/", "ZQ2026-000001", "abc.def")
    assert url == "https://zhuqi.example.gov.cn/m/appeals/ZQ2026-000001?t=abc.def"
    wrapped = tokens.dingtalk_wrap(url)
    assert wrapped.startswith("dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fzhuqi.example.gov.cn%2Fm%2F")
    assert wrapped.endswith("%3Ft%3Dabc.def&pc_slide=true")
    assert tokens.dingtalk_wrap(url, pc_slide=False).endswith("&pc_slide=false")
