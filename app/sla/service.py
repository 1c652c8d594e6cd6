"""The working-day calendar and the SLA/urgency policies in force, and their admin edits."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, delete, select

from app.auth.principal import Principal
from app.core import refcache
from app.enums import Category, Role, Urgency
from app.errors import FieldError, Forbidden, InvalidInput
from app.sla.calendar import WorkingCalendar
from app.sla.models import CalendarOverride, Setting, SlaPolicyRecord
from app.sla.policy import DEFAULT_POLICIES, Duration, DurationUnit, SlaPolicy, UrgencyPolicy, validate_policy
from app.sla.schemas import CalendarYearIn, SlaPolicyIn, UrgencyPolicyIO

URGENCY_SETTING = "urgency_policy"
# The calendar and the policies are cached per process (app.core.refcache); a change to these tables clears them
# (app.sla.handlers registers them with the cache at start).
CACHED_TABLES = ("calendar_override", "sla_policy", "setting")
_DURATION_FIELDS = ("respond", "plan", "feedback", "resolve")


def _require_city_admin(principal: Principal) -> None:
    if principal.role not in (Role.city_admin, Role.system):
        raise Forbidden("只有市级管理员可以修改全市规则")


def load_calendar(session: Session) -> WorkingCalendar:
    return refcache.cached(session, ("calendar",), lambda: WorkingCalendar(
        {row.day: row.workday for row in session.exec(select(CalendarOverride)).all()}))


def _to_policy(record: SlaPolicyRecord) -> SlaPolicy:
    durations = {
        name: Duration(int(value["amount"]), DurationUnit(value["unit"])) if value else None
        for name, value in record.durations.items()
    }
    return SlaPolicy(urgency=Urgency(record.urgency), rating_window_days=record.rating_window_days,
                     version=record.version, **durations)  # type: ignore[arg-type]


def _latest_record(session: Session, urgency: Urgency) -> SlaPolicyRecord | None:
    return session.exec(
        select(SlaPolicyRecord).where(SlaPolicyRecord.urgency == urgency).order_by(col(SlaPolicyRecord.version).desc())
    ).first()


def policy_for(session: Session, urgency: Urgency) -> SlaPolicy:
    """The policy in force: the newest edited version, or the design defaults (version 1)."""
    return refcache.cached(session, ("sla_policy", Urgency(urgency)), lambda: policy_record(session, urgency)[0])


def policy_record(session: Session, urgency: Urgency) -> tuple[SlaPolicy, SlaPolicyRecord | None]:
    record = _latest_record(session, urgency)
    return (_to_policy(record) if record else DEFAULT_POLICIES[Urgency(urgency)]), record


def update_policy(
    session: Session, principal: Principal, urgency: Urgency, data: SlaPolicyIn, *, now: datetime
) -> tuple[SlaPolicy, SlaPolicyRecord]:
    _require_city_admin(principal)
    current = policy_for(session, urgency)
    durations = {
        name: Duration(d.amount, d.unit) if (d := getattr(data, name)) is not None else None
        for name in _DURATION_FIELDS
    }
    candidate = SlaPolicy(urgency=urgency, rating_window_days=data.rating_window_days,
                          version=current.version + 1, **durations)  # type: ignore[arg-type]
    problems = validate_policy(candidate, load_calendar(session), probe=now)
    if problems:
        raise InvalidInput("；".join(problems), errors=[FieldError(field="body", message=p) for p in problems])
    record = SlaPolicyRecord(
        urgency=urgency, version=candidate.version, rating_window_days=data.rating_window_days,
        durations={name: (d.model_dump(mode="json") if (d := getattr(data, name)) else None)
                   for name in _DURATION_FIELDS},
        changed_by=principal.label, created_at=now,
    )
    session.add(record)
    session.commit()
    return candidate, record


def promise_text(policy: SlaPolicy) -> str:
    """What the enterprise is promised at submission, e.g. "24小时内响应、10个工作日内办结"."""
    def phrase(d: Duration) -> str:
        unit = {DurationUnit.minutes: "分钟", DurationUnit.hours: "小时", DurationUnit.working_days: "个工作日"}[d.unit]
        return f"{d.amount}{unit}内"

    return f"{phrase(policy.respond)}响应、{phrase(policy.resolve)}办结"


def urgency_policy(session: Session) -> UrgencyPolicy:
    return refcache.cached(session, ("urgency_policy",), lambda: _load_urgency_policy(session))


def _load_urgency_policy(session: Session) -> UrgencyPolicy:
    setting = session.get(Setting, URGENCY_SETTING)
    if setting is None:
        return UrgencyPolicy()
    data = UrgencyPolicyIO.model_validate(setting.value)
    values = data.model_dump()
    values["category_floor"] = {Category(k): Urgency(v) for k, v in data.category_floor.items()}
    values["boost_tags"] = tuple(data.boost_tags)
    return UrgencyPolicy(**values)


def read_urgency_policy(session: Session) -> UrgencyPolicyIO:
    setting = session.get(Setting, URGENCY_SETTING)
    return UrgencyPolicyIO.model_validate(setting.value) if setting else UrgencyPolicyIO()


def update_urgency_policy(
    session: Session, principal: Principal, data: UrgencyPolicyIO, *, now: datetime
) -> UrgencyPolicyIO:
    _require_city_admin(principal)
    if data.yellow_employees > data.red_employees:
        raise InvalidInput.field("body.yellow_employees", "黄色人数门槛不能高于红色门槛")
    if data.yellow_amount_cny > data.red_amount_cny:
        raise InvalidInput.field("body.yellow_amount_cny", "黄色金额门槛不能高于红色门槛")
    if data.red_deadline_working_days > data.yellow_deadline_working_days:
        raise InvalidInput.field("body.red_deadline_working_days", "红色截止天数不能多于黄色")
    setting = session.get(Setting, URGENCY_SETTING) or Setting(key=URGENCY_SETTING, value={}, updated_at=now)
    setting.value = data.model_dump(mode="json")
    setting.updated_at = now
    session.add(setting)
    session.commit()
    return data


def calendar_year(session: Session, year: int) -> tuple[bool, str, list[CalendarOverride]]:
    rows = list(session.exec(
        select(CalendarOverride)
        .where(col(CalendarOverride.day) >= date(year, 1, 1), col(CalendarOverride.day) <= date(year, 12, 31))
        .order_by(col(CalendarOverride.day))
    ).all())
    calendar = WorkingCalendar({r.day: r.workday for r in rows})
    covered = calendar.covers(year)
    package = WorkingCalendar().covers(year)
    return covered, "package" if package else "overrides" if covered else "fallback", rows


def replace_calendar_year(
    session: Session, principal: Principal, year: int, data: CalendarYearIn, *, now: datetime
) -> list[CalendarOverride]:
    """Replaces every override of `year` with the uploaded list (the State Council notice, entered the day it
    is published)."""
    _require_city_admin(principal)
    if not 2000 <= year <= 2100:
        raise InvalidInput.field("path.year", "年份必须在 2000–2100 之间")
    days = [o.day for o in data.overrides]
    for index, override in enumerate(data.overrides):
        if override.day.year != year:
            raise InvalidInput.field(f"body.overrides.{index}.day", f"{override.day} 不属于 {year} 年")
    if len(set(days)) != len(days):
        raise InvalidInput.field("body.overrides", "同一日期重复出现")
    session.exec(delete(CalendarOverride).where(  # type: ignore[call-overload]
        col(CalendarOverride.day) >= date(year, 1, 1), col(CalendarOverride.day) <= date(year, 12, 31)))
    rows = [CalendarOverride(day=o.day, workday=o.workday, note=o.note, created_at=now) for o in data.overrides]
    session.add_all(rows)
    session.commit()
    return sorted(rows, key=lambda r: r.day)

