"""Start-up of DingTalk as the liaison's workplace: one call from the app factory and the worker each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from app.config import Settings
from app.core.health import READINESS_CHECKS
from app.deps import system_clock
from app.dingtalk import handlers, personal_notices

if TYPE_CHECKING:
    from app.dingtalk.stream import StreamRunner


def install(settings: Settings) -> None:
    """The subscribers (they stay idle unless the app's AgentId is configured) and, in Stream mode, the
    /readyz check of the worker's Stream connection."""
    handlers.register(settings)
    personal_notices.register()  # revisits due and policy digests (idle too unless the AgentId is configured)
    if settings.dingtalk_mode == "stream":
        from app.dingtalk.stream import readiness

        READINESS_CHECKS["dingtalk_stream"] = partial(
            readiness, heartbeat_seconds=settings.dingtalk_stream_heartbeat_seconds)
    else:
        READINESS_CHECKS.pop("dingtalk_stream", None)


def start_stream(engine: Engine, settings: Settings, *,
                 clock: Callable[[], datetime] | None = None) -> StreamRunner | None:
    """The worker in Stream mode (`zhuqi worker`, or `zhuqi serve`'s in-process worker) holds DingTalk's Stream
    connection; HTTP mode (the default) needs none. `clock`: the process's clock (the heartbeat /readyz reads)."""
    if settings.dingtalk_mode != "stream" or not settings.dingtalk_app_key:
        return None
    from app.dingtalk.stream import StreamRunner

    return StreamRunner(engine, settings, clock=clock or system_clock).start()
