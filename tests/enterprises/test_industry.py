"""GB/T 4754-2017: the table itself, normalisation, wrong-门类 codes, labels and prefix matching."""

from __future__ import annotations

import pytest

from app.enterprises.industry import (
    DIVISIONS,
    SECTIONS,
    InvalidIndustry,
    industry_label,
    industry_matches,
    normalize_industry,
)

# 门类 → its 大类 range, as printed in the standard's table of contents.
RANGES = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}


def test_twenty_sections_and_ninety_seven_divisions_in_their_ranges() -> None:
    assert list(SECTIONS) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert list(DIVISIONS) == [f"{n:02d}" for n in range(1, 98)]
    for section, (lo, hi) in RANGES.items():
        assert [d for d, (s, _) in DIVISIONS.items() if s == section] == [f"{n:02d}" for n in range(lo, hi + 1)]
    assert all(name and name == name.strip() for _, name in DIVISIONS.values())
    assert len({name for _, name in DIVISIONS.values()}) >= 95  # 70 房地产业 and 83 教育 repeat their 门类's name


@pytest.mark.parametrize(("code", "name"), [
    ("A", "农、林、牧、渔业"), ("C", "制造业"), ("D", "电力、热力、燃气及水生产和供应业"),
    ("I", "信息传输、软件和信息技术服务业"), ("O", "居民服务、修理和其他服务业"),
    ("S", "公共管理、社会保障和社会组织"), ("T", "国际组织"),
])
def test_section_names(code: str, name: str) -> None:
    assert SECTIONS[code] == name


@pytest.mark.parametrize(("code", "section", "name"), [
    ("05", "A", "农、林、牧、渔专业及辅助性活动"),  # 2017 name (2011: 农、林、牧、渔服务业)
    ("11", "B", "开采专业及辅助性活动"),
    ("25", "C", "石油、煤炭及其他燃料加工业"),  # 2017 name (2011: 石油加工、炼焦和核燃料加工业)
    ("39", "C", "计算机、通信和其他电子设备制造业"),
    ("50", "E", "建筑装饰、装修和其他建筑业"),
    ("58", "G", "多式联运和运输代理业"),
    ("59", "G", "装卸搬运和仓储业"),
    ("65", "I", "软件和信息技术服务业"),
    ("79", "N", "土地管理业"),  # new in 2017
    ("84", "Q", "卫生"),
    ("96", "S", "基层群众自治组织及其他组织"),
    ("97", "T", "国际组织"),
])
def test_division_names(code: str, section: str, name: str) -> None:
    assert DIVISIONS[code] == (section, name)


@pytest.mark.parametrize(("raw", "normal"), [
    ("C", "C"), ("c", "C"), (" C39 ", "C39"), ("c39", "C39"), ("A01", "A01"), ("T97", "T97"), ("k70", "K70"),
])
def test_normalize_accepts_section_and_division(raw: str, normal: str) -> None:
    assert normalize_industry(raw) == normal


@pytest.mark.parametrize(("raw", "fragment", "english"), [
    ("A39", "大类 39（计算机、通信和其他电子设备制造业）属于门类 C（制造业），不属于门类 A，应写作 C39",
     "wrong section"),
    ("C44", "属于门类 D", "wrong section"),
    ("39", "缺少门类字母", "missing section letter"),
    ("3911", "大类 39 应写作 C39", "missing section letter"),
    ("C391", "过细", "only section or division"),
    ("U", "行业门类 U 不存在", "unknown section"),
    ("C00", "行业大类 00 不存在", "unknown division"),
    ("C98", "行业大类 98 不存在", "unknown division"),
    ("", "不合法", "invalid industry code"),
    ("制造业", "不合法", "invalid industry code"),
    ("C-39", "不合法", "invalid industry code"),
])
def test_normalize_refuses_with_the_allowed_form(raw: str, fragment: str, english: str) -> None:
    with pytest.raises(InvalidIndustry) as caught:
        normalize_industry(raw)
    message = str(caught.value)
    assert fragment in message and english in message
    assert isinstance(caught.value, ValueError)
    if english != "wrong section":
        assert "门类字母（A–T）或门类字母加两位大类代码（如 C39）" in message


def test_every_division_is_refused_under_every_other_section() -> None:
    for division, (owner, _) in DIVISIONS.items():
        assert normalize_industry(owner + division) == owner + division
        for section in SECTIONS:
            if section != owner:
                with pytest.raises(InvalidIndustry, match=f"应写作 {owner}{division}"):
                    normalize_industry(section + division)


@pytest.mark.parametrize(("code", "label"), [
    ("C39", "C39 计算机、通信和其他电子设备制造业"), ("c", "C 制造业"), ("i65", "I65 软件和信息技术服务业"),
])
def test_label(code: str, label: str) -> None:
    assert industry_label(code) == label


def test_label_refuses_unknown() -> None:
    with pytest.raises(InvalidIndustry):
        industry_label("A39")


@pytest.mark.parametrize(("prefix", "code", "matches"), [
    ("C", "C39", True),
    ("C", "C", True),
    ("C39", "C39", True),
    ("c39", " C39 ", True),
    ("C39", "C38", False),
    ("C", "I65", False),
    ("C39", "C", False),  # only the 门类 is known: may be any manufacturing 大类, no guess
    ("I", "I65", True),
    ("C", None, False),
    ("C", "  ", False),
])
def test_matches(prefix: str, code: str | None, matches: bool) -> None:
    assert industry_matches(prefix, code) is matches


def test_matches_refuses_an_invalid_code_on_either_side() -> None:
    with pytest.raises(InvalidIndustry):
        industry_matches("A39", "C39")
    with pytest.raises(InvalidIndustry):
        industry_matches("C", "C391")
