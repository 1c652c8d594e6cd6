"""Channel URL validation (app.notifications.ssrf) with a fake resolver — no DNS in unit tests."""

from __future__ import annotations

import pytest

from app.notifications.ssrf import UnsafeUrl, is_public_address, validate_channel_url

DNS: dict[str, list[str]] = {
    "oapi.dingtalk.com": ["203.119.129.1"],
    "qyapi.weixin.qq.com": ["101.91.37.11"],
    "open.feishu.cn": ["2400:da00::1"],
    "open.larksuite.com": ["8.8.4.4"],
    "hooks.example.com": ["93.184.216.34"],
    "internal.example.com": ["10.0.0.5"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "meta.example.com": ["169.254.169.254"],
    "loop.example.com": ["127.0.0.1"],
}


def resolve(host: str) -> list[str]:
    if host not in DNS:
        raise OSError("NXDOMAIN")
    return DNS[host]


def check(url: str, kind: str = "dingtalk", *, extra: tuple[str, ...] = (), loopback: bool = False) -> str:
    return validate_channel_url(
        url, kind, extra_allowed_hosts=extra, allow_loopback=loopback, resolve=resolve
    )


DT = "https://oapi.dingtalk.com/robot/send?access_token=abc"


@pytest.mark.parametrize(
    ("url", "kind", "expected"),
    [
        (DT, "dingtalk", DT),
        ("HTTPS://OAPI.DingTalk.com./robot/send?access_token=abc#x", "dingtalk", DT),
        ("https://oapi.dingtalk.com:443/robot/send?access_token=abc", "dingtalk", DT),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            "wecom",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/u-1",
            "feishu",
            "https://open.feishu.cn/open-apis/bot/v2/hook/u-1",
        ),
        (
            "https://open.larksuite.com/open-apis/bot/v2/hook/u-1",
            "feishu",
            "https://open.larksuite.com/open-apis/bot/v2/hook/u-1",
        ),
    ],
)
def test_vendor_urls_accepted(url: str, kind: str, expected: str) -> None:
    assert check(url, kind) == expected


def test_extra_hosts_for_generic_webhook_only_when_configured() -> None:
    url = "https://hooks.example.com:8443/zhuqi?x=1"
    assert check(url, "webhook", extra=("Hooks.Example.com",)) == url
    with pytest.raises(UnsafeUrl, match="allowlist"):
        check(url, "webhook")
    with pytest.raises(UnsafeUrl, match="allowlist"):  # vendor hosts are not generic targets
        check(DT, "webhook")
    with pytest.raises(UnsafeUrl, match="allowlist"):  # nor is one vendor's host another's
        check("https://oapi.dingtalk.com/robot/send?access_token=a", "wecom")


