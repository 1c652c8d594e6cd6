"""The composition root: who hears about what, and what each domain registers with core.

`install(settings)` is called once at start by the app factory (app.main.create_app), the worker
(app.worker.run_worker), the CLI (app.cli.main) and the tests (tests/conftest.py). Installing twice is installing
once (every registration is idempotent); installing with other settings rebinds the one handler that needs them
(the page links in chat messages). Domains never import their subscribers: the subscriptions are made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.accounts import handlers as accounts
from app.appeals import handlers as appeals
from app.appeals.models import Appeal
from app.auth import handlers as auth
from app.callbacks import handlers as callbacks
from app.chatbot import handlers as chatbot
from app.config import Settings
from app.dingtalk import setup as dingtalk
from app.enterprises import handlers as enterprises
from app.notifications import handlers as notifications
from app.notifications import policy_digest
from app.notifications import revisits as revisit_notices
from app.pages.mobile import service as pages
from app.pairing import handlers as pairing
from app.signin import handlers as signin
from app.sla import handlers as sla


@dataclass(frozen=True)
class PageLink:
    """The liaison's page of an appeal, signed with these settings' key (None: the environment's settings)."""

    settings: Settings | None = None

    def __call__(self, session: Session, appeal: Appeal, now: datetime) -> str:
        return pages.link_for(session, appeal, now=now, settings=self.settings)


def install(settings: Settings | None = None) -> None:
    """Subscribe every handler and register every domain's contributions to core; idempotent.

    Without settings, keeps the settings an earlier install bound (the tests install once, then each app binds
    its own)."""
    appeals.register()  # first: its series lead /metrics, as they always did
    writer = notifications.current_writer()
    if settings is not None or writer is None:
        notifications.register(PageLink(settings))  # the outbox writer, then its registrations with core
    callbacks.register()
    # Contributions to core's registries (core imports no domain): field checks, /readyz, /metrics, housekeeping,
    # the tables whose changes clear the reference-data cache.
    auth.register()
    enterprises.register()
    sla.register()
    accounts.register()
    chatbot.register()
    signin.register()
    # The newer domains: the reach a pairing or a building grants (app.core.reach); revisit reminders through the
    # outbox; the DingTalk workplace (timeline subscriber, Stream readiness; DESIGN §14).
    pairing.register()
    revisit_notices.register()
    policy_digest.register()  # PolicyPushed → one digest per street group and per paired liaison
    if settings is not None:  # it binds the settings (the app's AgentId); the app factory and worker pass them
        dingtalk.install(settings)
