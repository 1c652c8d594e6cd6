from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.policies.schemas import PolicyStats
from app.stats.figures import DEFINITIONS
from app.stats.periods import Bucket


def _rate(name: str) -> object:
    return Field(default=None, ge=0, le=1, description=DEFINITIONS[name] + " 比例 0..1，分母为 0 时为 null。")


class UnitFigures(BaseModel):
    rank: int = Field(description="按解决率从高到低排名（无诉求的单位排在最后）")
    unit_code: str
    unit_name: str
    collected: int
    resolved: int
    resolution_rate: float | None = _rate("resolution_rate")  # type: ignore[assignment]
    on_time_rate: float | None = _rate("on_time_rate")  # type: ignore[assignment]
    first_response_on_time_rate: float | None = _rate("first_response_on_time_rate")  # type: ignore[assignment]
    satisfaction_rate: float | None = _rate("satisfaction_rate")  # type: ignore[assignment]
    redo_rate: float | None = _rate("redo_rate")  # type: ignore[assignment]
    return_rate: float | None = _rate("return_rate")  # type: ignore[assignment]


_SUMMARY_EXAMPLE = {
    "unit_code": "330100", "unit_name": "杭州市", "from": "2026-01-01T00:00:00+08:00",
    "to": "2026-11-21T09:00:00+08:00", "as_of": "2026-11-21T09:00:00+08:00",
    "collected": 7869, "resolved": 7222, "resolution_rate": 0.9178, "on_time_rate": 0.9512,
    "first_response_on_time_rate": 0.9873, "satisfaction_rate": 1.0, "redo_rate": 0.0121, "return_rate": 0.0335,
    "resolved_at_first_tier_rate": 0.8120, "avg_working_days_to_resolve": 6.4, "resolved_within_two_months_rate": 0.96,
    "by_urgency": {"red": 312, "yellow": 2140, "green": 5417},
    "by_category": {"funding": 1530, "land": 402, "labour": 1288, "talent": 377, "energy": 655, "approval": 1210,
                    "market": 930, "supply_chain": 301, "policy": 1001, "other": 175},
    "by_tier": {"street": 6390, "district": 1320, "city": 159},
    "by_status": {"submitted": 40, "in_progress": 512, "pending_info": 35, "returned": 4, "resolved": 420,
                  "closed": 6802, "rejected": 30, "withdrawn": 20, "merged": 6},
    "by_unit": [{"rank": 1, "unit_code": "330106", "unit_name": "西湖区", "collected": 1650, "resolved": 1580,
                 "resolution_rate": 0.9576, "on_time_rate": 0.97, "first_response_on_time_rate": 0.99,
                 "satisfaction_rate": 1.0, "redo_rate": 0.005, "return_rate": 0.02}],
}


class StatsSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})

    unit_code: str
    unit_name: str
    from_: LocalDateTime = Field(alias="from", description="统计区间起点（含）")
    to: LocalDateTime = Field(description="统计区间终点（不含）")
    as_of: LocalDateTime = Field(description="计算时刻；首次响应是否逾期按此时刻判断")
    collected: int = Field(description=DEFINITIONS["collected"])
    resolved: int = Field(description=DEFINITIONS["resolved"])
    resolution_rate: float | None = _rate("resolution_rate")  # type: ignore[assignment]
    on_time_rate: float | None = _rate("on_time_rate")  # type: ignore[assignment]
    first_response_on_time_rate: float | None = _rate("first_response_on_time_rate")  # type: ignore[assignment]
    satisfaction_rate: float | None = _rate("satisfaction_rate")  # type: ignore[assignment]
    redo_rate: float | None = _rate("redo_rate")  # type: ignore[assignment]
    return_rate: float | None = _rate("return_rate")  # type: ignore[assignment]
    resolved_at_first_tier_rate: float | None = _rate("resolved_at_first_tier_rate")  # type: ignore[assignment]
    avg_working_days_to_resolve: float | None = Field(
        default=None, ge=0, description=DEFINITIONS["avg_working_days_to_resolve"] + " 保留两位小数；无办结时为 null。"
    )
    resolved_within_two_months_rate: float | None = _rate("resolved_within_two_months_rate")  # type: ignore[assignment]
    by_urgency: dict[str, int] = Field(description="收集数按紧急程度 red|yellow|green")
    by_category: dict[str, int] = Field(description="收集数按类别（代码）")
    by_tier: dict[str, int] = Field(description="收集数按当前层级 street|district|city")
    by_status: dict[str, int] = Field(description="收集数按当前状态")
    by_unit: list[UnitFigures] = Field(description="下级区域单位排名表（按属地归属），按解决率排序")


class TimeseriesPoint(BaseModel):
    label: str = Field(description="2026-W47 或 2026-11")
    start: date = Field(description="本期第一天（北京时间，含）")
    end: date = Field(description="本期最后一天（北京时间，含）")
    collected: int
    resolved: int
    resolution_rate: float | None = _rate("resolution_rate")  # type: ignore[assignment]
    on_time_rate: float | None = _rate("on_time_rate")  # type: ignore[assignment]
    first_response_on_time_rate: float | None = _rate("first_response_on_time_rate")  # type: ignore[assignment]
    satisfaction_rate: float | None = _rate("satisfaction_rate")  # type: ignore[assignment]
    return_rate: float | None = _rate("return_rate")  # type: ignore[assignment]


