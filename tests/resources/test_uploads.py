import asyncio
import hashlib
import io
import zipfile

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import LimitedStream
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from resources.file_views import file_upload
from resources.models import FileVersion, ResourceFile
from resources.uploads import (
    UploadLimitMiddleware,
    UploadRejected,
    check_upload,
    clean_filename,
)
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize("kind", sorted(filemakers.MAKERS))
def test_every_supported_kind_of_file_is_recognised_from_its_bytes(kind):
    checked = check_upload(filemakers.uploaded(kind))

    assert checked.kind == kind
    assert checked.name == f"fractions.{kind}"


def test_a_jpeg_may_end_in_jpeg_as_well_as_jpg():
    assert check_upload(filemakers.uploaded("jpg", name="photo.JPEG")).content_type == "image/jpeg"


def test_size_and_sha256_are_measured_while_reading():
    content = filemakers.make("pdf", "Place value to one million")

    checked = check_upload(filemakers.uploaded("pdf", content=content))

    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_a_windows_program_posing_as_a_pdf_is_refused_by_name():
    with pytest.raises(UploadRejected) as refused:
        check_upload(filemakers.uploaded("pdf", content=filemakers.windows_program()))
    assert refused.value.message == "This file is a Windows program, not a PDF."


def test_a_linux_program_posing_as_a_word_document_is_refused():
    upload = filemakers.uploaded("docx", content=filemakers.linux_program())
    with pytest.raises(UploadRejected, match="This file is a Linux program, not a Word document"):
        check_upload(upload)


def test_a_script_posing_as_a_spreadsheet_is_refused():
    upload = filemakers.uploaded("xlsx", content=b"#!/bin/sh\nrm -rf /\n")
    with pytest.raises(UploadRejected, match="This file is a script, not an Excel spreadsheet"):
        check_upload(upload)


def test_a_file_whose_type_does_not_match_its_ending_is_refused_with_both_named():
    upload = filemakers.uploaded("pdf", content=filemakers.make("png"))
    with pytest.raises(UploadRejected, match="This file is a PNG image, not a PDF"):
        check_upload(upload)


def test_a_word_document_renamed_as_a_presentation_is_refused():
    upload = filemakers.uploaded("pptx", content=filemakers.make("docx"))
    with pytest.raises(UploadRejected, match="a Word document, not a PowerPoint presentation"):
        check_upload(upload)


def test_a_plain_zip_renamed_as_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    upload = filemakers.uploaded("docx", content=buffer.getvalue())
    with pytest.raises(UploadRejected, match="a zip archive, not a Word document"):
        check_upload(upload)


def test_a_file_type_staffroom_does_not_take_is_refused_with_the_list_it_does():
    upload = SimpleUploadedFile("setup.exe", filemakers.windows_program())
    with pytest.raises(UploadRejected, match=r"does not take \.exe files\. You can upload PDF"):
        check_upload(upload)


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRejected, match="empty"):
        check_upload(SimpleUploadedFile("empty.pdf", b""))


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.RESOURCE_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(UploadRejected, match="too large: files can be up to 1000"):
        check_upload(filemakers.uploaded("pdf"))


def test_a_decompression_bomb_disguised_as_a_word_document_is_refused():
    upload = filemakers.uploaded("docx", content=filemakers.zip_bomb_docx())
    with pytest.raises(UploadRejected, match="decompression bomb.*It has not been saved"):
        check_upload(upload)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\priya\\Fractions.PDF", "Fractions.pdf"),
        ("report\x00\x07.pdf", "report.pdf"),
        ("invoice\u202egpj.pdf", "invoicegpj.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1.docx", "_lpt1.docx"),
        ("...hidden.pdf", "hidden.pdf"),
        ('what?<is>"this".pdf', "what__is__this_.pdf"),
        (".pdf", "file.pdf"),
        ("Año 6 – fracciones.pdf", "Año 6 – fracciones.pdf"),
    ],
)
def test_original_file_names_are_made_safe(given, expected):
    assert clean_filename(given) == expected


