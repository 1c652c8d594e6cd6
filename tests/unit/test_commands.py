"""Chatbot command parser: real-looking DingTalk phrasings, number forms and error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from app.chatbot.commands import (
    HELP_TEXT,
    RESOLUTION_CODES,
    Command,
    ParseError,
    Verb,
    help_text,
    normalise_number,
    parse,
)

N1 = "ZQ2026-000001"
N2 = "ZQ2026-000002"
N123 = "ZQ2026-000123"

V = Verb
OK_CASES: list[tuple[str, Command]] = [
    # help / todo
    ("帮助", Command(V.help)),
    ("help", Command(V.help)),
    ("HELP", Command(V.help)),
    ("?", Command(V.help)),
    ("？", Command(V.help)),
    ("菜单", Command(V.help)),
    ("@助企机器人 帮助！", Command(V.help)),
    ("@助企机器人", Command(V.help)),
    (" ", Command(V.help)),
    ("/帮助", Command(V.help)),
    ("待办", Command(V.todo)),
    (" 我的待办", Command(V.todo)),
    ("todo", Command(V.todo)),
    ("待处理。", Command(V.todo)),
    # query / sign
    ("查询 ZQ2026-000123", Command(V.query, N123)),
    ("查看：ZQ2026-000123", Command(V.query, N123)),
    ("详情 2026-000123", Command(V.query, N123)),
    ("query zq2026-000123", Command(V.query, N123)),
    ("查询ZQ2026-000123", Command(V.query, N123)),
    ("@助企机器人 签收 ZQ2026-000123", Command(V.sign, N123)),
    (" 签收 ZQ2026-000123", Command(V.sign, N123)),
    ("签收：ZQ2026-000123", Command(V.sign, N123)),
    ("签收,ZQ2026-000123", Command(V.sign, N123)),
    ("签收，ZQ2026-000123。", Command(V.sign, N123)),
    ("签收\u3000ZQ2026-000123", Command(V.sign, N123)),
    ("签收   zq2026-000123!", Command(V.sign, N123)),
    ("签收 ZQ2026000123", Command(V.sign, N123)),
    ("签收 ZQ-2026-000123", Command(V.sign, N123)),
    ("签收 ＺＱ２０２６－０００１２３", Command(V.sign, N123)),
    ("签收 【ZQ2026-000123】", Command(V.sign, N123)),
    ("sign ZQ2026-000001", Command(V.sign, N1)),
    ("Sign zq2026-1", Command(V.sign, N1)),
    ("受理 ZQ2026-000001 马上安排人对接", Command(V.sign, N1, text="马上安排人对接")),
    ("接单 2026-000001", Command(V.sign, N1)),
    ("@张三 @助企机器人\u3000签收\u3000ZQ2026-000001", Command(V.sign, N1)),
    # progress / request_info
    (
        "进展 ZQ2026-000123 已联系供电公司，下周现场查看",
        Command(V.progress, N123, text="已联系供电公司，下周现场查看"),
    ),
    ("进度：ZQ2026-000123：已上报区发改局", Command(V.progress, N123, text="已上报区发改局")),
    (
        "反馈进展 ZQ2026-000123\n1. 已对接银行\n2. 材料审核中",
        Command(V.progress, N123, text="1. 已对接银行\n2. 材料审核中"),
    ),
    ("progress ZQ2026-000123 met the bank", Command(V.progress, N123, text="met the bank")),
    ("补充 ZQ2026-000123 请上传近三个月电费单", Command(V.request_info, N123, text="请上传近三个月电费单")),
    ("补充材料 ZQ2026-000123 营业执照副本", Command(V.request_info, N123, text="营业执照副本")),
    ("要求补充：ZQ2026-000123，用地红线图", Command(V.request_info, N123, text="用地红线图")),
    # resolve
    ("办结 ZQ2026-000002 [部分解决] 已协调银行放款", Command(V.resolve, N2, text="已协调银行放款", resolution_code="部分解决")),
    ("办结 ZQ2026-000002 【已解释答复】政策不适用", Command(V.resolve, N2, text="政策不适用", resolution_code="已解释答复")),
    ("办结 ZQ2026-000002 非政府职责 属企业间合同纠纷", Command(V.resolve, N2, text="属企业间合同纠纷", resolution_code="非政府职责")),
    ("办结 ZQ2026-000002 已解决：电力增容已完成", Command(V.resolve, N2, text="电力增容已完成", resolution_code="已解决")),
    ("办结 ZQ2026-000002 已协调银行放款（暂不具备解决条件）", Command(V.resolve, N2, text="已协调银行放款", resolution_code="暂不具备解决条件")),
    ("完成 ZQ2026-000002 已协调银行放款。", Command(V.resolve, N2, text="已协调银行放款。")),
    ("办结 ZQ2026-000002 已解决贷款问题", Command(V.resolve, N2, text="已解决贷款问题")),  # not a bare code
    ("resolve zq2026-000002 done", Command(V.resolve, N2, text="done")),
    # return / escalate
    ("退回 ZQ2026-000123 属市场监管局职责", Command(V.return_, N123, text="属市场监管局职责")),
    ("return ZQ2026-000123 not ours", Command(V.return_, N123, text="not ours")),
    ("回退：ZQ2026-000123，非本街道企业", Command(V.return_, N123, text="非本街道企业")),
    ("提级 ZQ2026-000123 需区里协调用地指标", Command(V.escalate, N123, text="需区里协调用地指标")),
    ("上报 ZQ2026-000123 涉及跨区协调", Command(V.escalate, N123, text="涉及跨区协调")),
    ("escalate ZQ2026-000123 cross-district", Command(V.escalate, N123, text="cross-district")),
    # extend
    ("延期 ZQ2026-000001 三天 等待规划局意见", Command(V.extend, N1, text="等待规划局意见", days=3)),
    ("延期 ZQ2026-000001 3天 等待规划局意见", Command(V.extend, N1, text="等待规划局意见", days=3)),
    ("延期 ZQ2026-000001 3 等待规划局意见", Command(V.extend, N1, text="等待规划局意见", days=3)),
    ("延期 ZQ2026-000001 两天，等待专家论证", Command(V.extend, N1, text="等待专家论证", days=2)),
    ("延期 ZQ2026-000001 十天 需上会研究", Command(V.extend, N1, text="需上会研究", days=10)),
    ("延期 ZQ2026-000001 十五个工作日 需上会研究", Command(V.extend, N1, text="需上会研究", days=15)),
    ("延期：ZQ2026-000001，５天，节假日", Command(V.extend, N1, text="节假日", days=5)),
    ("extend ZQ2026-000001 7 waiting for bureau", Command(V.extend, N1, text="waiting for bureau", days=7)),
]


@pytest.mark.parametrize(("content", "expected"), OK_CASES, ids=[c for c, _ in OK_CASES])
def test_parses(content: str, expected: Command) -> None:
    assert parse(content) == expected


def test_there_are_many_phrasings() -> None:
    assert len(OK_CASES) >= 40


def test_sequence_only_uses_year_when_given() -> None:
    assert parse("签收 123", year=2026) == Command(V.sign, N123)
    assert parse("签收 #123", year=2026) == Command(V.sign, N123)
    result = parse("签收 123")
    assert isinstance(result, ParseError) and "完整的诉求编号" in result.message and result.verb is V.sign


def test_custom_prefix() -> None:
    assert parse("签收 xc2026-000123", number_prefix="XC") == Command(V.sign, "XC2026-000123")
    assert parse("签收 2026-000123", number_prefix="XC") == Command(V.sign, "XC2026-000123")


ERROR_CASES: list[tuple[str, str]] = [
    ("你好", "帮助"),
    ("hello bot", "帮助"),
    ("signal ZQ2026-000001", "帮助"),  # English aliases need a word boundary
    ("签收", "用法：签收 <诉求编号>"),
    ("签收。", "缺少诉求编号"),
    ("查询", "用法：查询 <诉求编号>"),
    ("签收 天气", "无法识别诉求编号"),
    ("签收 AB2026-000001", "无法识别诉求编号"),
    ("签收 ZQ1999-000001", "无法识别诉求编号"),
    ("签收 ZQ2026-000000", "无法识别诉求编号"),
    ("签收 13812341234", "无法识别诉求编号"),  # 11 digits is a phone, not year+sequence
    ("进展 ZQ2026-000123", "用法：进展 <诉求编号> <进展内容>"),
    ("进展 ZQ2026-000123 。", "缺少进展内容"),
    ("补充 ZQ2026-000123", "用法：补充 <诉求编号>"),
    ("办结 ZQ2026-000002", "缺少答复内容"),
    ("办结 ZQ2026-000002 [部分解决]", "办结类型可选"),
    ("退回 ZQ2026-000123", "用法：退回 <诉求编号> <退回原因>"),
    ("提级 ZQ2026-000123", "缺少原因"),
    ("延期 ZQ2026-000001", "延期天数"),
    ("延期 ZQ2026-000001 等待规划局意见", "延期天数"),
    ("延期 ZQ2026-000001 0天 等待", "延期天数"),
    ("延期 ZQ2026-000001 999天 等待", "延期天数"),
    ("延期 ZQ2026-000001 三天", "用法：延期 <诉求编号> <天数> <原因>"),
]


@pytest.mark.parametrize(("content", "fragment"), ERROR_CASES, ids=[c for c, _ in ERROR_CASES])
def test_errors_explain_usage(content: str, fragment: str) -> None:
    result = parse(content)
    assert isinstance(result, ParseError), result
    assert fragment in result.message


def test_unknown_verb_has_no_verb() -> None:
    result = parse("你好")
    assert isinstance(result, ParseError) and result.verb is None


@pytest.mark.parametrize(
    ("raw", "year", "expected"),
    [
        ("ZQ2026-000123", None, N123),
        ("zq2026-000123", None, N123),
        ("2026-000123", None, N123),
        ("2026-123", None, N123),
        ("ZQ2026000123", None, N123),
        ("2026000123", None, N123),
        ("ZQ2026—000123", None, N123),  # em dash from a Chinese IME
        ("ＺＱ２０２６－０００１２３", None, N123),
        (" ZQ2026-000123。", None, N123),
        ("123", 2026, N123),
        ("000123", 2026, N123),
        ("123", None, None),
        ("ZQ123", None, None),
        ("", None, None),
        ("ZQ2026-1234567", None, None),
        ("2026-0", None, None),
        ("20260001234", None, None),
        ("abc", 2026, None),
    ],
)
def test_normalise_number(raw: str, year: int | None, expected: str | None) -> None:
    assert normalise_number(raw, year=year) == expected


@given(st.integers(2000, 2099), st.integers(1, 999_999))
def test_normalise_number_roundtrip(year: int, seq: int) -> None:
    canonical = f"ZQ{year}-{seq:06d}"
    for form in (canonical, canonical.lower(), canonical[2:], canonical.replace("-", ""), f"ZQ{year}-{seq}"):
        assert normalise_number(form) == canonical
    assert normalise_number(str(seq), year=year) == canonical
    assert parse(f"@助企机器人 签收：{canonical.lower()}。") == Command(V.sign, canonical)


@given(st.text(max_size=40))
def test_parse_never_raises(content: str) -> None:
    assert isinstance(parse(content), (Command, ParseError))


def test_help_text_lists_every_command() -> None:
    for word in ("帮助", "待办", "查询", "签收", "进展", "补充", "办结", "退回", "提级", "延期", "ZQ2026-000123"):
        assert word in HELP_TEXT
    assert all(code in parse("办结 ZQ2026-000002").message for code in RESOLUTION_CODES)  # type: ignore[union-attr]
    assert "XC2026-000123" in help_text("XC")


def test_verb_values() -> None:
    assert Verb.return_ == "return" and Verb("request_info") is Verb.request_info
    assert [v.value for v in Verb] == [
        "help", "todo", "query", "sign", "progress", "request_info", "resolve", "return", "escalate", "extend", "my_enterprises", "visit",
    ]
