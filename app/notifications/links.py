"""Links in chat messages open the liaison's page of an appeal (/m/appeals/{number}) with a one-time token, so a
liaison outside DingTalk can open it from the message (app.pages.service.link_for).

Services have no settings, so the process's settings (public base URL, the key that signs the tokens) are
configured once: create_app() and the worker call configure(); until then the environment's settings apply.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.appeals.models import Appeal
from app.config import Settings, get_settings

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def appeal_link(session: Session, appeal: Appeal, *, now: datetime) -> str:
    from app.pages.service import link_for

    return link_for(session, appeal, now=now, settings=_settings or get_settings())
