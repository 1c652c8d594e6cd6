"""Character n-gram similarity on a small hand-made corpus of appeal texts."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, strategies as st

from app.stats.similarity import Candidate, char_ngrams, normalise, rank_similar, similarity

POWER_A = "企业因用电指标不足被迫限产，请求协调增加用电负荷"
POWER_B = "用电负荷指标不够导致限产，希望帮助协调增加用电指标"
LABOUR = "招工难，缺少熟练技工"
LOAN = "企业贷款到期，银行抽贷断贷，请求协调续贷"
LAND = "厂房用地指标迟迟未批，影响扩产项目落地，请求协调土地指标"
THRESHOLD = 0.35


def test_normalise_keeps_cjk_letters_digits() -> None:
    assert normalise("  用电，负荷！ABC　１２３ ") == "用电负荷abc123"
    assert normalise("，。！？ \n") == ""


def test_char_ngrams_bigrams_within_segments() -> None:
    assert char_ngrams("限产，请求") == Counter({"限产": 1, "请求": 1})  # no "产请" across the comma
    assert char_ngrams("用电用电") == Counter({"用电": 2, "电用": 1})


def test_char_ngrams_short_text_uses_unigrams() -> None:
    assert char_ngrams("电") == Counter({"电": 1})
    assert char_ngrams("电 费") == Counter({"电": 1, "费": 1})
    assert char_ngrams("") == Counter()
    assert char_ngrams("用电负荷", n=1) == Counter("用电负荷")
    with pytest.raises(ValueError):
        char_ngrams("x", n=0)


def test_near_duplicates_score_above_threshold() -> None:
    assert similarity(POWER_A, POWER_B) > THRESHOLD


@pytest.mark.parametrize("other", [LABOUR, LOAN, LAND])
def test_unrelated_score_below_threshold(other: str) -> None:
    assert similarity(POWER_A, other) < THRESHOLD
    assert similarity(POWER_B, other) < THRESHOLD


def test_identical_and_normalised_identical_are_one() -> None:
    assert similarity(POWER_A, POWER_A) == 1.0
    assert similarity("用电负荷不足。", " 用电 负荷不足！") == 1.0
    assert similarity("ABC公司", "abc公司") == 1.0


@pytest.mark.parametrize(("a", "b"), [("", ""), ("", POWER_A), (POWER_A, ""), ("，。！", POWER_A)])
def test_empty_is_zero(a: str, b: str) -> None:
    assert similarity(a, b) == 0.0


def test_rank_similar_orders_and_filters() -> None:
    corpus = [
        Candidate("ZQ2026-000001", POWER_B),
        Candidate("ZQ2026-000002", LABOUR),
        Candidate("ZQ2026-000003", LOAN),
        Candidate("ZQ2026-000004", "用电负荷不足，限产"),
        Candidate("ZQ2026-000005", LAND),
        Candidate("ZQ2026-000006", POWER_A),
    ]
    ranked = rank_similar(POWER_A, corpus)
    assert [key for key, _ in ranked][:1] == ["ZQ2026-000006"]
    assert {key for key, _ in ranked} == {"ZQ2026-000006", "ZQ2026-000001", "ZQ2026-000004"}
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True) and all(s >= THRESHOLD for s in scores)
    assert rank_similar(POWER_A, corpus, limit=1) == ranked[:1]
    assert rank_similar(POWER_A, corpus, limit=0) == []
    assert rank_similar("", corpus) == []
    assert len(rank_similar(POWER_A, corpus, threshold=0.0)) == 6


def test_rank_similar_ties_break_by_key() -> None:
    corpus = [Candidate("b", POWER_B), Candidate("a", POWER_B)]
    assert [k for k, _ in rank_similar(POWER_A, corpus)] == ["a", "b"]


_text = st.text(alphabet=st.sampled_from("用电负荷指标不足限产招工难企业，。 ab1"), max_size=30)


@given(_text, _text)
def test_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == similarity(b, a)


@given(_text)
def test_self_similarity(a: str) -> None:
    assert similarity(a, a) == (1.0 if normalise(a) else 0.0)
