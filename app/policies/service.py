"""Policy use cases: publish, edit (versioned, If-Match), withdraw, read and list (DESIGN §12).

Who may publish, edit, withdraw or push: an admin of the issuer unit or of a unit above it. Who may read: staff
whose unit the policy covers (a city policy reaches every street) or under whom it was issued; an enterprise,
a policy that covers its street. One use case, one transaction, one commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from app.auth.principal import Principal
from app.core import idempotency
from app.enterprises.models import Enterprise
from app.enums import PolicyStatus, UnitKind
from app.errors import FieldError, Forbidden, InvalidInput, InvalidTransition, NotFound, PreconditionFailed
from app.policies import matching
from app.policies.models import Policy
from app.policies.schemas import PolicyCreate, PolicyRead, PolicyTargetIn, PolicyUpdate
from app.units import service as units
from app.units.models import Unit


def scope_unit(session: Session, issuer: Unit) -> Unit:
    """The area a policy covers: the issuer when it is an area unit, the area it hangs under when a department."""
    if issuer.kind == UnitKind.area or issuer.parent_id is None:
        return issuer
    parent = session.get(Unit, issuer.parent_id)  # a department hangs under an area unit of its tier (§2)
    return parent if parent is not None else issuer


def target_of(policy: Policy) -> matching.PolicyTarget:
    t = policy.target or {}
    return matching.PolicyTarget(
        tags_any=tuple(t.get("tags_any") or ()), tags_all=tuple(t.get("tags_all") or ()),
        industries=tuple(t.get("industries") or ()), scales=tuple(t.get("scales") or ()),
        key_levels=tuple(t.get("key_levels") or ()), min_employees=t.get("min_employees"),
        max_employees=t.get("max_employees"),
    )


def spec_of(policy: Policy, scope: Unit) -> matching.PolicySpec:
    return matching.PolicySpec(
        kind=policy.kind, scope_unit_code=scope.code, target=target_of(policy), valid_from=policy.valid_from,
        valid_to=policy.valid_to, withdrawn=policy.status == PolicyStatus.withdrawn, scope_unit_name=scope.name,
    )


def to_read(policy: Policy, issuer: Unit, scope: Unit) -> PolicyRead:
    return PolicyRead(
        id=policy.id, title=policy.title, issuer_unit_code=issuer.code, issuer_unit_name=issuer.name,  # type: ignore[arg-type]
        scope_unit_code=scope.code, summary=policy.summary, url=policy.url, kind=policy.kind,  # type: ignore[arg-type]
        benefit=policy.benefit, target=PolicyTargetIn(**(policy.target or {})), valid_from=policy.valid_from,  # type: ignore[arg-type]
        valid_to=policy.valid_to, apply_by=policy.apply_by, status=policy.status, version=policy.version,  # type: ignore[arg-type]
        created_at=policy.created_at, updated_at=policy.updated_at, withdrawn_at=policy.withdrawn_at,
    )


def read_of(session: Session, policy: Policy) -> PolicyRead:
    issuer = session.get(Unit, policy.issuer_unit_id)
    assert issuer is not None
    return to_read(policy, issuer, scope_unit(session, issuer))


def _check(policy_kind: str, target: PolicyTargetIn, valid_from: date, valid_to: date | None,
           apply_by: date | None, url: str | None) -> None:
    """Every reason the policy is contradictory or can match nobody, all at once, each naming its field."""
    spec = matching.PolicySpec(
        kind=policy_kind, scope_unit_code="", valid_from=valid_from, valid_to=valid_to,
        target=matching.PolicyTarget(
            tags_any=tuple(target.tags_any), tags_all=tuple(target.tags_all), industries=tuple(target.industries),
            scales=tuple(target.scales), key_levels=tuple(target.key_levels), min_employees=target.min_employees,
            max_employees=target.max_employees),
    )
    problems = matching.validate_target(spec)
    if apply_by is not None and (apply_by < valid_from or (valid_to is not None and apply_by > valid_to)):
        problems.append(("apply_by", f"申报截止日 {apply_by} 不在政策有效期内 (apply_by outside validity)"))
    if url is not None and not url.startswith("https://"):
        problems.append(("url", "政策链接必须以 https:// 开头 (https only)"))
    if problems:
        errors = [FieldError(field=f"body.{name}", message=message) for name, message in problems]
        raise InvalidInput("；".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def _normalised_target(target: PolicyTargetIn) -> dict[str, Any]:
    from app.enterprises.industry import normalize_industry

    data = target.model_dump()
    data["industries"] = [normalize_industry(code) for code in target.industries]
    for name in ("tags_any", "tags_all", "industries", "scales", "key_levels"):
        data[name] = list(dict.fromkeys(data[name]))
    return data


def require_publisher(principal: Principal, issuer: Unit, field: str = "issuer_unit_code") -> None:
    """Admins of the issuer unit or above; anyone else is told which field stands in the way."""
    if not principal.is_admin or not principal.reaches_path(issuer.path):
        message = f"只有{issuer.name}或其上级单位的管理员可以发布、修改、撤回或推送此政策 (issuer not in your reach)"
        raise Forbidden(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


def create_policy(session: Session, principal: Principal, data: PolicyCreate, *, now: datetime,
                  idempotency_key: str | None = None) -> idempotency.Outcome:
    return idempotency.run_once(session, caller=principal.caller_key, key=idempotency_key,
                                request={"create": data.model_dump(mode="json")}, now=now,
                                create=lambda: _create(session, principal, data, now=now).model_dump(mode="json"))


def _create(session: Session, principal: Principal, data: PolicyCreate, *, now: datetime) -> PolicyRead:
    issuer = units.get_by_code(session, data.issuer_unit_code)
    if issuer is None:
        raise InvalidInput.field("body.issuer_unit_code", f"单位 {data.issuer_unit_code} 不存在")
    require_publisher(principal, issuer, "body.issuer_unit_code")
    _check(data.kind, data.target, data.valid_from, data.valid_to, data.apply_by, data.url)
    policy = Policy(
        title=data.title, issuer_unit_id=issuer.id, summary=data.summary, url=data.url, kind=data.kind,  # type: ignore[arg-type]
        benefit=data.benefit, target=_normalised_target(data.target), valid_from=data.valid_from,
        valid_to=data.valid_to, apply_by=data.apply_by, status=PolicyStatus.active, version=1,
        created_by=principal.label, created_at=now, updated_at=now,
    )
    session.add(policy)
    session.flush()
    return to_read(policy, issuer, scope_unit(session, issuer))


def get_visible(session: Session, principal: Principal, policy_id: int) -> tuple[Policy, Unit, Unit]:
    """The policy, its issuer and its scope, or 404 when it does not exist or is not for the caller."""
    policy = session.get(Policy, policy_id)
    issuer = session.get(Unit, policy.issuer_unit_id) if policy else None
    if policy is None or issuer is None:
        raise NotFound(f"政策 {policy_id} 不存在或不在您的权限范围内")
    scope = scope_unit(session, issuer)
    if not _sees(session, principal, issuer, scope):
        raise NotFound(f"政策 {policy_id} 不存在或不在您的权限范围内")
    return policy, issuer, scope


def _sees(session: Session, principal: Principal, issuer: Unit, scope: Unit) -> bool:
    if principal.is_enterprise:
        enterprise = session.get(Enterprise, principal.enterprise_id) if principal.enterprise_id else None
        street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
        return street is not None and street.path.startswith(scope.path)
    if not principal.is_staff or principal.unit_path is None:
        return False
    return issuer.path.startswith(principal.unit_path) or principal.unit_path.startswith(scope.path)


def _for_update(session: Session, principal: Principal, policy_id: int, if_match: int | None) -> tuple[
    Policy, Unit, Unit
]:
    policy, issuer, scope = get_visible(session, principal, policy_id)
    require_publisher(principal, issuer)
    if if_match is not None and if_match != policy.version:
        raise PreconditionFailed(f"政策已被修改（当前版本 {policy.version}），请刷新后重试")
    if policy.status == PolicyStatus.withdrawn:
        raise InvalidTransition("政策已撤回，不能再修改或撤回", current_status=policy.status, allowed_actions=[])
    return policy, issuer, scope


def _bump(session: Session, policy: Policy, values: dict[str, Any], *, now: datetime) -> None:
    """A conditional update on the version read: a concurrent edit makes this one a 412, never a lost update."""
    result = session.execute(
        sa.update(Policy).where(col(Policy.id) == policy.id, col(Policy.version) == policy.version)
        .values(**values, version=policy.version + 1, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise PreconditionFailed("政策已被其他人修改，请刷新后重试")
    session.refresh(policy)


def update_policy(session: Session, principal: Principal, policy_id: int, data: PolicyUpdate, *, now: datetime,
                  if_match: int | None) -> PolicyRead:
    policy, issuer, scope = _for_update(session, principal, policy_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "summary", "kind", "benefit", "target", "valid_from"):
        if name in changes and changes[name] is None:
            raise InvalidInput.field(f"body.{name}", "不能为 null")
    target = data.target if data.target is not None else PolicyTargetIn(**(policy.target or {}))
    merged = {name: changes.get(name, getattr(policy, name))
              for name in ("kind", "valid_from", "valid_to", "apply_by", "url")}
    _check(merged["kind"], target, merged["valid_from"], merged["valid_to"], merged["apply_by"], merged["url"])
    if "target" in changes:
        changes["target"] = _normalised_target(target)
    _bump(session, policy, changes, now=now)
    read = to_read(policy, issuer, scope)
    session.commit()
    return read


def withdraw_policy(session: Session, principal: Principal, policy_id: int, *, now: datetime,
                    if_match: int | None) -> PolicyRead:
    policy, issuer, scope = _for_update(session, principal, policy_id, if_match)
    _bump(session, policy, {"status": PolicyStatus.withdrawn, "withdrawn_at": now}, now=now)
    read = to_read(policy, issuer, scope)
    session.commit()
    return read


def covering_clause(session: Session, unit: Unit) -> Any:
    """Policies whose scope covers `unit`: issued by an area at or above it, or by a department of such an area."""
    chain = [unit, *units.ancestors(session, unit)]
    areas = [u.id for u in chain if u.kind == UnitKind.area]
    department_ids = select(Unit.id).where(Unit.kind == UnitKind.department, col(Unit.parent_id).in_(areas))
    return or_(col(Policy.issuer_unit_id).in_(areas), col(Policy.issuer_unit_id).in_(department_ids))


def list_policies(session: Session, principal: Principal, *, status: str | None, kind: str | None,
                  after_id: int | None, limit: int) -> list[PolicyRead]:
    query = select(Policy, Unit).join(Unit, col(Unit.id) == Policy.issuer_unit_id)
    if principal.is_enterprise:
        enterprise = session.get(Enterprise, principal.enterprise_id) if principal.enterprise_id else None
        street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
        if street is None:
            return []
        query = query.where(covering_clause(session, street))
    else:
        own = units.get_by_code(session, principal.unit_code or "") if principal.unit_code else None
        if own is None:
            return []
        query = query.where(or_(col(Unit.path).startswith(own.path), covering_clause(session, own)))
    if status:
        query = query.where(Policy.status == status)
    if kind:
        query = query.where(Policy.kind == kind)
    if after_id is not None:
        query = query.where(col(Policy.id) < after_id)
    rows = session.exec(query.order_by(col(Policy.id).desc()).limit(limit)).all()
    return [to_read(p, issuer, scope_unit(session, issuer)) for p, issuer in rows]
