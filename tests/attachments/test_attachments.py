"""Attachments: JPEG/PNG/PDF sniffed from the bytes, ≤ 10 MB, stored once by SHA-256, downloadable only by
those who may see an appeal that references them (or their uploader before that)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.attachments.sniff import JPEG as JPEG_TYPE
from app.attachments.sniff import PDF as PDF_TYPE
from app.attachments.sniff import PNG as PNG_TYPE
from app.attachments.sniff import safe_filename, sniff
from tests.accounts.helpers import JPEG, PDF, enterprise_appeal, png_bytes, upload
from tests.attachments.files import sized_png
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, assert_problem

TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("head, expected", [
    (png_bytes(), PNG_TYPE), (JPEG, JPEG_TYPE), (PDF, PDF_TYPE), (b"GIF89a....", None), (b"<html>", None),
    (b"MZ\x90\x00", None), (b"", None), (b"\x89PNG", None), (b"PK\x03\x04", None), (b" %PDF-1.4", None),
])
def test_sniff(head, expected):
    assert sniff(head[:8]) == expected


@pytest.mark.parametrize("name, expected", [
    ("照片.png", "照片.png"), ("../../etc/passwd", "passwd.png"), ("C:\\Users\\me\\厂房.PNG", "厂房.PNG"),
    ("<script>alert(1)</script>.png", "script.png"), ("a<b>:c|d?.png", "abcd.png"),
    ("report.html", "report.html.png"), ("a\r\nContent-Type: text\\html.png", "html.png"),
    ("报告\r\n 终稿.pdf", "报告 终稿.pdf.png"), (None, "附件.png"), ("", "附件.png"), ("a" * 300 + ".png", "a" * 96 + ".png"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name, PNG_TYPE) == expected


@pytest.fixture
def a1(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-a1", XIXI_ENTERPRISE)


@pytest.fixture
def a2(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-a2", XIXI_ENTERPRISE)


@pytest.fixture
def b1(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-b1", HUSHU_ENTERPRISE)


class TestUpload:
    def test_types_are_sniffed_not_declared(self, client, a1, settings):
        png = png_bytes()
        r = upload(client, a1, png, name="厂房照片.jpg", declared="application/octet-stream")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["content_type"] == "image/png" and body["size"] == len(png)
        assert body["sha256"] == hashlib.sha256(png).hexdigest() and body["original_name"] == "厂房照片.jpg.png"
        stored = Path(settings.attachments_dir) / body["sha256"]
        assert stored.read_bytes() == png
        assert upload(client, a1, JPEG, name="现场.jpg").json()["content_type"] == "image/jpeg"
        assert upload(client, a1, PDF, name="营业执照.pdf", declared="image/png").json()["content_type"] == PDF_TYPE

    @pytest.mark.parametrize("content", [b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00\x01\x00",
                                         b"MZ\x90\x00\x03" + b"\x00" * 100, b"", b"%PD"])
    def test_other_content_is_refused(self, client, a1, content, settings):
        assert_problem(upload(client, a1, content, name="photo.png", declared="image/png"), 422, field="file")
        assert not any(Path(settings.attachments_dir).glob("*")) if Path(settings.attachments_dir).exists() else True

    def test_size_limit(self, client, a1, settings):
        assert upload(client, a1, sized_png(TEN_MB)).status_code == 201
        assert_problem(upload(client, a1, sized_png(TEN_MB + 1, seed=1)), 413, code="payload_too_large")
        assert_problem(upload(client, a1, b"\x89PNG\r\n\x1a\n" + b"\x00" * (12 * 1024 * 1024)), 413)
        assert [p.name for p in Path(settings.attachments_dir).iterdir()] == [
            hashlib.sha256(sized_png(TEN_MB)).hexdigest()
        ]  # nothing left behind

    def test_same_bytes_stored_once(self, client, a1, a2, settings):
        png = png_bytes()
        first, again = upload(client, a1, png).json(), upload(client, a1, png, name="又一次.png").json()
        other = upload(client, a2, png).json()
        assert first["id"] == again["id"] and other["id"] != first["id"]
        assert len(list(Path(settings.attachments_dir).iterdir())) == 1

    def test_bad_requests(self, client, a1, keys):
        assert_problem(client.post("/api/v1/attachments", json={"file": "x"}, headers=a1), 422)
        assert_problem(client.post("/api/v1/attachments", files={"other": ("a.png", png_bytes())}, headers=a1), 422,
                       field="file")
        assert_problem(upload(client, keys["system"], png_bytes()), 403)
        assert_problem(upload(client, {}, png_bytes()), 401)


class TestDownload:
    def test_uploader_only_until_referenced(self, client, keys, a1, a2, b1):
        png = png_bytes()
        attachment = upload(client, a1, png).json()
        url = f"/api/v1/attachments/{attachment['id']}"
        r = client.get(url, headers=a1)
        assert r.status_code == 200 and r.content == png
        assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"].startswith("attachment;")
        for other in (a2, b1, keys["xixi_liaison"], keys["city"]):
            assert_problem(client.get(url, headers=other), 404)

        appeal = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[attachment["id"]]), headers=a1)
        assert appeal.status_code == 201, appeal.text
        assert appeal.json()["attachment_ids"] == [attachment["id"]]
        for allowed in (a1, a2, keys["xixi_liaison"], keys["xixi_admin"], keys["xihu"], keys["city"]):
            assert client.get(url, headers=allowed).content == png
        for denied in (b1, keys["gongshu"], keys["hushu_admin"]):
            assert_problem(client.get(url, headers=denied), 404)
        assert_problem(client.get("/api/v1/attachments/999999", headers=a1), 404)
        assert_problem(client.get("/api/v1/attachments/abc", headers=a1), 422)


class TestAttachingToAppeals:
    def test_enterprise_uses_only_its_own(self, client, a1, a2, b1, session):
        from sqlmodel import select

        from app.appeals.models import Appeal

        mine, colleague = upload(client, a1, png_bytes()).json()["id"], upload(client, a2, JPEG).json()["id"]
        theirs = upload(client, b1, png_bytes(seed=9)).json()["id"]
        for ids in ([theirs], [mine, theirs], [123456], [mine, mine]):
            r = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=ids), headers=a1)
            body = assert_problem(r, 422, field="attachment_ids")
            assert "attachment_ids" in body["detail"]
        assert_problem(client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=list(range(1, 11))),
                                   headers=a1), 422, field="attachment_ids")
        assert session.exec(select(Appeal)).all() == []
        session.rollback()
        r = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[mine, colleague]), headers=a1)
        assert r.status_code == 201, r.text

    def test_staff_rules(self, client, keys, a1):
        staff_file = upload(client, keys["xixi_liaison"], PDF).json()["id"]
        foreign_staff_file = upload(client, keys["gongshu"], JPEG).json()["id"]
        enterprise_file = upload(client, a1, png_bytes()).json()["id"]
        ok = client.post("/api/v1/appeals", json=appeal_body(attachment_ids=[staff_file]), headers=keys["xihu"])
        assert ok.status_code == 201, ok.text
        for ids in ([foreign_staff_file], [enterprise_file]):  # outside reach / a private upload of the enterprise
            assert_problem(client.post("/api/v1/appeals", json=appeal_body(attachment_ids=ids),
                                       headers=keys["xixi_liaison"]), 422, field="attachment_ids")
        client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[enterprise_file]), headers=a1)
        reuse = client.post("/api/v1/appeals", json=appeal_body(attachment_ids=[enterprise_file]),
                            headers=keys["xixi_liaison"])
        assert reuse.status_code == 201, reuse.text  # already on this enterprise's appeal
        other_enterprise = client.post("/api/v1/appeals", json=appeal_body(HUSHU_ENTERPRISE,
                                       attachment_ids=[enterprise_file]), headers=keys["city"])
        assert_problem(other_enterprise, 422, field="attachment_ids")
