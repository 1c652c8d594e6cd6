"""HTTP edge of the pages: the Jinja environment, our static files, cookies and security headers.

No page loads anything from another origin. CSS is inlined into each page (one round trip on a slow phone) and
allowed by its hash (base.css everywhere, dash.css on the dashboard as well); scripts come only from /static (no
inline script at all), so the CSP is `'self'` plus those two hashes. Charts are inline SVG drawn by the server
(charts.py), coloured by classes, never by `style` attributes (which the CSP would block).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import Scope

from app.config import Settings

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/static"
SESSION_COOKIE = "zq_session"
PRE_COOKIE = "zq_pre"  # binds the CSRF token of the sign-in forms before a session exists
PRE_COOKIE_SECONDS = 24 * 3600
INLINE_CSS = (STATIC_DIR / "base.css").read_text(encoding="utf-8")
DASH_CSS = (STATIC_DIR / "dash.css").read_text(encoding="utf-8")  # the desktop dashboard's additions


def _css_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


CSP = (
    "default-src 'none'; script-src 'self'; "
    f"style-src 'self' {_css_hash(INLINE_CSS)} {_css_hash(DASH_CSS)}; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",  # DingTalk opens links in its own webview, never framed by another site
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a link token in the address must never travel in a Referer
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-store",  # pages carry personal and internal data
}


def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


ASSET_VERSIONS = {p.name: _asset_version(p.name) for p in STATIC_DIR.iterdir() if p.is_file()}

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.globals.update(
    inline_css=INLINE_CSS,
    dash_css=DASH_CSS,
    asset=lambda name: f"{STATIC_PREFIX}/{name}?v={ASSET_VERSIONS.get(name, '0')}",
)


class Static(StaticFiles):
    """Our own static files. Versioned URLs (`?v=<hash>`) may be cached for a year; nosniff always."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.status_code == 200:
            versioned = b"v=" in scope.get("query_string", b"")
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
        return response


def static_files() -> Static:
    return Static(directory=str(STATIC_DIR))


def page(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response


def _secure(settings: Settings) -> bool:
    return settings.public_base_url.lower().startswith("https://")


def set_session_cookie(response: Any, value: str, *, expires_at: datetime, now: datetime, settings: Settings) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max(1, int((expires_at - now).total_seconds())), path="/",
                        httponly=True, samesite="lax", secure=_secure(settings))


def clear_session_cookie(response: Any, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(settings))


def set_pre_cookie(response: Any, value: str, settings: Settings) -> None:
    response.set_cookie(PRE_COOKIE, value, max_age=PRE_COOKIE_SECONDS, path="/m", httponly=True, samesite="lax",
                        secure=_secure(settings))
