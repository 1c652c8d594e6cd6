"""The event registry: subscribers run in order, in the caller's session, once each."""

from dataclasses import dataclass

from app.core import events


@dataclass(frozen=True)
class Happened:
    what: str


@dataclass(frozen=True)
class Other:
    what: str


def test_subscribers_run_in_order_with_the_callers_session():
    seen: list[tuple[object, str]] = []
    session = object()

    def first(s, e):  # type: ignore[no-untyped-def]
        seen.append((s, "first:" + e.what))

    def second(s, e):  # type: ignore[no-untyped-def]
        seen.append((s, "second:" + e.what))

    saved = {k: list(v) for k, v in events._handlers.items()}
    try:
        events.subscribe(Happened, first)
        events.subscribe(Happened, second)
        events.subscribe(Happened, first)  # twice is once
        events.publish(session, Happened("x"))  # type: ignore[arg-type]
        events.publish(session, Other("y"))  # type: ignore[arg-type]  # nobody listens: nothing runs
        assert seen == [(session, "first:x"), (session, "second:x")]
        assert events.subscribers(Happened) == [first, second]
    finally:
        events.reset()
        events._handlers.update(saved)
