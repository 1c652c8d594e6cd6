"""Files for the upload tests, built here byte by byte (PDF) or with Pillow (images), so that each hostile variant
differs from a good file in one known way."""

from __future__ import annotations

import io


def pdf(*objects: bytes, root: int = 1) -> bytes:
    """A well-formed PDF (header, objects 1…n, a cross-reference table, trailer) holding these object bodies."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


PAGES = (b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>")


def plain_pdf(catalog_extra: bytes = b"", page_extra: bytes = b"", *more: bytes) -> bytes:
    """One blank page; `catalog_extra`/`page_extra` go inside the catalog and page dictionaries, `more` are
    objects 4…"""
    page = PAGES[1].replace(b" >>", b" " + page_extra + b" >>") if page_extra else PAGES[1]
    return pdf(b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>", PAGES[0], page, *more)


def image(kind: str = "PNG", size: tuple[int, int] = (64, 48), seed: int = 0) -> bytes:
    from PIL import Image

    picture = Image.new("RGB", size, ((seed * 37) % 256, 120, 200))
    for x in range(size[0]):
        picture.putpixel((x, x % size[1]), (x % 256, seed % 256, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return buffer.getvalue()


def sized_png(total: int, seed: int = 0) -> bytes:
    """A valid PNG of exactly `total` bytes: a small picture padded by a private ancillary chunk (`zqPd`, which
    decoders skip) before IEND."""
    import struct
    import zlib

    base = image("PNG", (4, 4), seed)
    head, iend = base[:-12], base[-12:]
    padding = bytes(total - len(base) - 12)
    chunk = struct.pack(">I", len(padding)) + b"zqPd" + padding
    chunk += struct.pack(">I", zlib.crc32(b"zqPd" + padding) & 0xFFFFFFFF)
    return head + chunk + iend
