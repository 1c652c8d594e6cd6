"""Every row of the transition table, allowed and refused, by role (service level, both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.appeals import workflow
from app.appeals.lifecycle import TRANSITIONS, Action, Who
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn
from app.appeals.service import submit_appeal
from app.appeals.schemas import AppealCreate
from app.auth.principal import Principal
from app.auth.service import authenticate_api_key, create_api_key
from app.enterprises.models import Enterprise
from app.enums import Status
from app.errors import Forbidden, InvalidTransition
from tests.helpers import XIXI_ENTERPRISE, appeal_body

# A body that satisfies every action's required fields (each action reads only what it needs).
FULL_BODY = {
    Action.progress: ActionIn(note="已约谈企业"),
    Action.request_info: ActionIn(note="请补充材料"),
    Action.supplement: ActionIn(note="已补充"),
    Action.resolve: ActionIn(resolution_code="已解决", public_reply="已解决"),
    Action.return_: ActionIn(reason="非本单位职责"),
    Action.reroute: ActionIn(target_unit_code="330106001"),
    Action.escalate: ActionIn(reason="需区级协调"),
    Action.delegate: ActionIn(target_unit_code="330106001"),
    Action.cohandle: ActionIn(target_unit_code="330106-RLSB"),
    Action.extend: ActionIn(days=3, reason="等待联审"),
    Action.urge: ActionIn(),
    Action.supervise: ActionIn(note="督办"),
    Action.rate: ActionIn(rating="satisfied"),
    Action.close: ActionIn(),
    Action.reject: ActionIn(reason="不属于受理范围"),
    Action.withdraw: ActionIn(),
    Action.merge: ActionIn(target_appeal_id=1),
    Action.recolor: ActionIn(urgency="red", reason="涉及重大项目"),
    Action.sign: ActionIn(),
}

# Who may act on an appeal owned by 西湖区 (330106): the district is owner so that "above" and "below" both exist.
ROLES = {
    "owner_liaison": ("liaison", "330106"),
    "owner_admin": ("district_admin", "330106"),
    "ancestor_admin": ("city_admin", "330100"),
    "child_admin": ("street_admin", "330106012"),
    "other_admin": ("district_admin", "330105"),
    "enterprise": None,
}
ALLOWED_WHO = {
    Who.owner: {"owner_liaison", "owner_admin"},
    Who.owner_or_cohandler: {"owner_liaison", "owner_admin"},
    Who.owner_admin: {"owner_admin"},
    Who.ancestor_admin: {"ancestor_admin"},
    Who.admin_in_reach: {"owner_admin", "ancestor_admin"},
    Who.enterprise: {"enterprise"},
    Who.enterprise_or_owner: {"enterprise", "owner_liaison", "owner_admin"},
    Who.extension: {"owner_liaison", "owner_admin"},  # the request; the decision is tested separately
}


@pytest.fixture
def principals(city: Session, clock) -> dict[str, Principal]:
    result = {}
    for name, spec in ROLES.items():
        if spec is None:
            ent = city.exec(select(Enterprise).where(Enterprise.uscc == XIXI_ENTERPRISE)).one()
            result[name] = Principal(role="enterprise", label=ent.name, enterprise_id=ent.id, enterprise_user_id=1)
        else:
            _, token = create_api_key(city, role=spec[0], unit_code=spec[1], name=name, now=clock.now)
            result[name] = authenticate_api_key(city, token)
    return result


def _appeal_at(session: Session, principals, clock, status: Status) -> int:
    """A fresh appeal owned by 西湖区 in the given status (set directly: we test the table, not the path)."""
    body = appeal_body()
    result = submit_appeal(session, principals["ancestor_admin"], AppealCreate(**body), now=clock.now)
    appeal = session.get(Appeal, result.body["id"])
    from app.units.service import get_by_code

    appeal.unit_id = get_by_code(session, "330106").id
    appeal.tier = "district"
    appeal.status = status
    if status == Status.resolved:
        appeal.resolved_at = clock.now
    if status == Status.pending_info:
        appeal.paused_at = clock.now - timedelta(hours=1)
    session.add(appeal)
    session.commit()
    return appeal.id


# One test per cell of the table — (action, allowed source status) and (action, refused) — so one failing cell
# does not hide the others; within a cell every role is tried and every wrong answer reported together.
ALLOWED_CELLS = [(action, Status(status)) for action in Action for status in sorted(TRANSITIONS[action].sources)]
REFUSED_CELLS = [(action, next(s for s in Status if s not in TRANSITIONS[action].sources)) for action in Action
                 if any(s not in TRANSITIONS[action].sources for s in Status)]


@pytest.mark.parametrize(("action", "status"), ALLOWED_CELLS, ids=[f"{a.value}-from-{s.value}" for a, s in ALLOWED_CELLS])
def test_allowed_source_by_role(session, principals, clock, action, status):
    """From an allowed source the right people succeed, everyone else is refused (403, or 404 outside reach)."""
    transition = TRANSITIONS[action]
    wrong: list[str] = []
    for role, principal in principals.items():
        appeal_id = _appeal_at(session, principals, clock, status)
        if action is Action.merge:
            data = ActionIn(target_appeal_id=_appeal_at(session, principals, clock, Status.submitted))
        else:
            data = FULL_BODY[action]
        expected = role in ALLOWED_WHO[transition.who]
        try:
            appeal = workflow.perform_action(session, principal, appeal_id, action, data, now=clock.now)
        except Forbidden:
            if expected:
                wrong.append(f"{role} should be allowed to {action} from {status}")
            continue
        except Exception as exc:  # noqa: BLE001 — report which role failed, never a 500
            session.rollback()
            if not (role == "other_admin" and type(exc).__name__ == "NotFound"):  # outside reach: 404 is right
                wrong.append(f"{role} {action} from {status}: {exc!r}")
            continue
        if not expected:
            wrong.append(f"{role} must not be able to {action} from {status}")
        elif transition.target is not None and action is not Action.rate and appeal.status != transition.target:
            wrong.append(f"{role} {action} from {status} ended in {appeal.status}, not {transition.target}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("action", "status"), REFUSED_CELLS, ids=[f"{a.value}-from-{s.value}" for a, s in REFUSED_CELLS])
def test_refused_source_names_status_and_allowed_actions(session, principals, clock, action, status):
    """From a refused source: 409 naming the status and the allowed actions."""
    appeal_id = _appeal_at(session, principals, clock, status)
    who = next(iter(ALLOWED_WHO[TRANSITIONS[action].who]))
    with pytest.raises(InvalidTransition) as info:
        workflow.perform_action(session, principals[who], appeal_id, action, FULL_BODY[action], now=clock.now)
    assert info.value.extra["current_status"] == status
    assert isinstance(info.value.extra["allowed_actions"], list)


def test_extension_decision_is_for_admins_above(session, principals, clock):
    appeal_id = _appeal_at(session, principals, clock, Status.in_progress)
    before = session.get(Appeal, appeal_id).resolve_by
    workflow.perform_action(session, principals["owner_liaison"], appeal_id, Action.extend,
                            ActionIn(days=3, reason="等待联审"), now=clock.now)
    for role in ("owner_admin", "owner_liaison", "child_admin"):
        with pytest.raises(Forbidden):
            workflow.perform_action(session, principals[role], appeal_id, Action.extend, ActionIn(decision="approve"),
                                    now=clock.now)
    appeal = workflow.perform_action(session, principals["ancestor_admin"], appeal_id, Action.extend,
                                     ActionIn(decision="approve"), now=clock.now)
    from app.sla.calendar import WorkingCalendar

    assert appeal.resolve_by == WorkingCalendar().add_working_days(before, 3)
    assert appeal.original_resolve_by == before  # kept for on-time statistics
    assert appeal.extensions == 1 and appeal.extension_days == 3
