"""The unit ladder the escalations climb, and reach, at the service level (the sweeper and the workflow rely on
both): a street escalates to its district, the district to the city, the city to nobody."""

from __future__ import annotations

import pytest

from app.core.principal import Principal
from app.errors import NotFound
from app.units import service as units


def test_area_parent_climbs_street_district_city(city):
    street = units.get_by_code(city, "330106012")
    district = units.area_parent(city, street)
    assert district is not None and district.code == "330106"
    top = units.area_parent(city, district)
    assert top is not None and top.code == "330100" and units.is_top(top)
    assert units.area_parent(city, top) is None


def test_subtree_holds_the_unit_and_everything_below(city):
    district = units.get_by_code(city, "330106")
    ids = set(units.subtree_ids(city, district))
    assert district.id in ids and units.get_by_code(city, "330106012").id in ids
    assert units.get_by_code(city, "330105").id not in ids


def test_get_in_reach_hides_units_outside_the_principals_subtree(city):
    xihu = units.get_by_code(city, "330106")
    admin = Principal(role="district_admin", label="西湖区管理员", unit_id=xihu.id, unit_code=xihu.code,
                      unit_path=xihu.path, unit_tier=xihu.tier)
    assert units.get_in_reach(city, admin, "330106012").code == "330106012"
    with pytest.raises(NotFound):
        units.get_in_reach(city, admin, "330105")  # 拱墅区: exists, but not in reach — same answer as unknown
