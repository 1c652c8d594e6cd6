"""GB 32100-2015 check character: known real codes, error messages and algebraic properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from app.enterprises.uscc import (
    CHARSET,
    InvalidUscc,
    WEIGHTS,
    is_valid_uscc,
    make_uscc,
    uscc_check_char,
    validate_uscc,
)

REAL_CODES = ["91350100M000100Y43", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]
    assert make_uscc(code[:17]) == code


def test_weights_are_powers_of_three_mod_31() -> None:
    # The standard's weight table is 3^(i-1) mod 31; checking this guards against a typo in the table.
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    assert len(CHARSET) == 31 and not set("IOZSV") & set(CHARSET)


def test_normalises_whitespace_and_case() -> None:
    assert validate_uscc("  91350100m000100y43 \n") == "91350100M000100Y43"


@pytest.mark.parametrize("value", ["", "9135010", "91350100M000100Y431", "91350100M000100Y4"])
def test_wrong_length(value: str) -> None:
    with pytest.raises(InvalidUscc, match="wrong length"):
        validate_uscc(value)


@pytest.mark.parametrize(
    ("value", "position"),
    [
        ("I1350100M000100Y43", 1),  # I is excluded from the charset
        ("91350100M0001O0Y43", 14),  # letter O, not zero
        ("913A0100M000100Y43", 4),  # division code must be digits
        ("91350100M000100Y4Z", 18),  # Z is never a check char
        ("91350100M000100Y4-", 18),
    ],
)
def test_illegal_character_names_position(value: str, position: int) -> None:
    with pytest.raises(InvalidUscc, match=f"illegal character at position {position}\\b"):
        validate_uscc(value)


def test_wrong_check_digit_says_expected() -> None:
    with pytest.raises(InvalidUscc, match="expected 3"):
        validate_uscc("91350100M000100Y44")
    with pytest.raises(InvalidUscc, match="expected B"):
        validate_uscc("91110000802100433C")


def test_check_value_31_maps_to_zero() -> None:
    # All-zero body sums to 0, so 31 - 0 = 31, which the standard maps to '0'.
    assert uscc_check_char("0" * 17) == "0"
    assert validate_uscc("0" * 18) == "0" * 18


def test_is_valid_uscc() -> None:
    assert is_valid_uscc(REAL_CODES[0])
    assert not is_valid_uscc("91350100M000100Y44")
    assert not is_valid_uscc("short")


def test_uscc_check_char_rejects_bad_prefix() -> None:
    with pytest.raises(InvalidUscc, match="wrong length"):
        uscc_check_char("123")
    with pytest.raises(InvalidUscc, match="position 9"):
        uscc_check_char("91350100*000100Y4")


_char = st.sampled_from(CHARSET)
_digit = st.sampled_from("0123456789")
# A structurally valid 17-char prefix: positions 3-8 digits, the rest from the charset.
prefixes = st.tuples(
    st.text(_char, min_size=2, max_size=2),
    st.text(_digit, min_size=6, max_size=6),
    st.text(_char, min_size=9, max_size=9),
).map("".join)


@given(prefixes)
def test_make_uscc_always_validates(prefix: str) -> None:
    code = make_uscc(prefix)
    assert len(code) == 18 and code[:17] == prefix
    assert validate_uscc(code) == code


@given(prefixes, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET + "IOZSV*-"))
def test_any_single_substitution_is_detected(prefix: str, index: int, new: str) -> None:
    """A single substitution can never keep the code valid.

    For positions 1-17 the weighted sum changes by w*(b-a) mod 31; 31 is prime, w = 3^k is not a multiple
    of 31 and 0 < |b-a| < 31, so the product is non-zero mod 31 and the check char must change. Changing
    the 18th char alone obviously mismatches the unchanged expected value. So: either an illegal-character
    error at exactly that position, or a wrong-check-digit error — never a pass.
    """
    code = make_uscc(prefix)
    if code[index] == new:
        return
    mutated = code[:index] + new + code[index + 1 :]
    illegal = new not in CHARSET or (2 <= index <= 7 and not new.isdigit())
    expected_msg = f"illegal character at position {index + 1}\\b" if illegal else "wrong check digit"
    with pytest.raises(InvalidUscc, match=expected_msg):
        validate_uscc(mutated)


@given(prefixes, st.integers(min_value=0, max_value=15))
def test_adjacent_transposition_detected_when_chars_differ(prefix: str, index: int) -> None:
    # Transposing a,b at i,i+1 changes the sum by (a-b)(w_i - w_{i+1}); w_{i+1} = 3 w_i so the difference
    # is -2 w_i, non-zero mod 31, hence detected whenever a != b. Positions 1-17 only: the check char has no
    # weight, so swapping it with position 17 carries no such guarantee.
    code = make_uscc(prefix)
    a, b = code[index], code[index + 1]
    if a == b:
        return
    swapped = code[:index] + b + a + code[index + 2 :]
    assert not is_valid_uscc(swapped)
