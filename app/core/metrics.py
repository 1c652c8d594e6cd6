"""Prometheus metrics with prometheus-client, summed over every worker process of the server.

`zhuqi serve --workers N` runs N processes behind one port; a scrape lands on one of them. prometheus-client's
multiprocess mode has each process write its counters and histograms to files in PROMETHEUS_MULTIPROC_DIR
(app.core.serving sets it up, empty, before the workers start) and /metrics sums the files, so Prometheus sees
the whole server. Without that variable (one process, tests) the values live in this process.

Business series (open appeals, outbox backlog, sweeper and dispatcher lag) are not counted by any process: they
are read from the database at scrape time, so every replica reports the same truth and nothing drifts. The
domains that own them register them (`register_business_series`, from app.wiring): core knows no domain.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest,
                               multiprocess)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_for
from app.errors import AppError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# prometheus-client picks its value storage when it is imported; this module follows the same rule.
_MULTIPROC_DIR = os.environ.get(MULTIPROC_ENV) or None

disable_created_metrics()  # `_created` series: noise for counters that live as long as the server's files
_REGISTRY = CollectorRegistry()  # this process's own series, rendered only outside multiprocess mode
_lock = threading.Lock()
_counters: dict[str, Counter] = {}

HTTP_REQUESTS = Counter("zhuqi_http_requests_total", "HTTP requests by method, route template and status",
                        ["method", "route", "status"], registry=_REGISTRY)
HTTP_DURATION = Histogram("zhuqi_http_request_duration_seconds", "HTTP request duration by method and route",
                          ["method", "route"], registry=_REGISTRY,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def inc(name: str, amount: float = 1.0, help_text: str = "", **labels: str) -> None:
    """Domain counters (`zhuqi_notifications_sent_total{kind=…}` …), declared on first use with the label names
    of that first call; a counter keeps one set of label names for its life, as Prometheus requires."""
    counter = _counters.get(name)
    if counter is None:
        with _lock:
            counter = _counters.get(name)
            if counter is None:
                counter = Counter(name, help_text or name, sorted(labels), registry=_REGISTRY)
                _counters[name] = counter
    (counter.labels(**labels) if labels else counter).inc(amount)


def value(name: str, **labels: str) -> float:
    """This process's value of a counter (tests)."""
    counter = _counters.get(name)
    if counter is None:
        return 0.0
    return float((counter.labels(**labels) if labels else counter)._value.get())


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_DURATION.labels(method=method, route=route).observe(seconds)


def mark_process_dead() -> None:
    """A worker leaving: its live gauges stop counting (its counters stay summed, as they should)."""
    if _MULTIPROC_DIR:
        multiprocess.mark_process_dead(os.getpid(), _MULTIPROC_DIR)


# Series read from the database at scrape time, by name: name → series(session, now) yielding metric families.
BusinessSeries = Callable[[Session, datetime], Iterable[Metric]]
_business: dict[str, BusinessSeries] = {}


def register_business_series(name: str, series: BusinessSeries) -> None:
    """Adds the database-read series `name` to every scrape (registering a name again replaces it)."""
    _business[name] = series


class BusinessCollector:
    """Series read from the database at scrape time (DESIGN §13), one session for all of them."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine, self.now = engine, now

    def collect(self) -> Iterator[Metric]:
        with session_for(self.engine) as session:
            families = [family for series in list(_business.values()) for family in series(session, self.now)]
        yield from families


def render(engine: Engine | None = None, now: datetime | None = None) -> bytes:
    if _MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, _MULTIPROC_DIR)
        text = generate_latest(registry)
    else:
        text = generate_latest(_REGISTRY)
    if engine is not None and now is not None:
        business = CollectorRegistry()
        business.register(BusinessCollector(engine, now))  # type: ignore[arg-type]
        text += generate_latest(business)
    return text


class MetricsUnauthorized(AppError):
    status_code = 401
    code = "unauthenticated"
    title = "未认证或凭据无效"


router = APIRouter(tags=["health"])


def _check_token(request: Request) -> None:
    expected = request.app.state.settings.metrics_token.get_secret_value()
    if not expected:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise MetricsUnauthorized("/metrics 需要 Authorization: Bearer <ZHUQI_METRICS_TOKEN>",
                                  headers={"WWW-Authenticate": "Bearer"})


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"},
    401: {"description": "ZHUQI_METRICS_TOKEN is set and the bearer token is missing or wrong"},
}


@router.get("/metrics", response_class=Response, responses=_RESPONSES)
def prometheus_metrics(request: Request) -> Response:
    """Prometheus 文本格式指标（多进程汇总）；设置了 ZHUQI_METRICS_TOKEN 时需以 Bearer 方式携带。"""
    _check_token(request)
    now = request.app.state.clock()
    return Response(render(request.app.state.engine, now), media_type=CONTENT_TYPE_LATEST)
