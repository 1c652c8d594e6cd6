"""De-duplication of robot messages by msgId: DingTalk redelivers a message it got no answer to (after 2.5 s), so
each message is stored with its reply; a redelivery gets the stored reply (or "processing" while the first is still
running) and nothing runs twice. Shared by the chatbot's commands (app.chatbot.service, .visit_commands)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.chatbot import replies
from app.chatbot.models import ChatbotMessage, MessageStatus
from app.chatbot.schemas import RobotMessageIn, RobotReply
from app.core import metrics

PROCESSING_STALE_AFTER = timedelta(seconds=10)


def find(session: Session, msg_id: str) -> ChatbotMessage | None:
    return session.exec(select(ChatbotMessage).where(ChatbotMessage.msg_id == msg_id)).first()


def replay(session: Session, row: ChatbotMessage, *, now: datetime) -> RobotReply:
    session.rollback()  # end the read transaction
    metrics.inc("zhuqi_chatbot_messages_total", outcome="replayed", help_text="Chatbot messages by outcome")
    at = row.sender or None
    if row.status == MessageStatus.done and row.reply is not None:
        return RobotReply.model_validate(row.reply)
    if now - row.created_at < PROCESSING_STALE_AFTER:
        return replies.processing(at)
    return replies.already_handled(at)


def dump(reply: RobotReply) -> dict[str, Any]:
    return reply.model_dump(mode="json", by_alias=True, exclude_none=True)


def new_row(message: RobotMessageIn, *, now: datetime, user_id: int | None, verb: str | None) -> ChatbotMessage:
    return ChatbotMessage(
        msg_id=message.msg_id or "", sender=message.sender_staff_id or "", user_id=user_id,
        conversation_id=message.conversation_id, content=(message.text_content or "")[:2000], verb=verb,
        created_at=now,
    )


def finish(session: Session, message: RobotMessageIn, reply: RobotReply, *, now: datetime,
            user_id: int | None = None, verb: str | None = None) -> RobotReply:
    """Stores a reply that changed nothing (help, lists, refusals) with its msgId, in one commit."""
    row = new_row(message, now=now, user_id=user_id, verb=verb)
    row.status, row.reply, row.finished_at = MessageStatus.done, dump(reply), now
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:
        return lost_race(session, message, exc, now=now)
    metrics.inc("zhuqi_chatbot_messages_total", outcome=verb or "other", help_text="Chatbot messages by outcome")
    return reply


def lost_race(session: Session, message: RobotMessageIn, exc: IntegrityError, *, now: datetime) -> RobotReply:
    """A concurrent delivery of the same msgId committed first: answer as its replay."""
    session.rollback()
    winner = find(session, message.msg_id or "")
    if winner is None:
        raise exc
    return replay(session, winner, now=now)
