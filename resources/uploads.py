"""Checking an uploaded file before it is kept: its size, its real type and its name.

The type comes from the bytes, never from the browser's word or the name alone, and must
agree with the name's ending. Programs are refused whatever they are called.
"""

import hashlib
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify

from resources.extraction import (
    ZIP_KINDS,
    ExtractionFailed,
    Limits,
    check_archive,
    check_member_count,
)

# Room in a request's body for the form's other fields and the multipart boundaries.
FORM_OVERHEAD_BYTES = 64 * 1024
HEADER_BYTES = 8192
# [Content_Types].xml and ODF's mimetype are tiny; never inflate more of them than this.
ZIP_MEMBER_READ_LIMIT = 1024 * 1024
MAX_NAME_BYTES = 150
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{device}{n}" for device in ("COM", "LPT") for n in range(1, 10)
}


class UploadRejected(Exception):
    """A file Staffroom will not keep; `message` says why, for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Kind:
    description: str  # "a PDF", used in messages: "This file is a PNG image, not a PDF."
    content_type: str
    family: str  # document, image, audio or video


KINDS: dict[str, Kind] = {
    "pdf": Kind("a PDF", "application/pdf", "document"),
    "docx": Kind(
        "a Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
    ),
    "doc": Kind("a Word 97–2003 document", "application/msword", "document"),
    "pptx": Kind(
        "a PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
    ),
    "ppt": Kind("a PowerPoint 97–2003 presentation", "application/vnd.ms-powerpoint", "document"),
    "xlsx": Kind(
        "an Excel spreadsheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "document",
    ),
    "xls": Kind("an Excel 97–2003 spreadsheet", "application/vnd.ms-excel", "document"),
    "odt": Kind("an OpenDocument text", "application/vnd.oasis.opendocument.text", "document"),
    "odp": Kind(
        "an OpenDocument presentation",
        "application/vnd.oasis.opendocument.presentation",
        "document",
    ),
    "ods": Kind(
        "an OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", "document"
    ),
    "png": Kind("a PNG image", "image/png", "image"),
    "jpg": Kind("a JPEG image", "image/jpeg", "image"),
    "gif": Kind("a GIF image", "image/gif", "image"),
    "webp": Kind("a WebP image", "image/webp", "image"),
    "mp3": Kind("an MP3 audio file", "audio/mpeg", "audio"),
    "m4a": Kind("an M4A audio file", "audio/mp4", "audio"),
    "wav": Kind("a WAV audio file", "audio/wav", "audio"),
    "ogg": Kind("an Ogg audio file", "audio/ogg", "audio"),
    "mp4": Kind("an MP4 video", "video/mp4", "video"),
    "webm": Kind("a WebM video", "video/webm", "video"),
    "mov": Kind("a QuickTime video", "video/quicktime", "video"),
}

# What we may find in the bytes but never keep, with how we name it to the uploader.
REFUSED_KINDS = {
    "windows_program": "a Windows program",
    "linux_program": "a Linux program",
    "mac_program": "a Mac program",
    "script": "a script",
    "web_page": "a web page",
    "zip": "a zip archive",
    "macro_office": "an Office file with macros",
    "ole": "an Office 97–2003 file",
    "unknown": "in a format Staffroom does not recognise",
}

# A name's ending -> the sniffed kinds that may carry it.
ACCEPTED: dict[str, set[str]] = {ext: {ext} for ext in KINDS}
ACCEPTED["jpeg"] = {"jpg"}
# Legacy Office files share one container; telling them apart needs their directory, which
# can sit anywhere in the file, so any of the three names is taken on trust.
ACCEPTED["doc"] = {"doc", "ole"}
ACCEPTED["ppt"] = {"ppt", "ole"}
ACCEPTED["xls"] = {"xls", "ole"}
# Apple's players write M4A and MOV files with plain MP4 brands as often as not.
ACCEPTED["m4a"] = {"m4a", "mp4"}
ACCEPTED["mov"] = {"mov", "mp4"}

ALLOWED_EXTENSIONS = sorted(ACCEPTED)
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)
FRIENDLY_LIST = (
    "PDF, Word, PowerPoint, Excel, OpenDocument, images (PNG, JPEG, GIF, WebP), "
    "audio (MP3, M4A, WAV, Ogg) and video (MP4, WebM, MOV)"
)

OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
MACH_O_MAGIC = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_upload_bytes() -> int:
    return int(getattr(settings, "RESOURCE_MAX_UPLOAD_BYTES", 100 * 1024 * 1024))


def too_large_message(limit: int | None = None) -> str:
    limit = max_upload_bytes() if limit is None else limit
    return f"This file is too large: files can be up to {filesizeformat(limit)}."


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def clean_filename(name: str) -> str:
    """A name safe to show and to offer back in a download: no folders, no control or
    direction-changing characters, no Windows device names, not too long."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Categories C* are control, format (including right-to-left overrides) and unassigned.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:8]
    stem = stem.strip(" .")
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem or "file"
    budget = MAX_NAME_BYTES - len(ext) - 1
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return f"{stem.rstrip(' .') or 'file'}.{ext}" if ext else stem


