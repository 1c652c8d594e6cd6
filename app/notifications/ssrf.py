"""SSRF guard for channel URLs (pure: DNS resolution is injected).

A channel URL is typed by a unit admin and then fetched by our server, so it is an SSRF vector
(reliability-security-performance.md §1.1, §5 API7). Rules (DESIGN §6):
- https only; http solely for loopback when `allow_loopback` (tests, local fakes);
- the host is on the allowlist for the channel kind (vendor host or configured extra hosts);
- no userinfo, no odd characters that parsers disagree on (backslash, whitespace, controls);
- every address the host resolves to is public (loopback too when `allow_loopback`).
At send time the sender resolves once with `checked_addresses`, and connects to one of the addresses
checked here (pinned): a second, DNS-rebound answer is never asked for, so it can never be used.
A lookup that fails is `ResolveFailed`: temporary (retry later), unlike a rule a resolved address breaks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection

import httpx

VENDOR_HOSTS: dict[str, frozenset[str]] = {
    "dingtalk": frozenset({"oapi.dingtalk.com"}),
    "wecom": frozenset({"qyapi.weixin.qq.com"}),
    "feishu": frozenset({"open.feishu.cn", "open.larksuite.com"}),
    "webhook": frozenset(),  # generic webhooks: only hosts an operator explicitly configured
}
DINGTALK_PATH = "/robot/send"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be used as a channel; the message is "English / 中文"."""


class ResolveFailed(UnsafeUrl):
    """DNS gave no usable answer (failure, timeout, empty). Refused when a channel is saved; at send time a
    temporary failure — a DNS blink says nothing about the channel, only a resolved address can break a rule."""


def _fail(en: str, zh: str, cls: type[UnsafeUrl] = UnsafeUrl) -> UnsafeUrl:
    return cls(f"{en} / {zh}")


