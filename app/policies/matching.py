"""Which enterprises a policy fits, and why (DESIGN §12). Pure: no I/O, `today` injected.

`match(policy, enterprise, today) -> (matched, reasons)`. The rules are the table RULES below, read top to
bottom; a rule applies only when its condition is set, and an empty list or None is "no condition" (never
"nobody"). A matched enterprise gets the reasons of the rules it passed ("专精特新企业", "行业 C39", "员工 120 人");
an unmatched one gets the reasons of every rule it failed, so "why not us?" has an answer too. A targeted
condition never matches an enterprise whose fact is not on file: a push must not go out on a guess.

Where the work runs, to match one policy against 20k enterprises within 200 ms (DESIGN §10):
- policy-level rules (withdrawn, valid_from, valid_to) do not depend on the enterprise: `policy_problems_now`
  answers them once; an inactive policy matches nobody and needs no query;
- cheap SQL filters, from `sql_prefilter(policy)`: scope (the enterprise's street in the subtree of the scope
  unit), `scale IN (…)`, `key_level IN (…)`, `employees BETWEEN` (NULLs excluded when the condition is set,
  as here). `prefilter_accepts` is the same filter in Python, for the tests that prove it never drops an
  enterprise `match` would keep;
- the pure function for the rest (tags any/all, industry prefix) and for the reasons: the rows that pass the
  SQL filter go through `Matcher(policy, today).select(rows)` (rules chosen once per policy; reasons written
  only for the matches), so the SQL only narrows and `match` stays the single authority. Tags and industry
  could move to SQL too (array overlap, `LIKE 'C%'`), but need not: `select` over 20k enterprises with no
  prefilter at all took ~75 ms in pure Python (measured ad hoc on the shared 2-core machine; the wired query
  belongs in bench/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.enterprises.industry import InvalidIndustry, industry_matches, normalize_industry
from app.enums import KEY_LEVEL_LABELS, SCALE_LABELS, KeyLevel, Scale

__all__ = [
    "POLICY_LEVEL_RULES",
    "RULES",
    "EnterpriseFacts",
    "Matcher",
    "PolicyKind",
    "PolicySpec",
    "PolicyTarget",
    "Rule",
    "SqlPrefilter",
    "match",
    "policy_problems_now",
    "prefilter_accepts",
    "sql_prefilter",
    "validate_target",
]


class PolicyKind(StrEnum):
    universal = "universal"  # 普惠政策: every enterprise in scope
    targeted = "targeted"  # 个性政策: those meeting the target


@dataclass(frozen=True)
class PolicyTarget:
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()  # GB/T 4754-2017 门类 or 门类+大类, matched as prefixes
    scales: tuple[str, ...] = ()
    key_levels: tuple[str, ...] = ()
    min_employees: int | None = None
    max_employees: int | None = None

    def is_empty(self) -> bool:
        return not (self.tags_any or self.tags_all or self.industries or self.scales or self.key_levels
                    or self.min_employees is not None or self.max_employees is not None)


@dataclass(frozen=True)
class PolicySpec:
    """A policy as matching sees it. `scope_unit_code` is the issuer's area: the issuer itself when it is an
    area unit, the area it hangs under when it is a department (a 市经信局 policy reaches the whole city)."""

    kind: str
    scope_unit_code: str
    target: PolicyTarget = field(default_factory=PolicyTarget)
    valid_from: date | None = None  # inclusive
    valid_to: date | None = None  # inclusive
    withdrawn: bool = False
    scope_unit_name: str = ""  # for the reason text only


@dataclass(frozen=True)
class EnterpriseFacts:
    """`area_codes`: the unit codes of the enterprise's street and of every area above it (street, district,
    city), so scope is a set lookup, with no unit tree at hand."""

    area_codes: frozenset[str]
    tags: frozenset[str] = frozenset()
    industry: str | None = None
    scale: str | None = None
    key_level: str | None = None
    employees: int | None = None

    def __post_init__(self) -> None:
        # Callers pass lists from JSON columns; membership tests need sets.
        object.__setattr__(self, "area_codes", frozenset(self.area_codes))
        object.__setattr__(self, "tags", frozenset(self.tags))


P, E = PolicySpec, EnterpriseFacts
Test = Callable[[P, E, date], bool]


@dataclass(frozen=True)
class Rule:
    name: str  # the field it reads
    applies_when: str  # in words, for the reader of this table
    applies: Callable[[P], bool]
    test: Test
    failed: str  # reason when the test fails (a str.format template over the placeholders below)
    passed: str | None = None  # reason when it passes; None: nothing worth saying
    fact: str | None = None  # the enterprise fact the test reads; None on file fails with `missing`
    missing: str = ""


def _targeted(p: P) -> bool:
    return p.kind == PolicyKind.targeted


def _tag_label(tag: str) -> str:
    return tag if tag.endswith("企业") else f"{tag}企业"


def _employees_ok(p: P, e: E, today: date) -> bool:
    lo, hi, n = p.target.min_employees, p.target.max_employees, e.employees
    assert n is not None  # the rule's `fact` guarantees it
    return (lo is None or n >= lo) and (hi is None or n <= hi)


RULES: tuple[Rule, ...] = (
    Rule("withdrawn", "always", lambda p: True, lambda p, e, t: not p.withdrawn, "政策已撤回"),
    Rule("valid_from", "valid_from set", lambda p: p.valid_from is not None,
         lambda p, e, t: p.valid_from is None or t >= p.valid_from, "政策自 {valid_from} 起施行，尚未生效"),
    Rule("valid_to", "valid_to set", lambda p: p.valid_to is not None,
         lambda p, e, t: p.valid_to is None or t <= p.valid_to, "政策已于 {valid_to} 到期"),
    Rule("scope", "always", lambda p: True, lambda p, e, t: p.scope_unit_code in e.area_codes,
         "企业不在{scope}辖区内"),
    Rule("universal", "kind = universal", lambda p: p.kind == PolicyKind.universal, lambda p, e, t: True,
         "", passed="普惠政策"),
    Rule("tags_any", "targeted and tags_any not empty", lambda p: _targeted(p) and bool(p.target.tags_any),
         lambda p, e, t: not e.tags.isdisjoint(p.target.tags_any),
         "不具备以下任一标签：{tags_any}", passed="{tags_any_held}"),
    Rule("tags_all", "targeted and tags_all not empty", lambda p: _targeted(p) and bool(p.target.tags_all),
         lambda p, e, t: e.tags.issuperset(p.target.tags_all),
         "缺少标签：{tags_all_missing}", passed="{tags_all_held}"),
    Rule("industries", "targeted and industries not empty",
         lambda p: _targeted(p) and bool(p.target.industries),
         lambda p, e, t: any(industry_matches(prefix, e.industry) for prefix in p.target.industries),
         "行业 {industry} 不在适用行业（{industries}）内", passed="行业 {industry}",
         fact="industry", missing="未登记所属行业（适用行业：{industries}）"),
    Rule("scales", "targeted and scales not empty", lambda p: _targeted(p) and bool(p.target.scales),
         lambda p, e, t: e.scale in p.target.scales,
         "{scale}企业不在适用规模（{scales}）内", passed="{scale}企业",
         fact="scale", missing="未登记企业规模（适用规模：{scales}）"),
    Rule("key_levels", "targeted and key_levels not empty", lambda p: _targeted(p) and bool(p.target.key_levels),
         lambda p, e, t: e.key_level in p.target.key_levels,
         "非{key_levels}重点企业", passed="{key_level}重点企业",
         fact="key_level", missing="非{key_levels}重点企业"),
    Rule("employees", "targeted and min_employees or max_employees set",
         lambda p: _targeted(p) and (p.target.min_employees is not None or p.target.max_employees is not None),
         _employees_ok, "员工 {employees} 人，不在适用范围（{employee_range}）内", passed="员工 {employees} 人",
         fact="employees", missing="未登记员工人数（适用范围：{employee_range}）"),
)


def _labels(codes: Iterable[str], labels: dict[Any, str]) -> str:
    return "、".join(labels.get(code, code) for code in codes)


def _employee_range(p: P) -> str:
    lo, hi = p.target.min_employees, p.target.max_employees
    if lo is not None and hi is not None:
        return f"{lo}–{hi} 人"
    return f"不少于 {lo} 人" if lo is not None else f"不超过 {hi} 人"


# Placeholders of the templates above, computed only when a reason is written (see _Context).
_PLACEHOLDERS: dict[str, Callable[[P, E], str]] = {
    "valid_from": lambda p, e: str(p.valid_from),
    "valid_to": lambda p, e: str(p.valid_to),
    "scope": lambda p, e: p.scope_unit_name or f"发布单位（{p.scope_unit_code}）",
    "tags_any": lambda p, e: "、".join(p.target.tags_any),
    "tags_any_held": lambda p, e: "、".join(_tag_label(t) for t in p.target.tags_any if t in e.tags),
    "tags_all_held": lambda p, e: "、".join(_tag_label(t) for t in p.target.tags_all),
    "tags_all_missing": lambda p, e: "、".join(t for t in p.target.tags_all if t not in e.tags),
    "industry": lambda p, e: normalize_industry(e.industry) if e.industry else "",
    "industries": lambda p, e: "、".join(p.target.industries),
    "scale": lambda p, e: _labels([e.scale or ""], SCALE_LABELS),
    "scales": lambda p, e: _labels(p.target.scales, SCALE_LABELS),
    "key_level": lambda p, e: _labels([e.key_level or ""], KEY_LEVEL_LABELS),
    "key_levels": lambda p, e: _labels(p.target.key_levels, KEY_LEVEL_LABELS).replace("、", "或"),
    "employees": lambda p, e: str(e.employees),
    "employee_range": lambda p, e: _employee_range(p),
}


class _Context(dict[str, str]):
    """Lazy placeholder values: matching 20k enterprises must not format 15 strings for each."""

    def __init__(self, p: P, e: E) -> None:
        super().__init__()
        self.p, self.e = p, e

    def __missing__(self, key: str) -> str:
        value = self[key] = _PLACEHOLDERS[key](self.p, self.e)
        return value


class Matcher:
    """`match` for one policy and day, with the applicable rules chosen once (the policy does not change
    from one enterprise to the next)."""

    def __init__(self, policy: PolicySpec, today: date, only: Iterable[str] | None = None) -> None:
        self.policy, self.today = policy, today
        names = None if only is None else frozenset(only)
        self.rules = tuple(rule for rule in RULES if rule.applies(policy) and (names is None or rule.name in names))

    def __call__(self, enterprise: EnterpriseFacts) -> tuple[bool, list[str]]:
        p, e, ctx = self.policy, enterprise, None
        passed: list[str] = []
        failed: list[str] = []
        for rule in self.rules:
            if rule.fact is not None and getattr(e, rule.fact) is None:
                template: str | None = rule.missing
                bucket = failed
            elif rule.test(p, e, self.today):
                template, bucket = rule.passed, passed
            else:
                template, bucket = rule.failed, failed
            if template is None:
                continue
            if failed and bucket is passed:
                continue  # already unmatched: only the failures will be shown
            ctx = ctx or _Context(p, e)
            bucket.append(template.format_map(ctx))
        # tags_any and tags_all may name the same tag: say it once.
        return (not failed, list(dict.fromkeys(failed or passed)))

    def accepts(self, enterprise: EnterpriseFacts) -> bool:
        """`self(enterprise)[0]` without writing any reason, stopping at the first failed rule."""
        p, e, today = self.policy, enterprise, self.today
        return all((rule.fact is None or getattr(e, rule.fact) is not None) and rule.test(p, e, today)
                   for rule in self.rules)

    def select(self, enterprises: Iterable[EnterpriseFacts]) -> list[tuple[EnterpriseFacts, list[str]]]:
        """The matched enterprises with their reasons; reasons are written for those only."""
        return [(e, self(e)[1]) for e in enterprises if self.accepts(e)]


# Rules that read only the policy: an inactive policy matches nobody, whatever the enterprise.
POLICY_LEVEL_RULES: tuple[str, ...] = ("withdrawn", "valid_from", "valid_to")


def match(policy: PolicySpec, enterprise: EnterpriseFacts, today: date) -> tuple[bool, list[str]]:
    return Matcher(policy, today)(enterprise)


def policy_problems_now(policy: PolicySpec, today: date) -> list[str]:
    """Reasons the policy matches nobody today (withdrawn, not yet valid, expired); empty when active."""
    matched, reasons = Matcher(policy, today, only=POLICY_LEVEL_RULES)(EnterpriseFacts(frozenset()))
    return [] if matched else reasons


@dataclass(frozen=True)
class SqlPrefilter:
    """WHERE clauses the database can apply before `match` (None / empty: no clause)."""

    scope_unit_code: str  # enterprise street in the subtree of this unit
    scales: tuple[str, ...] = ()  # scale IN (…), NULL excluded
    key_levels: tuple[str, ...] = ()  # key_level IN (…), NULL excluded
    min_employees: int | None = None  # employees >= …, NULL excluded
    max_employees: int | None = None  # employees <= …, NULL excluded


def sql_prefilter(policy: PolicySpec) -> SqlPrefilter:
    if policy.kind != PolicyKind.targeted:
        return SqlPrefilter(policy.scope_unit_code)
    t = policy.target
    return SqlPrefilter(policy.scope_unit_code, t.scales, t.key_levels, t.min_employees, t.max_employees)


def prefilter_accepts(f: SqlPrefilter, e: EnterpriseFacts) -> bool:
    """The SQL prefilter's semantics in Python (NULL compares false, as in SQL)."""
    n = e.employees
    return (f.scope_unit_code in e.area_codes
            and (not f.scales or e.scale in f.scales)
            and (not f.key_levels or e.key_level in f.key_levels)
            and (f.min_employees is None or (n is not None and n >= f.min_employees))
            and (f.max_employees is None or (n is not None and n <= f.max_employees)))


