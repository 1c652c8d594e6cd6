"""Wire shapes of DingTalk robot and interactive-card callbacks (chat-protocols.md §2.2, §2.3, §2.5).

Vendor payloads are read with extra="ignore" (unlike our own inputs, which forbid unknown fields): DingTalk adds
fields over time (`senderPlatform`, `robotCode`, …) and a robot must not go deaf because of a new one. Only the
fields we use are declared, each with a bound.

Control characters (C0 but tab and line feed, DEL, C1) never reach the database (PostgreSQL text cannot hold NUL:
the INSERT failed, a 500, and DingTalk retried): they are stripped from what a person typed (the message, a
nickname, an error text), and an identifier carrying one (msgId, senderStaffId, conversationId, userId, …) is
refused with a 422, since removing characters from it would name something else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.validation import CONTROL_MESSAGE, JsonInt, PlainId, StrippedText, control_path

MAX_CONTENT_CHARS = 5000  # an @-message is typed on a phone; anything longer is not a command
Short = Annotated[PlainId, StringConstraints(max_length=128)]
ShortText = Annotated[StrippedText, StringConstraints(max_length=128)]

SAMPLE_ROBOT_MESSAGE: dict[str, Any] = {
    "conversationId": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==",
    "atUsers": [{"dingtalkId": "$:LWCP_v1:$xxxx", "staffId": "452523285939877041", "unionId": "edxxx34"}],
    "chatbotCorpId": "dinge8a565xxxx",
    "chatbotUserId": "$:LWCP_v1:$Cxxxxx",
    "msgId": "msg0xxxxx",
    "senderNick": "王晓明",
    "isAdmin": False,
    "senderStaffId": "wangxm01",
    "senderUnionId": "xxxx",
    "sessionWebhookExpiredTime": 1613635652738,
    "createAt": 1613630252678,
    "senderCorpId": "dinge8a565xxxx",
    "conversationType": "2",
    "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
    "conversationTitle": "西溪街道企业服务专员群",
    "isInAtList": True,
    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
    "robotCode": "dingxxxxxxxx",
    "senderPlatform": "Mac",
    "msgtype": "text",
    "text": {"content": " 签收 ZQ2026-000001"},
}


class RobotText(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: StrippedText = Field(default="", max_length=MAX_CONTENT_CHARS)


class RobotMessageIn(BaseModel):
    """A robot @-message (HTTP mode). `sessionWebhook` is deliberately not read: we answer in the response body
    and never call a URL taken from the request."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [SAMPLE_ROBOT_MESSAGE]})

    msg_id: Annotated[PlainId, StringConstraints(min_length=1, max_length=128)] | None = Field(default=None,
                                                                                             alias="msgId")
    msgtype: Annotated[PlainId, StringConstraints(max_length=30)] | None = None
    text: RobotText | None = None
    # The HTTP-mode sample in `dingstart/robot-receive-message` puts a string `content` at the top level; other
    # message types carry an object there (richText, picture, …), which is never read.
    content: Annotated[StrippedText, StringConstraints(max_length=MAX_CONTENT_CHARS)] | dict[str, Any] | None = None
    sender_staff_id: Annotated[PlainId, StringConstraints(max_length=64)] | None = Field(default=None,
                                                                                         alias="senderStaffId")
    sender_nick: ShortText | None = Field(default=None, alias="senderNick")
    conversation_id: Short | None = Field(default=None, alias="conversationId")
    conversation_type: Annotated[PlainId, StringConstraints(max_length=8)] | None = Field(
        default=None, alias="conversationType")
    # A JSON number or a short string; lax mode would read a long string of digits as a number and let it pass.
    error_code: JsonInt | Annotated[PlainId, StringConstraints(max_length=20)] | None = Field(default=None,
                                                                                              alias="errorCode")
    error_message: Annotated[StrippedText, StringConstraints(max_length=500)] | None = Field(default=None,
                                                                                             alias="errorMessage")

    @property
    def text_content(self) -> str | None:
        """`text.content`, falling back to a top-level string `content`."""
        if self.text is not None:
            return self.text.content
        return self.content if isinstance(self.content, str) else None

    @property
    def is_private(self) -> bool:
        """One-to-one chat with the robot: nobody else reads the reply."""
        return self.conversation_type == "1"