def _parse_ip(ip: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
    except ValueError:
        return None


def _embedded_v4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in IPv4-mapped (::ffff:a.b.c.d) or 6to4 (2002::/16) IPv6."""
    if isinstance(addr, ipaddress.IPv6Address):
        return addr.ipv4_mapped or addr.sixtofour
    return None


def _is_public(addr: IPAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is how dual-stack sockets reach a.b.c.d: judge the IPv4 address.
        return _is_public(addr.ipv4_mapped)
    inner = _embedded_v4(addr)
    if inner is not None and not _is_public(inner):
        return False
    # is_global alone lets multicast (ff0e::) through, so list the other classes explicitly.
    return addr.is_global and not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


def _is_loopback(addr: IPAddress) -> bool:
    inner = _embedded_v4(addr)
    return addr.is_loopback or (inner is not None and inner.is_loopback)


def is_public_address(ip: str) -> bool:
    """True if `ip` is a public unicast address (for re-checking the peer at send time)."""
    addr = _parse_ip(ip)
    return addr is not None and _is_public(addr)


def literal_ip(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (brackets allowed), else None."""
    return _parse_ip(host.strip("[]"))


def is_loopback_address(ip: str) -> bool:
    addr = _parse_ip(ip)
    return addr is not None and _is_loopback(addr)


def _is_loopback_name(host: str) -> bool:
    # RFC 6761: "localhost" and its subdomains are loopback; not resolved, so no DNS can lie.
    return host == "localhost" or host.endswith(".localhost")


def _resolve(resolve: Callable[[str], list[str]], host: str) -> list[IPAddress]:
    try:
        raw = resolve(host)
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot resolve host {host!r}: {exc}", f"无法解析主机 {host}", ResolveFailed) from exc
    if not raw:
        raise _fail(f"host {host!r} has no address", f"主机 {host} 没有可用地址", ResolveFailed)
    addrs: list[IPAddress] = []
    for ip in raw:
        addr = _parse_ip(ip)
        if addr is None:
            raise _fail(f"resolver returned a non-IP {ip!r}", f"解析结果不是 IP 地址：{ip}", ResolveFailed)
        addrs.append(addr)
    return addrs


def validate_channel_url(
    url: str,
    kind: str,
    *,
    extra_allowed_hosts: Collection[str],
    allow_loopback: bool,
    resolve: Callable[[str], list[str]],
) -> str:
    """Return the normalised URL (lower-case IDNA host, default port and fragment dropped)."""
    return checked_addresses(url, kind, extra_allowed_hosts=extra_allowed_hosts, allow_loopback=allow_loopback,
                             resolve=resolve)[0]


def checked_addresses(
    url: str,
    kind: str,
    *,
    extra_allowed_hosts: Collection[str],
    allow_loopback: bool,
    resolve: Callable[[str], list[str]],
) -> tuple[str, list[str]]:
    """The normalised URL and every address its host resolved to, each checked (resolved exactly once)."""
    if kind not in VENDOR_HOSTS:
        raise _fail(f"unknown channel kind {kind!r}", f"未知的渠道类型 {kind}")
    if not url or any(c.isspace() or ord(c) < 0x20 or c in "\\\x7f" for c in url):
        # Backslashes and whitespace are where URL parsers disagree (WHATWG vs RFC 3986).
        raise _fail("URL contains whitespace, control characters or '\\'", "地址含有空白、控制字符或反斜杠")
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise _fail(f"malformed URL: {exc}", "地址格式错误") from exc
    scheme = parsed.scheme.lower()
    if scheme not in ("https", "http"):
        raise _fail("URL must use https", "地址必须使用 https")
    if parsed.userinfo:
        raise _fail("URL must not contain a user name or password", "地址中不得包含用户名或密码")
    if not host:
        raise _fail("URL has no host", "地址缺少主机名")

    literal = _parse_ip(host.strip("[]"))
    allowed = {h.lower().rstrip(".") for h in extra_allowed_hosts} | VENDOR_HOSTS[kind]
    if _is_loopback_name(host) or (literal is not None and _is_loopback(literal)):
        if not allow_loopback:
            raise _fail("loopback addresses are not allowed", "不允许使用本机回环地址")
        addrs: list[IPAddress] = [literal or ipaddress.IPv4Address("127.0.0.1")]
    else:
        if host not in allowed:
            raise _fail(
                f"host {host!r} is not on the allowlist for {kind} channels",
                f"主机 {host} 不在 {kind} 渠道的允许列表中",
            )
        addrs = [literal] if literal is not None else _resolve(resolve, host)

    for addr in addrs:
        if not (_is_public(addr) or (allow_loopback and _is_loopback(addr))):
            raise _fail(
                f"host {host!r} resolves to a non-public address {addr}",
                f"主机 {host} 解析到非公网地址 {addr}",
            )
    all_loopback = all(_is_loopback(a) for a in addrs)
    if scheme != "https" and not (allow_loopback and all_loopback):
        raise _fail("URL must use https", "地址必须使用 https")
    port = parsed.port
    if host in VENDOR_HOSTS[kind] and port not in (None, 443):
        # The vendors serve on 443 only; another port means a typo or a probe.
        raise _fail(f"port {port} is not allowed for {host}", f"{host} 不允许使用端口 {port}")

    if kind == "dingtalk":
        if parsed.path != DINGTALK_PATH:
            raise _fail(
                f"DingTalk robot URL path must be {DINGTALK_PATH}",
                f"钉钉机器人地址路径必须是 {DINGTALK_PATH}",
            )
        if not parsed.params.get("access_token"):
            raise _fail("DingTalk robot URL needs an access_token", "钉钉机器人地址缺少 access_token")

    default_port = 443 if scheme == "https" else 80
    netloc = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    if port is not None and port != default_port:
        netloc = f"{netloc}:{port}"
    query = parsed.query.decode("ascii")
    normalised = f"{scheme}://{netloc}{parsed.raw_path.decode('ascii').split('?', 1)[0]}" + (
        f"?{query}" if query else ""
    )
    return normalised, [str(a) for a in addrs]
