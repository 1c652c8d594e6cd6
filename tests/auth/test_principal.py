"""Principal (who is calling) lives in app.core.principal, below units and auth; the old name stays importable."""

from __future__ import annotations

from app.auth import principal as old_home
from app.core import principal as new_home
from app.enums import Role


def test_old_name_is_the_same_class():
    assert old_home.Principal is new_home.Principal and old_home.ROLE_TIER is new_home.ROLE_TIER


def test_reach_is_the_subtree_of_the_principals_unit():
    admin = new_home.Principal(role=Role.district_admin, label="区管理员", unit_id=2, unit_path="/1/2/")
    assert admin.reaches_path("/1/2/") and admin.reaches_path("/1/2/7/")
    assert not admin.reaches_path("/1/3/") and not admin.reaches_path("/1/")
