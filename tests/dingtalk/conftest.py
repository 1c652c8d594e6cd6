"""Shared set-up for the DingTalk tests: an injected clock and the app fake with two 西溪街道 liaisons."""

from __future__ import annotations

import pytest

from tests.fakes.dingtalk_app import FakeDingTalkApp

T0 = 1_780_000_000.0  # 2026-05-29 04:26 China time


@pytest.fixture
def now() -> list[float]:
    return [T0]


@pytest.fixture
def fake(now: list[float]) -> FakeDingTalkApp:
    fake = FakeDingTalkApp(clock=lambda: now[0])
    fake.add_user("xixi01", name="王晓明")
    fake.add_user("xixi02", name="李娜")
    return fake
