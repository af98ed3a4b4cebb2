"""Real files of every kind Staffroom takes (and some it refuses), made in memory.

`make("docx", "Fractions of amounts")` returns the bytes of a genuine Word document whose
text is that sentence; `uploaded("pdf", "...")` wraps them as an upload. Tests, the demo
seed and benchmarks may all use these.
"""

import functools
import io
import struct
import wave
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

DEFAULT_TEXT = "Adding fractions with the same denominator"
# The standard anti-virus test file: harmless, but every scanner reports it. Assembled from two
# halves so this source file is not itself reported by the scanners that read it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*"
# Text of a worksheet the tests treat as known malware: its PDF's MD5 is in the project's own
# clamd signature database (tests/resources/conftest.py).
KNOWN_BAD_TEXT = "Staffroom scanner test: a worksheet on the trust's block list"


def pdf(text: str = DEFAULT_TEXT, pages: int = 1) -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.set_font("Helvetica", size=14)
    for number in range(pages):
        document.add_page()
        document.multi_cell(0, 10, text if number == 0 else f"{text} (page {number + 1})")
    return bytes(document.output())


def docx(text: str = DEFAULT_TEXT) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Lesson plan", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx(text: str = DEFAULT_TEXT) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Starter"
    slide.placeholders[1].text = text
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def xlsx(text: str = DEFAULT_TEXT) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Marks"
    sheet.append(["Question", "Topic"])
    sheet.append([1, text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _odf_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def odt(text: str = DEFAULT_TEXT) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.text.addElement(P(text=text))
    return _odf_bytes(document)


def ods(text: str = DEFAULT_TEXT) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Marks")
    row = TableRow()
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=text))
    row.addElement(cell)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    return _odf_bytes(document)


def odp(text: str = DEFAULT_TEXT) -> bytes:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    document = OpenDocumentPresentation()
    layout = PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
    box = TextBox()
    box.addElement(P(text=text))
    frame.addElement(box)
    page.addElement(frame)
    document.presentation.addElement(page)
    return _odf_bytes(document)


def _image(format_name: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (29, 79, 110)).save(buffer, format=format_name)
    return buffer.getvalue()


def png(text: str = "") -> bytes:
    return _image("PNG")


def jpg(text: str = "") -> bytes:
    return _image("JPEG")


def gif(text: str = "") -> bytes:
    return _image("GIF")


def webp(text: str = "") -> bytes:
    return _image("WEBP")


def wav(text: str = "") -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 800)
    return buffer.getvalue()


def mp3(text: str = "") -> bytes:
    # An ID3v2 tag, then silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes).
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    frame = b"\xff\xfb\x90\x64" + b"\0" * 413
    return tag + frame * 10


def ogg(text: str = "") -> bytes:
    # The first page of an Ogg Vorbis stream: capture pattern, then the identification header.
    identification = b"\x01vorbis" + struct.pack("<IBIiii", 0, 1, 8000, 0, 64000, 0) + b"\xb8\x01"
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, 2, 0, 1, 0, 0, 1)
    return header + bytes([len(identification)]) + identification


def _iso_media(brand: bytes, compatible: bytes) -> bytes:
    ftyp_body = brand + b"\0\0\0\0" + compatible
    ftyp = struct.pack(">I", 8 + len(ftyp_body)) + b"ftyp" + ftyp_body
    mvhd = struct.pack(">I", 8 + 100) + b"mvhd" + b"\0" * 100
    moov = struct.pack(">I", 8 + len(mvhd)) + b"moov" + mvhd
    return ftyp + moov


def mp4(text: str = "") -> bytes:
    return _iso_media(b"isom", b"isomiso2avc1mp41")


def m4a(text: str = "") -> bytes:
    return _iso_media(b"M4A ", b"M4A mp42isom")


def mov(text: str = "") -> bytes:
    return _iso_media(b"qt  ", b"qt  ")


def webm(text: str = "") -> bytes:
    # An EBML header naming the "webm" document type, then an empty Segment.
    doctype = b"\x42\x82\x84webm"
    header_body = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08" + doctype
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header_body)]) + header_body
    return header + b"\x18\x53\x80\x67\x80"


MAKERS = {
    "pdf": pdf,
    "docx": docx,
    "pptx": pptx,
    "xlsx": xlsx,
    "odt": odt,
    "ods": ods,
    "odp": odp,
    "png": png,
    "jpg": jpg,
    "gif": gif,
    "webp": webp,
    "wav": wav,
    "mp3": mp3,
    "ogg": ogg,
    "mp4": mp4,
    "m4a": m4a,
    "mov": mov,
    "webm": webm,
}
DOCUMENT_KINDS = ["pdf", "docx", "pptx", "xlsx", "odt", "ods", "odp"]
MEDIA_KINDS = ["png", "jpg", "gif", "webp", "wav", "mp3", "ogg", "mp4", "m4a", "mov", "webm"]


def make(kind: str, text: str = DEFAULT_TEXT) -> bytes:
    return MAKERS[kind](text)


def uploaded(
    kind: str, text: str = DEFAULT_TEXT, *, name: str | None = None, content: bytes | None = None
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name or f"fractions.{kind}",
        make(kind, text) if content is None else content,
        content_type="application/octet-stream",
    )


def windows_program() -> bytes:
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    return stub + b"\0" * 48 + b"This program cannot be run in DOS mode.\r\r\n$" + b"\0" * 200


def linux_program() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + b"\x02\x00\x3e\x00" + b"\0" * 200


def eicar() -> bytes:
    return EICAR


def eicar_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lesson/readme.txt", "Read me first")
        archive.writestr("lesson/eicar.com", EICAR)
    return buffer.getvalue()


def eicar_docx() -> bytes:
    """A genuine Word document carrying the EICAR file as an embedded object."""
    real = zipfile.ZipFile(io.BytesIO(docx("Looks like a lesson plan")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as infected:
        for info in real.infolist():
            infected.writestr(info, real.read(info.filename))
        infected.writestr("word/embeddings/oleObject1.bin", EICAR)
    return buffer.getvalue()


@functools.cache
def known_bad_pdf() -> bytes:
    # Made once per run: PDFs carry their creation time, and the signature is of these bytes.
    return pdf(KNOWN_BAD_TEXT)


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + bytes(range(256)) * 4


def zip_bomb_docx(unpacked_mb: int = 150) -> bytes:
    """A "Word document" whose main part inflates from a few hundred KB to `unpacked_mb` MB."""
    real = zipfile.ZipFile(io.BytesIO(docx("Looks like a lesson plan")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in real.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, real.read(info.filename))
        with bomb.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(block)
    return buffer.getvalue()
