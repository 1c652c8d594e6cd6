"""Uploaded files (the bytes live on disk under ATTACHMENTS_DIR, named by their SHA-256) and the appeals that
reference them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Attachment(SQLModel, table=True):
    """One upload. Enterprise uploads carry the enterprise and the user; staff uploads the uploader's unit."""

    __tablename__ = "attachment"
    __table_args__ = (sa.Index("ix_attachment_uploader_sha256", "uploader", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    content_type: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    original_name: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    uploader: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))  # Principal.caller_key
    owner_enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    owner_enterprise_user_id: int | None = Field(default=None, foreign_key="enterprise_user.id")
    uploader_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    uploader_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    created_at: datetime = Field(sa_column=utc_column())


class AppealAttachment(SQLModel, table=True):
    """An appeal references an attachment; whoever may see the appeal may download the file."""

    __tablename__ = "appeal_attachment"

    appeal_id: int = Field(foreign_key="appeal.id", primary_key=True)
    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True, index=True)
