from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse

from app.appeals import access
from app.attachments import service
from app.attachments.models import Attachment
from app.attachments.schemas import AttachmentRead
from app.auth.deps import PrincipalDep
from app.core.validation import IdPath
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import problem_responses

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])

_FILE_CONTENT = {t: {"schema": {"type": "string", "format": "binary"}}
                 for t in ("image/jpeg", "image/png", "application/pdf")}


def to_read(attachment: Attachment) -> AttachmentRead:
    return AttachmentRead(id=attachment.id, sha256=attachment.sha256, size=attachment.size,  # type: ignore[arg-type]
                          content_type=attachment.content_type, original_name=attachment.original_name,
                          created_at=attachment.created_at)


@router.post("", status_code=201, response_model=AttachmentRead, responses=problem_responses(403, 413))
def upload_attachment(
    file: Annotated[UploadFile, File(description="JPEG/PNG/PDF，单个不超过 10 MB")],
    session: SessionDep, principal: PrincipalDep, settings: SettingsDep, now: NowDep,
) -> AttachmentRead:
    """上传附件（multipart 字段 file）；类型按文件内容识别，同一文件重复上传返回同一附件。"""
    attachment = service.upload(session, principal, file.file, file.filename, directory=settings.attachments_dir,
                                now=now)
    return to_read(attachment)


@router.get("/{attachment_id}", response_class=FileResponse,
            responses={200: {"content": _FILE_CONTENT, "description": "附件文件"}, **problem_responses(403, 404)})
def download_attachment(attachment_id: IdPath, session: SessionDep, principal: PrincipalDep,
                        settings: SettingsDep) -> FileResponse:
    """下载附件：仅能看到引用它的诉求的人（或尚未引用时的上传者）可以下载。"""
    attachment, path = service.get_readable(session, principal, attachment_id, directory=settings.attachments_dir,
                                           visible_appeal_ids=access.visible_ids(session, principal))
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.original_name,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
