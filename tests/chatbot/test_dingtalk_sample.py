"""A request shaped exactly like DingTalk's sample (chat-protocols §2.2), sent as raw bytes the way curl sends a
file (`curl --data-binary @msg.json`), signs for an appeal and gets a Chinese markdown reply; the timeline shows who
did it from DingTalk."""

from __future__ import annotations

from tests.chatbot.conftest import ROBOT_URL, robot_sign
from tests.helpers import appeal_body

# The sample body from the reference, byte for byte apart from the sender (a seeded liaison), the appeal number
# and the message id.
SAMPLE = """{
  "conversationId": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==",
  "atUsers": [{"dingtalkId": "$:LWCP_v1:$xxxx", "staffId": "452523285939877041", "unionId": "edxxx34"}],
  "chatbotCorpId": "dinge8a565xxxx",
  "chatbotUserId": "$:LWCP_v1:$Cxxxxx",
  "msgId": "msg0xxxxx",
  "senderNick": "王晓明",
  "isAdmin": true,
  "senderStaffId": "wangxm01",
  "senderUnionId": "xxxx",
  "sessionWebhookExpiredTime": 1613635652738,
  "createAt": 1613630252678,
  "senderCorpId": "dinge8a565xxxx",
  "conversationType": "2",
  "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
  "conversationTitle": "企业服务专员群",
  "isInAtList": true,
  "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
  "robotCode": "dingxxxxxxxx",
  "senderPlatform": "Mac",
  "msgtype": "text",
  "text": {"content": " 受理 ZQ2026-000001"}
}
""".encode()


def test_the_sample_payload_as_raw_bytes(client, keys, clock):
    filed = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"]).json()
    timestamp = str(int(clock.now.timestamp() * 1000))
    headers = {"Content-Type": "application/json; charset=utf-8", "timestamp": timestamp,
               "sign": robot_sign(timestamp), "User-Agent": "curl/8.5.0", "Accept": "*/*"}
    response = client.post(ROBOT_URL, content=SAMPLE, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    reply = response.json()
    assert reply["msgtype"] == "markdown" and reply["at"] == {"atUserIds": ["wangxm01"]}
    assert reply["markdown"]["title"] == "已签收 ZQ2026-000001"
    assert reply["markdown"]["text"].startswith("#### ✅ 已签收 ZQ2026-000001 @wangxm01")

    events = client.get(f"/api/v1/appeals/{filed['id']}/events", headers=keys["xixi_liaison"]).json()["items"]
    signed = events[-1]
    assert signed["type"] == "signed" and signed["via"] == "chatbot" and signed["actor"] == "王晓明（西溪街道）"
    assert signed["from_status"] == "submitted" and signed["to_status"] == "in_progress"

    # DingTalk's retry of the very same bytes gets the very same bytes back.
    again = client.post(ROBOT_URL, content=SAMPLE, headers=headers)
    assert again.content == response.content
