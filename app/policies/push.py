"""Push a policy to the enterprises it fits (DESIGN §12): one delivery per (policy, enterprise), ever.

Deliveries are inserted with INSERT … ON CONFLICT DO NOTHING on the unique (policy_id, enterprise_id) and the
rows actually inserted come back (RETURNING), on SQLite and PostgreSQL alike. So a re-push adds only new matches,
and two pushes racing on PostgreSQL cannot both deliver to one enterprise: the second insert waits for the first
transaction's rows and then skips them. Only the new deliveries are announced (PolicyPushed), so the
notifications side writes one digest per street group and per paired liaison — never one message per enterprise.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.auth.principal import Principal
from app.core import events, idempotency
from app.db import is_postgres
from app.enums import PolicyStatus
from app.errors import Conflict, FieldError
from app.policies.events import PolicyPushed
from app.policies.matches import all_matches
from app.policies.models import PolicyDelivery, PolicyPush
from app.policies.rules import local_today, push_refusals
from app.policies.schemas import PushRead
from app.policies.service import get_visible, require_publisher


def _insert(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """Enterprise ids of the rows inserted; rows whose pair exists already are skipped. One executemany: SQLAlchemy
    batches it into multi-row INSERTs with RETURNING ("insertmanyvalues") on both databases."""
    if not rows:
        return set()
    dialect = postgresql if is_postgres(session) else sqlite
    table = PolicyDelivery.__table__  # type: ignore[attr-defined]
    statement = (dialect.insert(table).on_conflict_do_nothing(index_elements=["policy_id", "enterprise_id"])
                 .returning(table.c.enterprise_id))
    return {row[0] for row in session.connection().execute(statement, rows)}


def push_policy(session: Session, principal: Principal, policy_id: int, *, now: datetime,
                idempotency_key: str | None = None) -> idempotency.Outcome:
    """Refuses a withdrawn, expired or not yet valid policy (409 naming the
    field) and a caller who is not an admin of the issuer or above (403 naming issuer_unit_code)."""
    return idempotency.run_once(session, caller=principal.caller_key, key=idempotency_key,
                                request={"push": policy_id}, now=now,
                                create=lambda: _push(session, principal, policy_id, now=now))


def _push(session: Session, principal: Principal, policy_id: int, *, now: datetime) -> dict[str, Any]:
    policy, issuer, _ = get_visible(session, principal, policy_id)
    require_publisher(principal, issuer)
    today = local_today(now)
    refusals = push_refusals(withdrawn=policy.status == PolicyStatus.withdrawn, valid_from=policy.valid_from,
                             valid_to=policy.valid_to, today=today)
    if refusals:
        errors = [FieldError(field=f, message=m) for f, m in refusals]
        raise Conflict("；".join(f"{f}: {m}" for f, m in refusals), errors=errors)

    matches = all_matches(session, policy, today=today)
    push = PolicyPush(policy_id=policy.id, policy_version=policy.version, pushed_by=principal.label,  # type: ignore[arg-type]
                      pushed_by_user_id=principal.user_id, matched=len(matches), pushed_at=now)
    session.add(push)
    session.flush()
    rows = [{"policy_id": policy.id, "enterprise_id": c.id, "push_id": push.id, "street_unit_id": c.street_unit_id,
             "reasons": reasons, "delivered_at": now} for c, reasons in matches]
    inserted = _insert(session, rows)
    session.execute(sa.update(PolicyPush).where(PolicyPush.id == push.id)  # type: ignore[arg-type]
                    .values(new_deliveries=len(inserted)))
    new = [c for c, _ in matches if c.id in inserted]
    if new:
        events.publish(session, PolicyPushed(
            push_id=push.id, policy_id=policy.id, title=policy.title, issuer_unit_name=issuer.name,  # type: ignore[arg-type]
            apply_by=policy.apply_by, url=policy.url, new_deliveries=len(new),
            by_street=dict(Counter(c.street_unit_id for c in new)),
            by_liaison=dict(Counter(c.liaison_user_id for c in new if c.liaison_user_id is not None)), at=now))
    return PushRead(push_id=push.id, policy_id=policy.id, matched=len(matches),  # type: ignore[arg-type]
                    new_deliveries=len(new), pushed_at=now).model_dump(mode="json")
