"""The DingTalk vendor client behind one interface (DESIGN §14; facts and sources in docs/dingtalk.md).

`DingTalkWorkplace` is what the rest of the service may use; `DingTalkApi` implements it for open.dingtalk.com
with a sync httpx.Client (like the notification sender). A 浙政钉 adapter would implement the same Protocol
with its own hosts, request signing and id mapping (docs/dingtalk.md §7).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from app.dingtalk.errors import Judgement, Kind, judge_api, judge_legacy, parse, task_missing
from app.dingtalk.tokens import TokenCache

OAPI = "https://oapi.dingtalk.com"
API = "https://api.dingtalk.com"
MAX_USERIDS = 100  # recipients per asyncsend_v2 call under every documented version (docs/dingtalk.md §2)
TIMEOUT = httpx.Timeout(5.0, connect=3.0)


class DingTalkError(Exception):
    def __init__(self, judgement: Judgement) -> None:
        super().__init__(f"{judgement.code}: {judgement.detail}")
        self.judgement = judgement

    @property
    def kind(self) -> Kind:
        return self.judgement.kind


class DingTalkWorkplace(Protocol):
    def send_work_notification(self, userids: Sequence[str], msg: dict[str, Any]) -> list[int]: ...

    def create_todo(self, union_id: str, *, source_id: str, subject: str, description: str = "",
                    due_ms: int | None = None, url: str | None = None) -> str | None: ...

    def find_todo(self, union_id: str, source_id: str) -> str | None: ...

    def complete_todo(self, union_id: str, task_id: str) -> None: ...

    def create_card(self, out_track_id: str, *, template_id: str, params: dict[str, str],
                    open_conversation_id: str, callback_route_key: str | None = None) -> bool: ...

    def update_card(self, out_track_id: str, params: dict[str, str]) -> None: ...

    def register_card_callback(self, route_key: str, url: str, api_secret: str) -> None: ...

    def get_union_id(self, userid: str) -> str: ...


@dataclass
class DingTalkApi:
    client: httpx.Client
    app_key: str
    app_secret: str
    agent_id: int
    robot_code: str
    clock: Callable[[], float]  # seconds; injected so token expiry is testable without sleeping
    oapi: str = OAPI
    api: str = API
    tokens: TokenCache = field(default_factory=TokenCache)
    union_ids: dict[str, str] = field(default_factory=dict)  # userid → unionId; stable per person

    # ---- tokens ----------------------------------------------------------------------------------------
    def _token(self) -> str:
        now = self.clock()
        if cached := self.tokens.valid(now):
            return cached
        status, answer = self._http(
            "POST",
            f"{self.api}/v1.0/oauth2/accessToken",
            json={"appKey": self.app_key, "appSecret": self.app_secret},
        )
        verdict = judge_api(status, answer)
        if verdict.kind is not Kind.ok or not answer or "accessToken" not in answer:
            # a token error on the token endpoint itself means bad credentials: never loop on it
            raise DingTalkError(
                verdict if verdict.kind is not Kind.token else Judgement(Kind.permanent, verdict.code)
            )
        return self.tokens.store(str(answer["accessToken"]), float(answer.get("expireIn", 7200)), now)

    def _http(self, method: str, url: str, **kwargs: Any) -> tuple[int | None, dict[str, Any] | None]:
        try:
            response = self.client.request(method, url, timeout=TIMEOUT, **kwargs)
        except httpx.HTTPError:
            return None, None
        return response.status_code, parse(response.content)

    def _call(self, style: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One vendor call; on a token error, one fresh token and one more try (docs/dingtalk.md §1)."""
        for attempt in (1, 2):
            token = self._token()
            if style == "legacy":
                status, answer = self._http(
                    method, f"{self.oapi}{path}", params={"access_token": token}, **kwargs
                )
                verdict = judge_legacy(status, answer)
            else:
                status, answer = self._http(
                    method, f"{self.api}{path}", headers={"x-acs-dingtalk-access-token": token}, **kwargs
                )
                verdict = judge_api(status, answer)
            if verdict.kind is Kind.ok:
                return answer or {}
            if verdict.kind is Kind.token and attempt == 1:
                self.tokens.forget()
                continue
            raise DingTalkError(verdict)
        raise AssertionError("unreachable")

    # ---- the interface ------------------------------------------------------------------------------------
    def send_work_notification(self, userids: Sequence[str], msg: dict[str, Any]) -> list[int]:
        """Task ids, one per batch of ≤100. Success means accepted, not delivered: the vendor silently drops
        the same content to a user twice a day and sends over 500 a day, so the caller keeps content unique
        and keeps the budget."""
        unique = list(dict.fromkeys(u for u in userids if u))
        task_ids = []
        for start in range(0, len(unique), MAX_USERIDS):
            body = {
                "agent_id": self.agent_id,
                "userid_list": ",".join(unique[start : start + MAX_USERIDS]),
                "msg": msg,
            }
            answer = self._call(
                "legacy",
                "POST",
                "/topapi/message/corpconversation/asyncsend_v2",
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
            )
            task_ids.append(int(answer["task_id"]))
        return task_ids

    def get_union_id(self, userid: str) -> str:
        if userid not in self.union_ids:
            answer = self._call(
                "legacy", "POST", "/topapi/v2/user/get", json={"userid": userid, "language": "zh_CN"}
            )
            self.union_ids[userid] = str(answer["result"]["unionid"])
        return self.union_ids[userid]

    def create_todo(
        self,
        union_id: str,
        *,
        source_id: str,
        subject: str,
        description: str = "",
        due_ms: int | None = None,
        url: str | None = None,
    ) -> str | None:
        """The task's id. Idempotent on `source_id`: when the vendor already has it (our earlier answer was lost,
        the worker died before saving the id), its id is looked up by sourceId — None only if that finds nothing."""
        body: dict[str, Any] = {
            "sourceId": source_id,
            "subject": subject,
            "description": description,
            "creatorId": union_id,
            "executorIds": [union_id],
            "isOnlyShowExecutor": True,
        }
        if due_ms is not None:
            body["dueTime"] = due_ms
        if url:
            body["detailUrl"] = {"appUrl": url, "pcUrl": url}
        try:
            answer = self._call(
                "api",
                "POST",
                f"/v1.0/todo/users/{union_id}/tasks",
                params={"operatorId": union_id},
                json=body,
            )
        except DingTalkError as exc:
            if exc.kind is Kind.duplicate:
                return self.find_todo(union_id, source_id)
            raise
        return str(answer["id"])

    def find_todo(self, union_id: str, source_id: str) -> str | None:
        """GetTodoTaskBySourceId (docs/dingtalk.md §4): the id of the person's task with our sourceId, None when
        there is none ("task not exist": never created, or deleted)."""
        try:
            path = f"/v1.0/todo/users/{union_id}/tasks/sources/{quote(source_id, safe='')}"
            answer = self._call("api", "GET", path)
        except DingTalkError as exc:
            if task_missing(exc.judgement):
                return None
            raise
        return str(answer["id"]) if answer.get("id") else None

    def complete_todo(self, union_id: str, task_id: str) -> None:
        self._call(
            "api",
            "PUT",
            f"/v1.0/todo/users/{union_id}/tasks/{task_id}",
            params={"operatorId": union_id},
            json={"done": True},
        )

    def create_card(
        self,
        out_track_id: str,
        *,
        template_id: str,
        params: dict[str, str],
        open_conversation_id: str,
        callback_route_key: str | None = None,
    ) -> bool:
        """True when delivered now, False when this outTrackId was delivered before (a retried create)."""
        body: dict[str, Any] = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": params},
            "callbackType": "HTTP" if callback_route_key else "STREAM",
            "openSpaceId": f"dtv1.card//IM_GROUP.{open_conversation_id}",
            "imGroupOpenSpaceModel": {"supportForward": False},
            "imGroupOpenDeliverModel": {"robotCode": self.robot_code},
        }
        if callback_route_key:
            body["callbackRouteKey"] = callback_route_key
        try:
            self._call("api", "POST", "/v1.0/card/instances/createAndDeliver", json=body)
        except DingTalkError as exc:
            if exc.kind is Kind.duplicate:
                return False
            raise
        return True

    def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        self._call(
            "api",
            "PUT",
            "/v1.0/card/instances",
            json={
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": params},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            },
        )

    def register_card_callback(self, route_key: str, url: str, api_secret: str) -> None:
        """HTTP mode: where DingTalk posts clicks of cards sent with this route key, signed with `api_secret`."""
        self._call("api", "POST", "/v1.0/card/callbacks/register",
                   json={"callbackRouteKey": route_key, "callbackUrl": url, "apiSecret": api_secret,
                         "forceUpdate": True})
