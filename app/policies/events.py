"""Events the policies domain publishes (app.core.events); subscribers live in the domains that care."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class PolicyPushed:
    """A push wrote `new_deliveries` deliveries. Counts of the new ones only: a re-push tells nobody twice.

    `by_street`: street unit id → enterprises newly reached there; `by_liaison`: paired liaison's user id →
    their enterprises newly reached. Enough for one digest per street group and per liaison, no query needed."""

    push_id: int
    policy_id: int
    title: str
    issuer_unit_name: str
    apply_by: date | None
    url: str | None
    new_deliveries: int
    by_street: dict[int, int] = field(default_factory=dict)
    by_liaison: dict[int, int] = field(default_factory=dict)
    at: datetime | None = None
