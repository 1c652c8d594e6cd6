"""app.wiring.install(): every subscriber and registration once, however often it runs; other settings rebind the
one handler that needs them (the outbox writer's page links) instead of adding a second writer."""

from __future__ import annotations

from app import wiring
from app.appeals.domain_events import AppealEventRecorded, AppealResolved, AppealSettled
from app.core import events, health, housekeeping, metrics, refcache, validation
from app.notifications.handlers import OutboxWriter
from tests.conftest import make_settings


def _snapshot() -> tuple[object, ...]:
    return (
        tuple(events.subscribers(AppealEventRecorded)), tuple(events.subscribers(AppealResolved)),
        tuple(events.subscribers(AppealSettled)), tuple(r.table for r in housekeeping.RULES),
        tuple(metrics._business), tuple(health.READINESS_CHECKS), tuple(health.CALENDAR_LOADER),
        tuple(validation.FIELD_CHECKS), tuple(refcache._TRACKED.items()),
    )


def test_installing_twice_is_installing_once():
    wiring.install()
    before = _snapshot()
    wiring.install()
    wiring.install()
    assert _snapshot() == before
    assert [type(h) for h in events.subscribers(AppealEventRecorded)].count(OutboxWriter) == 1
    assert len(events.subscribers(AppealResolved)) == len(events.subscribers(AppealSettled)) == 1
    assert [r.table for r in housekeeping.RULES] == ["idempotency_record", "auth_session", "usage_counter",
                                                     "chatbot_message", "page_session", "page_link_token"]
    assert list(metrics._business) == ["open_appeals", "sweeper_lag", "outbox_backlog", "dispatcher_lag"]
    assert "dispatcher" in health.READINESS_CHECKS and set(validation.FIELD_CHECKS) == {"mobile", "uscc"}
    assert set(refcache._TRACKED) == {"api_key", "app_user", "unit", "calendar_override", "sla_policy", "setting",
                                      "channel"}


def test_other_settings_rebind_the_one_outbox_writer(tmp_path):
    saved = {k: list(v) for k, v in events._handlers.items()}
    try:
        first = make_settings("sqlite://", tmp_path / "a")
        second = make_settings("sqlite://", tmp_path / "b")  # another attachments dir: other settings
        wiring.install(first)
        wiring.install(second)
        wiring.install()  # no settings: keeps the ones bound last (the tests install before each app binds its own)
        writers = [h for h in events.subscribers(AppealEventRecorded) if isinstance(h, OutboxWriter)]
        assert len(writers) == 1
        assert writers[0].link_for == wiring.PageLink(second)
    finally:
        events.reset()
        events._handlers.update(saved)


def test_install_registers_the_tables_whose_changes_clear_the_cache():
    """The services that cache reference data declare their tables; the wiring registers them (not an import)."""
    saved = dict(refcache._TRACKED)
    try:
        refcache._TRACKED.clear()
        wiring.install()
        assert {"api_key", "app_user", "unit"} <= set(refcache._TRACKED)  # the cached principals (app.auth)
        assert {"calendar_override", "sla_policy", "setting"} <= set(refcache._TRACKED)  # calendar, policies (app.sla)
    finally:
        refcache._TRACKED.clear()
        refcache._TRACKED.update(saved)
