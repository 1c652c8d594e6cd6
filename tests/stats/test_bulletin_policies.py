"""The weekly bulletin's policy section (政策推送与兑现): the very figures of GET /stats/policies for the week and for the
year so far, in the caller's reach, on the data set of tests/stats/policy_dataset.py; the money as such reports write
it; and a bulletin with no policy at all says so."""

from __future__ import annotations

from datetime import date

import pytest

from app.auth.service import authenticate_api_key
from app.policies.schemas import PolicyStats
from app.stats import bulletin, policy_figures, weekly
from app.stats.figures import Counts
from tests.helpers import assert_problem
from tests.stats.policy_dataset import NOW, W46, W47, seed_department_policy, seed_policies

SECTION = "## 三、政策推送与兑现"
NOTHING = {"unit_code": "330100", "policies": 0, "deliveries": 0, "enterprises_reached": 0, "read_rate": None,
           "interested": 0, "granted": 0, "granted_amount_cny": 0}


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    seed_policies(city)
    return keys


def section(markdown: str) -> str:
    return markdown.split("、政策推送与兑现\n")[1].split("\n## ")[0].strip()


def line(p: PolicyStats) -> str:
    """How the section words one period's figures, written out independently of app.stats.bulletin."""
    rate = "暂无" if p.read_rate is None else f"{p.read_rate * 100:.1f}%"
    return (f"推送政策{p.policies}项，触达企业{p.enterprises_reached}家（{p.deliveries}家次），企业已读率{rate}；"
            f"企业意向申报{p.interested}个；已兑现{p.granted}笔，兑现金额")


class TestMoney:
    @pytest.mark.parametrize(("amount", "text"), [
        (0, "0元"), (5_000, "5000元"), (9_999, "9999元"), (10_000, "1万元"), (800_000, "80万元"),
        (812_345, "81.23万元"), (812_355, "81.24万元"), (12_345, "1.23万元"), (99_999_999, "10000万元"),
        (100_000_000, "1亿元"), (150_000_000, "1.5亿元"), (123_456_789_000, "1234.57亿元"),
    ])
    def test_yuan_below_ten_thousand_then_wan_then_yi(self, amount, text):
        assert bulletin.money(amount) == text


class TestRender:
    def base(self, **extra):  # type: ignore[no-untyped-def]
        return bulletin.BulletinInput(
            unit_name="西溪街道", week_label="2026-W47", first_day=date(2026, 11, 16), last_day=date(2026, 11, 22),
            week=Counts(), week_by_category={}, week_by_urgency={}, year=Counts(), year_by_status={}, ranking=[],
            **extra)

    def stats(self, **values):  # type: ignore[no-untyped-def]
        zero = {"unit_code": "330106012", "policies": 0, "deliveries": 0, "enterprises_reached": 0,
                "read_rate": None, "interested": 0, "granted": 0, "granted_amount_cny": 0}
        return PolicyStats(**(zero | values))

    def test_no_policy_at_all_says_so_and_numbers_the_sections(self):
        text = bulletin.render(self.base(policies=bulletin.PolicyLine(self.stats(), self.stats())))
        assert section(text) == "本周未推送政策，2026年以来尚未推送政策。"
        assert "## 三、政策推送与兑现" in text and "## 四、工作提示" in text
        assert "暂无" not in section(text)  # no rate of nothing is shown

    def test_a_quiet_week_in_a_year_with_pushes(self):
        year = self.stats(policies=2, deliveries=3, enterprises_reached=2, read_rate=2 / 3, interested=1, granted=1,
                          granted_amount_cny=2_000_000)
        text = section(bulletin.render(self.base(policies=bulletin.PolicyLine(self.stats(), year))))
        assert text.startswith("本周未推送政策。\n\n2026年以来累计推送政策2项，触达企业2家（3家次），企业已读率66.7%；"
                               "企业意向申报1个；已兑现1笔，兑现金额200万元。")
        assert "统计至本报生成时" in text

    def test_without_the_policy_line_the_bulletin_is_as_before(self):
        text = bulletin.render(self.base())
        assert "政策推送与兑现" not in text and "## 三、工作提示" in text


