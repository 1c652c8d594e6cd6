"""Access-matrix entries for the pairing routes (issue 17): pairing, buildings, the visit cadence and the liaison's own
list. Kept beside test_access_matrix.py, which merges them into its POLICY, so each domain adds its rows in its own
file. `world.building` is a 西溪街道 building the matrix's world creates."""

from __future__ import annotations

from typing import Any

from tests.helpers import XIXI_ENTERPRISE


def pairing_policy(case: Any, expect: Any) -> dict[tuple[str, str], Any]:
    staff_read = expect(gongshu_admin=200, xixi_liaison=200, city=200)
    xixi_read = expect(gongshu_admin=404, xixi_liaison=200, city=200)
    on_xixi = {"uscc": XIXI_ENTERPRISE}
    return {
        ("PUT", "/api/v1/enterprises/{uscc}/liaison"): case(
            expect(gongshu_admin=404, city=200), params=lambda w: on_xixi,
            body=lambda w, r: {"user_id": w.liaison_user_id}),
        ("DELETE", "/api/v1/enterprises/{uscc}/liaison"): case(expect(gongshu_admin=404, city=200),
                                                               params=lambda w: on_xixi),
        ("GET", "/api/v1/enterprises/{uscc}/pairings"): case(xixi_read, params=lambda w: on_xixi),
        ("POST", "/api/v1/pairings/import"): case(
            expect(gongshu_admin=422, city=201),
            body=lambda w, r: {"items": [{"uscc": XIXI_ENTERPRISE, "user_id": w.liaison_user_id}]}),
        # Keys bound to no user have no list of their own (the cadre tests sign in as users).
        ("GET", "/api/v1/me/enterprises"): case(expect()),
        ("POST", "/api/v1/buildings"): case(expect(gongshu_admin=422, city=201), body=lambda w, r: {
            "name": "西溪科创大厦", "street_code": "330106012"}),
        ("GET", "/api/v1/buildings"): case(staff_read),
        ("GET", "/api/v1/buildings/{building_id}"): case(xixi_read, params=lambda w: {"building_id": w.building}),
        ("PATCH", "/api/v1/buildings/{building_id}"): case(
            expect(gongshu_admin=404, city=200), params=lambda w: {"building_id": w.building},
            body=lambda w, r: {"name": "西溪科创中心"}),
        ("DELETE", "/api/v1/buildings/{building_id}"): case(expect(gongshu_admin=404, city=200),
                                                            params=lambda w: {"building_id": w.building}),
        ("GET", "/api/v1/visit-policy"): case(staff_read),
        ("PUT", "/api/v1/visit-policy"): case(expect(city=200), body=lambda w, r: {
            "default_days": 30, "by_key_level": {"city": 14}}),
    }
