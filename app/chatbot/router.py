"""DingTalk callbacks. The signature is checked from the headers before the body is even read; the body is
read raw (the app's middleware already refuses more than 1 MB) and parsed by the service, never by FastAPI,
so an unsigned request is a 401 whatever its body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from app.chatbot import callbacks, service
from app.chatbot.schemas import CardCallbackIn, CardCallbackReply, RobotMessageIn, RobotReply
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import PROBLEM_MEDIA_TYPE, Problem, problem_responses

router = APIRouter(prefix="/api/v1/callbacks", tags=["chatbot"])

TIMESTAMP_DOC = "毫秒时间戳，与服务器时间相差不得超过 1 小时"
SIGN_DOC = "Base64(HmacSHA256(appSecret, timestamp+'\\n'+appSecret))"
CARD_TIMESTAMP_DOC = "毫秒时间戳（配置 apiSecret 时必填）"
CARD_SIGN_DOC = "Base64(HmacSHA256(apiSecret, timestamp))"


async def robot_body(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    timestamp: Annotated[str | None, Header(description=TIMESTAMP_DOC)] = None,
    sign: Annotated[str | None, Header(description=SIGN_DOC)] = None,
) -> bytes:
    callbacks.check_robot_signature(settings, timestamp, sign, now=now)
    return await request.body()


async def card_body(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    x_ddpaas_signature_timestamp: Annotated[str | None, Header(description=CARD_TIMESTAMP_DOC)] = None,
    x_ddpaas_signature: Annotated[str | None, Header(description=CARD_SIGN_DOC)] = None,
) -> bytes:
    callbacks.check_card_signature(settings, x_ddpaas_signature_timestamp, x_ddpaas_signature, now=now)
    return await request.body()


# 503: the callback's secret is not configured, so the request cannot be verified and is refused.
RESPONSES = {**problem_responses(413), 503: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}},
                                             "description": "回调密钥未配置 Callback secret not configured"}}

RobotBody = Annotated[bytes, Depends(robot_body)]
CardBody = Annotated[bytes, Depends(card_body)]


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI request body for a route that reads its body itself (nested models inlined)."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(item) for item in node] if isinstance(node, list) else node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


@router.post("/dingtalk", response_model=RobotReply, response_model_exclude_none=True,
             responses=RESPONSES, openapi_extra=_json_body(RobotMessageIn))
def dingtalk_robot_message(raw: RobotBody, session: SessionDep, now: NowDep) -> RobotReply:
    """钉钉机器人 @消息回调（HTTP 模式）。校验 timestamp/sign 请求头，按 msgId 去重，按 senderStaffId 识别服务专员，
    执行 帮助、待办、查询、签收、进展、补充、办结、退回、提级、延期 指令，在响应体中以 markdown 回复。"""
    message = callbacks.parse_robot_message(raw)
    return service.handle_robot_message(session, message, now=now)


@router.post("/dingtalk/card", response_model=CardCallbackReply, response_model_exclude_none=True,
             responses=RESPONSES, openapi_extra=_json_body(CardCallbackIn))
def dingtalk_card_action(raw: CardBody, session: SessionDep, now: NowDep) -> CardCallbackReply:
    """钉钉互动卡片按钮回调（actionCallback）：为点击者执行签收或刷新状态，返回更新后的卡片数据（字符串值）。"""
    callback, content = callbacks.parse_card_callback(raw)
    return service.handle_card_callback(session, callback, content, now=now)
