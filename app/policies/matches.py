"""Where matching runs (DESIGN §12, §10: one policy over 20k enterprises ≤ 200 ms).

The database does the cheap narrowing — scope (the street's unit path under the scope's path, an indexed prefix),
`scale IN`, `key_level IN`, the employee range — from `matching.sql_prefilter`, and returns plain column tuples
(no ORM objects). The pure `Matcher` then decides every row that is left (tags, industry prefix) and writes the
Chinese reasons, so `matching.match` stays the one authority and the SQL only ever narrows. Measured in
bench/bench_policies.py (bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.enterprises.models import Enterprise
from app.policies import matching
from app.policies.models import Policy, PolicyDelivery
from app.policies.rules import PolicyStatus
from app.policies.service import covering_clause, scope_unit, spec_of, to_read
from app.policies.schemas import PolicyForEnterprise
from app.units.models import Unit


@dataclass(frozen=True)
class Candidate:
    id: int
    uscc: str
    name: str
    street_unit_id: int
    street_code: str
    liaison_user_id: int | None
    facts: matching.EnterpriseFacts


_COLUMNS = (Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.street_unit_id, Unit.code, Unit.path,
            Enterprise.liaison_user_id, Enterprise.tags, Enterprise.industry, Enterprise.scale, Enterprise.key_level,
            Enterprise.employees)


def narrowest_path(scope_path: str, reach_path: str | None) -> str | None:
    """The subtree both the policy's scope and the caller's reach cover, or None when they do not meet."""
    if reach_path is None or reach_path.startswith(scope_path):
        return reach_path or scope_path
    return scope_path if scope_path.startswith(reach_path) else None


def candidate_query(prefilter: matching.SqlPrefilter, path: str) -> Any:
    query = (select(*_COLUMNS).join(Unit, col(Unit.id) == Enterprise.street_unit_id)  # type: ignore[call-overload]
             .where(col(Unit.path).startswith(path)))
    if prefilter.scales:
        query = query.where(col(Enterprise.scale).in_(prefilter.scales))
    if prefilter.key_levels:
        query = query.where(col(Enterprise.key_level).in_(prefilter.key_levels))
    if prefilter.min_employees is not None:
        query = query.where(col(Enterprise.employees) >= prefilter.min_employees)
    if prefilter.max_employees is not None:
        query = query.where(col(Enterprise.employees) <= prefilter.max_employees)
    return query


def _candidates(rows: Iterable[Any]) -> Iterator[Candidate]:
    areas: dict[str, frozenset[str]] = {}  # a few hundred streets: split each path once
    for eid, uscc, name, street_id, street_code, path, liaison_id, tags, industry, scale, key_level, n in rows:
        codes = areas.get(path)
        if codes is None:
            codes = areas[path] = frozenset(path.strip("/").split("/"))
        yield Candidate(eid, uscc, name, street_id, street_code, liaison_id, matching.EnterpriseFacts(
            area_codes=codes, tags=frozenset(tags or ()), industry=industry, scale=scale, key_level=key_level,
            employees=n))


def all_matches(session: Session, policy: Policy, *, today: date, reach_path: str | None = None) -> list[
    tuple[Candidate, list[str]]
]:
    """Every enterprise the policy fits today (within the caller's reach), with its reasons, by enterprise id."""
    issuer = session.get(Unit, policy.issuer_unit_id)
    assert issuer is not None
    scope = scope_unit(session, issuer)
    spec = spec_of(policy, scope)
    path = narrowest_path(scope.path, reach_path)
    if path is None or matching.policy_problems_now(spec, today):
        return []
    matcher = matching.Matcher(spec, today)
    rows = session.execute(candidate_query(matching.sql_prefilter(spec), path).order_by(col(Enterprise.id)))
    return [(c, matcher(c.facts)[1]) for c in _candidates(rows) if matcher.accepts(c.facts)]


def match_page(session: Session, policy: Policy, *, today: date, reach_path: str | None, after_id: int | None,
               limit: int) -> list[tuple[Candidate, list[str]]]:
    """Up to `limit` matches after enterprise `after_id`, reading the prefiltered rows in chunks."""
    issuer = session.get(Unit, policy.issuer_unit_id)
    assert issuer is not None
    scope = scope_unit(session, issuer)
    spec = spec_of(policy, scope)
    path = narrowest_path(scope.path, reach_path)
    if path is None or matching.policy_problems_now(spec, today):
        return []
    matcher = matching.Matcher(spec, today)
    base = candidate_query(matching.sql_prefilter(spec), path)
    found: list[tuple[Candidate, list[str]]] = []
    chunk = max(4 * limit, 500)
    while len(found) < limit:
        query = base if after_id is None else base.where(col(Enterprise.id) > after_id)
        rows = session.execute(query.order_by(col(Enterprise.id)).limit(chunk)).all()
        for c in _candidates(rows):
            if matcher.accepts(c.facts):
                found.append((c, matcher(c.facts)[1]))
                if len(found) == limit:
                    break
        if len(rows) < chunk:
            break
        after_id = rows[-1][0]
    return found


def policies_for(session: Session, enterprise: Enterprise, street: Unit, *, today: date) -> list[PolicyForEnterprise]:
    """The active policies that fit the enterprise today, newest first, with reasons and its delivery if pushed."""
    rows = session.exec(
        select(Policy, Unit).join(Unit, col(Unit.id) == Policy.issuer_unit_id)
        .where(Policy.status == PolicyStatus.active, covering_clause(session, street))
        .order_by(col(Policy.id).desc())
    ).all()
    facts = facts_of(enterprise, street)
    delivered = dict(session.exec(
        select(PolicyDelivery.policy_id, PolicyDelivery.id).where(PolicyDelivery.enterprise_id == enterprise.id)
    ).all())
    items = []
    for policy, issuer in rows:
        scope = scope_unit(session, issuer)
        matched, reasons = matching.match(spec_of(policy, scope), facts, today)
        if matched:
            items.append(PolicyForEnterprise(policy=to_read(policy, issuer, scope), reasons=reasons,
                                             delivery_id=delivered.get(policy.id)))  # type: ignore[arg-type]
    return items


def facts_of(enterprise: Enterprise, street: Unit) -> matching.EnterpriseFacts:
    return matching.EnterpriseFacts(
        area_codes=frozenset(street.path.strip("/").split("/")), tags=frozenset(enterprise.tags or ()),
        industry=enterprise.industry, scale=enterprise.scale, key_level=enterprise.key_level,
        employees=enterprise.employees)
