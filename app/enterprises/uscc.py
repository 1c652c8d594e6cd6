"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

Layout (1-based positions):
  1      登记管理部门代码 (registration authority)
  2      机构类别代码 (organisation type)
  3-8    登记管理机关行政区划码 (administrative division, digits only)
  9-17   主体标识码 (organisation code, GB 11714)
  18     校验码 (check character)

Pure functions, no I/O: used by the enterprise service, demo seeds and tests.
"""

from __future__ import annotations

__all__ = [
    "CHARSET",
    "USCC_LENGTH",
    "WEIGHTS",
    "InvalidUscc",
    "is_valid_uscc",
    "make_uscc",
    "uscc_check_char",
    "validate_uscc",
]

# The standard drops I, O, Z, S, V because they are easily confused with 1, 0, 2, 5, U.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES: dict[str, int] = {ch: i for i, ch in enumerate(CHARSET)}
# W_i = 3^(i-1) mod 31, as printed in the standard.
WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18
_MODULUS = len(CHARSET)  # 31

assert len(CHARSET) == 31 and len(WEIGHTS) == USCC_LENGTH - 1


class InvalidUscc(ValueError):
    """Raised with a human-readable reason; subclass of ValueError so pydantic validators surface it."""


def _check_body(body: str) -> None:
    """Reject characters outside the charset, and non-digits in the division code (positions 3-8)."""
    for index, ch in enumerate(body):
        position = index + 1
        if ch not in _VALUES:
            raise InvalidUscc(f"统一社会信用代码第 {position} 位字符 {ch!r} 不合法 (illegal character at position {position})")
        # 3-8 is an administrative division code, which the standard defines as digits only.
        if 3 <= position <= 8 and not ch.isdigit():
            raise InvalidUscc(
                f"统一社会信用代码第 {position} 位应为数字（行政区划码） (illegal character at position {position})"
            )


def _compute_check_char(first17: str) -> str:
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    check = _MODULUS - total % _MODULUS
    # 31 - 0 would be 31, which is outside the charset; the standard maps it to 0.
    return CHARSET[0 if check == _MODULUS else check]


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters (normalised: strip, upper)."""
    body = first17.strip().upper()
    if len(body) != USCC_LENGTH - 1:
        raise InvalidUscc(f"统一社会信用代码前 17 位长度应为 17，实际为 {len(body)} (wrong length)")
    _check_body(body)
    return _compute_check_char(body)


def validate_uscc(value: str) -> str:
    """Return the normalised code (strip, upper) or raise InvalidUscc with a precise reason."""
    code = value.strip().upper()
    if len(code) != USCC_LENGTH:
        raise InvalidUscc(f"统一社会信用代码应为 18 位，实际为 {len(code)} 位 (wrong length)")
    # Check every position (including the 18th) for charset membership before the checksum, so the
    # message names the offending position rather than a misleading "wrong check digit".
    _check_body(code)
    expected = _compute_check_char(code[:17])
    if code[17] != expected:
        raise InvalidUscc(
            f"统一社会信用代码校验位错误，应为 {expected}，实际为 {code[17]} (wrong check digit, expected {expected})"
        )
    return code


def is_valid_uscc(value: str) -> bool:
    """Boolean convenience wrapper for filters where the reason is not needed."""
    try:
        validate_uscc(value)
    except InvalidUscc:
        return False
    return True


def make_uscc(prefix17: str) -> str:
    """Append the check character to a 17-char prefix (for demo seeds and tests)."""
    body = prefix17.strip().upper()
    return body + uscc_check_char(body)