class TestService:
    """weekly.bulletin against policy_figures.policy_stats, the functions behind the two routes, on both databases."""

    @pytest.mark.parametrize(("key", "unit"), [("city", None), ("xihu", None), ("xixi_admin", None),
                                               ("hushu_admin", None), ("city", "330105"), ("gongshu", "330105011")])
    @pytest.mark.parametrize(("week", "period"), [("2026-W46", W46), ("2026-W47", W47)])
    def test_the_week_and_the_year_are_the_policy_figures(self, city, data, key, unit, week, period):
        principal = authenticate_api_key(city, data[key]["Authorization"].split()[1])
        body = weekly.bulletin(city, principal, unit_code=unit, week=week, now=NOW)
        expected = policy_figures.policy_stats(city, principal, unit_code=unit, start=period["from"],
                                               end=period["to"], now=NOW)
        year = policy_figures.policy_stats(city, principal, unit_code=unit, start="2026-01-01", end=period["to"],
                                           now=NOW)
        assert body.policies == expected and expected.unit_code == body.unit_code
        text = section(body.markdown)
        assert (f"本周{line(expected)}{bulletin.money(expected.granted_amount_cny)}。" in text
                if expected.deliveries else text.startswith("本周未推送政策"))
        assert f"2026年以来累计{line(year)}{bulletin.money(year.granted_amount_cny)}。" in text

    def test_the_hand_computed_figures(self, city, data):
        city_admin = authenticate_api_key(city, data["city"]["Authorization"].split()[1])
        w46 = weekly.bulletin(city, city_admin, unit_code=None, week="2026-W46", now=NOW)
        assert w46.policies.model_dump() == {  # type: ignore[union-attr]
            "unit_code": "330100", "policies": 1, "deliveries": 5, "enterprises_reached": 5, "read_rate": 0.6,
            "interested": 1, "granted": 2, "granted_amount_cny": 812_345}
        assert section(w46.markdown).splitlines()[0] == (
            "本周推送政策1项，触达企业5家（5家次），企业已读率60.0%；企业意向申报1个；已兑现2笔，兑现金额81.23万元。")
        w47 = weekly.bulletin(city, city_admin, unit_code=None, week="2026-W47", now=NOW)
        assert section(w47.markdown).splitlines()[0] == (
            "本周推送政策2项，触达企业4家（4家次），企业已读率50.0%；企业意向申报1个；已兑现1笔，兑现金额5000元。")
        assert "2026年以来累计推送政策3项，触达企业5家（9家次），企业已读率55.6%；企业意向申报2个；已兑现3笔，兑现金额81.73万元。" \
            in w47.markdown
        assert SECTION in w47.markdown and "## 四、各单位情况（本周）" in w47.markdown and "## 五、工作提示" in w47.markdown

    def test_a_street_sees_its_own_deliveries_only(self, city, data):
        xixi = authenticate_api_key(city, data["xixi_admin"]["Authorization"].split()[1])
        body = weekly.bulletin(city, xixi, unit_code=None, week="2026-W47", now=NOW)
        assert (body.policies.deliveries, body.policies.interested, body.policies.granted) == (1, 1, 0)  # type: ignore[union-attr]
        assert "本周推送政策1项，触达企业1家（1家次），企业已读率100.0%；企业意向申报1个；已兑现0笔，兑现金额0元。" in body.markdown
        # the year: P1 and P2 to 西溪智造 — not 湖墅's 1.23万元 nor 康桥's 5000元
        assert "2026年以来累计推送政策2项，触达企业1家（2家次），企业已读率100.0%；企业意向申报2个；已兑现1笔，兑现金额80万元。" \
            in body.markdown
        assert SECTION in body.markdown and "## 四、工作提示" in body.markdown  # a street ranks no units below it


