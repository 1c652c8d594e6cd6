"""Where matching runs (DESIGN §12, §10: one policy over 20k enterprises ≤ 200 ms).

1. Once per policy: the policy-level rules (withdrawn, validity: `matching.policy_problems_now`).
2. In the database: scope (the street among the units under the scope's unit path, within the caller's reach; no
   condition at all when that is the whole tree, e.g. a city's policy read by a city admin), `scale IN`, `key_level IN`, the employee range (`matching.sql_prefilter`),
   and the tags (`jsonb ?|`, `?&` on PostgreSQL; `json_each` on SQLite), returning eight narrow columns as plain rows (no ORM objects, tags
   as their JSON text) — three for a universal policy, which has nothing left to decide.
3. In Python, per row, a pre-check of what SQL left undecided (tags any/all, industry prefix) memoised per distinct
   tag set and industry code — a city has a few hundred of each — so a rejected row costs two dict lookups.
4. The pure matcher on the survivors (`Matcher` over the per-enterprise rules), once per distinct combination of the
   columns its rules read: it confirms the match, so `matching.match` stays the one authority and steps 2–3 only
   ever narrow, and it writes the Chinese reasons (shared by the rows of one combination).
   A universal policy has one reason for all, shared by its rows (not copied 20k times).
Measured in bench/bench_policies.py (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from app.db import is_postgres
from app.enterprises.industry import industry_matches
from app.enterprises.models import Enterprise
from app.enums import PolicyStatus
from app.policies import matching
from app.policies.models import Policy, PolicyDelivery
from app.policies.schemas import MatchRead, PolicyForEnterprise
from app.policies.service import covering_clause, scope_unit, spec_of, to_read
from app.units.models import Unit


class Candidate(NamedTuple):
    id: int
    street_unit_id: int
    liaison_user_id: int | None


_E = Enterprise.__table__.c  # type: ignore[attr-defined]
_U = Unit.__table__.c  # type: ignore[attr-defined]
_COLUMNS = (_E.id, _E.street_unit_id, _E.liaison_user_id, sa.cast(_E.tags, sa.Text), _E.industry, _E.scale,
            _E.key_level, _E.employees)
_ROW = ("id", "street_unit_id", "liaison_user_id", "tags", "industry", "scale", "key_level", "employees")  # _COLUMNS
_PER_ENTERPRISE = ("universal", "tags_any", "tags_all", "industries", "scales", "key_levels", "employees")


def narrowest_path(scope_path: str, reach_path: str | None) -> str | None:
    """The subtree both the policy's scope and the caller's reach cover, or None when they do not meet."""
    if reach_path is None or reach_path.startswith(scope_path):
        return reach_path or scope_path
    return scope_path if scope_path.startswith(reach_path) else None


def _query(prefilter: matching.SqlPrefilter, street_ids: list[int] | None, target: matching.PolicyTarget | None,
           postgres: bool) -> Any:
    """The enterprises of these streets (None: every enterprise — the scope is the whole tree, and a plain scan beats
    20k index look-ups by street) that pass the cheap filters. Only the columns the decision needs: a universal
    policy reads three."""
    query = sa.select(*(_COLUMNS if target is not None else _COLUMNS[:3]))
    if street_ids is not None:
        query = query.where(_E.street_unit_id.in_(street_ids))
    if target is not None:
        query = query.where(*_tag_clauses(target, postgres))
    if prefilter.scales:
        query = query.where(_E.scale.in_(prefilter.scales))
    if prefilter.key_levels:
        query = query.where(_E.key_level.in_(prefilter.key_levels))
    if prefilter.min_employees is not None:
        query = query.where(_E.employees >= prefilter.min_employees)
    if prefilter.max_employees is not None:
        query = query.where(_E.employees <= prefilter.max_employees)
    return query


def _tag_clauses(target: matching.PolicyTarget, postgres: bool) -> list[Any]:
    """The tags rules as SQL, by exact string membership as the rules test it: a narrowing that cannot drop a match
    (`jsonb ?|` / `?&` on PostgreSQL, `json_each` on SQLite — a city-wide 专精特新 policy then hands Python 1.4k rows of
    20k instead of all of them)."""
    if postgres:
        tags = sa.cast(_E.tags, postgresql.JSONB)
        return ([tags.has_any(sa.cast(list(target.tags_any), postgresql.ARRAY(sa.Text)))] if target.tags_any else []) + (
            [tags.has_all(sa.cast(list(target.tags_all), postgresql.ARRAY(sa.Text)))] if target.tags_all else [])

    def holds(tags: Iterable[str]) -> Any:
        each = sa.func.json_each(_E.tags).table_valued("value")
        return sa.exists().select_from(each).where(each.c.value.in_(list(tags)))

    return ([holds(target.tags_any)] if target.tags_any else []) + [holds([tag]) for tag in target.tags_all]


class _Decider:
    """Steps 3 and 4 for one policy and day."""

    def __init__(self, spec: matching.PolicySpec, today: date, areas: dict[int, frozenset[str]]) -> None:
        self.full = matching.Matcher(spec, today, only=_PER_ENTERPRISE)
        self.areas = areas
        t = spec.target if spec.kind == matching.PolicyKind.targeted else matching.PolicyTarget()
        self.tags_any, self.tags_all, self.industries = frozenset(t.tags_any), frozenset(t.tags_all), t.industries
        self.tags_ok: dict[Any, tuple[frozenset[str], bool]] = {}
        self.industry_ok: dict[str | None, bool] = {}
        self.constant = None if any(r.name != "universal" for r in self.full.rules) else \
            self.full(matching.EnterpriseFacts(frozenset()))[1]
        # The verdict and reasons depend only on the facts the policy's rules read (tags, and the `fact` of each
        # rule), so they are computed once per distinct combination of those columns: a 规上企业 policy reads only
        # the tags, and its 2k matches share a dozen verdicts.
        reads = {"tags"} if self.tags_any or self.tags_all else set()
        reads |= {rule.fact for rule in self.full.rules if rule.fact is not None}
        self.key: Callable[[Any], Any] = operator.itemgetter(*sorted(_ROW.index(name) for name in reads)) if reads else lambda row: None
        self.verdicts: dict[Any, tuple[bool, list[str]]] = {}

    def _tags(self, raw: Any) -> tuple[frozenset[str], bool]:
        found = self.tags_ok.get(raw)
        if found is None:
            tags = frozenset((json.loads(raw) if isinstance(raw, str) else raw) or ())
            ok = (not self.tags_any or not tags.isdisjoint(self.tags_any)) and tags >= self.tags_all
            found = self.tags_ok[raw] = (tags, ok)
        return found

    def _industry(self, code: str | None) -> bool:
        ok = self.industry_ok.get(code)
        if ok is None:
            ok = self.industry_ok[code] = not self.industries or any(
                industry_matches(prefix, code) for prefix in self.industries)
        return ok

    def decide(self, rows: Iterable[Any]) -> Iterator[tuple[Candidate, list[str]]]:
        if self.constant is not None:
            # Rows of (id, street_unit_id, liaison_user_id) already have Candidate's shape and names; the one
            # reason list is shared (20k copies of it cost the collector more than the query).
            for row in rows:
                yield cast(Candidate, row), self.constant
            return
        for row in rows:
            eid, street_id, liaison_id, raw_tags, industry, scale, key_level, n = row
            tags, tags_ok = self._tags(raw_tags)
            if not tags_ok or not self._industry(industry):
                continue
            key = self.key(row)
            verdict = self.verdicts.get(key)
            if verdict is None:
                verdict = self.verdicts[key] = self.full(matching.EnterpriseFacts(
                    area_codes=self.areas[street_id], tags=tags, industry=industry, scale=scale, key_level=key_level,
                    employees=n))
            if verdict[0]:
                yield Candidate(eid, street_id, liaison_id), verdict[1]


def _prepared(session: Session, policy: Policy, today: date, reach_path: str | None) -> tuple[Any, _Decider] | None:
    issuer = session.get(Unit, policy.issuer_unit_id)
    assert issuer is not None
    scope = scope_unit(session, issuer)
    spec = spec_of(policy, scope)
    path = narrowest_path(scope.path, reach_path)
    if path is None or matching.policy_problems_now(spec, today):
        return None
    areas = {uid: frozenset(p.strip("/").split("/"))
             for uid, p in session.execute(sa.select(_U.id, _U.path).where(_U.path.startswith(path))).all()}
    whole_tree = session.execute(sa.select(_U.path).where(_U.parent_id.is_(None))).scalars().all() == [path]
    decider = _Decider(spec, today, areas)
    target = None if decider.constant is not None else spec.target
    query = _query(matching.sql_prefilter(spec), None if whole_tree else list(areas), target, is_postgres(session))
    return query, decider


def all_matches(session: Session, policy: Policy, *, today: date, reach_path: str | None = None) -> list[
    tuple[Candidate, list[str]]
]:
    """Every enterprise the policy fits today (within the caller's reach), with its reasons, by enterprise id."""
    prepared = _prepared(session, policy, today, reach_path)
    if prepared is None:
        return []
    query, decider = prepared
    return list(decider.decide(session.connection().execute(query.order_by(_E.id)).all()))


def match_page(session: Session, policy: Policy, *, today: date, reach_path: str | None, after_id: int | None,
               limit: int) -> list[tuple[int, MatchRead]]:
    """Up to `limit` matches after enterprise `after_id` as (enterprise id, MatchRead), reading in chunks."""
    prepared = _prepared(session, policy, today, reach_path)
    if prepared is None:
        return []
    base, decider = prepared
    found: list[tuple[Candidate, list[str]]] = []
    chunk = max(4 * limit, 500)
    while len(found) < limit:
        query = base if after_id is None else base.where(_E.id > after_id)
        rows = session.connection().execute(query.order_by(_E.id).limit(chunk)).all()
        for item in decider.decide(rows):
            found.append(item)
            if len(found) == limit:
                break
        if len(rows) < chunk:
            break
        after_id = rows[-1][0]
    names = {eid: (uscc, name, code) for eid, uscc, name, code in session.execute(
        sa.select(_E.id, _E.uscc, _E.name, _U.code).join(Unit.__table__, _U.id == _E.street_unit_id)  # type: ignore[attr-defined]
        .where(_E.id.in_([c.id for c, _ in found]))).all()}
    return [(c.id, MatchRead(uscc=names[c.id][0], name=names[c.id][1], street_code=names[c.id][2], reasons=r))
            for c, r in found]


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
