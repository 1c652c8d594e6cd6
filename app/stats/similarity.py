"""Chinese near-duplicate detection without external models: character n-gram cosine similarity.

Chinese has no spaces, and a word segmenter (jieba etc.) would be an extra dependency with a dictionary;
character bigrams capture most two-character words ("用电", "限产", "指标") and are robust to word-order
changes, which is exactly how two enterprises describe the same problem differently. Unigram cosine is
blended in with a small weight so short texts and re-worded phrases ("不足" vs "不够") still get credit,
but kept small because single characters are shared by almost any two Chinese sentences.

Used to suggest 合并 (merge) candidates and common (共性) appeals; pure and deterministic, no I/O.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["BIGRAM_WEIGHT", "Candidate", "char_ngrams", "cosine", "normalise", "rank_similar", "similarity"]

# Share of the bigram cosine in the blended score; the rest is unigram cosine. Chosen on the hand-made
# corpus in tests/unit/test_similarity.py: near-duplicates land ~0.5-0.6, unrelated appeals below ~0.2.
BIGRAM_WEIGHT = 0.8


def _segments(text: str) -> list[str]:
    """NFKC + lower-case, split on anything that is not a letter/digit/CJK character.

    Splitting (rather than deleting punctuation and joining) avoids bigrams that straddle two clauses,
    such as "产请" in "限产，请求".
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    segments: list[str] = []
    current: list[str] = []
    for ch in folded:
        # isalnum() is true for CJK ideographs (category Lo) as well as Latin letters and digits.
        if ch.isalnum():
            current.append(ch)
        elif current:
            segments.append("".join(current))
            current = []
    if current:
        segments.append("".join(current))
    return segments


def normalise(text: str) -> str:
    """The characters that count: letters, digits and CJK, NFKC-folded and lower-cased, no separators."""
    return "".join(_segments(text))


def char_ngrams(text: str, n: int = 2) -> Counter[str]:
    """Counts of character n-grams within each punctuation-free segment of the normalised text.

    A segment shorter than n contributes its characters as unigrams, so "电 费" or a one-word text
    is not silently empty; with n == 1 this is plain character counts.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    grams: Counter[str] = Counter()
    for segment in _segments(text):
        if len(segment) < n:
            grams.update(segment)
        else:
            grams.update(segment[i : i + n] for i in range(len(segment) - n + 1))
    return grams


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine of two count vectors; 0.0 when either is empty. Clamped to [0, 1] against float drift."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a  # iterate over the smaller vector
    dot = sum(count * b[gram] for gram, count in a.items() if gram in b)
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return min(1.0, max(0.0, dot / norm))


@dataclass(frozen=True)
class _Profile:
    """Pre-computed vectors so rank_similar builds the query's n-grams once, not per candidate."""

    bigrams: Counter[str]
    unigrams: Counter[str]
    text: str

    @classmethod
    def of(cls, text: str) -> _Profile:
        return cls(char_ngrams(text, 2), char_ngrams(text, 1), normalise(text))


def _score(a: _Profile, b: _Profile) -> float:
    if not a.text or not b.text:
        return 0.0
    if a.text == b.text:
        return 1.0  # exact after normalisation; avoids 0.9999999 from float rounding
    score = BIGRAM_WEIGHT * cosine(a.bigrams, b.bigrams) + (1 - BIGRAM_WEIGHT) * cosine(a.unigrams, b.unigrams)
    return min(1.0, max(0.0, score))


def similarity(a: str, b: str) -> float:
    """Blended bigram/unigram cosine in [0, 1]; symmetric; 1.0 for equal normalised texts, 0.0 if empty."""
    return _score(_Profile.of(a), _Profile.of(b))


@dataclass(frozen=True)
class Candidate:
    key: str  # e.g. appeal number or id; returned as-is
    text: str  # title + description, as the caller sees fit


def rank_similar(
    query: str,
    candidates: Iterable[Candidate],
    *,
    threshold: float = 0.35,
    limit: int = 10,
) -> list[tuple[str, float]]:
    """(key, score) of candidates scoring >= threshold, best first, at most `limit`.

    Ties are broken by key so the order is deterministic (stable tests, stable UI).
    """
    if limit <= 0:
        return []
    q = _Profile.of(query)
    if not q.text:
        return []
    scored = [(c.key, s) for c in candidates if (s := _score(q, _Profile.of(c.text))) >= threshold]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]
