"""What the chatbot registers with core (app.wiring.install calls `register`)."""

from __future__ import annotations

from datetime import timedelta

from app.chatbot.models import ChatbotMessage
from app.core import housekeeping
from app.core.housekeeping import Retention


def register() -> None:
    housekeeping.register(
        Retention("chatbot_message", ChatbotMessage.__table__.c.created_at, timedelta(days=7),  # type: ignore[attr-defined]
                  "DingTalk redelivers a callback within seconds; the actions themselves are on the timeline"),
    )
