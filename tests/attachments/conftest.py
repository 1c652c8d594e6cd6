"""The enterprise sign-in fixtures of tests/accounts (attachments are uploaded by enterprise users too)."""

from tests.accounts.conftest import enterprise_user, fakes, settings  # noqa: F401
