from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.accounts.models import BindingStatus, Provider
from app.core.time import LocalDateTime
from app.core.validation import JsonInt, Mobile, Name, Note, Uscc

LoginCode = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\x21-\x7e]+$")]
TokenText = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$")]
InvitationCode = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[0-9A-Za-z\- ]+$")]


class WeChatLogin(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "0a3Xk2000Ze2wT1Ab3000abc"}]})

    code: LoginCode = Field(description="wx.login 返回的登录凭证（5 分钟内有效，只能使用一次）")


class DingTalkLogin(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"auth_code": "8b2e6c0f3a7d4e"}]})

    auth_code: LoginCode = Field(description="dd.getAuthCode 返回的免登授权码（5 分钟内有效，只能使用一次）")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"refresh_token": "eyJhbGciOi…"}]})

    refresh_token: TokenText


class EnterpriseBrief(BaseModel):
    uscc: str
    name: str
    street_code: str
    street_name: str


class BindingRequestBrief(BaseModel):
    id: int
    status: BindingStatus
    enterprise_uscc: str
    enterprise_name: str
    reason: str | None
    created_at: LocalDateTime
    decided_at: LocalDateTime | None


_ME_EXAMPLE = {
    "id": 12, "provider": "wechat", "display_name": None, "bound": True,
    "enterprise": {"uscc": "91330106MA2CF0001M", "name": "杭州西溪智造科技有限公司", "street_code": "330106012",
                   "street_name": "西溪街道"},
    "binding_request": None, "created_at": "2026-11-21T09:00:00+08:00", "last_login_at": "2026-11-21T09:00:00+08:00",
}


class MeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ME_EXAMPLE]})

    id: int
    provider: Provider
    display_name: str | None
    bound: bool = Field(description="是否已绑定企业；未绑定时只能调用 /me、绑定与登录接口")
    enterprise: EnterpriseBrief | None
    binding_request: BindingRequestBrief | None = Field(description="最近一次待审核/已处理的绑定申请")
    created_at: LocalDateTime
    last_login_at: LocalDateTime


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ6aHVxaSJ9.c2lnbmF0dXJl",
                 "token_type": "Bearer", "expires_in": 7200,
                 "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmF0dXJl",
                 "refresh_expires_in": 2592000, "user": _ME_EXAMPLE}
            ]
        }
    )

    access_token: str = Field(description="放在 Authorization: Bearer 中；2 小时有效")
    token_type: str = "Bearer"
    expires_in: int = Field(description="access_token 有效秒数")
    refresh_token: str = Field(description="用于 POST /api/v1/auth/refresh；每次刷新后旧的作废")
    refresh_expires_in: int
    user: MeRead


class LogoutResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "logged_out"}]})

    status: str = "logged_out"


class BindingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"uscc": "91330106MA2CF0001M", "name": "杭州西溪智造科技有限公司", "invitation_code": "K7QF-3MZP-X2HD"},
                {"uscc": "91330106MA2CF0001M", "name": "杭州西溪智造科技有限公司", "applicant_name": "陈立",
                 "applicant_mobile": "13912340001", "note": "本人为公司行政负责人"},
            ]
        },
    )

    uscc: Uscc = Field(description="企业统一社会信用代码")
    name: Name = Field(description="企业名称，须与登记名称一致")
    invitation_code: InvitationCode | None = Field(
        default=None, description="街道管理员发放的邀请码；不填则提交绑定申请，待街道管理员审核"
    )
    applicant_name: Name | None = Field(default=None, description="申请人姓名（无邀请码时便于街道核实）")
    applicant_mobile: Mobile | None = Field(default=None, description="申请人手机号（仅属地街道管理员可见全号）")
    note: Annotated[Note, StringConstraints(max_length=500)] | None = None


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"valid_days": 7}]})

    valid_days: JsonInt = Field(default=7, ge=1, le=30, description="有效天数（1–30，默认 7 天）")


class InvitationCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 4, "code": "K7QF-3MZP-X2HD", "enterprise_uscc": "91330106MA2CF0001M",
                 "enterprise_name": "杭州西溪智造科技有限公司", "expires_at": "2026-11-28T09:00:00+08:00",
                 "created_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    id: int
    code: str = Field(description="邀请码只显示这一次，单次有效 (shown once, single use)")
    enterprise_uscc: str
    enterprise_name: str
    expires_at: LocalDateTime
    created_at: LocalDateTime


class BindingDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "已电话核实为企业员工"}]})

    reason: Annotated[Note, StringConstraints(max_length=500)] | None = None


_REQUEST_EXAMPLE = {
    "id": 7, "status": "pending", "enterprise_uscc": "91330106MA2CF0001M", "enterprise_name": "杭州西溪智造科技有限公司",
    "street_code": "330106012", "provider": "wechat", "applicant_name": "陈立", "applicant_mobile": "139****0001",
    "note": "本人为公司行政负责人", "decided_by": None, "decided_at": None, "reason": None,
    "created_at": "2026-11-21T09:00:00+08:00",
}


class BindingRequestRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REQUEST_EXAMPLE]})

    id: int
    status: BindingStatus
    enterprise_uscc: str
    enterprise_name: str
    street_code: str
    provider: Provider
    applicant_name: str | None
    applicant_mobile: str | None = Field(description="仅属地街道管理员可见全号，其他人为掩码")
    note: str | None
    decided_by: str | None
    decided_at: LocalDateTime | None
    reason: str | None
    created_at: LocalDateTime


class BindingRequestPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_REQUEST_EXAMPLE], "next_cursor": None}]})

    items: list[BindingRequestRead]
    next_cursor: str | None = None
