"""The liaison's mobile pages (/m/…). HTML, not part of the API contract (include_in_schema=False).

Signing in is app.signin's (its routes, the sign-in page, the session's CSRF token every POST here carries).
Errors of the workflow come back as the same page with a readable message and the error's status code; success
redirects (303) back to the page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.appeals.lifecycle import Action
from app.config import Settings
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import AppError, NotFound
from app.pages import web
from app.pages.mobile import forms, present, service, view, visit_form
from app.pages.mobile import home as home_view
from app.signin import service as signin_service
from app.signin import tokens
from app.signin.deps import ViewerDep
from app.signin.router import notice, session_csrf, session_csrf_ok, signin
from app.signin.service import LinkRefused, Viewer

router = APIRouter(include_in_schema=False)
NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")
LINK_NOTICES = {
    tokens.LinkTokenError.expired: "链接已过期（有效期 72 小时）。",
    tokens.LinkTokenError.used: "链接已被使用过（每个链接只能打开一次）。",
    tokens.LinkTokenError.wrong_appeal: "链接与该诉求不符。",
    tokens.LinkTokenError.bad_signature: "链接无效。",
    tokens.LinkTokenError.malformed: "链接不完整或已损坏。",
}


def posted_form(
    csrf: Annotated[str | None, Form()] = None, version: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form()] = None, public: Annotated[str | None, Form()] = None,
    resolution_code: Annotated[str | None, Form()] = None, public_reply: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form()] = None, target_unit_code: Annotated[str | None, Form()] = None,
    days: Annotated[str | None, Form()] = None, decision: Annotated[str | None, Form()] = None,
) -> forms.PostedForm:
    values = {"note": note, "public": public, "resolution_code": resolution_code, "public_reply": public_reply,
              "reason": reason, "target_unit_code": target_unit_code, "days": days, "decision": decision}
    return forms.PostedForm(csrf=csrf, version=version, values={k: v for k, v in values.items() if v is not None})


FormDep = Annotated[forms.PostedForm, Depends(posted_form)]
FormField = Annotated[str | None, Form()]
FormList = Annotated[list[str] | None, Form()]  # a group of checkboxes: one value per ticked box


def render_appeal(request: Request, session: Session, settings: Settings, viewer: Viewer, number: str, *,
                  now: datetime, status_code: int = 200, error: str | None = None, flash: str | None = None,
                  open_action: str | None = None, values: dict[str, str] | None = None) -> Response:
    try:
        appeal = view.appeal_page(session, viewer, number, now=now)
    except NotFound:
        return notice(request, "诉求不存在", "诉求不存在或不在您的权限范围内。", status_code=404)
    return web.page(request, "m/appeal.html", {
        "p": appeal, "csrf": session_csrf(settings, viewer), "error": error, "flash": flash,
        "open_action": open_action, "values": values or {}, "resolution_codes": present.RESOLUTION_CHOICES,
        "path": tokens.appeal_path(number),
    }, status_code=status_code)


@router.get("/m/appeals/{number}", response_class=HTMLResponse)
def appeal_page(number: str, request: Request, session: SessionDep, now: NowDep, settings: SettingsDep,
                viewer: ViewerDep, t: str | None = None, action: str | None = None,
                done: str | None = None) -> Response:
    if not NUMBER.match(number):
        return notice(request, "诉求不存在", "诉求不存在或不在您的权限范围内。", status_code=404)
    focus = action if action in {a.value for a in present.PAGE_ACTIONS} else None
    clean = tokens.appeal_path(number) + (f"?action={focus}" if focus else "")
    if t is not None:
        return _redeem(request, session, settings, viewer, number, t, now=now, clean=clean)
    if viewer is None or not viewer.may_open(number):
        return signin(request, settings, next_path=clean)
    flash = present.SUCCESS_TEXT.get(Action(done)) if done in {a.value for a in present.PAGE_ACTIONS} else None
    return render_appeal(request, session, settings, viewer, number, now=now, flash=flash, open_action=focus)


def _redeem(request: Request, session: Session, settings: Settings, viewer: Viewer | None, number: str,
            token: str, *, now: datetime, clean: str) -> Response:
    try:
        new = signin_service.redeem_link(session, secret=settings.signing_secret, token=token, number=number, now=now,
                                  current=viewer)
    except LinkRefused as exc:
        if viewer is not None and viewer.may_open(number):
            return web.redirect(clean)  # already signed in: an old link just opens the page
        return signin(request, settings, next_path=clean, message=LINK_NOTICES[exc.reason])
    response = web.redirect(clean)  # the token leaves the address bar at once
    if new is not None:
        web.set_session_cookie(response, new.cookie_value, expires_at=new.expires_at, now=now, settings=settings)
    return response


@router.post("/m/appeals/{number}/actions/{action}", response_class=HTMLResponse)
def post_action(number: str, action: str, request: Request, session: SessionDep, now: NowDep,
                settings: SettingsDep, viewer: ViewerDep, form: FormDep) -> Response:
    page_action = next((a for a in present.PAGE_ACTIONS if a.value == action), None)
    if page_action is None or not NUMBER.match(number):
        return notice(request, "页面不存在", "没有这个操作。", status_code=404)
    if viewer is None or not viewer.may_open(number):
        return signin(request, settings, next_path=tokens.appeal_path(number), message="登录已过期，请重新登录后再提交。")
    if not session_csrf_ok(settings, viewer, form.csrf):
        return notice(request, "页面已过期", "页面已过期或来源不明（CSRF 校验失败），未做任何修改。请返回刷新后重试。",
                      status_code=403)
    try:
        service.act(session, viewer, number, page_action, forms.to_action_in(page_action, form),
                    version=forms.to_version(form), now=now)
    except NotFound:
        return notice(request, "诉求不存在", "诉求不存在或不在您的权限范围内。", status_code=404)
    except AppError as exc:
        return render_appeal(request, session, settings, viewer, number, now=now, status_code=exc.status_code,
                             error=forms.describe(exc), open_action=page_action.value, values=form.values)
    return web.redirect(f"{tokens.appeal_path(number)}?done={page_action.value}")


def posted_visit(
    csrf: FormField = None, enterprise_uscc: FormField = None, mode: FormField = None, visited_on: FormField = None,
    summary: FormField = None, revisit_on: FormField = None, appeal_title: FormField = None,
    appeal_description: FormField = None, appeal_category: FormField = None, form_key: FormField = None,
    participant_user_ids: FormList = None, policy_ids: FormList = None,
) -> visit_form.VisitForm:
    values = {"enterprise_uscc": enterprise_uscc, "mode": mode, "visited_on": visited_on, "summary": summary,
              "revisit_on": revisit_on, "appeal_title": appeal_title, "appeal_description": appeal_description,
              "appeal_category": appeal_category, "form_key": form_key}
    picked = {"participant_user_ids": tuple(participant_user_ids or ()), "policy_ids": tuple(policy_ids or ())}
    return visit_form.VisitForm(csrf=csrf, values={k: v for k, v in values.items() if v is not None}, picked=picked)


def render_home(request: Request, session: Session, settings: Settings, viewer: Viewer, *, now: datetime,
                status_code: int = 200, error: AppError | None = None, flash: str | None = None,
                form: visit_form.VisitForm | None = None) -> Response:
    """The home page; after a refused visit, the form again with what was typed and each error under its field."""
    form = form or visit_form.VisitForm()
    return web.page(request, "m/home.html", {
        "viewer": viewer, "csrf": session_csrf(settings, viewer), "home": home_view.home_page(session, viewer, now=now),
        "error": visit_form.describe_visit_error(error) if error else None, "flash": flash, "values": form.values,
        "picked": form.picked, "errors": visit_form.field_errors(error) if error else {},
        "form_key": form.values.get("form_key") or visit_form.new_form_key(),
    }, status_code=status_code)


@router.get("/m/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, viewer: ViewerDep,
         done: str | None = None) -> Response:
    if viewer is None:
        return signin(request, settings, next_path="/m/", status_code=200)
    return render_home(request, session, settings, viewer, now=now, flash="走访已登记" if done == "visit" else None)


@router.post("/m/visits", response_class=HTMLResponse)
def post_visit(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, viewer: ViewerDep,
               form: Annotated[visit_form.VisitForm, Depends(posted_visit)]) -> Response:
    if viewer is None:
        return signin(request, settings, next_path="/m/", message="登录已过期，请重新登录后再提交。")
    if not session_csrf_ok(settings, viewer, form.csrf):
        return notice(request, "页面已过期", "页面已过期或来源不明（CSRF 校验失败），未做任何修改。请返回刷新后重试。",
                      status_code=403)
    try:
        visit_form.record_visit(session, viewer, form, now=now)
    except AppError as exc:
        return render_home(request, session, settings, viewer, now=now, status_code=exc.status_code, error=exc,
                           form=form)
    return web.redirect("/m/?done=visit")
