"""The app access token, cached with an injected clock (docs/dingtalk.md §1). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

# Refresh this long before the vendor's expiry, like the official SDK, so a token never dies mid-request.
MARGIN_S = 300.0


@dataclass
class TokenCache:
    token: str | None = None
    expires_at: float = float("-inf")

    def valid(self, now: float) -> str | None:
        return self.token if self.token and now < self.expires_at - MARGIN_S else None

    def store(self, token: str, expires_in: float, now: float) -> str:
        self.token, self.expires_at = token, now + expires_in
        return token

    def forget(self) -> None:
        """After a token error: DingTalk can invalidate a token before its announced expiry."""
        self.token, self.expires_at = None, float("-inf")