@pytest.mark.parametrize(
    ("url", "kind", "extra", "needle"),
    [
        ("http://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", (), "https"),
        ("ftp://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", (), "https"),
        ("oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", (), "https"),
        ("https://u:p@oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", (), "user name"),
        ("https://evil.com/robot/send?access_token=abc", "dingtalk", (), "allowlist"),
        ("https://oapi.dingtalk.com.evil.com/robot/send?access_token=abc", "dingtalk", (), "allowlist"),
        ("https://oapi.dingtalk.com/robot/other?access_token=abc", "dingtalk", (), "path"),
        ("https://oapi.dingtalk.com/robot/send", "dingtalk", (), "access_token"),
        ("https://oapi.dingtalk.com/robot/send?access_token=", "dingtalk", (), "access_token"),
        ("https://oapi.dingtalk.com:8443/robot/send?access_token=abc", "dingtalk", (), "port"),
        ("https://oapi.dingtalk.com\\@evil.com/robot/send?access_token=a", "dingtalk", (), "\\"),
        ("https://oapi.dingtalk.com/robot/send?access_token=a b", "dingtalk", (), "whitespace"),
        ("https://internal.example.com/x", "webhook", ("internal.example.com",), "non-public"),
        ("https://mixed.example.com/x", "webhook", ("mixed.example.com",), "non-public"),
        ("https://mapped.example.com/x", "webhook", ("mapped.example.com",), "non-public"),
        ("https://meta.example.com/x", "webhook", ("meta.example.com",), "non-public"),
        ("https://loop.example.com/x", "webhook", ("loop.example.com",), "non-public"),
        ("https://nxdomain.example.com/x", "webhook", ("nxdomain.example.com",), "resolve"),
        ("https://10.1.2.3/x", "webhook", ("10.1.2.3",), "non-public"),
        ("https://127.0.0.1/robot/send?access_token=a", "dingtalk", (), "loopback"),
        ("https://localhost/robot/send?access_token=a", "dingtalk", (), "loopback"),
        ("https://[::1]/robot/send?access_token=a", "dingtalk", (), "loopback"),
        ("https://[::ffff:7f00:1]/robot/send?access_token=a", "dingtalk", (), "loopback"),
        ("https://x/y", "sms", (), "unknown channel kind"),
        ("", "dingtalk", (), "whitespace"),
    ],
)
def test_rejections(url: str, kind: str, extra: tuple[str, ...], needle: str) -> None:
    with pytest.raises(UnsafeUrl) as info:
        check(url, kind, extra=extra)
    message = str(info.value)
    assert needle in message
    assert " / " in message and any("\u4e00" <= c <= "\u9fff" for c in message)  # English / 中文


def test_loopback_allowed_only_when_enabled() -> None:
    url = "http://127.0.0.1:8765/robot/send?access_token=t"
    assert check(url, loopback=True) == url
    assert check("http://localhost:9/robot/send?access_token=t", loopback=True).startswith(
        "http://localhost:9/"
    )
    assert (
        check("http://[::1]:9/robot/send?access_token=t", loopback=True)
        == "http://[::1]:9/robot/send?access_token=t"
    )
    # An allowlisted name resolving to loopback is fine in loopback mode, and may use http.
    assert check("http://loop.example.com/x", "webhook", extra=("loop.example.com",), loopback=True)
    # Loopback mode does not open private ranges or plain http to public hosts.
    with pytest.raises(UnsafeUrl):
        check("https://internal.example.com/x", "webhook", extra=("internal.example.com",), loopback=True)
    with pytest.raises(UnsafeUrl, match="https"):
        check("http://oapi.dingtalk.com/robot/send?access_token=abc", loopback=True)
    with pytest.raises(UnsafeUrl, match="path"):  # dingtalk path rule applies to the fake too
        check("http://127.0.0.1:8765/other?access_token=t", loopback=True)


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("8.8.8.8", True),
        ("2400:da00::1", True),
        ("93.184.216.34", True),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff0e::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:0a00:0001::", False),
        ("64:ff9b::a00:1", False),
        ("not-an-ip", False),
        ("", False),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_a_failed_lookup_is_resolve_failed_and_checked_addresses_are_every_answer() -> None:
    from app.notifications.ssrf import ResolveFailed, checked_addresses

    for bad in (lambda host: (_ for _ in ()).throw(OSError("SERVFAIL")), lambda host: [], lambda host: ["x"]):
        with pytest.raises(ResolveFailed):  # temporary at send time; still a refusal (UnsafeUrl) when saving
            checked_addresses(DT, "dingtalk", extra_allowed_hosts=(), allow_loopback=False, resolve=bad)
    with pytest.raises(UnsafeUrl) as info:  # a resolved address that breaks a rule is not a lookup failure
        check("https://mixed.example.com/x", "webhook", extra=("mixed.example.com",))
    assert not isinstance(info.value, ResolveFailed)
    url, addresses = checked_addresses(DT, "dingtalk", extra_allowed_hosts=(), allow_loopback=False,
                                       resolve=lambda host: ["106.11.35.100", "106.11.35.101"])
    assert url == DT and addresses == ["106.11.35.100", "106.11.35.101"]
