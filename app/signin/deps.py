"""Who is looking at a page: the session cookie → the signed-in `Viewer` (or None), for the page routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.db import release
from app.deps import NowDep, SessionDep
from app.pages import web
from app.signin import service
from app.signin.service import Viewer


def get_viewer(request: Request, session: SessionDep, now: NowDep) -> Viewer | None:
    """The signed-in viewer, read in this dependency's thread. As authentication (app.auth.deps), its transaction
    ends in that thread: the request must not hold a pooled connection while it waits for the route's thread
    (docs/decisions.md 72)."""
    try:
        return service.current_viewer(session, request.cookies.get(web.SESSION_COOKIE), now=now)
    finally:
        release(session)


ViewerDep = Annotated[Viewer | None, Depends(get_viewer)]
