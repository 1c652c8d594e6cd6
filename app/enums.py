"""Codes shared by every domain. Stored as strings; these are the wire values of DESIGN §8.1."""

from enum import StrEnum


class Urgency(StrEnum):
    red = "red"
    yellow = "yellow"
    green = "green"


URGENCY_RANK: dict[Urgency, int] = {Urgency.green: 0, Urgency.yellow: 1, Urgency.red: 2}
URGENCY_LABELS: dict[Urgency, str] = {Urgency.red: "红", Urgency.yellow: "黄", Urgency.green: "绿"}


class Tier(StrEnum):
    street = "street"
    district = "district"
    city = "city"


TIER_LABELS: dict[Tier, str] = {Tier.street: "街道", Tier.district: "区县", Tier.city: "市"}


class UnitKind(StrEnum):
    area = "area"
    department = "department"


class Status(StrEnum):
    submitted = "submitted"
    in_progress = "in_progress"
    pending_info = "pending_info"
    returned = "returned"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"
    withdrawn = "withdrawn"
    merged = "merged"


STATUS_LABELS: dict[Status, str] = {
    Status.submitted: "待签收",
    Status.in_progress: "办理中",
    Status.pending_info: "待补充",
    Status.returned: "已退回",
    Status.resolved: "已办结",
    Status.closed: "已结案",
    Status.rejected: "不予受理",
    Status.withdrawn: "已撤回",
    Status.merged: "已合并",
}
OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.submitted, Status.in_progress, Status.pending_info, Status.returned, Status.resolved}
)


class Category(StrEnum):
    funding = "funding"
    land = "land"
    labour = "labour"
    talent = "talent"
    energy = "energy"
    approval = "approval"
    market = "market"
    supply_chain = "supply_chain"
    policy = "policy"
    other = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.funding: "资金",
    Category.land: "用地",
    Category.labour: "用工",
    Category.talent: "人才",
    Category.energy: "能源",
    Category.approval: "审批",
    Category.market: "市场",
    Category.supply_chain: "产业链",
    Category.policy: "政策",
    Category.other: "其他",
}


class Source(StrEnum):
    mini_program = "mini_program"
    visit = "visit"
    hotline = "hotline"
    chatbot = "chatbot"
    api = "api"


class AppealKind(StrEnum):
    individual = "individual"
    common = "common"
    institutional = "institutional"


class SlaState(StrEnum):
    on_track = "on_track"
    due_soon = "due_soon"
    overdue = "overdue"


class Role(StrEnum):
    city_admin = "city_admin"
    district_admin = "district_admin"
    street_admin = "street_admin"
    liaison = "liaison"
    system = "system"
    enterprise = "enterprise"


ADMIN_ROLES: frozenset[Role] = frozenset({Role.city_admin, Role.district_admin, Role.street_admin})


class Rating(StrEnum):
    """An enterprise's rating of a resolved appeal (in-app or on the phone callback 回访)."""

    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


RATING_LABELS: dict[Rating, str] = {
    Rating.satisfied: "满意",
    Rating.basically_satisfied: "基本满意",
    Rating.dissatisfied: "不满意",
}
SATISFIED_RATINGS: frozenset[Rating] = frozenset({Rating.satisfied, Rating.basically_satisfied})


# Enterprise facts for matching and reports (DESIGN §11).
class Scale(StrEnum):
    """企业规模 as in 统计上大中小微型企业划分办法."""

    large = "large"
    medium = "medium"
    small = "small"
    micro = "micro"


SCALE_LABELS: dict[Scale, str] = {Scale.large: "大型", Scale.medium: "中型", Scale.small: "小型", Scale.micro: "微型"}


class KeyLevel(StrEnum):
    """重点企业: the tier whose list the enterprise is on (市级/区级/街道级重点企业)."""

    city = "city"
    district = "district"
    street = "street"


KEY_LEVEL_LABELS: dict[KeyLevel, str] = {KeyLevel.city: "市级", KeyLevel.district: "区级", KeyLevel.street: "街道级"}


class VisitMode(StrEnum):
    """走访方式 (DESIGN §11)."""

    on_site = "on_site"
    phone = "phone"
    video = "video"
    meeting = "meeting"


VISIT_MODE_LABELS: dict[VisitMode, str] = {
    VisitMode.on_site: "上门走访", VisitMode.phone: "电话联系", VisitMode.video: "视频连线", VisitMode.meeting: "座谈会",
}


# Policies (DESIGN §12).
class PolicyBenefit(StrEnum):
    subsidy = "subsidy"
    tax = "tax"
    finance = "finance"
    talent = "talent"
    land = "land"
    energy = "energy"
    market = "market"
    other = "other"


BENEFIT_LABELS: dict[PolicyBenefit, str] = {
    PolicyBenefit.subsidy: "资金补贴", PolicyBenefit.tax: "税费减免", PolicyBenefit.finance: "金融支持",
    PolicyBenefit.talent: "人才政策", PolicyBenefit.land: "用地保障", PolicyBenefit.energy: "能源保障",
    PolicyBenefit.market: "市场开拓", PolicyBenefit.other: "其他",
}


class PolicyStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"


class Outcome(StrEnum):
    """兑现 outcome of one delivery."""

    granted = "granted"
    not_eligible = "not_eligible"
    declined = "declined"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.granted: "已兑现", Outcome.not_eligible: "不符合条件", Outcome.declined: "企业放弃",
}
