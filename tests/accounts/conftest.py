"""Fixtures for enterprise sign-in and self-service: vendor settings pointing at local fakes, the fakes
installed as the app's httpx transport, and a quick way to get an enterprise user's bearer headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from tests.fakes.mini_program_login import (
    DINGTALK_API_BASE,
    DINGTALK_KEY,
    DINGTALK_OAPI_BASE,
    DINGTALK_SECRET,
    WECHAT_APP_ID,
    WECHAT_BASE,
    WECHAT_SECRET,
    LoginFakes,
)

from tests.accounts.helpers import Headers


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={
        "wechat_app_id": WECHAT_APP_ID, "wechat_app_secret": SecretStr(WECHAT_SECRET), "wechat_api_base": WECHAT_BASE,
        "dingtalk_app_key": DINGTALK_KEY, "dingtalk_app_secret": SecretStr(DINGTALK_SECRET),
        "dingtalk_api_base": DINGTALK_API_BASE, "dingtalk_oapi_base": DINGTALK_OAPI_BASE,
    })


@pytest.fixture
def fakes(app) -> LoginFakes:  # type: ignore[no-untyped-def]
    fakes = LoginFakes()
    app.state.http_transport = fakes.transport  # a factory: one transport per request
    return fakes


@pytest.fixture
def enterprise_user(city, settings, clock) -> Callable[..., Headers]:  # type: ignore[no-untyped-def]
    """Signs a user in through the service (no HTTP, no vendor) and binds it directly when a USCC is given.
    The demo city is seeded (enterprises to bind to)."""
    from app.accounts import service
    from app.accounts.models import Provider
    from app.accounts.vendors import VendorIdentity
    from app.enterprises.service import get_by_uscc

    def make(openid: str, uscc: str | None = None) -> Headers:
        issued = service.sign_in(city, VendorIdentity(Provider.wechat, openid, session_key="sk"),
                                 secret=settings.secret_key.get_secret_value(), now=clock.now)
        if uscc is not None:
            user = issued.user
            user.enterprise_id = get_by_uscc(city, uscc).id  # type: ignore[union-attr]
            user.bound_at = clock.now
            city.add(user)
            city.commit()
        return {"Authorization": f"Bearer {issued.access_token}"}

    return make
