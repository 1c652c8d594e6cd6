"""Attachment upload and download. Bytes are content-addressed on disk (ATTACHMENTS_DIR/<sha256>), so the
same file is stored once; each upload is a row owned by its uploader (and enterprise). An upload is kept only if
it is what its first bytes say and harmless to open (app/attachments/inspect.py): a decodable image, a PDF
without JavaScript or actions that run by themselves."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session, col, select

from app.attachments import inspect, sniff
from app.attachments.models import AppealAttachment, Attachment
from app.auth.principal import Principal
from app.enums import Role
from app.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge

log = logging.getLogger("app.attachments")

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024


def _receive(stream: BinaryIO, directory: Path) -> tuple[Path, str, int, str]:
    """Copies the upload to a temporary file next to its final place; returns (tmp, sha256, size, type)."""
    head = stream.read(CHUNK)
    if not head:
        raise InvalidInput.field("body.file", "文件为空")
    media_type = sniff.sniff(head[: sniff.SNIFF_BYTES])
    if media_type is None:
        raise InvalidInput.field("body.file", "仅支持 JPEG、PNG 图片或 PDF 文件（按文件内容识别）")
    directory.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".upload-", delete=False) as tmp:
        chunk = head
        try:
            while chunk:
                size += len(chunk)
                if size > MAX_BYTES:
                    raise PayloadTooLarge(f"单个附件不能超过 {MAX_BYTES // (1024 * 1024)} MB")
                digest.update(chunk)
                tmp.write(chunk)
                chunk = stream.read(CHUNK)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    try:
        inspect.check(Path(tmp.name), media_type)
    except BaseException as exc:
        os.unlink(tmp.name)
        if isinstance(exc, inspect.Refused):
            raise InvalidInput.field("body.file", str(exc)) from None
        raise
    return Path(tmp.name), digest.hexdigest(), size, media_type


def _place(tmp: Path, final: Path) -> None:
    if final.exists():
        tmp.unlink()
    else:
        os.replace(tmp, final)  # atomic: readers never see a half-written file


def upload(
    session: Session, principal: Principal, stream: BinaryIO, filename: str | None, *, directory: str,
    now: datetime,
) -> Attachment:
    if principal.role is Role.system:
        raise Forbidden("系统密钥不能上传附件")
    tmp, sha256, size, media_type = _receive(stream, Path(directory))
    _place(tmp, Path(directory) / sha256)
    existing = session.exec(
        select(Attachment).where(Attachment.uploader == principal.caller_key, Attachment.sha256 == sha256)
    ).first()
    if existing is not None:  # the same caller sent the same bytes again: one row, one id
        return existing
    attachment = Attachment(
        sha256=sha256,
        size=size,
        content_type=media_type,
        original_name=sniff.safe_filename(filename, media_type),
        uploader=principal.caller_key,
        owner_enterprise_id=principal.enterprise_id if principal.is_enterprise else None,
        owner_enterprise_user_id=principal.enterprise_user_id,
        uploader_user_id=principal.user_id,
        uploader_unit_id=principal.unit_id if principal.is_staff else None,
        created_at=now,
    )
    session.add(attachment)
    session.commit()
    return attachment


def _may_read(session: Session, principal: Principal, attachment: Attachment, visible_appeal_ids: Any) -> bool:
    """Those who may see an appeal referencing it; before any appeal does, only its uploader. `visible_appeal_ids`
    selects the ids of the appeals the reader sees (app.appeals.access.visible_ids, passed in by the route)."""
    referenced = session.exec(
        select(AppealAttachment.appeal_id).where(AppealAttachment.attachment_id == attachment.id).limit(1)
    ).first()
    if referenced is None:
        return attachment.uploader == principal.caller_key
    visible = session.exec(
        select(AppealAttachment.appeal_id)
        .where(AppealAttachment.attachment_id == attachment.id,
               col(AppealAttachment.appeal_id).in_(visible_appeal_ids))
        .limit(1)
    ).first()
    return visible is not None


def get_readable(session: Session, principal: Principal, attachment_id: int, *, directory: str,
                 visible_appeal_ids: Any) -> tuple[Attachment, Path]:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not _may_read(session, principal, attachment, visible_appeal_ids):
        raise NotFound(f"附件 {attachment_id} 不存在或不在您的权限范围内")
    path = Path(directory) / attachment.sha256
    if not path.is_file():
        log.error("attachment %s: file %s missing from the attachments directory", attachment_id, attachment.sha256)
        raise NotFound(f"附件 {attachment_id} 的文件不存在")
    return attachment, path
