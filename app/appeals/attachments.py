"""Which attachments an appeal may reference, and recording the reference. Called from appeal intake inside
its transaction; never commits. Here, not in app.attachments: attachments are a file store below appeals and
import nothing of them (the download route passes in which appeals the reader sees)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.attachments.models import AppealAttachment, Attachment
from app.auth.principal import Principal
from app.errors import InvalidInput
from app.units.models import Unit

FIELD = "body.attachment_ids"


def _usable(session: Session, principal: Principal, attachment: Attachment, enterprise_id: int) -> bool:
    """An enterprise uses its own uploads. Staff use uploads of staff within their reach, or files already
    on an appeal of the same enterprise. A file of one enterprise never goes on another's appeal."""
    if attachment.owner_enterprise_id is not None and attachment.owner_enterprise_id != enterprise_id:
        return False
    if principal.is_enterprise:
        return attachment.owner_enterprise_id == principal.enterprise_id
    if attachment.uploader_unit_id is not None:
        unit = session.get(Unit, attachment.uploader_unit_id)
        if unit is not None and principal.reaches_path(unit.path):
            return True
    on_same_enterprise = session.exec(
        select(AppealAttachment.appeal_id)
        .join(Appeal, col(Appeal.id) == AppealAttachment.appeal_id)
        .where(AppealAttachment.attachment_id == attachment.id, Appeal.enterprise_id == enterprise_id)
        .limit(1)
    ).first()
    return on_same_enterprise is not None


def check_attachable(session: Session, principal: Principal, ids: Sequence[int], *, enterprise_id: int) -> None:
    if not ids:
        return
    if len(set(ids)) != len(ids):
        raise InvalidInput.field(FIELD, "附件重复")
    found = {a.id: a for a in session.exec(select(Attachment).where(col(Attachment.id).in_(ids))).all()}
    bad = [i for i in ids if i not in found or not _usable(session, principal, found[i], enterprise_id)]
    if bad:
        raise InvalidInput.field(FIELD, f"附件 {', '.join(map(str, bad))} 不存在或不可用于此诉求")


def link(session: Session, appeal_id: int, ids: Sequence[int]) -> None:
    for attachment_id in ids:
        session.add(AppealAttachment(appeal_id=appeal_id, attachment_id=attachment_id))
