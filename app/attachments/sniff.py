"""What a file really is, from its first bytes (never from the declared Content-Type or name), and a safe
display name for it. Pure functions."""

from __future__ import annotations

import re
import unicodedata

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
ALLOWED = (JPEG, PNG, PDF)
SNIFF_BYTES = 8

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
_SUFFIXES: dict[str, tuple[str, ...]] = {JPEG: (".jpg", ".jpeg"), PNG: (".png",), PDF: (".pdf",)}
_DEFAULT_STEM = "附件"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u2028\u2029\ufeff]')
MAX_NAME = 100


def sniff(head: bytes) -> str | None:
    """The media type of a JPEG, PNG or PDF file from its magic bytes; None for anything else."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    return None


def safe_filename(name: str | None, media_type: str) -> str:
    """The uploaded name without directories, control or shell/path characters, at most MAX_NAME characters,
    ending in a suffix that matches the sniffed type (so `x.html` stored as PNG becomes `x.html.png`)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"\s+", " ", _UNSAFE.sub("", base)).strip(" .")
    suffixes = _SUFFIXES[media_type]
    if not base.lower().endswith(suffixes):
        base = (base or _DEFAULT_STEM) + suffixes[0]
    stem, dot, suffix = base.rpartition(".")
    stem = (stem.strip(" .") or _DEFAULT_STEM)[: MAX_NAME - len(suffix) - 1]
    return f"{stem}{dot}{suffix}"
