"""Programme figures (DESIGN §11): rates over counts, the programme's sentence, the payload."""

from __future__ import annotations

import pytest

from app.stats.programme import ProgrammeFigures, percent_of, programme_payload, sentence

# The city's own report: "市县乡三级共选派4407名干部，服务企业8226家，累计走访企业41250家次，收集企业诉求7869个，
# 解决7222个，解决率达91.8%".
CITY = ProgrammeFigures(liaisons=4407, enterprises_paired=8000, enterprises_served=8226, visits=41250,
                        enterprises_visited=7900, appeals_collected=7869, appeals_resolved=7222,
                        visit_overdue=120, enterprises_total=9000)


def test_the_citys_sentence() -> None:
    assert sentence(CITY) == ("共选派干部4407名，服务企业8226家，累计走访企业41250家次，"
                              "收集企业诉求7869个，解决7222个，解决率91.8%")


@pytest.mark.parametrize(("collected", "resolved", "text"), [
    (7869, 7222, "91.8%"),
    (2662, 2634, "98.9%"),  # 长宁: 收集诉求2662项，已解决2634项
    (1, 1, "100.0%"),
    (3, 0, "0.0%"),
    (3, 1, "33.3%"),
    (3, 2, "66.7%"),
    (8, 1, "12.5%"),  # exactly .x5: half up, not to even
    (16, 1, "6.3%"),  # 6.25 → 6.3 (a float formatted with .1f gives 6.2)
    (2000, 1835, "91.8%"),  # 91.75 exactly
    (200000, 183492, "91.7%"),  # 91.746: rounding the 4-decimal rate (0.9175) first would give 91.8%
])
def test_percent_from_counts(collected: int, resolved: int, text: str) -> None:
    assert percent_of(resolved, collected) == text
    figures = ProgrammeFigures(appeals_collected=collected, appeals_resolved=resolved)
    assert sentence(figures).endswith(f"收集企业诉求{collected}个，解决{resolved}个，解决率{text}")


def test_nothing_collected_says_so_instead_of_a_rate() -> None:
    figures = ProgrammeFigures(liaisons=3, enterprises_served=5, visits=0)
    assert sentence(figures) == "共选派干部3名，服务企业5家，累计走访企业0家次，尚未收集企业诉求"
    assert figures.resolution_rate is None


def test_all_zero() -> None:
    zero = ProgrammeFigures()
    assert sentence(zero) == "共选派干部0名，服务企业0家，累计走访企业0家次，尚未收集企业诉求"
    assert (zero.resolution_rate, zero.pairing_coverage_rate) == (None, None)


@pytest.mark.parametrize(("paired", "total", "rate"), [(0, 0, None), (0, 10, 0.0), (3, 9, 0.3333), (9, 9, 1.0)])
def test_pairing_coverage_rate(paired: int, total: int, rate: float | None) -> None:
    assert ProgrammeFigures(enterprises_paired=paired, enterprises_total=total).pairing_coverage_rate == rate


def test_resolution_rate_is_the_summary_rate() -> None:
    assert CITY.resolution_rate == 0.9178  # 4 decimals, as /stats/summary
    assert ProgrammeFigures(appeals_collected=4, appeals_resolved=4).resolution_rate == 1.0


def test_payload_has_every_field_of_the_contract() -> None:
    payload = programme_payload(CITY)
    assert set(payload) >= {"liaisons", "enterprises_paired", "enterprises_served", "visits", "enterprises_visited",
                            "appeals_collected", "appeals_resolved", "resolution_rate", "pairing_coverage_rate",
                            "visit_overdue", "sentence"}
    assert payload["visits"] == 41250 and payload["pairing_coverage_rate"] == 0.8889
    assert payload["sentence"] == sentence(CITY)


@pytest.mark.parametrize(("fields", "message"), [
    ({"visits": -1}, "visits must not be negative"),
    ({"appeals_collected": 1, "appeals_resolved": 2}, "appeals_resolved must not exceed appeals_collected"),
    ({"visits": 2, "enterprises_visited": 3}, "enterprises_visited must not exceed visits"),
    ({"enterprises_total": 1, "enterprises_paired": 2}, "enterprises_paired must not exceed enterprises_total"),
])
def test_inconsistent_counts_are_a_bug_not_a_figure(fields: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProgrammeFigures(**fields)
