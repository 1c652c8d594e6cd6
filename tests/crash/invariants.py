"""What must hold in the database after any crash or race, checked against every appeal's timeline.

- Nothing half-written: every appeal starts with its "submitted" event (they are one transaction).
- The timeline explains the row: replaying the events gives the appeal's status and owning unit, and its counters
  (escalations, returns, reopens, urges, approved extensions) equal the number of events of that kind — a lost
  update (two writers on the same version) would leave a counter short of its events.
- No double escalation: every "escalated" event starts from the unit that owned the appeal at that point of the
  timeline, so the same step (from → to) is never taken twice from one position.
- Outbox rows (once the notification capability adds them) point at existing events and appeals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MOVES = {"submitted", "escalated", "rerouted", "delegated"}
COUNTED = {"escalations": "escalated", "returns": "returned", "reopens": "reopened", "urges": "urged",
           "extensions": "extension_approved"}


def problems(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        units = dict(conn.execute(sa.text("SELECT id, code FROM unit")).all())
        appeals = {row.id: row for row in conn.execute(sa.text(
            "SELECT id, status, unit_id, version, supervised, " + ", ".join(COUNTED) + " FROM appeal"))}
        events: dict[int, list[Any]] = defaultdict(list)
        for row in conn.execute(sa.text(
                "SELECT id, appeal_id, type, from_status, to_status, from_unit_code, to_unit_code "
                "FROM appeal_event ORDER BY id")):
            events[row.appeal_id].append(row)
        found = _outbox_problems(conn)
    for appeal_id in sorted(set(events) - set(appeals)):
        found.append(f"events of appeal {appeal_id}, which does not exist")
    for appeal_id, appeal in appeals.items():
        found += [f"appeal {appeal_id}: {p}" for p in _appeal_problems(appeal, events.get(appeal_id, []), units)]
    return found


def _appeal_problems(appeal: Any, timeline: list[Any], units: dict[int, str]) -> list[str]:
    if not timeline or timeline[0].type != "submitted":
        return [f"half-written: first event is {timeline[0].type if timeline else None!r}, not 'submitted'"]
    found = []
    status, owner = None, None
    for event in timeline:
        if event.type == "escalated":
            if event.from_unit_code != owner:
                found.append(f"event {event.id}: escalated from {event.from_unit_code}, but {owner} owned it "
                             "(double or stale escalation)")
        if event.type in MOVES and event.to_unit_code:
            owner = event.to_unit_code
        if event.to_status is not None:
            if event.from_status is not None and status is not None and event.from_status != status:
                found.append(f"event {event.id} ({event.type}): from {event.from_status}, but status was {status}")
            status = event.to_status
    if status != appeal.status:
        found.append(f"status {appeal.status}, timeline ends at {status}")
    if owner != units.get(appeal.unit_id):
        found.append(f"owned by {units.get(appeal.unit_id)}, timeline ends at {owner}")
    counts = Counter(e.type for e in timeline)
    for column, event_type in COUNTED.items():
        if getattr(appeal, column) != counts[event_type]:
            found.append(f"{column} = {getattr(appeal, column)}, but {counts[event_type]} {event_type} events "
                         "(lost update)")
    if bool(appeal.supervised) != (counts["supervised"] > 0):
        found.append(f"supervised = {appeal.supervised}, {counts['supervised']} supervised events")
    return found


def _outbox_problems(conn: sa.Connection) -> list[str]:
    """Generic, because the outbox arrives with issue 5: any table named outbox* whose rows reference events or
    appeals must reference existing ones."""
    found = []
    inspector = sa.inspect(conn)
    for table in inspector.get_table_names():
        if not table.startswith("outbox"):
            continue
        columns = {c["name"] for c in inspector.get_columns(table)}
        for column, target in (("event_id", "appeal_event"), ("appeal_event_id", "appeal_event"),
                               ("appeal_id", "appeal")):
            if column in columns:
                orphans = conn.execute(sa.text(
                    f"SELECT count(*) FROM {table} o WHERE o.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target} t WHERE t.id = o.{column})")).scalar_one()
                if orphans:
                    found.append(f"{orphans} rows of {table}.{column} point at no {target}")
    return found


def outbox_tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [t for t in sa.inspect(conn).get_table_names() if t.startswith("outbox")]