def storage_name(clean_name: str) -> str:
    """The stored file's own name: plain ASCII, the original is kept in the database."""
    stem, _, ext = clean_name.rpartition(".")
    return f"{slugify(stem)[:80] or 'file'}.{ext}" if ext else slugify(clean_name)[:80] or "file"


def _read_zip_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        with archive.open(name) as member:
            return member.read(ZIP_MEMBER_READ_LIMIT)
    except (
        KeyError,
        zipfile.BadZipFile,
        RuntimeError,
        OSError,
        NotImplementedError,
        ValueError,  # a header offset pointing before the start of the file
        EOFError,
        zlib.error,  # damaged compressed data
    ):
        return None


def _sniff_zip(stream: IO[bytes]) -> str:
    try:
        # Before ZipFile, which reads the whole directory into memory.
        check_member_count(stream, Limits.from_settings())
    except ExtractionFailed as error:
        raise UploadRejected(f"{error} It has not been saved.") from error
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return "unknown"
    with archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            declared = (_read_zip_member(archive, "mimetype") or b"").decode("ascii", "replace")
            return ODF_TYPES.get(declared.strip(), "zip")
        if "[Content_Types].xml" in names:
            data = _read_zip_member(archive, "[Content_Types].xml")
            # Office never writes a DOCTYPE; one is there only to declare entities to expand.
            if not data or b"<!DOCTYPE" in data.upper():
                return "zip"
            try:
                root = ElementTree.fromstring(data)  # nosec B314: expat 2.4+ refuses entity bombs
            except ElementTree.ParseError:
                return "zip"
            for element in root:
                declared = element.get("ContentType", "")
                if declared in OOXML_MAIN_PARTS:
                    return OOXML_MAIN_PARTS[declared]
                if "macroEnabled.main" in declared:
                    return "macro_office"
        return "zip"


def _sniff_iso_media(header: bytes) -> str | None:
    if header[4:8] != b"ftyp":
        return None
    brand = header[8:12]
    if brand in (b"M4A ", b"M4B "):
        return "m4a"
    if brand == b"qt  ":
        return "mov"
    return "mp4"


def sniff(stream: IO[bytes]) -> str:
    """The kind of file these bytes are: a key of KINDS or REFUSED_KINDS."""
    stream.seek(0)
    header = stream.read(HEADER_BYTES)
    stream.seek(0)
    if header.startswith(b"MZ"):
        return "windows_program"
    if header.startswith(b"\x7fELF"):
        return "linux_program"
    if header.startswith(MACH_O_MAGIC):
        return "mac_program"
    if header.startswith(b"#!"):
        return "script"
    if header.startswith(b"%PDF-"):
        return "pdf"
    if header.startswith(b"PK\x03\x04"):
        kind = _sniff_zip(stream)
        stream.seek(0)
        return kind
    if header.startswith(OLE_MAGIC):
        guess = filetype.guess_extension(header)
        return guess if guess in ("doc", "ppt", "xls") else "ole"
    if iso := _sniff_iso_media(header):
        return iso
    if header.startswith(b"RIFF") and header[8:12] == b"WAVE":
        return "wav"
    if header.startswith(b"OggS"):
        return "ogg"
    if header.startswith(b"ID3") or (
        len(header) > 1 and header[0] == 0xFF and header[1] & 0xE0 == 0xE0
    ):
        return "mp3"
    guess = filetype.guess_extension(header)
    if guess in ("png", "jpg", "gif", "webp", "webm"):
        return guess
    lowered = header[:1024].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<script", b"<svg")):
        return "web_page"
    return "unknown"


def describe(kind: str) -> str:
    if kind in KINDS:
        return KINDS[kind].description
    return REFUSED_KINDS.get(kind, REFUSED_KINDS["unknown"])


def check_type(stream: IO[bytes], name: str) -> str:
    """The file's kind, if its bytes agree with its name's ending; otherwise UploadRejected."""
    ext = extension_of(name)
    if ext not in ACCEPTED:
        shown = f".{ext} files" if ext else "files without an ending such as .pdf"
        raise UploadRejected(f"Staffroom does not take {shown}. You can upload {FRIENDLY_LIST}.")
    expected = sorted(ACCEPTED[ext] & KINDS.keys())[0]
    kind = sniff(stream)
    if kind in ACCEPTED[ext]:
        return expected
    wanted = KINDS[expected].description
    if kind == "unknown":
        raise UploadRejected(
            f"This file does not look like {wanted}: it may be damaged or in another format."
        )
    raise UploadRejected(
        f"This file is {describe(kind)}, not {wanted}."
        + (
            ""
            if kind in REFUSED_KINDS
            else " Check you chose the right file, or save it with the right ending."
        )
    )


