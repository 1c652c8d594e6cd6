"""Links in chat messages point at the mini-program/H5 page of an appeal.

Services have no settings, so the public base URL is configured once per process: create_app() and the
worker call configure(); until then it falls back to the environment's settings.
"""

from __future__ import annotations

from urllib.parse import quote

_base_url: str | None = None


def configure(public_base_url: str) -> None:
    global _base_url
    _base_url = public_base_url.rstrip("/")


def base_url() -> str:
    if _base_url is None:
        from app.config import get_settings

        return get_settings().public_base_url.rstrip("/")
    return _base_url


def appeal_link(number: str) -> str:
    return f"{base_url()}/m/appeals/{quote(number, safe='')}"
