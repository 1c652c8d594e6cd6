"""Domain events and their subscribers: a small explicit registry, not a framework.

A domain records what happened by calling `publish(session, SomethingHappened(...))` inside its use case; every
handler subscribed to that event type runs right there, in the same session and transaction, so one use case is
still one transaction and one commit, and whatever a handler writes (an outbox row, a callback task, a to-do) is
committed with the change that caused it or not at all. The publishing domain imports none of its subscribers:
handlers are subscribed once, at application start, by `app.wiring.install()` (the app factory, the worker, the CLI
and the tests call it). Modelled on Cosmic Python's message bus (chapter 8) and Dispatch's signal handlers.

Events are frozen dataclasses defined by the domain that publishes them. A handler must not commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

E = TypeVar("E")
Handler = Callable[[Session, Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run `handler(session, event)` for every published `event_type`; subscribing twice is a no-op."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    """Stop running `handler` for `event_type` (the wiring rebinding a handler to new settings)."""
    if handler in _handlers.get(event_type, ()):
        _handlers[event_type].remove(handler)


def publish(session: Session, event: object) -> None:
    """Hand `event` to its subscribers in subscription order, in the caller's transaction."""
    for handler in _handlers.get(type(event), ()):
        handler(session, event)


def subscribers(event_type: type) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


def reset() -> None:
    """Forget every subscription (tests that install their own wiring)."""
    _handlers.clear()
