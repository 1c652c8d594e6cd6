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


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_each_action_by_role_and_status(session, principals, clock, action):
    transition = TRANSITIONS[action]
    # Allowed sources: the right people succeed, everyone else is refused (403) — never a 500.
    for status in sorted(transition.sources):
        for role, principal in principals.items():
            appeal_id = _appeal_at(session, principals, clock, Status(status))
            if action is Action.merge:
                other = _appeal_at(session, principals, clock, Status.submitted)
                data = ActionIn(target_appeal_id=other)
            else:
                data = FULL_BODY[action]
            expected = role in ALLOWED_WHO[transition.who]
            try:
                appeal = workflow.perform_action(session, principal, appeal_id, action, data, now=clock.now)
            except Forbidden:
                assert not expected, f"{role} should be allowed to {action} from {status}"
                continue
            except Exception as exc:  # noqa: BLE001 — report which cell failed
                if role == "other_admin" and type(exc).__name__ == "NotFound":
                    continue  # outside reach: 404 is the right answer
                raise AssertionError(f"{role} {action} from {status}: {exc!r}") from exc
            assert expected, f"{role} must not be able to {action} from {status}"
            if transition.target is not None and action is not Action.rate:
                assert appeal.status == transition.target
    # Refused sources: 409 naming the status and the allowed actions.
    refused = [s for s in Status if s not in transition.sources]
    if refused:
        appeal_id = _appeal_at(session, principals, clock, refused[0])
        who = next(iter(ALLOWED_WHO[transition.who]))
        with pytest.raises(InvalidTransition) as info:
            workflow.perform_action(session, principals[who], appeal_id, action, FULL_BODY[action], now=clock.now)
        assert info.value.extra["current_status"] == refused[0]
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
