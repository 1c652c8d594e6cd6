"""/docs and /redoc from files this app serves (government intranets have no internet), and the `/` page.

The Swagger UI and ReDoc bundles come from the `fastapi-offline` package (maintained; ships both), mounted at
/docs-assets; the HTML is FastAPI's own, pointed at those files, with no web fonts, no validator badge (Swagger UI
would call validator.swagger.io) and our own favicon.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from app.errors import document_idempotency_conflicts

ASSETS_PREFIX = "/docs-assets"
ASSETS_DIR = str(files("fastapi_offline") / "static")
SWAGGER_PARAMETERS = {"validatorUrl": None, "defaultModelsExpandDepth": 0}

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "") or "")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} — API 文档",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        swagger_js_url=f"{root}{ASSETS_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PREFIX}/favicon.png",
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} — API 文档 (ReDoc)",
        redoc_js_url=f"{root}{ASSETS_PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_PREFIX}/favicon.png", with_google_fonts=False,
    )


_LINKS = {"/docs": "接口文档（Swagger UI）", "/redoc": "接口文档（ReDoc）", "/openapi.json": "OpenAPI 契约",
          "/readyz": "就绪检查", "/healthz": "存活检查"}
_SUMMARY = ("助企 Zhuqi：企业诉求“收集 → 梳理 → 交办 → 督办 → 反馈”闭环服务。"
            "API 位于 /api/v1，错误为 application/problem+json。")


@router.get("/")
async def home(request: Request) -> Response:
    """What this service is, with links to its docs and checks: HTML for a browser, JSON for a script."""
    root = _root(request)
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return JSONResponse({"service": "zhuqi", "title": request.app.title, "version": request.app.version,
                             "description": _SUMMARY, "api": f"{root}/api/v1",
                             "links": {path: f"{root}{path}" for path in _LINKS}})
    items = "\n".join(f'<li><a href="{escape(root + path)}">{escape(label)}</a> <code>{escape(path)}</code></li>'
                      for path, label in _LINKS.items())
    return HTMLResponse(f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(request.app.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>{escape(request.app.title)} <small>{escape(request.app.version)}</small></h1>
<p>{escape(_SUMMARY)}</p><ul>
{items}
</ul></body></html>
""")


def install(app: FastAPI) -> None:
    """The app is created with docs_url=None and redoc_url=None; these replace FastAPI's CDN-backed pages. The
    OpenAPI document gains what no single route declares (`document_idempotency_conflicts`)."""
    app.include_router(router)
    app.mount(ASSETS_PREFIX, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return document_idempotency_conflicts(generate())  # FastAPI keeps the document until routes change

    app.openapi = openapi  # type: ignore[method-assign]
