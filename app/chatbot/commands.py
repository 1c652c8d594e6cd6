"""Pure parser for liaison commands typed in DingTalk (DESIGN §7).

Messages arrive as free text typed on phones, so the parser is tolerant: a leading @mention, full-width
spaces and punctuation, English aliases, numbers without prefix or dash. Free text (progress, replies,
reasons) is kept exactly as typed apart from surrounding whitespace, because it may be shown to the
enterprise. No I/O: authorisation and state changes are the caller's job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "HELP_TEXT",
    "RESOLUTION_CODES",
    "Command",
    "ParseError",
    "Verb",
    "help_text",
    "normalise_number",
    "parse",
]


class Verb(StrEnum):
    help = "help"
    todo = "todo"
    query = "query"
    sign = "sign"
    progress = "progress"
    request_info = "request_info"
    resolve = "resolve"
    return_ = "return"
    escalate = "escalate"
    extend = "extend"
    my_enterprises = "my_enterprises"
    visit = "visit"


@dataclass(frozen=True)
class Command:
    verb: Verb
    number: str | None = None
    text: str | None = None
    days: int | None = None
    resolution_code: str | None = None
    target: str | None = None  # 走访: the USCC or a keyword of the enterprise's name


@dataclass(frozen=True)
class ParseError:
    message: str  # Chinese, shown to the liaison as the bot's reply
    verb: Verb | None = None  # set when the verb was recognised but its arguments were not


# Resolution codes a liaison may name when resolving; None on the Command means "caller applies 已解决".
RESOLUTION_CODES: tuple[str, ...] = ("已解决", "部分解决", "已解释答复", "暂不具备解决条件", "非政府职责")

_ALIASES: dict[Verb, tuple[str, ...]] = {
    Verb.help: ("帮助", "help", "?", "？", "菜单"),
    Verb.todo: ("待办", "todo", "待处理", "我的待办"),
    Verb.query: ("查询", "query", "查看", "详情"),
    Verb.sign: ("签收", "受理", "sign", "接单"),
    Verb.progress: ("进展", "progress", "进度", "反馈进展"),
    Verb.request_info: ("补充", "request_info", "要求补充", "补充材料"),
    Verb.resolve: ("办结", "resolve", "完成", "已办结"),
    Verb.return_: ("退回", "return", "回退"),
    Verb.escalate: ("提级", "escalate", "上报", "升级"),
    Verb.extend: ("延期", "extend", "申请延期"),
    Verb.my_enterprises: ("我的企业", "my_enterprises", "结对企业", "我的结对企业"),
    Verb.visit: ("走访", "visit", "走访登记", "登记走访"),
}
# Longest first so "补充材料 ZQ…" matches "补充材料", not "补充" with "材料" left over as the number.
_ALIAS_LIST: list[tuple[str, Verb]] = sorted(
    ((alias.lower(), verb) for verb, aliases in _ALIASES.items() for alias in aliases),
    key=lambda item: -len(item[0]),
)

_NEEDS_NUMBER = frozenset(Verb) - {Verb.help, Verb.todo, Verb.my_enterprises, Verb.visit}
_NEEDS_TEXT = frozenset({Verb.progress, Verb.request_info, Verb.resolve, Verb.return_, Verb.escalate, Verb.extend})

_USAGE: dict[Verb, str] = {
    Verb.help: "帮助",
    Verb.todo: "待办",
    Verb.query: "查询 <诉求编号>",
    Verb.sign: "签收 <诉求编号>",
    Verb.progress: "进展 <诉求编号> <进展内容>",
    Verb.request_info: "补充 <诉求编号> <需要企业补充的内容>",
    Verb.resolve: "办结 <诉求编号> [办结类型] <答复内容>",
    Verb.return_: "退回 <诉求编号> <退回原因>",
    Verb.escalate: "提级 <诉求编号> <提级原因>",
    Verb.extend: "延期 <诉求编号> <天数> <原因>",
    Verb.my_enterprises: "我的企业",
    Verb.visit: "走访 <信用代码或企业名称关键词> <走访情况>",
}
_EXAMPLES: dict[Verb, str] = {
    Verb.help: "帮助",
    Verb.todo: "待办",
    Verb.query: "查询 {p}2026-000123",
    Verb.sign: "签收 {p}2026-000123",
    Verb.progress: "进展 {p}2026-000123 已联系供电公司现场查看",
    Verb.request_info: "补充 {p}2026-000123 请上传近三个月电费单",
    Verb.resolve: "办结 {p}2026-000123 [部分解决] 已协调银行放款",
    Verb.return_: "退回 {p}2026-000123 属市场监管局职责",
    Verb.escalate: "提级 {p}2026-000123 需区里协调用地指标",
    Verb.extend: "延期 {p}2026-000123 3天 等待规划局意见",
    Verb.my_enterprises: "我的企业",
    Verb.visit: "走访 西溪智造 了解新厂房投产进度，企业反映用电增容较慢",
}


def _usage(verb: Verb, prefix: str, problem: str = "") -> ParseError:
    example = _EXAMPLES[verb].format(p=prefix)
    head = f"{problem}\n" if problem else ""
    extra = f"\n办结类型可选：{'、'.join(RESOLUTION_CODES)}（默认 已解决）" if verb is Verb.resolve else ""
    return ParseError(f"{head}用法：{_USAGE[verb]}\n例如：{example}{extra}", verb)


def help_text(prefix: str = "ZQ") -> str:
    """Markdown menu; HELP_TEXT is this for the default prefix."""
    lines = ["**助企机器人指令**", ""]
    for verb in Verb:
        aliases = "、".join(_ALIASES[verb][1:])
        example = _EXAMPLES[verb].format(p=prefix)
        lines.append(f"- `{_USAGE[verb]}`（也可用：{aliases}）  \n  例：{example}")
    lines += ["", f"诉求编号格式 {prefix}2026-000123，也可写 2026-000123 或 {prefix}2026000123。"]
    return "\n".join(lines)


HELP_TEXT: str = help_text("ZQ")

_DASHES = "-－—–_/"  # NFKC folds － but not the em/en dashes people get from IMEs
_NUMBER_BODY = re.compile(rf"(?:(?P<year>[0-9]{{4}})[{re.escape(_DASHES)}](?P<seq>[0-9]{{1,6}})|(?P<digits>[0-9]+))")
_MIN_YEAR, _MAX_YEAR = 2000, 2099  # keeps a 10-digit phone-like run from being read as year+sequence


def _number_or_reason(raw: str, year: int | None, prefix: str) -> tuple[str | None, str]:
    """Canonical number, or (None, reason in Chinese). Shared by normalise_number and parse."""
    s = unicodedata.normalize("NFKC", raw).strip().upper().lstrip("#")
    s = s.strip("[]【】()（）「」《》<>").rstrip("。.!！,，;；")
    prefix = prefix.upper()
    if prefix and s.startswith(prefix):
        s = s[len(prefix) :].lstrip("- ")  # "ZQ-2026-000123", "ZQ 2026-000123"
    match = _NUMBER_BODY.fullmatch(s)
    if not match:
        return None, f"无法识别诉求编号「{raw.strip()}」"
    if match["digits"] is not None:
        digits = match["digits"]
        if len(digits) == 10:  # year + 6-digit sequence typed without the dash
            y, seq = int(digits[:4]), int(digits[4:])
        elif len(digits) <= 6:  # sequence only: the year has to come from the caller
            if year is None:
                return None, f"请填写完整的诉求编号，例如 {prefix}2026-{int(digits):06d}"
            y, seq = year, int(digits)
        else:
            return None, f"无法识别诉求编号「{raw.strip()}」"
    else:
        y, seq = int(match["year"]), int(match["seq"])
    if not _MIN_YEAR <= y <= _MAX_YEAR or seq == 0:
        return None, f"无法识别诉求编号「{raw.strip()}」"
    return f"{prefix}{y:04d}-{seq:06d}", ""


def normalise_number(raw: str, *, year: int | None = None, prefix: str = "ZQ") -> str | None:
    """Canonical `ZQ2026-000123` from the forms liaisons type, or None if it cannot be one.

    "zq2026-000123", "2026-000123", "ZQ2026000123", "#123" (with year) all normalise; a bare sequence
    without `year` returns None because guessing the year would act on the wrong appeal in January.
    """
    return _number_or_reason(raw, year, prefix)[0]


_MENTION = re.compile(r"^(?:\s*[@＠]\S*(?:\s+|$))+")
# Separators allowed between verb and arguments (NFKC is not applied to the free text, so list both widths).
_SEP = " \t\r\n\u3000:：,，、;；"
_NUMBER_TOKEN = re.compile(
    r"[\[【(（「《<]?[#＃]?(?:[A-Za-zＡ-Ｚａ-ｚ]+[-－ ]?)?[0-9０-９]+(?:[-－—–_/][0-9０-９]+)?[\]】)）」》>]?"
)
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DAYS = re.compile(r"(?P<n>[0-9０-９]{1,3}|[零一二两三四五六七八九十]{1,3})\s*(?:个)?(?:工作日|自然日|天|日)?")
_MAX_DAYS = 365  # a bigger number is a typo (e.g. the sequence typed twice), not a real request
_OPEN_BRACKETS, _CLOSE_BRACKETS = "[【［(（", "]】］)）"
_TRAILING = "。！!.．~～"


def _cn_number(s: str) -> int | None:
    """一..九十九 in the forms people type: 三, 十, 十五, 二十, 二十五."""
    if s.isdigit():
        return int(unicodedata.normalize("NFKC", s))
    if "十" not in s:
        return _CN_DIGITS[s] if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if "十" in ones or (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _clean_text(s: str) -> str | None:
    """Strip separators around free text; None when nothing meaningful (only punctuation) is left."""
    s = s.strip(_SEP)
    return s if any(ch.isalnum() for ch in s) else None


def _split_resolution(text: str) -> tuple[str | None, str]:
    """Pull a resolution code from the start (bracketed or bare) or the end (bracketed) of the reply."""
    for code in RESOLUTION_CODES:
        for open_, close in zip(_OPEN_BRACKETS, _CLOSE_BRACKETS):
            if text.startswith(open_ + code + close):
                return code, text[len(code) + 2 :]
            if text.rstrip(_TRAILING).endswith(open_ + code + close):
                return code, text.rstrip(_TRAILING)[: -(len(code) + 2)]
        # A bare code must be followed by a separator, so "已解决贷款问题" stays reply text.
        if text.startswith(code) and (len(text) == len(code) or text[len(code)] in _SEP + "。"):
            return code, text[len(code) :]
    return None, text


def _match_verb(s: str) -> tuple[Verb, str] | None:
    lowered = s.lower()
    for alias, verb in _ALIAS_LIST:
        if lowered.startswith(alias):
            rest = s[len(alias) :]
            # English aliases need a word boundary so "signal" is not "sign" + "al".
            if alias.isascii() and alias.isalpha() and rest[:1].isascii() and rest[:1].isalpha():
                continue
            return verb, rest
    return None


def parse(content: str, *, number_prefix: str = "ZQ", year: int | None = None) -> Command | ParseError:
    """Parse one chatbot message. `year` (optional) lets a bare sequence like "123" resolve."""
    s = _MENTION.sub("", content).strip(_SEP)
    s = s.lstrip("/／")  # some people type slash-commands out of habit
    if not s.strip(_SEP + _TRAILING):
        return Command(Verb.help)  # a bare @mention is a request for the menu
    matched = _match_verb(s)
    if matched is None:
        word = re.split(rf"[{_SEP}]", s, maxsplit=1)[0][:10]
        return ParseError(f"无法识别的指令「{word}」。发送「帮助」查看可用指令。")
    verb, rest = matched
    if verb is Verb.visit:
        return _visit(rest, number_prefix)
    if verb not in _NEEDS_NUMBER:
        return Command(verb)

    rest = rest.strip(_SEP)
    token = _NUMBER_TOKEN.match(rest)
    if not rest or token is None:
        return _usage(verb, number_prefix, "缺少诉求编号。" if not rest.strip(_TRAILING) else "无法识别诉求编号。")
    number, reason = _number_or_reason(token.group(), year, number_prefix)
    if number is None:
        return _usage(verb, number_prefix, reason + "。")
    rest = rest[token.end() :].strip(_SEP)

    days: int | None = None
    if verb is Verb.extend:
        m = _DAYS.match(rest)
        days = _cn_number(m["n"]) if m else None
        if m is None or days is None or not 1 <= days <= _MAX_DAYS:
            return _usage(verb, number_prefix, f"请填写延期天数（1-{_MAX_DAYS}）。")
        rest = rest[m.end() :].strip(_SEP)

    code: str | None = None
    if verb is Verb.resolve:
        code, rest = _split_resolution(rest)

    text = _clean_text(rest)
    if verb in _NEEDS_TEXT and text is None:
        missing = {
            Verb.progress: "进展内容",
            Verb.request_info: "需要企业补充的内容",
            Verb.resolve: "答复内容",
        }.get(verb, "原因")
        return _usage(verb, number_prefix, f"缺少{missing}。")
    return Command(verb, number=number, text=text, days=days, resolution_code=code)


def _visit(rest: str, prefix: str) -> Command | ParseError:
    """`走访 <信用代码或企业名称关键词> <走访情况>`: the first word names the enterprise, the rest is the summary."""
    rest = rest.strip(_SEP)
    parts = re.split(rf"[{_SEP}]+", rest, maxsplit=1)
    target = parts[0].strip("[]【】()（）「」《》<>") if rest else ""
    if not target:
        return _usage(Verb.visit, prefix, "缺少企业（统一社会信用代码或企业名称关键词）。")
    text = _clean_text(parts[1]) if len(parts) > 1 else None
    if text is None:
        return _usage(Verb.visit, prefix, "缺少走访情况。")
    return Command(Verb.visit, target=target, text=text)