def _non_negative_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _blank_items(name: str, items: Sequence[str]) -> list[tuple[str, str]]:
    return [(f"{name}[{i}]", "标签不能为空 (blank tag)") for i, tag in enumerate(items) if not tag.strip()]


def validate_target(policy: PolicySpec) -> list[tuple[str, str]]:
    """Every reason the policy could match nobody, or is self-contradictory, as (field path in the request
    body, Chinese message). Empty lists are fine: they mean "no condition"."""
    problems: list[tuple[str, str]] = []
    t = policy.target
    if policy.kind not in PolicyKind.__members__:
        problems.append(("kind", f"未知的政策类型 {policy.kind!r}，应为 universal（普惠）或 targeted（个性） "
                                 "(unknown kind)"))
    elif policy.kind == PolicyKind.universal and not t.is_empty():
        problems.append(("target", "普惠政策面向辖区内所有企业，不能设置适用条件；需要条件请选择个性政策 "
                                   "targeted (universal policy with a target)"))
    elif policy.kind == PolicyKind.targeted and t.is_empty():
        problems.append(("target", "个性政策至少需要一项适用条件；面向所有企业请选择普惠政策 universal "
                                   "(targeted policy without a target)"))
    problems += _blank_items("target.tags_any", t.tags_any) + _blank_items("target.tags_all", t.tags_all)
    for i, code in enumerate(t.industries):
        try:
            normalize_industry(code)
        except InvalidIndustry as exc:
            problems.append((f"target.industries[{i}]", str(exc)))
    for name, items, allowed in (("scales", t.scales, Scale), ("key_levels", t.key_levels, KeyLevel)):
        known = "、".join(member.value for member in allowed)
        problems += [(f"target.{name}[{i}]", f"未知的取值 {item!r}，应为 {known} 之一 (unknown value)")
                     for i, item in enumerate(items) if item not in allowed.__members__]
    bounds_ok = True
    for name in ("min_employees", "max_employees"):
        value = getattr(t, name)
        if value is not None and not _non_negative_int(value):
            bounds_ok = False
            problems.append((f"target.{name}", f"员工人数应为非负整数，实际为 {value!r} (must be >= 0)"))
    lo, hi = t.min_employees, t.max_employees
    if bounds_ok and lo is not None and hi is not None and lo > hi:
        problems.append(("target.min_employees", f"最少员工人数 {lo} 大于最多员工人数 {hi}，没有企业能满足 "
                                                 "(min_employees > max_employees)"))
    if policy.valid_from is not None and policy.valid_to is not None and policy.valid_to < policy.valid_from:
        problems.append(("valid_to", f"有效期截止日 {policy.valid_to} 早于起始日 {policy.valid_from} "
                                     "(valid_to before valid_from)"))
    return problems
