"""Chinese field messages for validation errors, kept as data: pydantic error type → template (str.format over the
error's ctx), and wire code → Chinese label for enum errors. app.core.http renders a 422 from these; the English
original follows in brackets so a developer can still search for it.

A type missing from TEMPLATES still gets a Chinese message (FALLBACK); add it here when the API starts raising it.
"""

from __future__ import annotations

import re
from typing import Any

from app.enums import CATEGORY_LABELS, RATING_LABELS, STATUS_LABELS, TIER_LABELS, URGENCY_LABELS

TEMPLATES: dict[str, str] = {
    "missing": "必填项，不能缺少",
    "extra_forbidden": "不支持的字段（接口未定义此字段）",
    "string_type": "必须是字符串",
    "string_unicode": "必须是合法的 Unicode 字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数，不能带小数",
    "int_parsing_size": "整数超出允许范围",
    "float_type": "必须是数字",
    "float_parsing": "必须是数字",
    "finite_number": "必须是有限的数字",
    "decimal_type": "必须是数字",
    "decimal_parsing": "必须是数字",
    "decimal_max_digits": "数字位数不能超过 {max_digits} 位",
    "decimal_max_places": "小数位数不能超过 {decimal_places} 位",
    "bool_type": "必须是布尔值 true 或 false",
    "bool_parsing": "必须是布尔值 true 或 false",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "必须是 {multiple_of} 的倍数",
    "list_type": "必须是数组",
    "tuple_type": "必须是数组",
    "set_type": "必须是数组",
    "set_item_not_hashable": "数组元素类型不正确",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多只能有 {max_length} 项",
    "dict_type": "必须是 JSON 对象",
    "model_type": "必须是 JSON 对象",
    "model_attributes_type": "必须是 JSON 对象",
    "dataclass_type": "必须是 JSON 对象",
    "date_type": "必须是 YYYY-MM-DD 格式的日期",
    "date_parsing": "必须是 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "必须是 YYYY-MM-DD 格式的日期",
    "date_from_datetime_inexact": "必须是 YYYY-MM-DD 格式的日期，不能带时间",
    "date_past": "必须是过去的日期",
    "date_future": "必须是将来的日期",
    "datetime_type": "必须是 ISO 8601 日期时间，如 2026-05-01T09:00:00+08:00",
    "datetime_parsing": "必须是 ISO 8601 日期时间，如 2026-05-01T09:00:00+08:00",
    "datetime_from_date_parsing": "必须是 ISO 8601 日期时间，如 2026-05-01T09:00:00+08:00",
    "datetime_object_invalid": "日期时间无效",
    "timezone_aware": "日期时间必须带时区，如 +08:00",
    "timezone_naive": "日期时间不能带时区",
    "time_type": "必须是 HH:MM[:SS] 格式的时间",
    "time_parsing": "必须是 HH:MM[:SS] 格式的时间",
    "time_delta_type": "必须是时长",
    "time_delta_parsing": "必须是时长",
    "uuid_type": "必须是 UUID",
    "uuid_parsing": "必须是 UUID",
    "url_type": "必须是合法的网址",
    "url_parsing": "必须是合法的网址",
    "url_syntax_violation": "必须是合法的网址",
    "url_too_long": "网址不能超过 {max_length} 个字符",
    "url_scheme": "网址协议必须是 {expected_schemes}",
    "bytes_type": "必须是字节串",
    "bytes_too_short": "长度不能少于 {min_length} 字节",
    "bytes_too_long": "长度不能超过 {max_length} 字节",
    "json_type": "必须是 JSON 字符串",
    "none_required": "必须为 null",
    "is_instance_of": "类型不正确",
    "union_tag_invalid": "类型标识 {tag} 无效，必须是 {expected_tags}",
    "union_tag_not_found": "缺少类型标识 {discriminator}",
    "frozen_field": "该字段不可修改",
    "no_such_attribute": "不支持的字段",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "enum": "必须是 {expected}",
    "literal_error": "必须是 {expected}",
}
FALLBACK = "取值无效"

# Wire codes → Chinese labels, for the enum messages (`category 必须是 funding（资金）、land（用地）…`).
CODE_LABELS: dict[str, str] = {
    **{str(k): v for k, v in CATEGORY_LABELS.items()},
    **{str(k): v for k, v in TIER_LABELS.items()},
    **{str(k): v for k, v in URGENCY_LABELS.items()},
    **{str(k): v for k, v in STATUS_LABELS.items()},
    **{str(k): v for k, v in RATING_LABELS.items()},
    "on_track": "正常", "due_soon": "即将到期", "overdue": "已超期",
    "mini_program": "小程序", "visit": "走访", "hotline": "热线", "chatbot": "钉钉机器人", "api": "接口",
    "individual": "个性问题", "common": "共性问题", "institutional": "体制机制性问题",
    "area": "属地", "department": "部门",
    "city_admin": "市级管理员", "district_admin": "区县管理员", "street_admin": "街道管理员", "liaison": "服务专员",
    "system": "系统", "enterprise": "企业",
    "dingtalk": "钉钉", "wecom": "企业微信", "feishu": "飞书", "webhook": "通用 Webhook", "wechat": "微信",
    "sign": "签收", "progress": "进展", "request_info": "要求补充材料", "supplement": "补充材料", "resolve": "办结",
    "return": "退回", "reroute": "改派", "escalate": "提级", "delegate": "下派", "cohandle": "协办",
    "extend": "延期", "urge": "催办", "supervise": "督办", "rate": "评价", "close": "结案", "reject": "不予受理",
    "withdraw": "撤回", "merge": "合并", "recolor": "调整颜色",
    "approve": "同意", "deny": "不同意",
    "pending": "待处理", "reached": "已接通", "not_reached": "未接通", "refused": "企业拒绝回访",
    "open": "未解决", "week": "周", "month": "月",
    "minutes": "分钟", "hours": "小时", "working_days": "工作日",
}

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def allowed_values(expected: str) -> str:
    """pydantic's "'funding', 'land' or 'other'" → "funding（资金）、land（用地）、other（其他）"."""
    codes = _QUOTED.findall(expected) or [expected]
    return "、".join(f"{c}（{CODE_LABELS[c]}）" if c in CODE_LABELS else c for c in codes)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def field_message(error: dict[str, Any]) -> str:
    """One pydantic error (as FastAPI reports it) → its Chinese message."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    english = str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        # Our validators raise ValueError("中文 (english)"): their text alone, without pydantic's "Value error, ".
        custom = str(ctx.get("error", "")) or english.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return custom if has_chinese(custom) else f"{FALLBACK} ({custom})"
    if kind in ("enum", "literal_error"):
        return f"必须是 {allowed_values(str(ctx.get('expected', '')))} 之一"
    template = TEMPLATES.get(kind, FALLBACK)
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError):
        text = TEMPLATES.get(kind, FALLBACK).split("{")[0].rstrip() or FALLBACK
    return f"{text} ({english})" if english else text


def json_syntax_message(document: Any, position: Any, reason: str) -> str:
    """A JSON body that does not parse: where (line and column, as an editor counts them) and what was found."""
    if not isinstance(document, str) or not isinstance(position, int):
        return f"请求体不是合法的 JSON ({reason})"
    line = document.count("\n", 0, position) + 1
    column = position - (document.rfind("\n", 0, position) + 1) + 1
    found = document[position:position + 1]
    near = f"，此处为“{found}”" if found.strip() else ""
    return f"请求体不是合法的 JSON：第 {line} 行第 {column} 列{near} ({reason}: line {line} column {column})"
