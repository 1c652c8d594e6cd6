"""A faithful fake of the DingTalk enterprise-internal-app OpenAPI (docs/dingtalk.md has the sources).

One object, three ways to reach it (paths are disjoint, so the host is ignored and oapi.dingtalk.com and
api.dingtalk.com can share one base URL):

    fake = FakeDingTalkApp(clock=lambda: now[0])           # injected clock: advance time, never sleep
    fake.add_user("xixi01", name="王晓明")                  # returns the user's unionId
    httpx.Client(transport=fake.transport(), base_url="https://oapi.dingtalk.com")   # sync or async
    uvicorn.run(fake.asgi_app, ...)                        # real sockets, for tests that kill processes

Rules enforced (each has a test in tests/dingtalk/test_fake_app.py):
- Tokens: `GET /gettoken` and `POST /v1.0/oauth2/accessToken` issue the same app token, valid 7200 s;
  asking again while it is valid returns the same token and renews it ("有效期内重复获取返回相同结果并自动续期").
  Bad credentials → 40096 (oapi, HTTP 200) / HTTP 400 invalidClientIdOrSecret (api). An expired, revoked or
  unknown token on /topapi → HTTP 200 errcode 88 sub_code "40014"; missing → 88/"40000"; on /v1.0 → HTTP 400
  InvalidAuthentication, missing header → HTTP 400 AuthenticationFailed.MissingParameter.
- Work notifications (asyncsend_v2): agent_id must be the app's; at most `max_userids` (100) userids per call;
  msg ≤ 2048 bytes with a known msgtype. The call answers success, then per recipient: unknown userid →
  invalid_user_id_list; the same msg to the same user on the same China day → silently not delivered (143106);
  more than `per_user_daily` (500) sends to a user that day → silently not delivered (143105). `received[userid]`
  is what each person actually saw; getsendresult reports the rest.
- userid → unionId (`/topapi/v2/user/get`); unknown → 60121.
- To-dos keyed by (unionId in the path, task id); a second create with the same sourceId for that unionId →
  HTTP 400 todo.taskCreate.paramError "task existed sourceId is …"; update/done/delete of an unknown or deleted id →
  400 todo.taskUpdate/taskDelete.paramError "task not exist"; `GET …/tasks/sources/{sourceId}`
  (GetTodoTaskBySourceId) → the task, or 400 "task not exist". These refusals carry their message as DingTalk sends
  it, the code first in a Go format leftover: "todo.taskDelete.paramError%!(EXTRA string=task not exist)", and no
  request id (docs/dingtalk.md §4).
- Cards: createAndDeliver needs cardTemplateId, outTrackId, string-valued cardParamMap, an IM_GROUP/IM_ROBOT
  openSpaceId (IM_GROUP also robotCode); a reused outTrackId is refused; PUT /v1.0/card/instances merges
  (updateCardDataByKey) or replaces. `card_click()` builds the signed HTTP callback DingTalk would send
  (x-ddpaas-signature = base64(HMAC_SHA256(apiSecret, timestamp))) and `apply_callback_response()` applies the
  answer to the card as DingTalk does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TOKEN_TTL_S = 7200
CHINA = timezone(timedelta(hours=8))  # the vendor counts "a day" on China's calendar day
WORK_MSGTYPES = frozenset({"text", "image", "voice", "file", "link", "oa", "markdown", "action_card"})
MAX_MSG_BYTES = 2048
DUPLICATE_CONTENT = "143106"  # 单应用给单人推送重复消息超限
DAILY_LIMIT = "143105"  # 单应用给单人每日推送量超限
_TODO_PATH = re.compile(r"^/v1\.0/todo/users/([^/]+)/tasks(?:/([^/]+))?$")
_TODO_BY_SOURCE = re.compile(r"^/v1\.0/todo/users/([^/]+)/tasks/sources/([^/]+)$")


def card_signature(api_secret: str, timestamp: str) -> str:
    """The card-callback signature: the message is the timestamp alone (not the robot's ts + "\\n" + secret)."""
    digest = hmac.new(api_secret.encode(), timestamp.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Delivery:
    userid: str
    msg: dict[str, Any]
    task_id: int
    at: float


@dataclass
class _SendTask:
    agent_id: int
    invalid: list[str] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)


@dataclass
class Card:
    out_track_id: str
    template_id: str
    open_space_id: str
    callback_type: str
    callback_route_key: str | None
    public: dict[str, str]
    private: dict[str, dict[str, str]] = field(default_factory=dict)
    updates: int = 0


class FakeDingTalkApp:
    def __init__(
        self,
        *,
        app_key: str = "dingfakeappkey",
        app_secret: str = "fake-app-secret",
        agent_id: int = 3_000_001,
        robot_code: str = "dingfakeappkey",
        clock: Callable[[], float] = time.time,
        max_userids: int = 100,
        per_user_daily: int = 500,
    ) -> None:
        self.app_key, self.app_secret, self.agent_id, self.robot_code = app_key, app_secret, agent_id, robot_code
        self.clock = clock
        self.max_userids, self.per_user_daily = max_userids, per_user_daily
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.tokens: dict[str, float] = {}  # token → expiry (clock seconds)
        self.tokens_issued = 0
        self.users: dict[str, dict[str, str]] = {}  # userid → {unionid, name}
        self.received: dict[str, list[Delivery]] = defaultdict(list)
        self.send_tasks: dict[int, _SendTask] = {}
        self._sent_today: dict[tuple[str, str], int] = defaultdict(int)  # (day, userid) → sends
        self._seen_content: set[tuple[str, str, str]] = set()  # (day, userid, canonical msg)
        self.todos: dict[tuple[str, str], dict[str, Any]] = {}  # (unionId, task id) → task
        self.cards: dict[str, Card] = {}
        self.card_callbacks: dict[str, dict[str, Any]] = {}  # callbackRouteKey → registration
        self.requests: list[tuple[str, str]] = []  # (method, path) of every call, for assertions

    # ---- set-up and inspection -------------------------------------------------------------------
    def add_user(self, userid: str, *, name: str = "", unionid: str | None = None) -> str:
        unionid = unionid or f"union-{userid}"
        self.users[userid] = {"unionid": unionid, "name": name or userid}
        return unionid

    def expire_tokens(self) -> None:
        """DingTalk may invalidate a token early; every issued token stops working now."""
        with self._lock:
            self.tokens = {t: min(exp, self.clock() - 1) for t, exp in self.tokens.items()}

    def texts_received(self, userid: str) -> list[str]:
        return [json.dumps(d.msg, ensure_ascii=False) for d in self.received.get(userid, [])]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def asgi_app(self) -> Starlette:
        """The same handler behind real sockets (uvicorn), for tests whose sender runs in another process."""

        async def endpoint(request: Request) -> Response:
            forwarded = httpx.Request(request.method, str(request.url), headers=request.headers.raw,
                                      content=await request.body())
            answer = self.handle(forwarded)
            return Response(answer.content, status_code=answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"])])

    # ---- dispatch ----------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        with self._lock:
            self.requests.append((method, path))
            if path == "/gettoken" and method == "GET":
                return self._gettoken(request)
            if path == "/v1.0/oauth2/accessToken" and method == "POST":
                return self._access_token(request)
            if path.startswith("/topapi/"):
                return self._topapi(request)
            if path.startswith("/v1.0/"):
                return self._api(request)
        return _oapi(404, "请求的URI地址不存在")

    # ---- tokens ------------------------------------------------------------------------------------
    def _issue(self) -> str:
        now = self.clock()
        live = [t for t, exp in self.tokens.items() if exp > now]
        token = live[0] if live else uuid.uuid4().hex
        if not live:
            self.tokens_issued += 1
        self.tokens[token] = now + TOKEN_TTL_S
        return token

    def _gettoken(self, request: httpx.Request) -> httpx.Response:
        key, secret = request.url.params.get("appkey"), request.url.params.get("appsecret")
        if not key:
            return _oapi(40035, "缺少参数 corpid or appkey")
        if (key, secret) != (self.app_key, self.app_secret):
            return _oapi(40096, "不合法的appKey或appSecret")
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "access_token": self._issue(),
                                         "expires_in": TOKEN_TTL_S})

    def _access_token(self, request: httpx.Request) -> httpx.Response:
        body = _json(request) or {}
        if (body.get("appKey"), body.get("appSecret")) != (self.app_key, self.app_secret):
            return _api_error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        return httpx.Response(200, json={"accessToken": self._issue(), "expireIn": TOKEN_TTL_S})

    def _token_ok(self, token: str | None) -> bool:
        return bool(token) and self.tokens.get(token, float("-inf")) > self.clock()

    # ---- legacy /topapi ----------------------------------------------------------------------------
    def _topapi(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("access_token")
        if not token:
            return _sub_error("40000", "access_token is blank")
        if not self._token_ok(token):
            return _sub_error("40014", "不合法的access_token")
        body = _json(request)
        if body is None:
            return _oapi(40035, "不合法的参数")
        path = request.url.path
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            return self._asyncsend(body)
        if path == "/topapi/message/corpconversation/getsendresult":
            return self._getsendresult(body)
        if path == "/topapi/v2/user/get":
            user = self.users.get(str(body.get("userid", "")))
            if user is None:
                return _oapi(60121, "找不到该用户")
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "result": {
                "userid": body["userid"], "unionid": user["unionid"], "name": user["name"]}})
        return _oapi(22, f"Invalid method[submsg=不合法ApiName，ApiName = dingtalk.oapi{path[7:].replace('/', '.')}]")

    def _asyncsend(self, body: dict[str, Any]) -> httpx.Response:
        if body.get("agent_id") is None:
            return _oapi(40035, "缺少参数 agent_id")
        if str(body["agent_id"]) != str(self.agent_id):
            return _oapi(40056, "不合法的agentid")
        raw = body.get("userid_list")
        userids = [u for u in (raw.split(",") if isinstance(raw, str) else raw or []) if u]
        if not userids:
            return _oapi(40035, "缺少参数 userid_list")
        if len(userids) > self.max_userids:
            return _oapi(40035, f"不合法的参数: userid_list 最大列表长度 {self.max_userids}")
        msg = body.get("msg")
        if isinstance(msg, str):
            msg = _loads(msg)
        if not isinstance(msg, dict) or msg.get("msgtype") not in WORK_MSGTYPES or msg["msgtype"] not in msg:
            return _oapi(40035, "不合法的参数: msg")
        canonical = json.dumps(msg, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if len(canonical.encode()) > MAX_MSG_BYTES:
            return _oapi(40035, "不合法的参数: msg 最长不超过2048个字节")
        task_id = next(self._ids)
        task = self.send_tasks[task_id] = _SendTask(agent_id=self.agent_id)
        now = self.clock()
        day = datetime.fromtimestamp(now, UTC).astimezone(CHINA).date().isoformat()
        for userid in dict.fromkeys(userids):
            if userid not in self.users:
                task.invalid.append(userid)
                continue
            # Every send counts against the day's budget, delivered or not: the vendor documents a cap on
            # messages sent, and a stricter fake catches a sender that wastes its budget on duplicates.
            self._sent_today[(day, userid)] += 1
            if self._sent_today[(day, userid)] > self.per_user_daily:
                task.forbidden.append({"code": DAILY_LIMIT, "count": self.per_user_daily, "userid": userid})
            elif (day, userid, canonical) in self._seen_content:
                task.forbidden.append({"code": DUPLICATE_CONTENT, "count": 1, "userid": userid})
            else:
                self._seen_content.add((day, userid, canonical))
                self.received[userid].append(Delivery(userid, msg, task_id, now))
                task.delivered.append(userid)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "task_id": task_id,
                                         "request_id": uuid.uuid4().hex[:12]})

    def _getsendresult(self, body: dict[str, Any]) -> httpx.Response:
        task = self.send_tasks.get(int(body.get("task_id") or 0))
        if task is None or str(body.get("agent_id")) != str(task.agent_id):
            return _oapi(40035, "不合法的参数: task_id")
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "send_result": {
            "invalid_user_id_list": task.invalid, "failed_user_id_list": [], "invalid_dept_id_list": [],
            "forbidden_user_id_list": [f["userid"] for f in task.forbidden], "forbidden_list": task.forbidden,
            "read_user_id_list": [], "unread_user_id_list": task.delivered}})

    # ---- new /v1.0 API -----------------------------------------------------------------------------
    def _api(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("x-acs-dingtalk-access-token")
        if not token:
            return _api_error(400, "AuthenticationFailed.MissingParameter", "缺少参数：x-acs-dingtalk-access-token")
        if not self._token_ok(token):
            return _api_error(400, "InvalidAuthentication", "不合法的access_token")
        path, method = request.url.path, request.method
        body = _json(request) if method in ("POST", "PUT") else {}
        if body is None:
            return _api_error(400, "InvalidParameter", "请求体不是合法的JSON")
        if (match := _TODO_BY_SOURCE.match(path)) and method == "GET":
            return self._todo_by_source(match.group(1), unquote(match.group(2)))
        if match := _TODO_PATH.match(path):
            return self._todo(method, match.group(1), match.group(2), body)
        if path == "/v1.0/card/instances/createAndDeliver" and method == "POST":
            return self._card_create(body)
        if path == "/v1.0/card/instances" and method == "PUT":
            return self._card_update(body)
        if path == "/v1.0/card/callbacks/register" and method == "POST":
            return self._card_register(body)
        return _api_error(404, "NotFound", "请求的URI地址不存在")

    def _todo(self, method: str, union_id: str, task_id: str | None, body: dict[str, Any]) -> httpx.Response:
        if union_id not in {u["unionid"] for u in self.users.values()}:
            return _api_error(400, "todo.paramError", "user not exist")
        if task_id is None and method == "POST":
            if not body.get("subject"):
                return _api_error(400, "todo.taskCreate.paramError", "todo.taskCreate.paramError")
            source_id = body.get("sourceId")
            if source_id and any(k[0] == union_id and t.get("sourceId") == source_id for k, t in self.todos.items()):
                return _todo_refusal("taskCreate", f"task existed sourceId is {source_id}")
            now_ms = int(self.clock() * 1000)
            task = {**body, "id": f"task{next(self._ids):06d}", "done": False, "createdTime": now_ms,
                    "modifiedTime": now_ms, "finishTime": 0, "creatorUnionId": union_id}
            self.todos[(union_id, task["id"])] = task
            return httpx.Response(200, json=task)
        task = self.todos.get((union_id, task_id or ""))
        verb = {"PUT": "taskUpdate", "DELETE": "taskDelete", "GET": "taskGet"}.get(method, "task")
        if task is None:
            return _todo_refusal(verb, "task not exist")
        if method == "DELETE":
            del self.todos[(union_id, task["id"])]
            return httpx.Response(200, json={"result": True, "requestId": uuid.uuid4().hex})
        if method == "PUT":
            allowed = {"subject", "description", "dueTime", "done", "executorIds", "participantIds"}
            task.update({k: v for k, v in body.items() if k in allowed})
            task["modifiedTime"] = int(self.clock() * 1000)
            if body.get("done") is True:
                task["finishTime"] = task["modifiedTime"]
            return httpx.Response(200, json={"result": True})
        if method == "GET":
            return httpx.Response(200, json=task)
        return _api_error(405, "MethodNotAllowed", method)

    def _todo_by_source(self, union_id: str, source_id: str) -> httpx.Response:
        """GetTodoTaskBySourceId: the task this unionId holds under our sourceId (unknown: 400 "task not exist")."""
        if union_id not in {u["unionid"] for u in self.users.values()}:
            return _api_error(400, "todo.paramError", "user not exist")
        for (holder, _), task in self.todos.items():
            if holder == union_id and task.get("sourceId") == source_id:
                return httpx.Response(200, json={**task, "requestId": uuid.uuid4().hex})
        return _todo_refusal("taskGet", "task not exist")  # [INF] the other to-do calls' refusal

    def _card_create(self, body: dict[str, Any]) -> httpx.Response:
        if not body.get("cardTemplateId"):
            return _api_error(400, "param.cardTemplateIdEmpty", "卡片模版 Id 为空")
        out_track_id = body.get("outTrackId")
        if not out_track_id:
            return _api_error(400, "param.outTrackIdEmpty", "业务标识 outTrackId 为空")
        if out_track_id in self.cards:
            return _api_error(400, "param.outTrackIdDuplicate", "outTrackId 已存在")
        params = ((body.get("cardData") or {}).get("cardParamMap"))
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return _api_error(400, "param.cardPublicDataEmpty", "cardData.cardParamMap 的值必须是字符串")
        space = str(body.get("openSpaceId", ""))
        kind, _, target = space.removeprefix("dtv1.card//").partition(".")
        if not space.startswith("dtv1.card//") or kind not in ("IM_GROUP", "IM_ROBOT") or not target:
            return _api_error(400, "param.openSpaceModelInvalid", "openSpaceId 不合法")
        if kind == "IM_GROUP" and not (body.get("imGroupOpenDeliverModel") or {}).get("robotCode"):
            return _api_error(400, "param.openSpaceModelInvalid", "imGroupOpenDeliverModel.robotCode 为空")
        callback_type = body.get("callbackType", "STREAM")
        if callback_type == "HTTP" and not body.get("callbackRouteKey"):
            return _api_error(400, "param.callbackRouteKeyEmpty", "HTTP 回调需要 callbackRouteKey")
        self.cards[out_track_id] = Card(out_track_id, body["cardTemplateId"], space, callback_type,
                                        body.get("callbackRouteKey"), dict(params))
        return httpx.Response(200, json={"success": True, "result": {"outTrackId": out_track_id, "deliverResults": [
            {"spaceType": kind, "spaceId": target, "success": True, "carrierId": uuid.uuid4().hex[:16]}]}})

    def _card_update(self, body: dict[str, Any]) -> httpx.Response:
        card = self.cards.get(str(body.get("outTrackId", "")))
        if card is None:
            return _api_error(400, "param.outTrackIdNotExist", "卡片实例不存在")
        self._apply(card, body)
        return httpx.Response(200, json={"success": True, "result": True})

    def _card_register(self, body: dict[str, Any]) -> httpx.Response:
        key, url = body.get("callbackRouteKey"), body.get("callbackUrl")
        if not key or not url:
            return _api_error(400, "callbackUrl.empty", "回调地址为空")
        if key in self.card_callbacks and not body.get("forceUpdate"):
            return httpx.Response(200, json={"success": True, "result": self.card_callbacks[key]})
        self.card_callbacks[key] = {"callbackRouteKey": key, "callbackUrl": url, "apiSecret": body.get("apiSecret")}
        return httpx.Response(200, json={"success": True, "result": self.card_callbacks[key]})

    @staticmethod
    def _apply(card: Card, body: dict[str, Any], userid: str | None = None) -> None:
        options = body.get("cardUpdateOptions") or {}
        public = (body.get("cardData") or {}).get("cardParamMap")
        if isinstance(public, dict):
            card.public = {**card.public, **public} if options.get("updateCardDataByKey") else dict(public)
        private = (body.get("userPrivateData") or {}).get("cardParamMap")
        if isinstance(private, dict) and userid:
            mine = card.private.get(userid, {})
            card.private[userid] = {**mine, **private} if options.get("updatePrivateDataByKey") else dict(private)
        card.updates += 1

    # ---- card callbacks (what DingTalk sends to us) ---------------------------------------------------
    def card_click(self, out_track_id: str, userid: str, params: dict[str, str], *, action_id: str = "sign",
                   timestamp_ms: int | None = None) -> tuple[str | None, dict[str, str], dict[str, Any]]:
        """The request DingTalk makes when `userid` presses a button: (registered URL, headers, JSON body).

        Signature headers are present only when an apiSecret was registered for the card's route key."""
        card = self.cards[out_track_id]
        body = {"type": "actionCallback", "outTrackId": out_track_id, "corpId": "dingfakecorp", "userId": userid,
                "content": json.dumps({"cardPrivateData": {"actionIds": [action_id], "params": params}},
                                      ensure_ascii=False)}
        registration = self.card_callbacks.get(card.callback_route_key or "", {})
        headers = {"content-type": "application/json"}
        if registration.get("apiSecret"):
            ts = str(timestamp_ms if timestamp_ms is not None else int(self.clock() * 1000))
            headers |= {"x-ddpaas-signature-timestamp": ts,
                        "x-ddpaas-signature": card_signature(registration["apiSecret"], ts)}
        return registration.get("callbackUrl"), headers, body

    def apply_callback_response(self, out_track_id: str, userid: str, response: dict[str, Any]) -> None:
        """DingTalk applies the callback's answer (cardData / userPrivateData) to the card."""
        with self._lock:
            if response:
                self._apply(self.cards[out_track_id], response, userid)


# ---- response helpers --------------------------------------------------------------------------------
def _oapi(errcode: int, errmsg: str) -> httpx.Response:
    return httpx.Response(200, json={"errcode": errcode, "errmsg": errmsg, "request_id": uuid.uuid4().hex[:12]})


def _sub_error(sub_code: str, sub_msg: str) -> httpx.Response:
    return httpx.Response(200, json={"errcode": 88, "sub_code": sub_code, "sub_msg": sub_msg,
                                     "errmsg": f"ding talk error[subcode={sub_code},submsg={sub_msg}]",
                                     "request_id": uuid.uuid4().hex[:12]})


def _api_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message, "requestid": str(uuid.uuid4()).upper()})


def _todo_refusal(action: str, detail: str) -> httpx.Response:
    """The to-do service's HTTP 400 as it reaches a client (docs/dingtalk.md §4: seen through the official SDK as
    "code: 400, todo.taskDelete.paramError%!(EXTRA string=task not exist) request id: null")."""
    code = f"todo.{action}.paramError"
    return httpx.Response(400, json={"code": code, "message": f"{code}%!(EXTRA string={detail})"})


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _json(request: httpx.Request) -> dict[str, Any] | None:
    """JSON body, or a form body as the topapi also accepts (values JSON-decoded where they parse)."""
    raw = request.content
    if not raw:
        return {}
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        return {k: (_loads(v) if k == "msg" else v) for k, v in form.items()}
    value = _loads(raw.decode())
    return value if isinstance(value, dict) else None