class MarkdownBody(BaseModel):
    title: str
    text: str


class TextBody(BaseModel):
    content: str


class At(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    at_user_ids: list[str] = Field(default_factory=list, alias="atUserIds")


class RobotReply(BaseModel):
    """The synchronous answer in the callback's response body: markdown (or `empty` for no reply)."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "msgtype": "markdown",
                    "markdown": {"title": "已签收 ZQ2026-000001",
                                 "text": "#### ✅ 已签收 ZQ2026-000001 @wangxm01\n\n- 状态：办理中\n"
                                         "- 办结期限：2026-03-16 23:59"},
                    "at": {"atUserIds": ["wangxm01"]},
                },
                {"msgtype": "empty"},
            ]
        },
    )

    msgtype: Literal["markdown", "text", "empty"]
    markdown: MarkdownBody | None = None
    text: TextBody | None = None
    at: At | None = None


SAMPLE_CARD_CALLBACK: dict[str, Any] = {
    "type": "actionCallback",
    "outTrackId": "appeal-1-submitted",
    "corpId": "dingXXXXXX",
    "userId": "wangxm01",
    "content": '{"cardPrivateData":{"actionIds":["sign"],"params":{"action":"sign","number":"ZQ2026-000001"}}}',
}


class CardCallbackIn(BaseModel):
    """An interactive-card button click (`actionCallback`). `content` is a JSON *string*."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [SAMPLE_CARD_CALLBACK]})

    type: Short | None = None
    out_track_id: Short | None = Field(default=None, alias="outTrackId")
    corp_id: Short | None = Field(default=None, alias="corpId")
    user_id: Annotated[PlainId, StringConstraints(min_length=1, max_length=64)] = Field(alias="userId")
    content: Annotated[str, StringConstraints(min_length=2, max_length=10_000)]  # JSON text: read as CardContent


class CardPrivateData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action_ids: list[Short] = Field(default_factory=list, alias="actionIds", max_length=10)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params_without_controls(self) -> CardPrivateData:
        # The button's params (an appeal number, an action) are looked up in the database as they are.
        where = control_path(self.params)
        if where is not None:
            raise ValueError(f"params.{where}: {CONTROL_MESSAGE}")
        return self


class CardContent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    card_private_data: CardPrivateData = Field(alias="cardPrivateData")


class CardParams(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    card_param_map: dict[str, str] = Field(alias="cardParamMap")


class CardUpdateOptions(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    update_card_data_by_key: bool = Field(default=True, alias="updateCardDataByKey")
    update_private_data_by_key: bool = Field(default=True, alias="updatePrivateDataByKey")


class CardCallbackReply(BaseModel):
    """Card update returned to DingTalk: shared `cardData` (status for everyone) and the clicker's own
    `userPrivateData` (the outcome message). Every value is a string, as the card platform requires."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "cardData": {"cardParamMap": {"status": "办理中", "status_code": "in_progress",
                                                  "number": "ZQ2026-000001", "unit": "西溪街道",
                                                  "handler": "王晓明（西溪街道）", "updated_at": "2026-03-02 09:00"}},
                    "userPrivateData": {"cardParamMap": {"message": "已签收 ZQ2026-000001", "myAction": "sign"}},
                    "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
                }
            ]
        },
    )

    card_data: CardParams | None = Field(default=None, alias="cardData")
    user_private_data: CardParams | None = Field(default=None, alias="userPrivateData")
    card_update_options: CardUpdateOptions = Field(default_factory=CardUpdateOptions, alias="cardUpdateOptions")
