from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime


class AttachmentRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 31, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                 "size": 248113, "content_type": "image/png", "original_name": "厂房照片.png",
                 "created_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    id: int = Field(description="提交诉求时放入 attachment_ids")
    sha256: str
    size: int = Field(description="字节数")
    content_type: str = Field(description="按文件内容识别：image/jpeg、image/png 或 application/pdf")
    original_name: str = Field(description="清理后的原文件名")
    created_at: LocalDateTime