class StatsTimeseries(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {"unit_code": "330106", "unit_name": "西湖区", "period": "month", "from": "2026-10-01T00:00:00+08:00",
                 "to": "2026-12-01T00:00:00+08:00",
                 "items": [{"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31", "collected": 120,
                            "resolved": 110, "resolution_rate": 0.9167, "on_time_rate": 0.9545,
                            "first_response_on_time_rate": 0.99, "satisfaction_rate": 1.0, "return_rate": 0.0167}]}
            ]
        },
    )

    unit_code: str
    unit_name: str
    period: Bucket
    from_: LocalDateTime = Field(alias="from")
    to: LocalDateTime
    items: list[TimeseriesPoint] = Field(description="按期排列（含无诉求的空期）；每期按提交时间归属")


class StatsBulletin(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"week": "2026-W47", "unit_code": "330100", "unit_name": "杭州市",
                 "markdown": "# 杭州市助企服务周报\n\n**2026年第47周（2026年11月16日至11月22日）**\n\n"
                             "## 一、本周情况\n\n本周收集企业诉求120个，解决104个，解决率86.7%……",
                 "policies": {"unit_code": "330100", "policies": 2, "deliveries": 460, "enterprises_reached": 431,
                              "read_rate": 0.7239, "interested": 38, "granted": 5, "granted_amount_cny": 1_250_000}}
            ]
        }
    )

    week: str = Field(description="ISO 周，例如 2026-W47（周一至周日，北京时间）")
    unit_code: str
    unit_name: str
    markdown: str = Field(description="政府周报体例的中文 Markdown 文本")
    policies: PolicyStats | None = Field(
        default=None, description="本周的政策推送与兑现（周报“政策推送与兑现”一节的本周数字），与 GET /api/v1/stats/policies "
                                  "以本周首尾两日为 from/to、同一单位查询的结果相同（部门单位为其发布的政策的数字）")


_PROGRAMME_EXAMPLE = {
    "unit_code": "330100", "unit_name": "杭州市", "from": "2026-01-01T00:00:00+08:00",
    "to": "2026-12-01T00:00:00+08:00", "as_of": "2026-11-30T09:00:00+08:00",
    "liaisons": 4407, "enterprises_total": 9000, "enterprises_paired": 8000, "enterprises_served": 8226,
    "visits": 41250, "enterprises_visited": 7900, "appeals_collected": 7869, "appeals_resolved": 7222,
    "resolution_rate": 0.9178, "pairing_coverage_rate": 0.8889, "visit_overdue": 120,
    "sentence": "共选派干部4407名，服务企业8226家，累计走访企业41250家次，收集企业诉求7869个，解决7222个，解决率91.8%",
    "by_unit": [{"unit_code": "330106", "unit_name": "西湖区", "enterprises_total": 1500, "enterprises_paired": 1400,
                 "pairing_coverage_rate": 0.9333, "enterprises_visited": 1300, "visited_in_cadence": 1380,
                 "visit_overdue": 20}],
}


class ProgrammeCoverage(BaseModel):
    unit_code: str
    unit_name: str
    enterprises_total: int = Field(description="属地在该单位的企业数（统计区间结束前登记）")
    enterprises_paired: int = Field(description="统计区间结束时（或当前）有结对干部的企业数")
    pairing_coverage_rate: float | None = Field(default=None, ge=0, le=1, description="结对覆盖率；无企业时为 null")
    enterprises_visited: int = Field(description="统计区间内被走访过的企业数")
    visited_in_cadence: int = Field(description="当前结对且按走访频次未逾期的企业数（截至今天）")
    visit_overdue: int = Field(description="当前结对且走访已逾期的企业数（截至今天）")


class StatsProgramme(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [_PROGRAMME_EXAMPLE]})

    unit_code: str
    unit_name: str
    from_: LocalDateTime = Field(alias="from", description="统计区间起点（含）")
    to: LocalDateTime = Field(description="统计区间终点（不含）")
    as_of: LocalDateTime = Field(description="计算时刻；当前结对与走访逾期按此时刻（北京时间当日）判断")
    liaisons: int = Field(description="选派干部：统计区间内任一时刻结对过企业的干部人数，按派出单位归属（不论企业属地）")
    enterprises_total: int = Field(description="属地企业数（部门为其干部在区间内结对过的企业数）")
    enterprises_paired: int = Field(description="结对企业：统计区间结束时（或当前）有结对干部的企业数")
    enterprises_served: int = Field(description="服务企业：区间内结对过、被走访过或提交过诉求的企业数，每家只计一次")
    visits: int = Field(description="走访企业家次：走访日期在区间内的走访记录数，按企业属地归属")
    enterprises_visited: int = Field(description="区间内被走访的企业数（去重）")
    appeals_collected: int = Field(description="收集企业诉求：与 /stats/summary 的 collected 相同")
    appeals_resolved: int = Field(description="解决：与 /stats/summary 的 resolved 相同")
    resolution_rate: float | None = Field(default=None, ge=0, le=1, description="解决率 = 解决 / 收集；收集为 0 时为 null")
    pairing_coverage_rate: float | None = Field(default=None, ge=0, le=1,
                                                description="结对覆盖率 = 结对企业 / 企业数；无企业时为 null")
    visit_overdue: int = Field(description="当前结对且走访已逾期的企业数（截至今天，不受统计区间影响）")
    sentence: str = Field(description="项目通报口径的一句话：共选派干部N名，服务企业N家，累计走访企业N家次，"
                                      "收集企业诉求N个，解决N个，解决率N%")
    by_unit: list[ProgrammeCoverage] = Field(description="下级区域单位的结对与走访覆盖情况（按企业属地；部门为空）")
