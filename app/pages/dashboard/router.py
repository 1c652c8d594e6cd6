"""The task force's desktop dashboard (/dashboard). HTML, not part of the API contract (include_in_schema=False).

Sign-in is the pages' cookie session (API key or DingTalk, via /m/session/…); the figures are the statistics API's.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import InvalidInput, NotFound
from app.pages import web
from app.pages.dashboard import board
from app.pages.dashboard import view as dash_view
from app.signin import tokens
from app.signin.deps import ViewerDep
from app.signin.router import session_csrf, signin

router = APIRouter(include_in_schema=False)
UNIT = re.compile(r"^[0-9A-Za-z_-]{2,32}$")  # as the statistics API's `unit`
MAX_BOUND_CHARS = 40


def _notice(request: Request, title: str, message: str, *, status_code: int, **context: object) -> Response:
    return web.page(request, "dash/notice.html", {"title": title, "message": message, **context},
                    status_code=status_code)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, viewer: ViewerDep,
              unit: str | None = None, from_: Annotated[str | None, Query(alias="from")] = None,
              to: str | None = None) -> Response:
    unit, from_, to = unit or None, from_ or None, to or None  # an empty form field means "the default"
    here = tokens.safe_next(board.href(unit, from_, to), default=board.PATH)
    if viewer is None:
        return signin(request, settings, next_path=here)
    bar = {"viewer_label": viewer.principal.label, "logout_csrf": session_csrf(settings, viewer)}
    if unit is not None and not UNIT.fullmatch(unit):
        return _notice(request, "单位不存在", "单位不存在或不在您的权限范围内。", status_code=404, **bar)
    if any(v is not None and len(v) > MAX_BOUND_CHARS for v in (from_, to)):
        return _notice(request, "日期有误", "日期格式应为 2026-01-01。", status_code=422, **bar)
    try:
        data = dash_view.dashboard(session, viewer, unit_code=unit, start=from_, end=to, now=now)
    except dash_view.NotForDashboard as exc:
        return signin(request, settings, next_path=here, title=exc.title, status_code=403, viewer=viewer,
                      message=f"{exc.detail}。请使用管理员账号（API key 或钉钉）登录后查看数据看板。")
    except NotFound:
        return _notice(request, "单位不存在", "单位不存在或不在您的权限范围内。", status_code=404, **bar)
    except InvalidInput as exc:
        reason = exc.errors[0].message if exc.errors else (exc.detail or exc.title)
        return _notice(request, "日期有误", f"统计区间有误：{reason}", status_code=422, **bar)
    return web.page(request, "dash/board.html", {"b": board.present(data, unit=unit, start=from_, end=to), **bar})
