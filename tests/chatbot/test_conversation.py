"""Liaisons drive the workflow from their DingTalk group: 待办, 签收, 进展, 办结 … with the API's authorisation,
the timeline recording who did it from DingTalk, and redelivered messages doing nothing twice."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent, ExtensionRequest
from app.auth.models import User
from app.chatbot.models import ChatbotMessage
from tests.chatbot.conftest import robot_payload
from tests.helpers import HUSHU_ENTERPRISE, appeal_body

N1 = "ZQ2026-000001"


def file(client, keys, who="xixi_liaison", **overrides):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys[who])
    assert response.status_code == 201, response.text
    return response.json()


def appeal(client, keys, appeal_id, who="city"):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/appeals/{appeal_id}", headers=keys[who]).json()


def events(client, keys, appeal_id):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/appeals/{appeal_id}/events", headers=keys["city"]).json()["items"]


def test_a_liaison_works_an_appeal_from_the_group(client, keys, robot, clock, session):
    filed = file(client, keys)
    assert filed["number"] == N1

    text = robot.say("@助企机器人 待办")
    assert "西溪街道待办" in text and "共 **1** 件" in text and N1 in text and "待签收" in text

    # 李娜 of 湖墅街道 (another street) cannot sign it.
    refused = robot.say(f"签收 {N1}", sender="lina02", nick="李娜")
    assert "不属于您的单位" in refused and "@lina02" in refused
    assert appeal(client, keys, filed["id"])["status"] == "submitted"

    sign = robot.send(f"签收 {N1}", msg_id="msgSign0001")
    reply = sign.json()
    assert reply["msgtype"] == "markdown" and reply["at"] == {"atUserIds": ["wangxm01"]}
    assert reply["markdown"]["title"] == f"已签收 {N1}"
    assert "@wangxm01" in reply["markdown"]["text"] and "办理中" in reply["markdown"]["text"]
    assert appeal(client, keys, filed["id"])["status"] == "in_progress"

    # DingTalk redelivers the same msgId (its 2.5 s timeout): nothing happens twice, the same reply comes back.
    version = appeal(client, keys, filed["id"])["version"]
    clock.advance(seconds=3)
    again = robot.send(f"签收 {N1}", msg_id="msgSign0001")
    assert again.json() == reply
    assert appeal(client, keys, filed["id"])["version"] == version
    assert [e["type"] for e in events(client, keys, filed["id"])] == ["submitted", "signed"]

    # A new message asking to sign again is explained in Chinese, with what can be done instead.
    text = robot.say(f"签收 {N1}")
    assert "当前状态为「办理中」，不能「签收」" in text
    assert "进展" in text and "办结" in text and f"`进展 {N1} <进展内容>`" in text

    text = robot.say(f"进展 {N1} 已联系供电公司，本周内上门勘察")
    assert "已记录进展" in text and "本周内上门勘察" in text

    text = robot.say(f"办结 {N1} 供电公司已完成增容方案，12 月 10 日前送电。")
    assert "已办结" in text and "已解决" in text
    done = appeal(client, keys, filed["id"])
    assert done["status"] == "resolved" and done["resolution_code"] == "已解决"
    assert done["public_reply"] == "供电公司已完成增容方案，12 月 10 日前送电。"

    timeline = events(client, keys, filed["id"])
    assert [e["type"] for e in timeline] == ["submitted", "signed", "progress", "resolved"]
    for event in timeline[1:]:
        assert event["via"] == "chatbot" and event["actor"] == "王晓明（西溪街道）"
    assert timeline[2]["note"] == "已联系供电公司，本周内上门勘察"

    # The liaison's signature made them the appeal's liaison.
    wang = session.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
    assert done["liaison_user_id"] == wang.id
    rows = session.exec(select(ChatbotMessage).order_by(ChatbotMessage.id)).all()
    assert [r.verb for r in rows] == ["todo", "sign_refused", "sign", "sign_refused", "progress", "resolve"]
    assert all(r.status == "done" and r.reply for r in rows)
    assert rows[2].msg_id == "msgSign0001" and rows[2].user_id == wang.id and rows[2].sender == "wangxm01"


def test_todo_lists_the_most_urgent_first_at_most_ten(client, keys, robot):
    for i in range(11):
        file(client, keys, title=f"绿色诉求{i}", impact={})
    red = file(client, keys, title="车间存在安全隐患", impact={"safety_risk": True})
    file(client, keys, "hushu_liaison", enterprise_uscc=HUSHU_ENTERPRISE, title="别的街道的诉求")
    text = robot.say("待办")
    assert "共 **12** 件" in text
    lines = [line for line in text.splitlines() if line[:2].rstrip(".").isdigit()]
    assert len(lines) == 10
    assert red["number"] in lines[0] and "🔴" in lines[0]
    assert "其余 2 件" in text and "别的街道" not in text
    # 李娜's list is her own street's.
    assert "共 **1** 件" in robot.say("待办", sender="lina02")


def test_todo_when_there_is_nothing(robot, city):
    assert "暂无待办" in robot.say("待办")


def test_query_shows_status_deadline_and_allowed_actions(client, keys, robot):
    filed = file(client, keys)
    text = robot.say(f"查询 {N1}")
    assert N1 in text and "待签收" in text and "签收期限" in text
    assert "您现在可以：签收、退回、提级" in text
    assert "杭州西溪智造科技有限公司" not in text  # no enterprise name in a group
    private = robot.say(f"查询 {N1}", conversation_type="1")
    assert "杭州西溪智造科技有限公司" in private
    assert "未找到诉求" in robot.say(f"查询 {N1}", sender="lina02")
    assert "未找到诉求 ZQ2026-000999" in robot.say("查询 ZQ2026-000999")
    assert appeal(client, keys, filed["id"])["status"] == "submitted"


def test_request_info_return_escalate_and_extend(client, keys, robot):
    a, b, c = file(client, keys), file(client, keys), file(client, keys)
    for item in (a, c):
        robot.say(f"签收 {item['number']}")

    assert "已请企业补充" in robot.say(f"补充 {a['number']} 请上传近三个月电费单")
    assert appeal(client, keys, a["id"])["status"] == "pending_info"

    assert "已退回" in robot.say(f"退回 {b['number']} 属于市场监管局职责")
    assert appeal(client, keys, b["id"])["status"] == "returned"

    text = robot.say(f"提级 {c['number']} 需区里协调用地指标")
    assert "已提级" in text and "现由西湖区承办" in text
    moved = appeal(client, keys, c["id"])
    assert moved["unit_code"] == "330106" and moved["status"] == "submitted"
    # Now the district owns it: the street can no longer act on it, and is told who does.
    text = robot.say(f"进展 {c['number']} 继续跟进")
    assert "不能「进展」" in text and "没有可执行的操作" in text
    text = robot.say(f"签收 {c['number']}")
    assert "该诉求不属于您的单位" in text and "目前由西湖区承办" in text

    d = file(client, keys)
    robot.say(f"签收 {d['number']}")
    text = robot.say(f"延期 {d['number']} 5个工作日 等待规划局意见")
    assert "已申请延期" in text and "5 个工作日" in text
    assert "已有一个待审批的延期申请" in robot.say(f"延期 {d['number']} 3天 还要等")
    assert "延期天数不能超过 60" in robot.say(f"延期 {d['number']} 99天 等待")
    kinds = [e["type"] for e in events(client, keys, d["id"])]
    assert kinds[-1] == "extension_requested"


def test_validation_errors_are_explained(client, keys, robot, session):
    filed = file(client, keys)
    robot.say(f"签收 {N1}")
    assert "内容过长（最多 2000 字）" in robot.say(f"进展 {N1} " + "很长" * 1001)
    assert "办结类型" not in robot.say(f"进展 {N1} 好")  # a short note is fine
    text = robot.say(f"办结 {N1} [部分解决] 已协调银行放款一半")
    assert "部分解决" in text
    assert appeal(client, keys, filed["id"])["resolution_code"] == "部分解决"


@pytest.mark.parametrize("content, expected", [
    ("签收", "缺少诉求编号"),
    ("签收 123", "请填写完整的诉求编号"),
    ("进展 ZQ2026-000001", "缺少进展内容"),
    ("吃饭了吗", "无法识别的指令"),
])
def test_parse_errors_reply_with_usage(robot, city, content, expected):
    text = robot.say(content)
    assert expected in text and "@wangxm01" in text


def test_help_and_bare_mention(robot, city):
    assert "待办" in robot.say("帮助") and "签收" in robot.say("@助企机器人")


def test_unknown_and_external_senders_are_told_politely(robot, city, session):
    text = robot.say(f"签收 {N1}", sender="nobody99", nick="路人甲")
    assert "尚未登记" in text and "nobody99" in text and "PATCH /api/v1/users/{id}" in text
    text = robot.say(f"签收 {N1}", sender="", nick="外部联系人")
    assert "不是本组织的成员" in text
    wang = session.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
    wang.active = False
    session.add(wang)
    session.commit()
    assert "尚未登记" in robot.say("待办")


def test_a_dingtalk_id_bound_through_the_admin_api_works_at_once(client, keys, robot, session):
    user = client.post("/api/v1/users", json={"name": "孙红", "role": "liaison", "unit_code": "330106012"},
                       headers=keys["xixi_admin"]).json()
    assert "尚未登记" in robot.say("待办", sender="sunh05")
    r = client.patch(f"/api/v1/users/{user['id']}", json={"dingtalk_userid": "sunh05"}, headers=keys["xixi_admin"])
    assert r.status_code == 200, r.text
    assert "暂无待办" in robot.say("待办", sender="sunh05")


def test_non_text_messages_get_a_polite_reply(robot, city):
    picture = robot_payload("", msgtype="picture")
    del picture["text"]
    picture["content"] = {"downloadCode": "mIofN681"}
    reply = robot.post(picture).json()
    assert "暂只支持文字指令" in reply["markdown"]["text"]
    body = {"msgId": "msgTop1", "msgtype": "text", "content": " 帮助", "senderStaffId": "wangxm01"}
    assert "助企机器人" in robot.post(body).json()["markdown"]["text"]  # top-level content (dingstart sample)


def test_replayed_refusal_and_read_only_replies_are_stored_too(client, keys, robot, session):
    file(client, keys)
    first = robot.send(f"签收 {N1}", sender="lina02", msg_id="msgLina1").json()
    assert robot.send(f"签收 {N1}", sender="lina02", msg_id="msgLina1").json() == first
    assert session.exec(select(func.count()).select_from(ChatbotMessage)).one() == 1
    assert session.exec(select(func.count()).select_from(AppealEvent)).one() == 1
    assert session.exec(select(func.count()).select_from(ExtensionRequest)).one() == 0
    assert session.exec(select(Appeal)).one().status == "submitted"
