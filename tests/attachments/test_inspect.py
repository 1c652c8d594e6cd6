"""app/attachments/inspect.py on files made here: images must decode whole, PDFs must carry no JavaScript, no
Launch action and nothing that runs by itself but a jump to a page. Pure (files in tmp_path, no app)."""

from __future__ import annotations

import pytest

from app.attachments.inspect import MAX_PDF_FILE_OBJECTS, MAX_PDF_OBJECTS, MAX_PIXELS, Refused, check
from app.attachments.sniff import JPEG, PDF, PNG
from tests.attachments.files import image, pdf, plain_pdf, sized_png

HTML = b"<html><script>alert(document.cookie)</script></html>"


def _check(tmp_path, data: bytes, media_type: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "upload"
    path.write_bytes(data)
    check(path, media_type)


def _refused(tmp_path, data: bytes, media_type: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        _check(tmp_path, data, media_type)
    return str(caught.value)


@pytest.mark.parametrize("data, media_type", [
    (image("PNG"), PNG), (image("JPEG"), JPEG), (image("PNG", (1, 1)), PNG), (sized_png(4096), PNG),
    (image("JPEG", (640, 480)) + b"SEFT camera trailer", JPEG),  # phones append data after EOI
])
def test_real_images_pass(tmp_path, data, media_type):
    _check(tmp_path, data, media_type)


@pytest.mark.parametrize("data, media_type", [
    (b"\x89PNG\r\n\x1a\n" + HTML, PNG),  # the finding: a PNG signature, then a page
    (image("JPEG", (640, 480))[:2000], JPEG),  # the finding: a truncated JPEG
    (image("PNG", (640, 480))[:-40], PNG),  # no IEND
    (b"\xff\xd8\xff\xe0" + bytes(200), JPEG),
    (b"\xff\xd8\xff" + HTML, JPEG),
    (image("PNG")[:40] + bytes(8) + image("PNG")[48:], PNG),  # a chunk's CRC broken
])
def test_undecodable_images_are_refused(tmp_path, data, media_type):
    assert "无法解码" in _refused(tmp_path, data, media_type)


def test_bytes_after_a_png_are_refused(tmp_path):
    assert "多余的数据" in _refused(tmp_path, image("PNG") + HTML, PNG)


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path):
    side = int(MAX_PIXELS**0.5) + 10
    assert "尺寸过大" in _refused(tmp_path, image("PNG", (side, side)), PNG)


DEST = b"/OpenAction [3 0 R /Fit]"  # where to open (LaTeX writes this): no action


@pytest.mark.parametrize("data", [
    plain_pdf(), plain_pdf(DEST), plain_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /XYZ 0 0 1] >>"),
    plain_pdf(b"", b"/AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>"),
    plain_pdf(b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                                        b"/A << /S /URI /URI (https://www.hangzhou.gov.cn/) >> >>"),  # clicked, not run
    plain_pdf(b"/Names << /Dests 4 0 R >>", b"", b"<< /Names [(p1) [3 0 R /Fit]] >>"),
    plain_pdf(b"/Metadata 4 0 R", b"", b"<< /Length 22 >>\nstream\n(/JS is only text here\nendstream"),
])
def test_ordinary_pdfs_pass(tmp_path, data):
    _check(tmp_path, data, PDF)


JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


@pytest.mark.parametrize("data, expected", [
    (plain_pdf(b"/OpenAction " + JS_ACTION), "JavaScript"),  # the finding: an OpenAction running JavaScript
    (plain_pdf(b"/OpenAction 4 0 R", b"", JS_ACTION), "JavaScript"),
    (plain_pdf(b"/Names << /JavaScript 4 0 R >>", b"", b"<< /Names [(a) 5 0 R] >>", JS_ACTION), "JavaScript"),
    (plain_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"), "JavaScript"),  # escaped names
    (plain_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "Launch"),
    (plain_pdf(b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                                        b"/A << /S /Launch /F (calc.exe) >> >>"), "Launch"),
    (plain_pdf(b"/OpenAction << /S /URI /URI (https://tracker.example/) >>"), "OpenAction"),
    (plain_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /GoToR /F (x.pdf) /D [0 /Fit] >> >>"),
     "OpenAction"),
    (plain_pdf(b"", b"/AA << /O << /S /URI /URI (https://tracker.example/) >> >>"), "AA"),
    (plain_pdf(b"", b"/AA << /C 4 0 R >>", b"<< /S /SubmitForm /F (https://x.example/) >>"), "提交表单"),
])
def test_active_pdfs_are_refused(tmp_path, data, expected):
    assert expected in _refused(tmp_path, data, PDF)


def test_javascript_inside_an_object_stream_is_found(tmp_path):
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    path = tmp_path / "objstm.pdf"
    with path.open("wb") as file:
        writer.write(file)
    assert "JavaScript" in _refused(tmp_path, path.read_bytes(), PDF)


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n" + HTML,
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",  # no cross-reference
    pdf(b"<< /Type /Pages /Kids [] /Count 0 >>")[:-30],
])
def test_broken_pdfs_are_refused(tmp_path, data):
    assert "无法解析" in _refused(tmp_path, data, PDF)


def test_a_pdf_locked_with_a_password_is_refused(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("user-password", "owner-password", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as file:
        writer.write(file)
    assert "加密" in _refused(tmp_path, path.read_bytes(), PDF)


def test_too_many_suspect_objects_are_refused_without_walking_them(tmp_path):
    aa = b"<< /AA << /O << /S /GoTo /D [3 0 R /Fit] >> >> >>"
    data = pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>",
               *[aa] * (MAX_PDF_OBJECTS + 1))
    assert "过于复杂" in _refused(tmp_path, data, PDF)


def test_a_pdf_of_too_many_objects_is_refused_before_pypdf_reads_it(tmp_path):
    data = pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>",
               *[b"<< /A 1 >>"] * MAX_PDF_FILE_OBJECTS)
    assert "过于复杂" in _refused(tmp_path, data, PDF)
