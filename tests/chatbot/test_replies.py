"""Reply rendering is pure: Chinese markdown with the sender @'d, free text scrubbed, card values strings."""

from __future__ import annotations

from datetime import UTC, datetime

from app.appeals.lifecycle import Action
from app.chatbot import replies

BRIEF = replies.AppealBrief(
    number="ZQ2026-000001", title="[点我](http://evil.example) 联系 13812345678", status="in_progress",
    urgency="red", sla_state="overdue", category="energy", unit_name="西溪街道", deadline_label="办结期限",
    deadline=datetime(2026, 3, 16, 15, 59, 59, tzinfo=UTC), urgency_reasons=("存在安全隐患",),
)


def test_markdown_mentions_the_sender_and_keeps_line_breaks():
    reply = replies.markdown("标题", "标题", ["第一行", "- 列表", "", "第二段"], "wangxm01")
    dumped = reply.model_dump(by_alias=True, exclude_none=True)
    assert dumped["at"] == {"atUserIds": ["wangxm01"]}
    assert dumped["markdown"]["text"] == "#### 标题 @wangxm01\n\n第一行  \n- 列表  \n\n第二段  "
    assert "at" not in replies.markdown("t", "t", [], None).model_dump(exclude_none=True)


def test_free_text_is_scrubbed_and_deadlines_are_shanghai_time():
    text = replies.detail(BRIEF, ["progress", "resolve"], "wangxm01").markdown.text  # type: ignore[union-attr]
    assert "13812345678" not in text and "](http" not in text
    assert "2026-03-16 23:59" in text and "已超期" in text and "🔴红" in text
    assert "您现在可以：进展、办结" in text and "`办结 ZQ2026-000001 <答复内容>`" in text


def test_invalid_transition_lists_allowed_actions_in_chinese():
    reply = replies.invalid_transition("ZQ2026-000001", "resolved", Action.sign, ["close", "merge"], "u1")
    text = reply.markdown.text  # type: ignore[union-attr]
    assert "当前状态为「已办结」，不能「签收」" in text and "您现在可以：结案、合并" in text
    text = replies.invalid_transition("ZQ2026-000001", "closed", Action.progress, [], None).markdown.text  # type: ignore[union-attr]
    assert "没有可执行的操作" in text


def test_enterprise_name_only_when_given():
    assert "企业：" not in replies.detail(BRIEF, [], None).markdown.text  # type: ignore[union-attr]
    private = replies.AppealBrief(**{**BRIEF.__dict__, "enterprise_name": "杭州西溪智造科技有限公司"})
    assert "企业：杭州西溪智造科技有限公司" in replies.detail(private, [], None).markdown.text  # type: ignore[union-attr]


def test_card_values_are_strings():
    reply = replies.card(BRIEF, "已签收 ZQ2026-000001", "sign", handler="王晓明（西溪街道）",
                         updated_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    dumped = reply.model_dump(by_alias=True, exclude_none=True)
    assert all(isinstance(v, str) for v in dumped["cardData"]["cardParamMap"].values())
    assert dumped["cardData"]["cardParamMap"]["updated_at"] == "2026-03-02 09:00"
    assert dumped["userPrivateData"]["cardParamMap"] == {"message": "已签收 ZQ2026-000001", "myAction": "sign"}


def test_every_action_reply_renders():
    for action in replies.COMMAND_WORDS:
        reply = replies.action_done(action, BRIEF, "u1", text="说明", days=3, resolution_code="部分解决")
        assert reply.markdown and reply.markdown.title and "ZQ2026-000001" in reply.markdown.text
