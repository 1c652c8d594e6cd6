"""SSRF at send time: resolve once, check every address, connect to a checked address — never to what a second
(DNS-rebound) lookup would say — while TLS still verifies the hostname. Real sockets and real TLS for the last
part: two local HTTPS servers, the checked one on 127.0.0.1 and the rebinding target on 127.0.0.2."""

from __future__ import annotations

import base64
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.notifications import sender
from app.notifications.delivery import Outcome, Target

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=tok"
HOOK_HOST = "hooks.example.com"
WHSEC = "whsec_" + base64.b64encode(b"k" * 32).decode()


def answers(*per_call: list[str]) -> tuple[Callable[[str], list[str]], list[str]]:
    """A resolver that gives the n-th answer on the n-th call (the last one from then on)."""
    calls: list[str] = []

    def resolve(host: str) -> list[str]:
        calls.append(host)
        return per_call[min(len(calls), len(per_call)) - 1]

    return resolve, calls


def test_the_request_goes_to_the_checked_address_with_the_name_in_host_and_sni() -> None:
    resolve, calls = answers(["106.11.35.100"], ["10.0.0.1"])  # the second answer is a rebinding attack
    seen: list[httpx.Request] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    guard = sender.UrlGuard(resolve=resolve)
    target = Target(channel_id=1, kind="dingtalk", url=ROBOT, secret=None)
    with httpx.Client(transport=httpx.MockTransport(vendor)) as client:
        attempt = sender.deliver(client, target, {"msgtype": "text", "text": {"content": "x"}}, "msg_1", now=NOW,
                                 guard=guard)
        assert attempt.verdict.outcome is Outcome.sent and calls == ["oapi.dingtalk.com"]  # one lookup
        [request] = seen
        assert request.url.host == "106.11.35.100" and request.url.params["access_token"] == "tok"
        assert request.headers["host"] == "oapi.dingtalk.com"
        assert request.extensions["sni_hostname"] == "oapi.dingtalk.com"

        again = sender.deliver(client, target, {"msgtype": "text", "text": {"content": "x"}}, "msg_2", now=NOW,
                               guard=guard)
    assert again.verdict.code == "ssrf" and again.verdict.breaks_channel and len(seen) == 1  # nothing left


def test_a_dns_failure_is_temporary_and_sends_nothing() -> None:
    def broken(host: str) -> list[str]:
        raise OSError("Temporary failure in name resolution")

    def vendor(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may leave without a checked address")

    target = Target(channel_id=1, kind="dingtalk", url=ROBOT, secret=None)
    for resolve in (broken, lambda host: []):
        with httpx.Client(transport=httpx.MockTransport(vendor)) as client:
            attempt = sender.deliver(client, target, {"msgtype": "text"}, "msg_1", now=NOW,
                                     guard=sender.UrlGuard(resolve=resolve))
        assert attempt.verdict.outcome is Outcome.retry and attempt.verdict.code == "dns"
        assert not attempt.verdict.breaks_channel


# --- real sockets, real TLS --------------------------------------------------------------------------------------

def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA and two server certificates: one for the webhook host, one for another name."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Zhuqi Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", cwd=d)
    for name in (HOOK_HOST, "other.example.com"):
        (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
                                       "extendedKeyUsage=serverAuth\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return d


class _Server:
    """A one-route HTTPS server that records what reached it: SNI, Host header and body."""

    def __init__(self, address: str, port: int, pki: Path, cert_name: str) -> None:
        self.hits: list[dict[str, str]] = []
        self.sni: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki / f"{cert_name}.pem", pki / f"{cert_name}.key")
        context.sni_callback = lambda sock, name, ctx: self.sni.append(name)  # type: ignore[assignment, misc]
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — the http.server API
                length = int(self.headers.get("content-length", "0"))
                hits.append({"host": self.headers.get("host", ""), "body": self.rfile.read(length).decode()})
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((address, port), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers(pki: Path) -> Iterator[Callable[[str], tuple[_Server, _Server]]]:
    made: list[_Server] = []

    def start(cert_name: str) -> tuple[_Server, _Server]:
        checked = _Server("127.0.0.1", 0, pki, cert_name)
        rebound = _Server("127.0.0.2", checked.port, pki, HOOK_HOST)  # same port, the attacker's address
        made.extend([checked, rebound])
        return checked, rebound

    yield start
    for server in made:
        server.close()


def _deliver_over_tls(pki: Path, port: int, resolve: Callable[[str], list[str]]) -> sender.Attempt:
    guard = sender.UrlGuard(extra_hosts=(HOOK_HOST,), allow_loopback=True, resolve=resolve)  # local fakes only
    target = Target(channel_id=1, kind="webhook", url=f"https://{HOOK_HOST}:{port}/zhuqi", secret=WHSEC)
    with httpx.Client(verify=ssl.create_default_context(cafile=str(pki / "ca.pem"))) as client:
        return sender.deliver(client, target, {"type": "appeal.test", "data": {}}, "msg_pin", now=NOW, guard=guard)


def test_a_resolver_that_answers_differently_the_second_time_cannot_redirect_the_request(pki, servers) -> None:
    checked, rebound = servers(HOOK_HOST)
    resolve, calls = answers(["127.0.0.1"], ["127.0.0.2"])
    attempt = _deliver_over_tls(pki, checked.port, resolve)
    assert attempt.verdict.outcome is Outcome.sent, attempt.verdict
    assert calls == [HOOK_HOST]  # resolved once; the connection used that answer
    assert [h["host"] for h in checked.hits] == [f"{HOOK_HOST}:{checked.port}"]
    assert "appeal.test" in checked.hits[0]["body"]
    assert checked.sni == [HOOK_HOST]  # TLS by name: the certificate was verified for hooks.example.com
    assert rebound.hits == [] and rebound.sni == []


def test_tls_still_verifies_the_hostname_when_connecting_by_address(pki, servers) -> None:
    checked, _ = servers("other.example.com")  # a valid certificate, but for another name
    resolve, _ = answers(["127.0.0.1"])
    attempt = _deliver_over_tls(pki, checked.port, resolve)
    assert attempt.verdict.outcome is Outcome.retry and "CERTIFICATE_VERIFY_FAILED" in attempt.verdict.detail
    assert checked.hits == []


def test_when_a_checked_address_refuses_the_connection_the_next_checked_one_is_used(pki, servers) -> None:
    checked, rebound = servers(HOOK_HOST)
    resolve, calls = answers(["127.0.0.3", "127.0.0.1"], ["127.0.0.2"])  # nothing listens on 127.0.0.3
    attempt = _deliver_over_tls(pki, checked.port, resolve)
    assert attempt.verdict.outcome is Outcome.sent and calls == [HOOK_HOST]
    assert len(checked.hits) == 1 and rebound.hits == []
