"""The dashboard's read use case: everything /dashboard shows, as plain values. No FastAPI in here.

The figures are not computed here: they come from the very service functions behind the statistics API
(`app.stats.service.summary`, `timeseries`, `bulletin`, `programme`, `policy_figures.policy_stats`), called with the caller's principal, unit and period exactly
as the API calls them, so the page and `GET /api/v1/stats/summary` cannot disagree. The list of overdue and supervised
appeals is `app.appeals.service.list_appeals` (the API's list, filters `overdue` and `supervised`) over the chosen
unit's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.appeals import service as appeals
from app.appeals.lifecycle import ACTIVE
from app.appeals.schemas import AppealRead
from app.appeals.views import to_reads
from app.auth.principal import Principal
from app.core.time import SHANGHAI
from app.enums import URGENCY_RANK, Role, Urgency
from app.errors import Forbidden
from app.policies.schemas import PolicyStats
from app.signin.service import Viewer
from app.stats import policy_figures, programme_service, weekly
from app.stats import service as stats
from app.stats.periods import Bucket, resolve_period, week_label
from app.stats.schemas import StatsBulletin, StatsProgramme, StatsSummary, StatsTimeseries
from app.units import service as units
from app.units.models import Unit

ATTENTION_LIMIT = 100  # per list (overdue, supervised); the page says when there are more
MAX_UNIT_OPTIONS = 500


class NotForDashboard(Forbidden):
    """A session that may open single appeals only (a chat link), or no staff member at all."""

    code = "dashboard_needs_staff_session"
    title = "请使用管理员账号登录"


@dataclass(frozen=True)
class UnitOption:
    code: str
    name: str
    depth: int  # below the viewer's own unit


@dataclass(frozen=True)
class Attention:
    items: list[AppealRead]  # overdue or supervised, still being handled; red first, then by deadline
    truncated: bool


@dataclass(frozen=True)
class DashboardData:
    summary: StatsSummary
    weeks: StatsTimeseries
    bulletin: StatsBulletin
    attention: Attention
    breadcrumb: list[UnitOption]  # from the viewer's own unit down to the chosen one
    options: list[UnitOption]  # every unit in the viewer's reach, in tree order
    has_children: bool
    today: str  # ISO date, Asia/Shanghai
    programme: StatsProgramme | None = None  # the programme's sentence and coverage (GET /api/v1/stats/programme)
    policies: PolicyStats | None = None  # GET /api/v1/stats/policies (a department: the policies it issued)


def check_viewer(viewer: Viewer) -> Principal:
    """The dashboard needs a session that covers the viewer's whole unit: DingTalk or API-key sign-in of a staff
    member. A one-time chat link signs in for single appeals only (and a group link for nobody in particular)."""
    principal = viewer.principal
    if viewer.scope is not None or viewer.read_only:
        raise NotForDashboard("当前登录来自消息链接，只能查看单个诉求")
    if not principal.is_staff or principal.role == Role.system or principal.unit_path is None:
        raise NotForDashboard("数据看板仅供单位管理员和服务专员使用")
    return principal


def dashboard(
    session: Session, viewer: Viewer, *, unit_code: str | None, start: str | None, end: str | None, now: datetime
) -> DashboardData:
    """Raises NotForDashboard (403), NotFound (unit outside the viewer's reach, 404), InvalidInput (bad period, 422)."""
    principal = check_viewer(viewer)
    summary = stats.summary(session, principal, unit_code=unit_code, start=start, end=end, now=now)
    code = summary.unit_code
    weeks = stats.timeseries(session, principal, unit_code=code, bucket=Bucket.week, start=start, end=end, now=now)
    today = now.astimezone(SHANGHAI).date()
    week = week_label(min(today, resolve_period(start, end, now=now).last_day))
    bulletin = weekly.bulletin(session, principal, unit_code=code, week=week, now=now)
    programme = programme_service.programme(session, principal, unit_code=code, start=start, end=end, now=now)
    try:
        scope = stats.scope_for(session, principal, code)
        policies = policy_figures.policy_stats(session, principal, unit_code=code, start=start, end=end, now=now)
        return DashboardData(
            summary=summary, weeks=weeks, bulletin=bulletin,
            attention=_attention(session, principal, scope.unit_ids),
            breadcrumb=_breadcrumb(session, principal, scope.unit),
            options=_options(session, principal),
            has_children=bool(scope.children), today=today.isoformat(), programme=programme, policies=policies,
        )
    finally:
        stats.end_read(session)


def _attention(session: Session, principal: Principal, subtree: list[int] | None) -> Attention:
    """Overdue or supervised appeals still being handled whose owner or 属地 street is in the subtree — what
    `GET /api/v1/appeals?overdue=true` and `?supervised=true` list for that unit (resolved ones are done)."""
    found: dict[int, object] = {}
    truncated = False
    for filters in (appeals.ListFilters(status=sorted(ACTIVE), overdue=True),
                    appeals.ListFilters(status=sorted(ACTIVE), supervised=True)):
        rows = appeals.list_appeals(session, principal, filters, reach_ids=subtree, before_id=None,
                                    limit=ATTENTION_LIMIT + 1)
        truncated = truncated or len(rows) > ATTENTION_LIMIT
        found.update({row.id: row for row in rows[:ATTENTION_LIMIT]})  # type: ignore[misc]
    items = to_reads(session, list(found.values()))  # type: ignore[arg-type]
    items.sort(key=lambda a: (-URGENCY_RANK[Urgency(a.urgency)], a.deadlines.resolve_by is None,
                              a.deadlines.resolve_by or datetime.max.replace(tzinfo=SHANGHAI), a.number))
    return Attention(items[:ATTENTION_LIMIT], truncated or len(items) > ATTENTION_LIMIT)


def _depth(principal: Principal, unit: Unit) -> int:
    return unit.path.count("/") - (principal.unit_path or "/").count("/")


def _breadcrumb(session: Session, principal: Principal, unit: Unit) -> list[UnitOption]:
    chain = [u for u in reversed(units.ancestors(session, unit)) if principal.reaches_path(u.path)] + [unit]
    return [UnitOption(u.code, u.name, _depth(principal, u)) for u in chain]


def _options(session: Session, principal: Principal) -> list[UnitOption]:
    rows = session.exec(select(Unit).where(col(Unit.path).startswith(principal.unit_path))  # type: ignore[arg-type]
                        .order_by(col(Unit.path)).limit(MAX_UNIT_OPTIONS)).all()
    return [UnitOption(u.code, u.name, _depth(principal, u)) for u in rows]
