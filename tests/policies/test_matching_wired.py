"""The wired matcher (SQL prefilter + memoised pre-checks + matcher on survivors) returns exactly what the pure
`match` says for every enterprise, with the same reasons, on both databases: the fast path only ever narrows."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.policies import matching
from app.policies.matches import all_matches, facts_of, match_page
from app.policies.models import Policy
from app.policies.service import scope_unit, spec_of
from app.units.models import Unit

pytestmark = pytest.mark.db
TODAY = date(2026, 6, 1)
TARGETS = [
    ("330100", "universal", {}),
    ("330106", "universal", {}),
    ("330100", "targeted", {"tags_any": ["专精特新", "外贸"], "industries": ["C", "I65"]}),
    ("330105", "targeted", {"tags_all": ["规上企业", "外贸"]}),
    ("330100", "targeted", {"scales": ["small", "micro"], "min_employees": 20, "max_employees": 300}),
    ("330100-JXJ", "targeted", {"key_levels": ["city", "district"], "industries": ["C39"]}),
    ("330106012", "targeted", {"max_employees": 50}),
]


def _random_enterprises(session: Session, now) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    streets = session.exec(select(Unit).where(Unit.tier == "street", Unit.kind == "area")).all()
    rows = [{
        "uscc": make_uscc(f"91330100RD{i:07d}"), "name": f"企业{i}", "street_unit_id": rng.choice(streets).id,
        "address": "", "contact_name": "联系人", "contact_mobile": "13900000000",
        "tags": rng.sample(["专精特新", "规上企业", "外贸", "高新技术企业"], rng.randint(0, 3)),
        "industry": rng.choice([None, "C39", "C17", "C", "I65", "F51"]),
        "scale": rng.choice([None, "large", "medium", "small", "micro"]),
        "employees": rng.choice([None, 5, 20, 21, 150, 300, 301, 2000]),
        "key_level": rng.choice([None, "city", "district", "street"]), "created_at": now, "updated_at": now,
    } for i in range(400)]
    session.execute(sa.insert(Enterprise), rows)
    session.commit()


@pytest.mark.parametrize(("issuer", "kind", "target"), TARGETS)
def test_wired_matching_equals_the_pure_function(city, clock, issuer, kind, target):
    _random_enterprises(city, clock.now)
    unit = city.exec(select(Unit).where(Unit.code == issuer)).one()
    policy = Policy(title="t", issuer_unit_id=unit.id, summary="s", kind=kind, benefit="other", target=target,  # type: ignore[arg-type]
                    valid_from=date(2026, 1, 1), created_by="test", created_at=clock.now, updated_at=clock.now)
    city.add(policy)
    city.commit()
    spec = spec_of(policy, scope_unit(city, unit))
    expected = {}
    for enterprise in city.exec(select(Enterprise)).all():
        street = city.get(Unit, enterprise.street_unit_id)
        matched, reasons = matching.match(spec, facts_of(enterprise, street), TODAY)  # type: ignore[arg-type]
        if matched:
            expected[enterprise.id] = reasons
    got = {c.id: reasons for c, reasons in all_matches(city, policy, today=TODAY)}
    assert got == expected and len(expected) > 0
    paged, after = {}, None
    while True:  # the cursor pages see the same set, in enterprise order
        page = match_page(city, policy, today=TODAY, reach_path=None, after_id=after, limit=7)
        paged.update({eid: m.reasons for eid, m in page})
        if len(page) < 7:
            break
        after = page[-1][0]
    assert paged == expected
    xixi = city.exec(select(Unit).where(Unit.code == "330106012")).one()
    within = {c.id for c, _ in all_matches(city, policy, today=TODAY, reach_path=xixi.path)}
    assert within == {eid for eid in expected if city.get(Enterprise, eid).street_unit_id == xixi.id}  # type: ignore[union-attr]
