"""What appeals register with core (app.wiring.install calls `register`): their series on /metrics."""

from __future__ import annotations

from app.appeals import metrics as appeal_metrics
from app.core import metrics


def register() -> None:
    metrics.register_business_series("open_appeals", appeal_metrics.open_appeals)
    metrics.register_business_series("sweeper_lag", appeal_metrics.sweeper_lag)
