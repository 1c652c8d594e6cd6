"""Settings from the environment (prefix ZHUQI_). Small and fail-fast: prod refuses placeholder secrets."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-in-production"


class Env(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUQI_", extra="ignore")

    database_url: str = "sqlite:///./zhuqi.db"
    env: Env = Env.dev
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)

    sweep_interval_seconds: float = 60.0
    dispatch_interval_seconds: float = 1.0
    housekeeping_interval_seconds: float = 3600.0  # deletes rows past their retention (app.core.housekeeping)
    dispatch_lease_seconds: float = 60.0  # a crashed dispatcher's messages are re-sent after this
    # The vendors' rate window the per-channel budget counts in (DingTalk/WeCom: 20 per 60 s). Only a
    # benchmark against a time-scaled fake robot shortens it (bench/bench_dispatcher.py); prod refuses < 60.
    rate_window_seconds: float = Field(default=60.0, gt=0)
    run_workers_in_process: bool = False  # `zhuqi serve` turns it on unless told otherwise
    # Reference data and API keys are reused in a process for this long (app.core.refcache); 0 turns it off.
    cache_seconds: float = Field(default=5.0, ge=0, le=300)
    db_wait_seconds: float = 60.0  # `zhuqi serve`/`worker` wait this long for the database at start-up, then exit 1
    # Connections per process (PostgreSQL): the pool, what it may open beyond it under a burst, and how long a
    # request waits for one before it is answered 503 + Retry-After (app.core.overload). The arithmetic against
    # max_connections: docs/decisions.md, "Connection discipline".
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Threads per API process that run route code (database work). Few on purpose: every thread past the cores'
    # worth fights for the GIL at each database round trip (issue 20: 40 threads cost 4.7 ms of CPU per intake,
    # 4 threads 3.1 ms, and intake's throughput went from 0.3× to 0.6× of a bare INSERT; bench/RESULTS.md).
    # Routes that wait on a vendor (WeChat/DingTalk sign-in, a channel's test send) have threads of their own.
    api_threads: int = Field(default=4, ge=1, le=200)
    vendor_threads: int = Field(default=16, ge=1, le=200)
    # At start-up, freeze what is alive out of the cyclic GC's reach (app.main lifespan; issue 20: full collections
    # paused a loaded process 160-215 ms). Off in the test suite, where every app's start-up would pay a collection.
    gc_freeze: bool = True

    public_base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 1_048_576

    wechat_app_id: str = ""
    wechat_app_secret: SecretStr = SecretStr("")
    wechat_api_base: str = "https://api.weixin.qq.com"
    dingtalk_app_key: str = ""
    dingtalk_app_secret: SecretStr = SecretStr("")
    # apiSecret registered for interactive-card callbacks (x-ddpaas-signature); unset → unsigned card callbacks
    # are accepted outside prod only.
    dingtalk_card_api_secret: SecretStr = SecretStr("")
    dingtalk_api_base: str = "https://api.dingtalk.com"
    dingtalk_oapi_base: str = "https://oapi.dingtalk.com"
    dingtalk_corp_id: str = ""  # the org's corpId, for dd.requestAuthCode on the liaison page (H5 免登)
    # DingTalk as the liaison's workplace (DESIGN §14, docs/dingtalk.md): work notices, to-dos and cards are on
    # when the app's AgentId is set (with APP_KEY/APP_SECRET); cards also need the card platform's template id.
    dingtalk_agent_id: int | None = None
    dingtalk_robot_code: str = ""  # the app robot's code; empty: the app key (an internal app's robot)
    dingtalk_card_template_id: str = ""
    dingtalk_card_route_key: str = "zhuqi"  # callbackRouteKey registered for /api/v1/callbacks/dingtalk/card
    dingtalk_notice_daily_budget: int = Field(default=450, ge=2, le=500)  # per user and China day; vendor: 500
    # http: DingTalk calls our public callback URLs; stream: `zhuqi worker` holds DingTalk's Stream connection.
    dingtalk_mode: Literal["http", "stream"] = "http"
    dingtalk_stream_heartbeat_seconds: float = Field(default=10.0, gt=0)

    webhook_allowed_hosts: str = ""
    allow_loopback_webhooks: bool = False
    attachments_dir: str = "./attachments"

    # Operations (DESIGN §13). /metrics requires this bearer token when it is set; prod refuses to start without.
    metrics_token: SecretStr = SecretStr("")
    # json: one object per line for a log pipeline (the default in prod); text: for a developer's terminal.
    log_format: Literal["json", "text"] | None = None

    @model_validator(mode="after")
    def _refuse_placeholders_in_prod(self) -> Settings:
        if self.env is Env.prod:
            if self.signing_secret in ("", PLACEHOLDER_SECRET) or len(self.signing_secret) < 32:
                raise ValueError("ZHUQI_SECRET_KEY must be set to a random value of 32+ characters in prod")
            if self.allow_loopback_webhooks:
                raise ValueError("ZHUQI_ALLOW_LOOPBACK_WEBHOOKS is for local fakes in tests; never in prod")
            if self.rate_window_seconds < 60:
                raise ValueError("ZHUQI_RATE_WINDOW_SECONDS below 60 is for a time-scaled fake; never in prod")
            if not self.metrics_token.get_secret_value():
                raise ValueError("ZHUQI_METRICS_TOKEN must be set in prod (Prometheus scrapes /metrics with it)")
        return self

    @property
    def effective_log_format(self) -> str:
        return self.log_format or ("json" if self.env is Env.prod else "text")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def extra_webhook_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.webhook_allowed_hosts.split(",") if h.strip())

    @property
    def signing_secret(self) -> str:
        """The key tokens, page links, sessions and cursors are signed with (the value of ZHUQI_SECRET_KEY)."""
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