class TestApi:
    @pytest.mark.parametrize(("key", "params"), [
        ("city", {"week": "2026-W46"}), ("city", {"week": "2026-W47", "unit": "330106"}),
        ("xihu", {"week": "2026-W46"}), ("xixi_admin", {}), ("hushu_admin", {"week": "2026-W47"}),
        ("gongshu", {"week": "2026-W47", "unit": "330105011"}),
    ])
    def test_bulletin_json_has_the_policy_figures_of_the_week(self, client, data, key, params):
        body = client.get("/api/v1/stats/bulletin", params=params, headers=data[key])
        assert body.status_code == 200, body.text
        week = W46 if params.get("week") == "2026-W46" else W47  # now is in W47
        expected = client.get("/api/v1/stats/policies", params={**week, **({"unit": params["unit"]} if "unit" in params
                                                                            else {})}, headers=data[key]).json()
        assert body.json()["policies"] == expected
        assert expected["unit_code"] == body.json()["unit_code"]

    def test_xihu_week_46(self, client, data):
        body = client.get("/api/v1/stats/bulletin", params={"week": "2026-W46"}, headers=data["xihu"]).json()
        assert body["policies"] == {"unit_code": "330106", "policies": 1, "deliveries": 2, "enterprises_reached": 2,
                                    "read_rate": 0.5, "interested": 1, "granted": 1, "granted_amount_cny": 800_000}
        assert "本周推送政策1项，触达企业2家（2家次），企业已读率50.0%；企业意向申报1个；已兑现1笔，兑现金额80万元。" \
            in body["markdown"]

    def test_a_department_has_the_figures_of_the_policies_it_issued(self, client, city, data):
        seed_department_policy(city)
        dept = {"unit_code": "330100-RLSB", "policies": 1, "deliveries": 5, "enterprises_reached": 5, "read_rate": 0.4,
                "interested": 1, "granted": 1, "granted_amount_cny": 3_000}
        for week, expected in (("2026-W47", dept), ("2026-W46", dept | NOTHING | {"unit_code": "330100-RLSB"})):
            body = client.get("/api/v1/stats/bulletin", params={"unit": "330100-RLSB", "week": week},
                              headers=data["city"]).json()
            assert body["policies"] == expected
            period = W47 if week == "2026-W47" else W46
            assert client.get("/api/v1/stats/policies", params={"unit": "330100-RLSB", **period},
                              headers=data["city"]).json() == expected
        text = section(body["markdown"])  # W46: nothing that week, the year's P4 (pushed in W47, so "so far" is 0)
        assert text == "本周未推送政策，2026年以来尚未推送政策。"
        w47 = client.get("/api/v1/stats/bulletin", params={"unit": "330100-RLSB"}, headers=data["city"]).json()
        assert section(w47["markdown"]).splitlines()[0] == (
            "本周推送政策1项，触达企业5家（5家次），企业已读率40.0%；企业意向申报1个；已兑现1笔，兑现金额3000元。")
        # 西湖区人力社保局 issued nothing: its section says so (the city department's policy is not its own)
        other = client.get("/api/v1/stats/bulletin", params={"unit": "330106-RLSB"}, headers=data["city"]).json()
        assert other["policies"] == NOTHING | {"unit_code": "330106-RLSB"}
        # an area still counts what reached its enterprises, whoever issued it: 西溪街道 now has P2 and P4 this week
        xixi = client.get("/api/v1/stats/policies", params=W47, headers=data["xixi_admin"]).json()
        assert (xixi["policies"], xixi["deliveries"]) == (2, 2)

    def test_another_districts_bulletin_is_404(self, client, data):
        assert_problem(client.get("/api/v1/stats/bulletin", params={"unit": "330106"}, headers=data["gongshu"]), 404)

    def test_no_policies_the_section_says_so(self, client, keys, clock):
        clock.set(NOW)
        body = client.get("/api/v1/stats/bulletin", headers=keys["city"]).json()
        assert body["policies"] == NOTHING
        assert section(body["markdown"]) == "本周未推送政策，2026年以来尚未推送政策。"
