"""Statistics for a unit's subtree: summary, time series, CSV export and the weekly bulletin. Staff only."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.auth.deps import StaffDep
from app.db import session_for
from app.deps import NowDep, SessionDep
from app.errors import problem_responses
from app.policies.schemas import PolicyStats
from app.stats import policy_figures, programme_service, service, weekly
from app.stats.export import HEADERS
from app.stats.periods import Bucket
from app.stats.schemas import StatsBulletin, StatsProgramme, StatsSummary, StatsTimeseries

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

FromQuery = Annotated[str | None, Query(
    max_length=40, 
    alias="from", description="起点（含）：日期 2026-01-01（北京时间当日 0 点）或 ISO 8601 时间；默认为截止时间所在年份的 1 月 1 日",
    examples=["2026-01-01"])]
ToQuery = Annotated[str | None, Query(
    max_length=40, 
    description="终点：日期含当日全天；ISO 8601 时间不含该时刻；默认为今天（含全天）", examples=["2026-11-30"])]
UnitQuery = Annotated[str | None, Query(
    max_length=32, pattern=r"^[0-9A-Za-z_-]{2,32}$", description="单位编码（含下级）；默认为调用方所在单位",
    examples=["330106"])]


@router.get("/summary", response_model=StatsSummary, responses=problem_responses(403, 404))
def summary(session: SessionDep, principal: StaffDep, now: NowDep, from_: FromQuery = None, to: ToQuery = None,
            unit: UnitQuery = None) -> StatsSummary:
    """统计汇总：收集、解决、解决率、按时办结率、首次响应及时率、满意率、重办率、退回率、本级解决率、平均办理工作日、
    两个月内解决率，按紧急程度/类别/层级/状态分布，以及下级单位排名表。诉求按提交时间归入统计期、按属地街道归属单位。"""
    return service.summary(session, principal, unit_code=unit, start=from_, end=to, now=now)


@router.get("/timeseries", response_model=StatsTimeseries, responses=problem_responses(403, 404))
def timeseries(session: SessionDep, principal: StaffDep, now: NowDep,
               period: Annotated[Bucket, Query(description="week（周一起）或 month")] = Bucket.week,
               from_: FromQuery = None, to: ToQuery = None, unit: UnitQuery = None) -> StatsTimeseries:
    """按周或按月的趋势数据（用于图表），含无诉求的空期。口径同统计汇总，见 docs/statistics.md。"""
    return service.timeseries(session, principal, unit_code=unit, bucket=period, start=from_, end=to, now=now)


_CSV_EXAMPLE = ",".join(HEADERS[:6]) + ",…\nZQ2026-000123,杭州西溪智造科技有限公司,91330106MA2CF00011,西溪街道,西溪街道,街道,…\n"


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"description": "UTF-8（带 BOM）CSV，中文表头，每个诉求一行",
                     "content": {"text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE}}},
               **problem_responses(403, 404)},
)
def export_csv(request: Request, session: SessionDep, principal: StaffDep, now: NowDep, from_: FromQuery = None,
               to: ToQuery = None, unit: UnitQuery = None) -> StreamingResponse:
    """导出诉求明细 CSV（Excel 可直接打开）：时间节点、是否按时、评价等办理结果；不含联系人手机号。流式输出。"""
    plan = service.plan_export(session, principal, unit_code=unit, start=from_, end=to, now=now)
    engine = request.app.state.engine

    def chunks():  # type: ignore[no-untyped-def]
        with session_for(engine) as stream_session:
            yield from (chunk.encode("utf-8") for chunk in service.export_csv(stream_session, plan))

    disposition = f"attachment; filename=\"{plan.filename}\"; filename*=UTF-8''{quote(plan.filename)}"
    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": disposition})


@router.get("/bulletin", response_model=StatsBulletin, responses=problem_responses(403, 404))
def bulletin(session: SessionDep, principal: StaffDep, now: NowDep,
             week: Annotated[str | None, Query(max_length=10, description="ISO 周，默认本周", examples=["2026-W47"])] = None,
             unit: UnitQuery = None) -> StatsBulletin:
    """周报：政府工作周报体例的中文 Markdown（本周收集、解决、解决率……，年初以来累计，各单位排名，工作提示）。"""
    return weekly.bulletin(session, principal, unit_code=unit, week=week, now=now)


@router.get("/programme", response_model=StatsProgramme, responses=problem_responses(403, 404))
def programme(session: SessionDep, principal: StaffDep, now: NowDep, from_: FromQuery = None, to: ToQuery = None,
              unit: UnitQuery = None) -> StatsProgramme:
    """千名干部助千企的项目口径：选派干部（按派出单位）、结对/服务/走访企业（按企业属地）、走访家次、收集与解决诉求、
    解决率、结对覆盖率、走访逾期企业，以及通报用的一句话 sentence。口径见 docs/statistics.md。"""
    return programme_service.programme(session, principal, unit_code=unit, start=from_, end=to, now=now)


@router.get("/policies", response_model=PolicyStats, responses=problem_responses(403))
def policy_stats(session: SessionDep, principal: StaffDep, now: NowDep, from_: FromQuery = None,
                 to: ToQuery = None, unit: UnitQuery = None) -> PolicyStats:
    """政策推送与兑现：推送政策数、推送数、触达企业、已读率、意向申报、已兑现及金额。统计期内推送的政策送达：区域单位按企业属地
    街道（在其辖区内的企业收到的所有政策），部门按发布单位（本部门及下属单位发布的政策，送达何处都算）。口径见 docs/statistics.md。"""
    return policy_figures.policy_stats(session, principal, unit_code=unit, start=from_, end=to, now=now)
