"""Done means (issue 6): against fake WeChat and DingTalk endpoints, a new enterprise user signs in, binds
with an invitation from the 西溪街道 admin, uploads a photo, files an appeal with it, reads it with its public
timeline — and sees nothing of any other enterprise. (Signing for, resolving and rating go through the
workflow's action endpoint, wired in by the integrator.)"""

from __future__ import annotations

from app.appeals import events
from app.appeals.models import Appeal
from tests.accounts.helpers import bearer, enterprise_appeal, png_bytes, upload
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, assert_problem


def test_enterprise_journey(client, keys, fakes, session, clock):
    # 1. Sign in from the WeChat mini-program: a new, unbound enterprise user.
    signed_in = client.post("/api/v1/auth/wechat", json={"code": fakes.wechat.issue("o-chenli", unionid="u-cl")})
    assert signed_in.status_code == 200, signed_in.text
    me = bearer(signed_in.json())
    assert signed_in.json()["user"]["bound"] is False
    assert "请先绑定企业" in assert_problem(client.get("/api/v1/appeals", headers=me), 403)["detail"]

    # 2. The 西溪街道 admin issues an invitation; the user binds with it.
    invitation = client.post(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/invitations", headers=keys["xixi_admin"])
    assert invitation.status_code == 201, invitation.text
    bound = client.post("/api/v1/me/binding", headers=me, json={
        "uscc": XIXI_ENTERPRISE, "name": "杭州西溪智造科技有限公司", "invitation_code": invitation.json()["code"]})
    assert bound.status_code == 200 and bound.json()["enterprise"]["name"] == "杭州西溪智造科技有限公司"

    # 3. Upload a photo and file an appeal with it.
    photo = png_bytes(4, 4)
    attachment = upload(client, me, photo, name="道路破损.png").json()
    filed = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[attachment["id"]]),
                        headers={**me, "Idempotency-Key": "mp-20260302-1"})
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["enterprise_uscc"] == XIXI_ENTERPRISE and appeal["source"] == "mini_program"
    assert appeal["attachment_ids"] == [attachment["id"]] and appeal["promise"].endswith("办结")
    assert appeal["deadlines"]["respond_by"].endswith("+08:00")

    # 4. Staff work on it: one public progress note, one internal note.
    row = session.get(Appeal, appeal["id"])
    events.record_event(session, row, "progress", now=clock.advance(hours=3), note="已安排市政部门现场查看")
    events.record_event(session, row, "progress", now=clock.now, note="内部：与住建局协调修路经费", public=False)
    session.commit()

    # 5. Three hours later the access token has expired: the mini-program refreshes it, then reads its
    #    appeal, its public timeline and its photo.
    assert_problem(client.get(f"/api/v1/appeals/{appeal['id']}", headers=me), 401)
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": signed_in.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    me = bearer(refreshed.json())
    read = client.get(f"/api/v1/appeals/{appeal['id']}", headers=me)
    assert read.status_code == 200 and read.headers["etag"] == '"1"' and read.json()["promise"] == appeal["promise"]
    timeline = client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=me).json()["items"]
    assert [e["type"] for e in timeline] == ["submitted", "progress"]
    assert all(e["public"] for e in timeline) and "内部" not in str(timeline)
    assert client.get(f"/api/v1/attachments/{attachment['id']}", headers=me).content == photo
    assert [a["id"] for a in client.get("/api/v1/appeals", headers=me).json()["items"]] == [appeal["id"]]

    # 6. Another enterprise, signed in through DingTalk and bound by request, sees nothing of it — and
    #    the first user sees nothing of theirs.
    other = client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("zhoumin")}).json()
    theirs = bearer(other)
    request = client.post("/api/v1/me/binding", headers=theirs, json={
        "uscc": HUSHU_ENTERPRISE, "name": "杭州湖墅精密机械有限公司", "applicant_name": "周敏"}).json()
    approved = client.post(f"/api/v1/binding-requests/{request['binding_request']['id']}/approve",
                           headers=keys["hushu_admin"])
    assert approved.status_code == 200, approved.text
    their_appeal = client.post("/api/v1/appeals", json=enterprise_appeal(title="数控车床熟练工招聘困难",
                                                                         category="labour"), headers=theirs).json()
    for path in (f"/api/v1/appeals/{appeal['id']}", f"/api/v1/appeals/{appeal['id']}/events",
                 f"/api/v1/attachments/{attachment['id']}", f"/api/v1/enterprises/{XIXI_ENTERPRISE}"):
        assert_problem(client.get(path, headers=theirs), 404)
    assert [a["id"] for a in client.get("/api/v1/appeals", headers=theirs).json()["items"]] == [their_appeal["id"]]
    assert_problem(client.get(f"/api/v1/appeals/{their_appeal['id']}", headers=me), 404)
    assert_problem(client.post("/api/v1/appeals", headers=theirs,
                               json=enterprise_appeal(attachment_ids=[attachment["id"]])), 422,
                   field="attachment_ids")

    # 7. Logging out ends the session.
    assert client.post("/api/v1/auth/logout", headers=me).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=me), 401)
