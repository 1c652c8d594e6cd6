from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.core.validation import AmountCny, Headcount, JsonBool, JsonDate, JsonInt, Name
from app.enums import Category, Urgency
from app.sla.policy import DurationUnit


class DurationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: JsonInt = Field(gt=0, le=100_000, description="正整数")
    unit: DurationUnit = Field(description="minutes | hours | working_days")


class SlaPolicyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"respond": {"amount": 24, "unit": "hours"}, "plan": {"amount": 3, "unit": "working_days"},
                 "feedback": {"amount": 6, "unit": "working_days"}, "resolve": {"amount": 10, "unit": "working_days"},
                 "rating_window_days": 7}
            ]
        },
    )

    respond: DurationIn = Field(description="签收（首次响应）时限")
    plan: DurationIn | None = Field(default=None, description="拿出方案时限")
    feedback: DurationIn | None = Field(default=None, description="反馈时限")
    resolve: DurationIn = Field(description="办结时限")
    rating_window_days: JsonInt = Field(default=7, gt=0, le=90, description="办结后等待企业评价的天数，逾期自动结案")


class DurationRead(BaseModel):
    amount: int
    unit: DurationUnit


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"urgency": "yellow", "version": 2, "respond": {"amount": 24, "unit": "hours"},
                 "plan": {"amount": 3, "unit": "working_days"}, "feedback": {"amount": 6, "unit": "working_days"},
                 "resolve": {"amount": 10, "unit": "working_days"}, "rating_window_days": 7,
                 "promise": "24小时内响应、10个工作日内办结", "changed_by": "市专班管理员", "changed_at": None}
            ]
        }
    )

    urgency: Urgency
    version: int
    respond: DurationRead
    plan: DurationRead | None
    feedback: DurationRead | None
    resolve: DurationRead
    rating_window_days: int
    promise: str = Field(description="提交时向企业展示的承诺")
    changed_by: str | None
    changed_at: LocalDateTime | None


class SlaPolicyList(BaseModel):
    items: list[SlaPolicyRead]


class CalendarOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: JsonDate
    workday: JsonBool = Field(description="true = 调休上班日；false = 放假")
    note: Name = Field(default="国务院办公厅通知")


class CalendarYearIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"overrides": [
                    {"day": "2027-01-01", "workday": False, "note": "元旦 国务院办公厅通知 2027"},
                    {"day": "2027-02-06", "workday": False, "note": "春节"},
                    {"day": "2027-02-20", "workday": True, "note": "春节调休上班"},
                ]}
            ]
        },
    )

    overrides: list[CalendarOverrideIn] = Field(max_length=366)


class CalendarOverrideRead(BaseModel):
    day: date
    workday: bool
    note: str


class CalendarYearRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"year": 2027, "covered": True, "source": "overrides",
                          "overrides": [{"day": "2027-01-01", "workday": False, "note": "元旦"}]}]
        }
    )

    year: int
    covered: bool = Field(description="该年的官方放假安排是否已知（程序包数据或管理员录入）")
    source: str = Field(description="package | overrides | fallback (周一至周五)")
    overrides: list[CalendarOverrideRead]


class UrgencyPolicyIO(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"red_employees": 100, "yellow_employees": 20, "red_amount_cny": 10000000,
                 "yellow_amount_cny": 1000000, "red_deadline_working_days": 5, "yellow_deadline_working_days": 20,
                 "category_floor": {"energy": "yellow"}, "boost_tags": ["专精特新", "规上企业"]}
            ]
        },
    )

    red_employees: Headcount = Field(default=100, gt=0)
    yellow_employees: Headcount = Field(default=20, gt=0)
    red_amount_cny: AmountCny = Field(default=10_000_000, gt=0)
    yellow_amount_cny: AmountCny = Field(default=1_000_000, gt=0)
    red_deadline_working_days: JsonInt = Field(default=5, gt=0, le=250)
    yellow_deadline_working_days: JsonInt = Field(default=20, gt=0, le=250)
    category_floor: dict[Category, Urgency] = Field(default_factory=dict)
    boost_tags: list[Name] = Field(default_factory=lambda: ["专精特新", "规上企业"], max_length=20)
