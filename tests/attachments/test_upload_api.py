"""Issue 14 §9 through HTTP: a PNG signature followed by HTML, a truncated JPEG and a PDF whose OpenAction runs
JavaScript were stored as attachments. Now each is a Chinese 422 naming body.file, nothing is written to the
attachments directory or the database, and real files still go through."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from app.attachments.models import Attachment
from tests.accounts.helpers import upload
from tests.attachments.files import image, plain_pdf
from tests.helpers import XIXI_ENTERPRISE, assert_problem

pytestmark = pytest.mark.db

HOSTILE = {
    "png-signature-then-html": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "x.png", "image/png",
                                "无法解码"),
    "truncated-jpeg": (image("JPEG", (320, 240))[:1500], "x.jpg", "image/jpeg", "无法解码"),
    "png-then-html": (image("PNG") + b"<html><script>alert(1)</script></html>", "x.png", "image/png", "多余的数据"),
    "pdf-openaction-javascript": (plain_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"), "x.pdf",
                                  "application/pdf", "JavaScript"),
    "pdf-launch": (plain_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "x.pdf", "application/pdf", "Launch"),
}


@pytest.fixture
def uploader(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-uploader", XIXI_ENTERPRISE)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_uploads_are_refused(client, uploader, settings, session, name):
    content, filename, declared, reason = HOSTILE[name]
    body = assert_problem(upload(client, uploader, content, name=filename, declared=declared), 422,
                          field="body.file", code="validation_error")
    assert reason in body["errors"][0]["message"], body
    directory = Path(settings.attachments_dir)
    assert not directory.exists() or not any(directory.iterdir())  # the temporary file is gone too
    assert session.exec(select(Attachment)).all() == []


@pytest.mark.parametrize("content, filename, media_type", [
    (image("PNG", (320, 240)), "现场.png", "image/png"), (image("JPEG", (320, 240)), "现场.jpg", "image/jpeg"),
    (plain_pdf(b"/OpenAction [3 0 R /Fit]"), "营业执照.pdf", "application/pdf"),
])
def test_real_files_are_stored(client, uploader, settings, content, filename, media_type):
    response = upload(client, uploader, content, name=filename, declared=media_type)
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == media_type
    assert (Path(settings.attachments_dir) / response.json()["sha256"]).read_bytes() == content
