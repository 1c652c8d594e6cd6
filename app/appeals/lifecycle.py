"""The appeal workflow as data: who may do what from which status, and where it goes. Pure, no I/O.

DESIGN §2. Illegal transitions are 409; the table below is the single source of truth for the API, the chatbot,
the liaison page and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from app.enums import OPEN_STATUSES, RATING_LABELS, Category, Rating, Status, Tier  # noqa: F401 (re-exported)


class Action(StrEnum):
    sign = "sign"
    progress = "progress"
    request_info = "request_info"
    supplement = "supplement"
    resolve = "resolve"
    return_ = "return"
    reroute = "reroute"
    escalate = "escalate"
    delegate = "delegate"
    cohandle = "cohandle"
    extend = "extend"
    urge = "urge"
    supervise = "supervise"
    rate = "rate"
    close = "close"
    reject = "reject"
    withdraw = "withdraw"
    merge = "merge"
    recolor = "recolor"


class Who(StrEnum):
    """Who may perform an action, relative to the appeal's owning unit."""

    owner = "owner"  # liaison or admin of the owning unit
    owner_or_cohandler = "owner_or_cohandler"  # …or of a co-handling unit (加派)
    owner_admin = "owner_admin"  # admin of the owning unit
    ancestor_admin = "ancestor_admin"  # admin of a unit above the owner
    admin_in_reach = "admin_in_reach"  # admin of the owning unit or above
    enterprise = "enterprise"  # the appeal's own enterprise
    enterprise_or_owner = "enterprise_or_owner"  # the enterprise, or its owner recording it on its behalf
    extension = "extension"  # owner requests; an admin above decides


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change (or depends on the body, e.g. rate)
    who: Who
    label: str  # Chinese name shown in errors, the timeline and the chatbot


OPEN = frozenset(OPEN_STATUSES)
ACTIVE = frozenset({Status.submitted, Status.in_progress, Status.pending_info, Status.returned})
_S = Status

TRANSITIONS: Mapping[Action, Transition] = MappingProxyType({
    Action.sign: Transition(frozenset({_S.submitted}), _S.in_progress, Who.owner, "签收"),
    Action.progress: Transition(frozenset({_S.in_progress}), None, Who.owner_or_cohandler, "进展"),
    Action.request_info: Transition(frozenset({_S.in_progress}), _S.pending_info, Who.owner, "要求补充"),
    Action.supplement: Transition(frozenset({_S.pending_info}), _S.in_progress, Who.enterprise_or_owner, "补充"),
    Action.resolve: Transition(frozenset({_S.in_progress}), _S.resolved, Who.owner, "办结"),
    Action.return_: Transition(frozenset({_S.submitted, _S.in_progress}), _S.returned, Who.owner, "退回"),
    Action.reroute: Transition(frozenset({_S.returned, _S.submitted, _S.in_progress}), _S.submitted,
                               Who.ancestor_admin, "改派"),
    Action.escalate: Transition(frozenset({_S.submitted, _S.in_progress, _S.returned}), _S.submitted, Who.owner,
                                "提级"),
    Action.delegate: Transition(frozenset({_S.submitted, _S.in_progress, _S.returned}), _S.submitted,
                                Who.owner_admin, "下派"),
    Action.cohandle: Transition(frozenset({_S.submitted, _S.in_progress}), None, Who.owner_admin, "加派"),
    Action.extend: Transition(frozenset({_S.in_progress, _S.pending_info}), None, Who.extension, "延期"),
    Action.urge: Transition(ACTIVE, None, Who.enterprise, "催办"),
    Action.supervise: Transition(ACTIVE, None, Who.ancestor_admin, "督办"),
    Action.rate: Transition(frozenset({_S.resolved}), None, Who.enterprise, "评价"),
    Action.close: Transition(frozenset({_S.resolved}), _S.closed, Who.admin_in_reach, "结案"),
    Action.reject: Transition(frozenset({_S.submitted}), _S.rejected, Who.admin_in_reach, "不予受理"),
    Action.withdraw: Transition(OPEN, _S.withdrawn, Who.enterprise, "撤回"),
    Action.merge: Transition(OPEN, _S.merged, Who.admin_in_reach, "合并"),
    Action.recolor: Transition(OPEN, None, Who.admin_in_reach, "调色"),
})

RESOLUTION_CODES: tuple[str, ...] = ("已解决", "部分解决", "已解释答复", "暂不具备解决条件", "非政府职责")


# Extension limits (延期): how many approved extensions, and how many working days in all.
MAX_EXTENSIONS = 2
MAX_EXTENSION_DAYS = 20
# Anti ping-pong: the third return sends the appeal up a tier automatically.
RETURNS_BEFORE_AUTO_ESCALATION = 3

# The escalation ladder per category: where an appeal starts (用地 questions are decided by districts).
LADDER: tuple[Tier, ...] = (Tier.street, Tier.district, Tier.city)
START_TIER: Mapping[Category, Tier] = MappingProxyType({Category.land: Tier.district})


def start_tier(category: Category) -> Tier:
    return START_TIER.get(category, Tier.street)


def can_transition(action: Action, status: Status) -> bool:
    return status in TRANSITIONS[action].sources


def actions_from(status: Status) -> list[Action]:
    return [action for action, t in TRANSITIONS.items() if status in t.sources]
