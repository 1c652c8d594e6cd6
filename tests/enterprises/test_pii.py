"""Mobile validation, masking and the PII detector used by notification-template tests."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from app.enterprises.pii import (
    InvalidMobile,
    contains_pii,
    mask_mobile,
    mask_name,
    mask_uscc,
    validate_mobile,
)
from app.enterprises.uscc import CHARSET, make_uscc


@pytest.mark.parametrize(
    "raw",
    [
        "13812341234",
        " 13812341234 ",
        "138-1234-1234",
        "138 1234 1234",
        "+8613812341234",
        "+86 138 1234 1234",
        "86-138-1234-1234",
        "008613812341234",
        "(+86)13812341234",
        "１３８１２３４１２３４",  # full-width digits from an IME
    ],
)
def test_validate_mobile_accepts(raw: str) -> None:
    assert validate_mobile(raw) == "13812341234"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1381234123", "11 digits"),
        ("138123412345", "11 digits"),
        ("12812341234", r"1\[3-9\]"),
        ("23812341234", r"1\[3-9\]"),
        ("138a2341234", "digits only"),
        ("+8612812341234", r"1\[3-9\]"),
        ("0571-88881234", "11 digits"),
    ],
)
def test_validate_mobile_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidMobile, match=reason):
        validate_mobile(raw)


def test_invalid_mobile_is_value_error() -> None:
    assert issubclass(InvalidMobile, ValueError)


def test_mask_mobile() -> None:
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_mobile("+86 138-1234-1234") == "138****1234"
    # Never echoes an unparseable number in clear.
    assert mask_mobile("0571-88881234") == "057*****1234"
    assert mask_mobile("12345") == "*****"


def test_mask_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert mask_name(" 欧阳娜娜 ") == "欧***"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


def test_mask_uscc() -> None:
    assert mask_uscc("91350100M000100Y43") == "9135**********0Y43"
    assert mask_uscc("91350100m000100y43") == "9135**********0Y43"
    assert mask_uscc("abc") == "***"


@pytest.mark.parametrize(
    "text",
    [
        "联系人电话13812341234，请尽快回复",
        "电话：138-1234-1234",
        "电话 138 1234 1234",
        "+8613812341234",
        "企业代码91350100M000100Y43已核验",
        "uscc=91110000802100433b",
        "身份证330106199001011234",
        "电话１３８１２３４１２３４",
    ],
)
def test_contains_pii_positive(text: str) -> None:
    assert contains_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "【红】诉求 ZQ2026-000123 用电负荷不足，请于 2026-03-05 前签收",
        "诉求编号 ZQ2026000123，类别：能源，承办单位：西溪街道",
        "涉及员工 1200 人，金额 35000000 元",
        "订单号 1381234123412345",  # longer digit run: not a mobile
        "138****1234 已脱敏",
        "9135**********0Y43",
        "https://zhuqi.example.gov.cn/appeals/ZQ2026-000123",
    ],
)
def test_contains_pii_negative(text: str) -> None:
    assert not contains_pii(text)


_uscc = st.text(st.sampled_from(CHARSET), min_size=17, max_size=17).map(
    lambda s: make_uscc(s[:2] + "330106" + s[8:])
)


@given(_uscc, st.text(st.sampled_from("诉求编号：，。用电 "), max_size=10))
def test_contains_pii_finds_any_embedded_uscc(code: str, around: str) -> None:
    assert contains_pii(around + code + around)
    assert not contains_pii(around + mask_uscc(code) + around)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_roundtrip_and_mask(mobile: str) -> None:
    assert validate_mobile(mobile) == mobile
    masked = mask_mobile(mobile)
    assert masked == mobile[:3] + "****" + mobile[-4:]
    assert contains_pii(f"电话{mobile}。") and not contains_pii(f"电话{masked}。")
