"""The weekly bulletin (周报): the week's appeals and the year so far, the ranking of the units below, the
programme's visits line and the policy section. Its own module because it composes the use cases (app.stats.service
for the appeals, app.stats.programme_service for pairings and visits, app.stats.policy_figures for policies), which
must not import each other."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from app.auth.principal import Principal
from app.stats import bulletin as bulletin_text
from app.stats import policy_figures, programme_queries, programme_service
from app.stats.periods import Period, current_week, iso_week, local_midnight
from app.stats.schemas import StatsBulletin
from app.stats.service import Scope, _aggregate, end_read, rank_units, scope_for


def bulletin(
    session: Session, principal: Principal, *, unit_code: str | None, week: str | None, now: datetime
) -> StatsBulletin:
    scope = scope_for(session, principal, unit_code)
    period, label = iso_week(week or current_week(now))
    this_week = _aggregate(session, scope, period, now=now)
    year_start = local_midnight(date(period.last_day.year, 1, 1))
    year = Period(year_start, period.end)
    year_to_date = _aggregate(session, scope, year, now=now)
    policies = _policy_line(session, scope, period, year)
    markdown = bulletin_text.render(bulletin_text.BulletinInput(
        unit_name=scope.unit.name, week_label=label, first_day=period.first_day, last_day=period.last_day,
        week=this_week.total, week_by_category=this_week.by_dimension["category"],
        week_by_urgency=this_week.by_dimension["urgency"], year=year_to_date.total,
        year_by_status=year_to_date.by_dimension["status"],
        ranking=rank_units(this_week.by_unit),
        visits=_visit_line(session, scope, period, year, now=now), policies=policies,
    ))
    return StatsBulletin(week=label, unit_code=scope.unit.code, unit_name=scope.unit.name, markdown=markdown,
                         policies=policies.week)


def _policy_line(session: Session, scope: Scope, week: Period, year: Period) -> bulletin_text.PolicyLine:
    """GET /stats/policies for the week and for the year so far (for a department: the policies it issued)."""
    figures = [policy_figures.figures(session, scope.unit, p) for p in (week, year)]
    end_read(session)
    return bulletin_text.PolicyLine(*figures)


def _visit_line(session: Session, scope: Scope, week: Period, year: Period, *,
                now: datetime) -> bulletin_text.VisitLine:
    figures = programme_service.programme_for(session, scope, week, now=now)
    year_visits = programme_queries.visit_count(
        session, programme_queries.Reach(scope.unit_ids, by_department=scope.by_owner), year)
    end_read(session)
    return bulletin_text.VisitLine(
        week_visits=figures.visits, week_enterprises=figures.enterprises_visited, year_visits=year_visits,
        enterprises_paired=figures.enterprises_paired, pairing_coverage_rate=figures.pairing_coverage_rate,
        visit_overdue=figures.visit_overdue)
