"""PII helpers for enterprise contacts: mobile validation, masking, and a leak detector.

DESIGN §6 forbids mobiles and USCC in chat-group messages; `contains_pii` lets template tests assert that.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "InvalidMobile",
    "contains_pii",
    "mask_mobile",
    "mask_name",
    "mask_uscc",
    "validate_mobile",
]


class InvalidMobile(ValueError):
    """Raised with a human-readable reason; subclass of ValueError so pydantic validators surface it."""


# Separators people type inside phone numbers; removed before validation. Brackets cover "(+86)".
_SEPARATORS = re.compile(r"[\s\-()]")
# Mainland mobile numbers: 11 digits, 1 then 3-9 (no 10x/11x/12x mobile ranges exist).
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _nfkc(value: str) -> str:
    # Users paste full-width digits/plus signs from IMEs; NFKC folds them to ASCII (and U+3000 to a space).
    return unicodedata.normalize("NFKC", value)


def validate_mobile(value: str) -> str:
    """Return the bare 11-digit mobile or raise InvalidMobile.

    Accepts an optional +86 / 86 / 0086 country prefix and spaces, hyphens or brackets anywhere.
    """
    digits = _SEPARATORS.sub("", _nfkc(value))
    if not digits:
        raise InvalidMobile("手机号不能为空 (mobile is empty)")
    # Strip the country code only when what remains is exactly 11 chars: a real mobile never starts with
    # "86", so this cannot eat part of a valid number.
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not digits.isascii() or not digits.isdigit():
        raise InvalidMobile(f"手机号只能包含数字：{value!r} (mobile must contain digits only)")
    if len(digits) != 11:
        raise InvalidMobile(f"手机号应为 11 位，实际为 {len(digits)} 位 (mobile must have 11 digits)")
    if not _MOBILE.fullmatch(digits):
        raise InvalidMobile("手机号应以 13-19 开头 (mobile must start with 1[3-9])")
    return digits


def mask_mobile(value: str) -> str:
    """"13812341234" -> "138****1234". Unparseable input is still masked, never echoed in clear."""
    try:
        digits = validate_mobile(value)
    except InvalidMobile:
        raw = _SEPARATORS.sub("", _nfkc(value))
        # Keep the same 3+4 shape for landlines etc. only when enough remains hidden to be meaningful.
        if len(raw) >= 10:
            return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]
        return "*" * len(raw)
    return digits[:3] + "****" + digits[-4:]


def mask_name(value: str) -> str:
    """"张三丰" -> "张**": first character, then one * per remaining character.

    A single-character name is fully masked, since showing its first char would show all of it.
    """
    name = value.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_uscc(value: str) -> str:
    """First 4 + "**********" + last 4 (18 chars in total for a well-formed code)."""
    code = value.strip().upper()
    if len(code) <= 8:
        # Too short to hide anything if we kept 4+4; mask everything.
        return "*" * len(code)
    return code[:4] + "**********" + code[-4:]


# An 11-digit mobile not embedded in a longer digit run (so an 18-digit ID/USCC is not double-counted and
# order numbers with more digits are not flagged). Allows the 3-4-4 grouping with spaces or hyphens.
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?1[3-9][0-9](?:[\s\-]?[0-9]{4}){2}(?![0-9])")
# USCC-looking: 18 alphanumerics from the GB 32100 charset with digits at 3-8, as a whole token. No
# checksum test on purpose: a mistyped code in a message is still a leak. Also catches 18-digit ID numbers.
_USCC_CHAR = "0-9A-HJ-NPQRTUWXY"
_USCC_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z])[{_USCC_CHAR}]{{2}}[0-9]{{6}}[{_USCC_CHAR}]{{10}}(?![0-9A-Za-z])",
    re.IGNORECASE,
)


def contains_pii(text: str) -> bool:
    """True if text contains a mainland mobile number or an 18-char USCC-looking token."""
    folded = _nfkc(text)
    return bool(_MOBILE_IN_TEXT.search(folded) or _USCC_IN_TEXT.search(folded))
