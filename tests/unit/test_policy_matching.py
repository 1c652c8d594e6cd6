"""Policy matching (DESIGN §12): each rule alone with its Chinese reason, combinations, scope by area, validity
at the edges, the SQL prefilter never dropping a match, and targets that can match nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.policies.matching import (
    RULES,
    EnterpriseFacts,
    Matcher,
    PolicySpec,
    PolicyTarget,
    match,
    policy_problems_now,
    prefilter_accepts,
    sql_prefilter,
    validate_target,
)

TODAY = date(2026, 6, 1)
# Hangzhou: 杭州市 3301 → 西湖区 330106 → 西溪街道 330106011; 拱墅区 330105 → 湖墅街道 330105001.
XIXI = frozenset({"3301", "330106", "330106011"})
HUSHU = frozenset({"3301", "330105", "330105001"})
ENTERPRISE = EnterpriseFacts(area_codes=XIXI, tags=frozenset({"专精特新", "外贸"}), industry="C39",
                             scale="medium", key_level="district", employees=120)


def targeted(**target: object) -> PolicySpec:
    return PolicySpec(kind="targeted", scope_unit_code="330106", scope_unit_name="西湖区",
                      target=PolicyTarget(**target))  # type: ignore[arg-type]


def test_rule_table_is_readable() -> None:
    assert [r.name for r in RULES] == ["withdrawn", "valid_from", "valid_to", "scope", "universal", "tags_any",
                                       "tags_all", "industries", "scales", "key_levels", "employees"]
    assert all(r.applies_when and (r.failed or r.name == "universal") for r in RULES)


# Each rule alone: (target, enterprise changes, matched, reasons)
ALONE = [
    ({"tags_any": ("专精特新", "高新技术企业")}, {}, True, ["专精特新企业"]),
    ({"tags_any": ("专精特新", "外贸")}, {}, True, ["专精特新企业、外贸企业"]),
    ({"tags_any": ("高新技术企业",)}, {}, False, ["不具备以下任一标签：高新技术企业"]),
    ({"tags_any": ("专精特新",)}, {"tags": frozenset()}, False, ["不具备以下任一标签：专精特新"]),
    ({"tags_all": ("专精特新", "外贸")}, {}, True, ["专精特新企业、外贸企业"]),
    ({"tags_all": ("专精特新", "规上企业")}, {}, False, ["缺少标签：规上企业"]),
    ({"industries": ("C",)}, {}, True, ["行业 C39"]),
    ({"industries": ("I65", "C39")}, {}, True, ["行业 C39"]),
    ({"industries": ("c39",)}, {"industry": "c39"}, True, ["行业 C39"]),
    ({"industries": ("C38", "I")}, {}, False, ["行业 C39 不在适用行业（C38、I）内"]),
    ({"industries": ("C39",)}, {"industry": "C"}, False, ["行业 C 不在适用行业（C39）内"]),
    ({"industries": ("C",)}, {"industry": None}, False, ["未登记所属行业（适用行业：C）"]),
    ({"scales": ("medium", "small")}, {}, True, ["中型企业"]),
    ({"scales": ("large",)}, {}, False, ["中型企业不在适用规模（大型）内"]),
    ({"scales": ("small", "micro")}, {"scale": None}, False, ["未登记企业规模（适用规模：小型、微型）"]),
    ({"key_levels": ("district",)}, {}, True, ["区级重点企业"]),
    ({"key_levels": ("city",)}, {}, False, ["非市级重点企业"]),
    ({"key_levels": ("city", "district")}, {"key_level": None}, False, ["非市级或区级重点企业"]),
    ({"min_employees": 20, "max_employees": 300}, {}, True, ["员工 120 人"]),
    ({"min_employees": 120, "max_employees": 120}, {}, True, ["员工 120 人"]),  # both bounds inclusive
    ({"min_employees": 121}, {}, False, ["员工 120 人，不在适用范围（不少于 121 人）内"]),
    ({"max_employees": 119}, {}, False, ["员工 120 人，不在适用范围（不超过 119 人）内"]),
    ({"min_employees": 200, "max_employees": 300}, {}, False, ["员工 120 人，不在适用范围（200–300 人）内"]),
    ({"min_employees": 0}, {"employees": 0}, True, ["员工 0 人"]),
    ({"max_employees": 50}, {"employees": None}, False, ["未登记员工人数（适用范围：不超过 50 人）"]),
]


@pytest.mark.parametrize(("target", "changes", "matched", "reasons"), ALONE)
def test_each_rule_alone(target: dict[str, object], changes: dict[str, object], matched: bool,
                         reasons: list[str]) -> None:
    assert match(targeted(**target), replace(ENTERPRISE, **changes), TODAY) == (matched, reasons)


def test_universal_matches_everyone_in_scope_and_ignores_facts() -> None:
    policy = PolicySpec(kind="universal", scope_unit_code="3301", scope_unit_name="杭州市")
    bare = EnterpriseFacts(area_codes=HUSHU)
    assert match(policy, bare, TODAY) == (True, ["普惠政策"])
    assert match(policy, ENTERPRISE, TODAY) == (True, ["普惠政策"])
    # A target left on a universal policy (refused by validate_target) would still not narrow it.
    assert match(replace(policy, target=PolicyTarget(scales=("large",))), bare, TODAY) == (True, ["普惠政策"])


# Scope by area: (scope unit, enterprise areas, matched)
SCOPES = [
    ("3301", XIXI, True),  # the city's policy reaches every street
    ("330106", XIXI, True),  # the district's reaches its own streets
    ("330106011", XIXI, True),  # the street's reaches its enterprises
    ("330105", XIXI, False),  # another district's does not
    ("330105001", XIXI, False),
    ("330106", HUSHU, False),
    ("3302", XIXI, False),  # another city
]


@pytest.mark.parametrize(("scope", "areas", "matched"), SCOPES)
def test_scope_by_area(scope: str, areas: frozenset[str], matched: bool) -> None:
    policy = PolicySpec(kind="universal", scope_unit_code=scope, scope_unit_name="本级")
    expected = (True, ["普惠政策"]) if matched else (False, ["企业不在本级辖区内"])
    assert match(policy, replace(ENTERPRISE, area_codes=areas), TODAY) == expected


def test_scope_reason_names_the_code_without_a_name() -> None:
    policy = PolicySpec(kind="universal", scope_unit_code="330105")
    assert match(policy, ENTERPRISE, TODAY) == (False, ["企业不在发布单位（330105）辖区内"])


VALID_FROM, VALID_TO = date(2026, 3, 1), date(2026, 8, 31)
# Validity at the edges, both ends inclusive: (today, matched, reasons)
EDGES = [
    (VALID_FROM - timedelta(days=1), False, ["政策自 2026-03-01 起施行，尚未生效"]),
    (VALID_FROM, True, ["普惠政策"]),
    (VALID_TO, True, ["普惠政策"]),
    (VALID_TO + timedelta(days=1), False, ["政策已于 2026-08-31 到期"]),
]


@pytest.mark.parametrize(("today", "matched", "reasons"), EDGES)
def test_validity_edges(today: date, matched: bool, reasons: list[str]) -> None:
    policy = PolicySpec(kind="universal", scope_unit_code="3301", valid_from=VALID_FROM, valid_to=VALID_TO)
    assert match(policy, ENTERPRISE, today) == (matched, reasons)
    assert policy_problems_now(policy, today) == ([] if matched else reasons)


def test_open_ended_validity() -> None:
    only_from = PolicySpec(kind="universal", scope_unit_code="3301", valid_from=VALID_FROM)
    only_to = PolicySpec(kind="universal", scope_unit_code="3301", valid_to=VALID_TO)
    assert match(only_from, ENTERPRISE, date(2099, 1, 1))[0]
    assert match(only_to, ENTERPRISE, date(2000, 1, 1))[0]


def test_withdrawn_matches_nobody() -> None:
    policy = PolicySpec(kind="universal", scope_unit_code="3301", withdrawn=True)
    assert match(policy, ENTERPRISE, TODAY) == (False, ["政策已撤回"])
    assert policy_problems_now(policy, TODAY) == ["政策已撤回"]


def test_the_design_example_combination() -> None:
    # "A district publishes a policy for 专精特新 manufacturers with 20–300 employees" (issue 18).
    policy = targeted(tags_any=("专精特新",), industries=("C",), min_employees=20, max_employees=300)
    assert match(policy, ENTERPRISE, TODAY) == (True, ["专精特新企业", "行业 C39", "员工 120 人"])


def test_every_condition_together_gives_reasons_in_table_order() -> None:
    policy = replace(targeted(tags_any=("外贸",), tags_all=("专精特新",), industries=("C39",),
                              scales=("medium",), key_levels=("district", "city"), min_employees=100),
                     valid_from=VALID_FROM, valid_to=VALID_TO)
    assert match(policy, ENTERPRISE, TODAY) == (
        True, ["外贸企业", "专精特新企业", "行业 C39", "中型企业", "区级重点企业", "员工 120 人"])


def test_the_same_tag_in_any_and_all_is_said_once() -> None:
    assert match(targeted(tags_any=("专精特新",), tags_all=("专精特新",)), ENTERPRISE, TODAY) == (
        True, ["专精特新企业"])


def test_unmatched_lists_every_failure_and_no_success() -> None:
    policy = replace(targeted(tags_any=("专精特新",), industries=("I",), scales=("large",), max_employees=50),
                     valid_to=date(2026, 5, 31))
    outsider = replace(ENTERPRISE, area_codes=HUSHU)
    assert match(policy, outsider, TODAY) == (False, [
        "政策已于 2026-05-31 到期", "企业不在西湖区辖区内", "行业 C39 不在适用行业（I）内",
        "中型企业不在适用规模（大型）内", "员工 120 人，不在适用范围（不超过 50 人）内",
    ])


def test_one_failing_condition_is_enough() -> None:
    policy = targeted(tags_any=("专精特新",), industries=("C",), scales=("large",))
    assert match(policy, ENTERPRISE, TODAY) == (False, ["中型企业不在适用规模（大型）内"])


def test_matcher_select_keeps_only_matches_with_reasons() -> None:
    policy = targeted(industries=("C",), min_employees=20)
    small = replace(ENTERPRISE, employees=5)
    outside = replace(ENTERPRISE, area_codes=HUSHU)
    assert Matcher(policy, TODAY).select([ENTERPRISE, small, outside]) == [(ENTERPRISE, ["行业 C39", "员工 120 人"])]


# —— properties: accepts == match, the SQL prefilter never drops a match —————————————————————————————

TAGS = ["专精特新", "外贸", "规上企业", "高新技术企业"]
INDUSTRIES = ["C", "C39", "C34", "I", "I65", "F51"]
AREAS = [XIXI, HUSHU, frozenset({"3302", "330201"})]
maybe = st.none() | st.integers(0, 400)

enterprises = st.builds(
    EnterpriseFacts, area_codes=st.sampled_from(AREAS), tags=st.frozensets(st.sampled_from(TAGS)),
    industry=st.none() | st.sampled_from(INDUSTRIES), scale=st.none() | st.sampled_from(["large", "medium", "small"]),
    key_level=st.none() | st.sampled_from(["city", "district", "street"]), employees=maybe)
targets = st.builds(
    PolicyTarget, tags_any=st.lists(st.sampled_from(TAGS), max_size=2).map(tuple),
    tags_all=st.lists(st.sampled_from(TAGS), max_size=2).map(tuple),
    industries=st.lists(st.sampled_from(INDUSTRIES), max_size=2).map(tuple),
    scales=st.lists(st.sampled_from(["large", "medium", "small", "micro"]), max_size=2).map(tuple),
    key_levels=st.lists(st.sampled_from(["city", "district"]), max_size=2).map(tuple),
    min_employees=maybe, max_employees=maybe)
policies = st.builds(
    PolicySpec, kind=st.sampled_from(["universal", "targeted"]), scope_unit_code=st.sampled_from(["3301", "330106",
                                                                                                    "330105001"]),
    target=targets, valid_from=st.none() | st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    valid_to=st.none() | st.dates(date(2026, 1, 1), date(2026, 12, 31)), withdrawn=st.booleans())


@given(policies, enterprises, st.dates(date(2026, 1, 1), date(2026, 12, 31)))
def test_accepts_agrees_with_match_and_the_prefilter_keeps_every_match(policy: PolicySpec,
                                                                       enterprise: EnterpriseFacts,
                                                                       today: date) -> None:
    matched, reasons = match(policy, enterprise, today)
    assert Matcher(policy, today).accepts(enterprise) is matched
    if not (policy.kind == "targeted" and policy.target.is_empty()):  # that one is refused by validate_target
        assert reasons, "a verdict always says why"
    if matched:
        assert prefilter_accepts(sql_prefilter(policy), enterprise)
    if policy_problems_now(policy, today):
        assert not matched


def test_prefilter_carries_only_the_sql_cheap_conditions() -> None:
    policy = targeted(tags_any=("专精特新",), industries=("C",), scales=("medium",), key_levels=("city",),
                      min_employees=20, max_employees=300)
    f = sql_prefilter(policy)
    assert (f.scope_unit_code, f.scales, f.key_levels, f.min_employees, f.max_employees) == (
        "330106", ("medium",), ("city",), 20, 300)
    assert not prefilter_accepts(f, replace(ENTERPRISE, employees=None))  # NULL compares false, as in SQL
    loose = sql_prefilter(targeted(min_employees=20, max_employees=300))
    for employees, kept in ((19, False), (20, True), (300, True), (301, False)):  # inclusive, as `match`
        assert prefilter_accepts(loose, replace(ENTERPRISE, employees=employees)) is kept
        assert match(targeted(min_employees=20, max_employees=300), replace(ENTERPRISE, employees=employees),
                     TODAY)[0] is kept
    universal = sql_prefilter(PolicySpec(kind="universal", scope_unit_code="3301", target=policy.target))
    assert (universal.scales, universal.min_employees) == ((), None)


# —— targets that can match nothing ——————————————————————————————————————————————————————————————————

PROBLEMS = [
    (targeted(min_employees=300, max_employees=20),
     [("target.min_employees", "最少员工人数 300 大于最多员工人数 20，没有企业能满足 (min_employees > max_employees)")]),
    (targeted(industries=("C39", "A39")),
     [("target.industries[1]", "大类 39（计算机、通信和其他电子设备制造业）属于门类 C（制造业），不属于门类 A，"
                               "应写作 C39 (division under wrong section)")]),
    (targeted(industries=("Z",)), [("target.industries[0]", "行业门类 Z 不存在，应为 GB/T 4754-2017 门类字母（A–T）"
                                                            "或门类字母加两位大类代码（如 C39） (unknown section)")]),
    (targeted(scales=("medium", "huge")),
     [("target.scales[1]", "未知的取值 'huge'，应为 large、medium、small、micro 之一 (unknown value)")]),
    (targeted(key_levels=("province",)),
     [("target.key_levels[0]", "未知的取值 'province'，应为 city、district、street 之一 (unknown value)")]),
    (targeted(min_employees=-1), [("target.min_employees", "员工人数应为非负整数，实际为 -1 (must be >= 0)")]),
    (targeted(tags_any=("专精特新", " ")), [("target.tags_any[1]", "标签不能为空 (blank tag)")]),
    (replace(targeted(scales=("small",)), valid_from=date(2026, 3, 1), valid_to=date(2026, 2, 28)),
     [("valid_to", "有效期截止日 2026-02-28 早于起始日 2026-03-01 (valid_to before valid_from)")]),
    (targeted(), [("target", "个性政策至少需要一项适用条件；面向所有企业请选择普惠政策 universal "
                             "(targeted policy without a target)")]),
    (PolicySpec(kind="universal", scope_unit_code="3301", target=PolicyTarget(scales=("small",))),
     [("target", "普惠政策面向辖区内所有企业，不能设置适用条件；需要条件请选择个性政策 targeted "
                 "(universal policy with a target)")]),
    (PolicySpec(kind="special", scope_unit_code="3301"),
     [("kind", "未知的政策类型 'special'，应为 universal（普惠）或 targeted（个性） (unknown kind)")]),
]


@pytest.mark.parametrize(("policy", "problems"), PROBLEMS)
def test_validate_target(policy: PolicySpec, problems: list[tuple[str, str]]) -> None:
    assert validate_target(policy) == problems


@pytest.mark.parametrize("policy", [
    targeted(min_employees=20, max_employees=20),  # a single value is a range
    targeted(tags_any=("专精特新",), industries=("C", "i65")),
    replace(targeted(scales=("small",)), valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 1)),
    PolicySpec(kind="universal", scope_unit_code="3301"),
])
def test_valid_targets_have_no_problems(policy: PolicySpec) -> None:
    assert validate_target(policy) == []


def test_all_problems_at_once() -> None:
    policy = replace(targeted(industries=("X1",), min_employees=9, max_employees=1),
                     valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1))
    assert [name for name, _ in validate_target(policy)] == ["target.industries[0]", "target.min_employees",
                                                            "valid_to"]
