"""Reach granted by relationships, not by the unit tree: a registry other domains fill at start-up.

A staff principal reaches its own unit's subtree (app.auth). Some domains grant more: a cadre paired with an
enterprise (结对) or a building's manager (楼长) reaches that enterprise wherever its street is. The appeals and
enterprise packages must not import those domains, and core imports no domain at all, so the granting domain
registers a *provider* here: `provider(principal) -> SQL selectable of enterprise ids | None` (None: this provider
grants this principal nothing, so no clause is added and the common query stays as it was).

The selectable is evaluated inside the caller's query, never cached: when a pairing ends, the next query no
longer sees it — no principal or process cache can keep a reach alive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

# principal -> a SELECT of enterprise ids (one column), or None when nothing is granted to this principal.
Provider = Callable[[Any], Any | None]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Adds a provider; registering the same one twice is a no-op (the app, worker and tests all install)."""
    if provider not in _providers:
        _providers.append(provider)


def providers() -> list[Provider]:
    return list(_providers)


def reset() -> None:
    _providers.clear()


def granted_enterprise_ids(principal: Any) -> Any | None:
    """A selectable of the enterprise ids granted to `principal` beyond its unit subtree, or None."""
    selects = [s for s in (provider(principal) for provider in _providers) if s is not None]
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else sa.union(*selects)


def enterprise_clause(column: Any, principal: Any) -> Any | None:
    """`column IN (granted ids)` for a query over rows carrying an enterprise id; None when nothing is granted."""
    granted = granted_enterprise_ids(principal)
    return None if granted is None else column.in_(granted)


def grants(session: Session, principal: Any, enterprise_id: int) -> bool:
    """Whether `principal` is granted reach over this one enterprise (one indexed query, or none at all)."""
    granted = granted_enterprise_ids(principal)
    if granted is None:
        return False
    subquery = granted.subquery()
    column = list(subquery.c)[0]
    return session.execute(sa.select(column).where(column == enterprise_id).limit(1)).first() is not None