def test_long_file_names_are_shortened_but_keep_their_ending():
    cleaned = clean_filename("é" * 400 + ".pptx")

    assert cleaned.endswith(".pptx")
    assert len(cleaned.encode()) <= 150


class CountingStream(io.BytesIO):
    """A request body that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def _raw_upload_request(person, resource, content: bytes):
    """A real multipart request whose body is read from a stream that counts its bytes."""
    body = encode_multipart(
        BOUNDARY, {"title": "Slides", "file": SimpleUploadedFile("big.pdf", content)}
    )
    stream = CountingStream(body)
    request = RequestFactory().generic(
        "POST",
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        data=body,
        content_type=MULTIPART_CONTENT,
    )
    request.environ["wsgi.input"] = stream
    request._stream = LimitedStream(stream, len(body))
    request.user = person
    request._dont_enforce_csrf_checks = True
    request.session = {}
    request._messages = FallbackStorage(request)
    return request, stream, len(body)


def test_an_upload_declaring_a_body_over_the_limit_is_refused_unread(
    settings, primary_teacher, media_root
):
    settings.RESOURCE_MAX_UPLOAD_BYTES = 100_000
    resource = ResourceFactory(author=primary_teacher)
    request, stream, total = _raw_upload_request(
        primary_teacher, resource, b"%PDF-" + b"0" * 500_000
    )

    response = file_upload(request, pk=resource.pk)

    assert response.status_code == 413
    assert "This file is too large: files can be up to 97.7" in response.content.decode()
    assert stream.bytes_read == 0
    assert not ResourceFile.objects.exists()
    assert not FileVersion.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_an_upload_that_grows_past_the_limit_while_streaming_is_cut_off(
    settings, primary_teacher, media_root
):
    # Small enough in total to pass the declared-length check (which allows room for the
    # other fields), so the handler's count of the file's bytes is what refuses it.
    settings.RESOURCE_MAX_UPLOAD_BYTES = 100_000
    resource = ResourceFactory(author=primary_teacher)
    request, stream, total = _raw_upload_request(
        primary_teacher, resource, b"%PDF-" + b"0" * 150_000
    )

    response = file_upload(request, pk=resource.pk)

    assert response.status_code == 413
    assert "This file is too large" in response.content.decode()
    assert 100_000 < stream.bytes_read < total
    assert not FileVersion.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_an_oversized_upload_through_the_whole_stack_shows_the_reason(
    settings, client, primary_teacher
):
    settings.RESOURCE_MAX_UPLOAD_BYTES = 50_000
    resource = ResourceFactory(author=primary_teacher)
    client.force_login(primary_teacher)

    response = client.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 200_000), "title": ""},
    )

    assert response.status_code == 413
    assert "This file is too large" in response.content.decode()
    assert not FileVersion.objects.exists()


def _asgi_call(app, headers: list[tuple[bytes, bytes]], chunks: list[bytes]):
    sent: list[dict] = []
    delivered = []

    async def receive() -> dict:
        if chunks:
            body = chunks.pop(0)
            delivered.append(len(body))
            return {"type": "http.request", "body": body, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/resources/1/files/add/",
        "headers": headers,
    }
    asyncio.run(UploadLimitMiddleware(app)(scope, receive, send))
    return sent, delivered


def test_the_asgi_guard_answers_413_without_reading_a_body_declared_too_large(settings):
    settings.RESOURCE_MAX_UPLOAD_BYTES = 1000
    reached = []

    async def app(scope, receive, send):
        reached.append(scope)

    sent, delivered = _asgi_call(app, [(b"content-length", b"10000000")], [b"x" * 1000] * 5)

    assert sent[0]["status"] == 413
    assert b"too large" in sent[1]["body"]
    assert not reached and not delivered


def test_the_asgi_guard_cuts_off_a_body_that_grows_past_the_limit(settings):
    settings.RESOURCE_MAX_UPLOAD_BYTES = 1000
    seen: list[str] = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break

    _asgi_call(app, [], [b"x" * 40_000] * 10)

    assert seen[-1] == "http.disconnect"
    assert seen.count("http.request") <= 2
