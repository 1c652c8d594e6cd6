"""Fixtures for enterprise sign-in and self-service: vendor settings pointing at local fakes, the fakes
installed as the app's httpx transport, and a quick way to get an enterprise user's bearer headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.accounts.helpers import Headers, sign_in_headers
from tests.fakes.mini_program_login import LoginFakes, login_settings


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update=login_settings())


@pytest.fixture
def fakes(app) -> LoginFakes:  # type: ignore[no-untyped-def]
    fakes = LoginFakes()
    app.state.http_transport = fakes.transport  # a factory: one transport per request
    return fakes


@pytest.fixture
def enterprise_user(city, settings, clock) -> Callable[..., Headers]:  # type: ignore[no-untyped-def]
    """Signs a user in through the service (no HTTP, no vendor) and binds it directly when a USCC is given.
    The demo city is seeded (enterprises to bind to)."""

    def make(openid: str, uscc: str | None = None) -> Headers:
        return sign_in_headers(city, settings.secret_key.get_secret_value(), clock.now, openid, uscc)

    return make
