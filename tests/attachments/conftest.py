"""The enterprise sign-in fixtures of tests/accounts (an enterprise user uploads)."""

from __future__ import annotations

from tests.accounts.conftest import enterprise_user, settings  # noqa: F401
