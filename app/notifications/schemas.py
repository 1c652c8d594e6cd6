from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.time import LocalDateTime
from app.core.validation import JsonBool, JsonInt, Name, Tag, single_line
from app.enums import Urgency
from app.notifications.rules import ChannelKind, ChannelState, EventType, OutboxStatus

Keyword = Tag  # one line, ≤ 20 characters, no control character (C1 included)
Secret = Annotated[str, StringConstraints(min_length=8, max_length=300, pattern=r"^[\x21-\x7e]+$")]
Url = Annotated[str, StringConstraints(min_length=8, max_length=1000), AfterValidator(single_line)]

ALL_EVENTS = [e.value for e in EventType if e is not EventType.digest]


class ChannelCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "西溪街道助企服务群", "kind": "dingtalk",
                 "url": "https://oapi.dingtalk.com/robot/send?access_token=3f2a…9c1d",
                 "secret": "SEC0123456789abcdef", "keyword": "助企",
                 "events": ["submitted", "escalated", "reminder", "overdue", "supervised"],
                 "min_urgency": "green", "internal": False, "per_minute_budget": 18, "monthly_quota": 3000}
            ]
        },
    )

    name: Name | None = Field(default=None, description="渠道名称，例如群名")
    kind: ChannelKind = Field(description="dingtalk | wecom | feishu | webhook")
    url: Url = Field(description="机器人 Webhook 地址：https，且主机在允许列表中")
    secret: Secret | None = Field(default=None, description="加签密钥（钉钉 SEC…、飞书、通用 webhook whsec_…）；只写不读")
    keyword: Keyword | None = Field(default=None, description="机器人安全设置中的自定义关键词")
    events: list[EventType] = Field(default_factory=lambda: list(ALL_EVENTS), min_length=1, max_length=20,
                                    description="订阅的事件类型；含 digest 时绿色、黄色事件改为每日汇总")
    min_urgency: Urgency = Field(default=Urgency.green, description="最低紧急程度")
    internal: JsonBool = Field(default=False, description="内部群：消息可显示企业名称和诉求标题")
    per_minute_budget: JsonInt | None = Field(default=None, ge=1, le=600,
                                              description="每分钟发送上限；默认钉钉/企业微信 18、飞书 90、webhook 60")
    monthly_quota: JsonInt | None = Field(default=None, ge=1, le=10_000_000,
                                          description="月度调用额度；钉钉默认 3000，其他默认不限")


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"events": ["submitted", "escalated", "overdue"], "min_urgency": "yellow"}]
        },
    )

    name: Name | None = None
    url: Url | None = None
    secret: Secret | None = Field(default=None, description="新的加签密钥；传 null 清除")
    keyword: Keyword | None = None
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=20)
    min_urgency: Urgency | None = None
    internal: JsonBool | None = None
    per_minute_budget: JsonInt | None = Field(default=None, ge=1, le=600)
    monthly_quota: JsonInt | None = Field(default=None, ge=1, le=10_000_000, description="传 null 表示不限额")


class ChannelRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 7, "unit_code": "330106012", "name": "西溪街道助企服务群", "kind": "dingtalk",
                 "url": "https://oapi.dingtalk.com/robot/send?access_token=3f2a****9c1d", "has_secret": True,
                 "keyword": "助企", "events": ["submitted", "escalated", "reminder"], "min_urgency": "green",
                 "internal": False, "per_minute_budget": 18, "monthly_quota": 3000, "month_sends": 412,
                 "state": "active", "broken_reason": None, "blocked_until": None,
                 "created_at": "2026-11-21T09:00:00+08:00", "updated_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    id: int
    unit_code: str
    name: str | None
    kind: ChannelKind
    url: str = Field(description="地址中的凭据（access_token、key、hook id）已打码")
    has_secret: bool
    keyword: str | None
    events: list[EventType]
    min_urgency: Urgency
    internal: bool
    per_minute_budget: int
    monthly_quota: int | None
    month_sends: int = Field(description="本月（北京时间自然月）已调用次数")
    state: ChannelState
    broken_reason: str | None
    blocked_until: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class ChannelPage(BaseModel):
    items: list[ChannelRead]
    next_cursor: str | None = None


class ChannelTestResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ok": False, "outcome": "permanent", "code": "dingtalk:310000",
                 "detail": "keywords not in content", "http_status": 200,
                 "vendor_answer": {"errcode": 310000, "errmsg": "keywords not in content"}}
            ]
        }
    )

    ok: bool = Field(description="厂商是否接受了测试消息")
    outcome: str = Field(description="sent | throttled | retry | permanent")
    code: str = Field(description="例如 dingtalk:0、dingtalk:310000、http:302、transport、ssrf")
    detail: str
    http_status: int | None
    vendor_answer: dict[str, Any] | None = Field(description="厂商返回的 JSON 原文")


class OutboxRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "msg_5f0c3e0a9b8d4c21a3e4f5a6b7c8d9e0", "channel_id": 7, "channel_kind": "dingtalk",
                 "unit_code": "330106012", "appeal_id": 123, "event_type": "submitted", "urgency": "red",
                 "status": "dead", "attempts": 7, "next_attempt_at": "2026-11-21T09:00:00+08:00",
                 "last_error": "dingtalk:-1 系统繁忙", "coalesced_into": None,
                 "created_at": "2026-11-21T09:00:00+08:00", "sent_at": None}
            ]
        }
    )

    id: str
    channel_id: int
    channel_kind: ChannelKind
    unit_code: str
    appeal_id: int | None
    event_type: str
    urgency: Urgency
    status: OutboxStatus
    attempts: int
    next_attempt_at: LocalDateTime
    last_error: str | None
    coalesced_into: str | None = Field(description="并入的汇总消息 id")
    created_at: LocalDateTime
    sent_at: LocalDateTime | None


class OutboxPage(BaseModel):
    items: list[OutboxRead]
    next_cursor: str | None = None


class AlertRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "unit_code": "330106012", "kind": "channel_broken", "channel_id": 7,
                 "message": "渠道 西溪街道助企服务群（dingtalk）已停用：dingtalk:300001 token is not exist。",
                 "created_at": "2026-11-21T09:00:00+08:00", "acknowledged_at": None}
            ]
        }
    )

    id: int
    unit_code: str
    kind: str = Field(description="channel_broken | message_dead | quota_warning")
    channel_id: int | None
    message: str
    created_at: LocalDateTime
    acknowledged_at: LocalDateTime | None


class AlertPage(BaseModel):
    items: list[AlertRead]
    next_cursor: str | None = None
