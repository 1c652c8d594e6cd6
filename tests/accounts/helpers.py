"""Helpers for the enterprise sign-in and self-service tests."""

from __future__ import annotations

import struct
import zlib

from tests.attachments.files import image, plain_pdf
from tests.fakes.mini_program_login import LoginFakes

Headers = dict[str, str]


def sign_in_headers(session, secret: str, now, openid: str,  # type: ignore[no-untyped-def]
                    uscc: str | None = None) -> Headers:
    """Signs a WeChat user in through the service (no HTTP, no vendor) and binds it directly when a USCC is given;
    the enterprise must exist (the demo city seeded)."""
    from app.accounts import service
    from app.accounts.models import Provider
    from app.accounts.vendors import VendorIdentity
    from app.enterprises.service import get_by_uscc

    issued = service.sign_in(session, VendorIdentity(Provider.wechat, openid, session_key="sk"), secret=secret, now=now)
    if uscc is not None:
        user = issued.user
        user.enterprise_id = get_by_uscc(session, uscc).id  # type: ignore[union-attr]
        user.bound_at = now
        session.add(user)
        session.commit()
    return {"Authorization": f"Bearer {issued.access_token}"}


def wechat_sign_in(client, fakes: LoginFakes, openid: str) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/wechat", json={"code": fakes.wechat.issue(openid)})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(tokens: dict) -> Headers:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def png_bytes(width: int = 1, height: int = 1, seed: int = 0) -> bytes:
    """A real, decodable PNG (grey pixels); `seed` varies the bytes so files differ."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([(seed + x) % 256 for x in range(width)]) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# Uploads are decoded and parsed (app/attachments/inspect.py): these must be real files.
JPEG = image("JPEG", (8, 8))
PDF = plain_pdf()


def upload(client, headers: Headers, content: bytes, name: str = "照片.png",  # type: ignore[no-untyped-def]
           declared: str = "image/png"):
    return client.post("/api/v1/attachments", files={"file": (name, content, declared)}, headers=headers)


def enterprise_appeal(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "厂区门口道路破损影响货车进出",
        "description": "厂区门口市政道路破损严重，大型货车无法进出，已影响正常发货。",
        "category": "other",
        "impact": {"employees_affected": 5},
    }
    body.update(overrides)
    return body