IMAGE_KINDS = {"png", "jpg", "gif", "webp"}
# Markup that a browser would run if it ever took the file for a web page. A genuine image or
# a compressed document has no reason to hold it; a polyglot (a PNG that is also a page) does.
MARKUP = (b"<script", b"<html", b"<!doctype html", b"<iframe", b"<svg", b"<object", b"<embed")
MARKUP_SEARCH_BYTES = 1024  # of every file; the whole of an image
MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo; more is a decompression bomb


def _carries_markup(stream: IO[bytes], *, whole: bool) -> bool:
    longest = max(len(marker) for marker in MARKUP)
    stream.seek(0)
    carried = b""
    try:
        while block := stream.read(64 * 1024 if whole else MARKUP_SEARCH_BYTES):
            window = carried + block.lower()
            if any(marker in window for marker in MARKUP):
                return True
            if not whole:
                return False
            carried = window[-longest:]
        return False
    finally:
        stream.seek(0)


def _check_image(stream: IO[bytes], kind: str) -> None:
    from PIL import Image

    description = KINDS[kind].description
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise UploadRejected(
                        f"This image is {width:,} by {height:,} pixels, more than Staffroom "
                        "takes. Save a smaller copy and upload that."
                    )
                image.verify()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UploadRejected(
            "This image has far more pixels than its size suggests, so it has not been saved."
        ) from error
    except Exception as error:
        raise UploadRejected(
            f"This file does not look like {description}: it may be damaged or in another format."
        ) from error
    finally:
        stream.seek(0)


def check_content(stream: IO[bytes], kind: str) -> None:
    """Refuse files that are also something else: web-page code inside, or a broken image."""
    if _carries_markup(stream, whole=kind in IMAGE_KINDS):
        raise UploadRejected(
            f"This file is {KINDS[kind].description} with web page code hidden inside it, "
            "so it has not been saved."
        )
    if kind in IMAGE_KINDS:
        _check_image(stream, kind)


@dataclass(frozen=True)
class CheckedUpload:
    name: str  # cleaned original name
    kind: str
    content_type: str
    size: int
    sha256: str


def check_upload(uploaded_file: UploadedFile) -> CheckedUpload:
    """Size, digest, type and name of an upload, read in chunks, never whole into memory."""
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        if size > limit:
            raise UploadRejected(too_large_message(limit))
        digest.update(chunk)
    if size == 0:
        raise UploadRejected("This file is empty.")
    name = clean_filename(uploaded_file.name or "")
    kind = check_type(uploaded_file, name)
    check_content(uploaded_file, kind)
    if kind in ZIP_KINDS:
        try:
            check_archive(uploaded_file, Limits.from_settings())
        except ExtractionFailed as error:
            raise UploadRejected(f"{error} It has not been saved.") from error
    uploaded_file.seek(0)
    return CheckedUpload(
        name=name,
        kind=kind,
        content_type=KINDS[kind].content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to a temporary file and stops reading the body once it is too large.

    The declared Content-Length is checked before anything is read; the bytes are counted
    as they arrive too, since a client may lie or send no length. Views check `refusal`
    after touching request.POST/FILES. Views that install it must be CSRF-exempt and
    protect their inner function (Django reads the body for the CSRF token otherwise).
    """

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0
        self.refusal = ""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        if content_length > self.limit + FORM_OVERHEAD_BYTES:
            self.refusal = too_large_message(self.limit)

    def new_file(self, *args, **kwargs) -> None:
        if self.refusal:
            # connection_reset: read no more of the body.
            raise StopUpload(connection_reset=True)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refusal = too_large_message(self.limit)
            self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def request_too_large(request) -> bool:
    """The declared body is larger than any allowed upload: refuse without reading it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_upload_bytes() + FORM_OVERHEAD_BYTES


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Any]


class UploadLimitMiddleware:
    """ASGI middleware: Django's ASGI handler spools the whole body before any view runs, so
    the size limit must also be kept here, in front of it. A request declaring too large a
    body gets 413 unread; one that grows past the limit while streaming is cut off."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT"):
            return await self.app(scope, receive, send)
        limit = max_upload_bytes() + FORM_OVERHEAD_BYTES
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > limit:
            body = (
                "<!doctype html><html lang='en-GB'><title>File too large</title>"
                f"<p>{too_large_message()}</p></html>"
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return None
        received = 0

        async def counted_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django treats a disconnect as an aborted request and stops reading.
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, counted_receive, send)
