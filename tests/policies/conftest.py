"""Fixtures for the policy tests: the notification fakes (DNS, robot), enterprise facts, enterprise tokens and a
bulk enterprise factory (1,000 enterprises in one INSERT)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.units.models import Unit
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE
from tests.notifications.conftest import fake_dns, robot, robot_client, settings  # noqa: F401

# 西溪智造: a 专精特新 manufacturer (C39) of 120; 湖墅精密: a 规上 manufacturer (C34) of 450; 康桥新材料: small, 30.
FACTS = {
    XIXI_ENTERPRISE: {"industry": "C39", "scale": "medium", "employees": 120, "key_level": "district"},
    HUSHU_ENTERPRISE: {"industry": "C34", "scale": "large", "employees": 450, "key_level": "city"},
    KANGQIAO_ENTERPRISE: {"industry": "C26", "scale": "small", "employees": 30, "key_level": None},
}


@pytest.fixture(autouse=True)
def digests_wired() -> None:
    from app.notifications import policy_digest

    policy_digest.register()


def set_facts(session: Session, facts: dict[str, dict[str, Any]] = FACTS) -> None:
    for uscc, values in facts.items():
        session.execute(sa.update(Enterprise).where(Enterprise.uscc == uscc).values(**values))  # type: ignore[arg-type]
    session.commit()


@pytest.fixture
def facts(city: Session) -> Session:
    set_facts(city)
    return city


def enterprise_headers(session: Session, settings: Any, now: datetime, uscc: str) -> dict[str, str]:
    from app.accounts.enterprise_trial import token_for

    token, _ = token_for(session, uscc, secret=settings.secret_key.get_secret_value(), now=now)
    return {"Authorization": f"Bearer {token}"}


def bulk_enterprises(session: Session, street_code: str, count: int, *, now: datetime, start: int = 0,
                     liaison_ids: Sequence[int | None] = (None,), tags: Sequence[str] = ("专精特新",),
                     employees: int = 100, industry: str = "C39") -> None:
    """`count` matching enterprises in one street, paired round-robin with `liaison_ids`, in one INSERT."""
    street = session.exec(select(Unit).where(Unit.code == street_code)).one()
    rows = [{"uscc": make_uscc(f"91{street_code[:6]}BK{start + i:07d}"), "name": f"测试企业{start + i}",
             "street_unit_id": street.id, "address": "", "contact_name": "联系人", "contact_mobile": "13900000000",
             "tags": list(tags), "liaison_user_id": liaison_ids[i % len(liaison_ids)], "industry": industry,
             "scale": "small", "employees": employees, "key_level": None, "created_at": now, "updated_at": now}
            for i in range(count)]
    session.execute(sa.insert(Enterprise), rows)
    session.commit()
