"""Files built to trick a browser, a parser or the disk: refused on the way in, or served so
that nothing in them can run on Staffroom's origin."""

import io
import random
import struct
import zipfile
import zlib
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from resources import user_content
from resources.extraction import Limits, outcome_for, zip_member_count
from resources.file_views import ATTACHMENT_POLICY, INLINE_POLICY
from resources.files import file_add
from resources.models import FileVersion
from resources.uploads import UploadRejected, check_upload
from tests.factories import PersonFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

CONTENT_HOST = "files.trust-staffroom.example"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def resource(primary_teacher):
    return ResourceFactory(author=primary_teacher)


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def refused(name: str, content: bytes) -> str:
    with pytest.raises(UploadRejected) as rejection:
        check_upload(filemakers.uploaded("pdf", name=name, content=content))
    return rejection.value.message


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims these dimensions; its pixels are never reached."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")


def docx_with(extra: dict[str, bytes], replace: dict[str, bytes] | None = None) -> bytes:
    real = zipfile.ZipFile(io.BytesIO(filemakers.docx("A lesson plan")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as changed:
        for info in real.infolist():
            changed.writestr(info, (replace or {}).get(info.filename) or real.read(info))
        for name, content in extra.items():
            changed.writestr(name, content)
    return buffer.getvalue()


# Disguises ---------------------------------------------------------------------------


def test_a_png_that_is_also_a_web_page_is_refused():
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"

    assert "web page code hidden inside it" in refused("chart.png", polyglot)


def test_a_real_png_with_a_page_appended_after_its_end_is_refused():
    polyglot = filemakers.png() + b"<!doctype html><script>fetch('/people/')</script>"

    assert "web page code hidden inside it" in refused("chart.png", polyglot)


def test_a_pdf_that_opens_as_a_web_page_is_refused():
    polyglot = b"%PDF-1.7\n<html><body><script>alert(1)</script>" + filemakers.pdf()

    assert "web page code hidden inside it" in refused("notes.pdf", polyglot)


def test_markup_hidden_deep_in_a_pdf_is_left_to_the_download_headers():
    # Only images are searched from end to end: PDFs are served with nosniff and a sandbox.
    padded = filemakers.pdf() + b"%" + b" " * 2048
    upload = filemakers.uploaded("pdf", content=padded + b"\n%<script>x</script>")

    assert check_upload(upload).kind == "pdf"


@pytest.mark.parametrize("name", ["diagram.svg", "diagram.png"])
def test_an_svg_with_a_script_is_refused_whatever_it_is_called(name):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    message = refused(name, svg)

    assert "does not take .svg" in message or "web page" in message


def test_a_web_page_renamed_as_a_pdf_is_refused():
    page = b"<!DOCTYPE html><html><body onload='steal()'>Homework</body></html>"

    assert refused("homework.pdf", page) == "This file is a web page, not a PDF."


@pytest.mark.parametrize("name", ["worksheet.pdf.exe", "worksheet.pdf.EXE", "worksheet.pdf.bat"])
def test_a_double_ending_hiding_a_program_is_refused(name):
    assert "Staffroom does not take" in refused(name, filemakers.pdf())


def test_a_right_to_left_override_cannot_hide_a_programs_ending():
    # Shows as "worksheetexe.pdf" in a file list; really ends in .exe.
    message = refused("worksheet\u202efdp.exe", filemakers.windows_program())

    assert "Staffroom does not take .exe files" in message


def test_a_broken_image_is_refused():
    damaged = filemakers.png()[:40] + b"\0" * 200

    assert "does not look like a PNG image" in refused("photo.png", damaged)


def test_an_image_with_an_absurd_number_of_pixels_is_refused():
    assert "far more pixels" in refused("photo.png", png_header_only(30_000, 30_000))


def test_an_image_too_large_in_pixels_is_refused_with_its_size():
    message = refused("photo.png", png_header_only(8_000, 8_000))

    assert "8,000 by 8,000 pixels, more than Staffroom takes" in message


# Names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown", "stored"),
    [
        ("../../../../etc/cron.d/job.pdf", "job.pdf", "job.pdf"),
        ("..\\..\\Windows\\System32\\job.pdf", "job.pdf", "job.pdf"),
        ("/var/www/static/index.pdf", "index.pdf", "index.pdf"),
        ("lesson\x00.pdf", "lesson.pdf", "lesson.pdf"),
        ("\x1b[31mred\r\n.pdf", "[31mred.pdf", "31mred.pdf"),
        ("fractions\u202egnp.pdf", "fractionsgnp.pdf", "fractionsgnp.pdf"),
    ],
)
def test_hostile_names_are_neither_shown_nor_stored_as_given(
    resource, primary_teacher, media_root, given, shown, stored
):
    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", name=given),
        person=primary_teacher,
    )

    assert version.original_name == shown
    (path,) = stored_files(media_root)
    assert path.name == stored
    assert path.resolve().is_relative_to(media_root.resolve() / "resources")


def test_a_300_character_name_is_shortened_keeping_its_ending(resource, primary_teacher):
    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("docx", name="Fractions " * 30 + ".docx"),
        person=primary_teacher,
    )

    assert version.original_name.endswith(".docx")
    assert len(version.original_name.encode()) <= 150
    assert len(version.blob.name) <= 200


# Archives ----------------------------------------------------------------------------


def test_a_document_listing_thousands_of_files_is_refused_before_it_is_opened(
    settings, monkeypatch
):
    settings.RESOURCE_EXTRACTION_LIMITS = {"max_members": 100}
    crowded = docx_with({f"customXml/extra{n}.xml": b"" for n in range(150)})

    def never(*args, **kwargs):
        raise AssertionError("the zip's directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    with pytest.raises(UploadRejected, match="more than 100 files inside it.*not been saved"):
        check_upload(filemakers.uploaded("docx", content=crowded))


def test_the_member_count_comes_from_the_end_record_without_reading_the_directory():
    crowded = docx_with({f"customXml/extra{n}.xml": b"" for n in range(2_000)})

    assert zip_member_count(io.BytesIO(crowded)) >= 2_000
    assert zip_member_count(io.BytesIO(filemakers.docx())) < 30


def test_a_zip_with_no_end_record_is_called_damaged():
    with pytest.raises(UploadRejected, match="damaged"):
        check_upload(filemakers.uploaded("docx", content=filemakers.docx()[:-22]))


@pytest.mark.parametrize("kind", ["docx", "odt", "ods", "xlsx", "png"])
def test_damaged_files_are_refused_with_a_reason_never_an_error(kind):
    # Seeded byte changes, many near the end where a zip keeps its directory: each once made
    # the type check raise ValueError, zlib.error or NotImplementedError instead of refusing.
    original = filemakers.make(kind)
    chooser = random.Random(kind)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(chooser.randint(1, 8)):
            if chooser.random() < 0.5:
                at = chooser.randrange(len(damaged))
            else:
                at = len(damaged) - chooser.randint(1, 60)
            damaged[at] = chooser.randrange(256)
        try:
            check_upload(filemakers.uploaded(kind, content=bytes(damaged)))
        except UploadRejected as refusal:
            assert refusal.message


def test_a_document_declaring_entities_in_its_type_list_is_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    sneaky = docx_with({}, replace={"[Content_Types].xml": laughs})

    assert refused("plan.docx", sneaky) == "This file is a zip archive, not a Word document."


def test_a_bomb_nested_inside_a_document_is_never_unpacked(tmp_path, resource, primary_teacher):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as bomb:
        with bomb.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(b"\0" * (1024 * 1024))
    nested = docx_with({"word/embeddings/package.zip": inner.getvalue()})
    assert len(nested) < 1024 * 1024
    path = tmp_path / "plan.docx"
    path.write_bytes(nested)

    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("docx", content=nested),
        person=primary_teacher,
    )
    outcome = outcome_for(str(path), "docx", Limits(memory_bytes=512 * 1024 * 1024))

    assert version.number == 1
    assert outcome.status == FileVersion.Extraction.DONE
    assert "A lesson plan" in outcome.text


# Downloads ---------------------------------------------------------------------------


def download(client, version: FileVersion, view: str = "file_download", **extra):
    return client.get(reverse(f"resources:{view}", kwargs={"version_pk": version.pk}), **extra)


@pytest.mark.parametrize("kind", filemakers.DOCUMENT_KINDS + filemakers.MEDIA_KINDS)
def test_every_download_is_an_attachment_that_can_run_nothing(
    staff_client, resource, primary_teacher, kind
):
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded(kind), person=primary_teacher
    )

    response = download(staff_client, version)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'attachment; filename="fractions.{kind}"'
    assert response["Content-Security-Policy"] == ATTACHMENT_POLICY


def test_a_download_name_outside_ascii_is_given_as_filename_star(
    staff_client, resource, primary_teacher
):
    name = "Fracciones – año 6 «final».pdf"
    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", name=name),
        person=primary_teacher,
    )

    disposition = download(staff_client, version)["Content-Disposition"]

    assert disposition == f"attachment; filename*=utf-8''{quote(name)}"


def test_a_web_page_already_in_storage_is_never_shown_inline(staff_client, resource):
    # Say, from before these checks: the type on record decides, and HTML is not on the list.
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )
    FileVersion.objects.filter(pk=version.pk).update(content_type="text/html")

    assert download(staff_client, version, "file_preview").status_code == 404
    response = download(staff_client, version)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == ATTACHMENT_POLICY


# A separate origin for user content ------------------------------------------------------


@pytest.fixture
def user_content_origin(settings):
    settings.STAFFROOM_USER_CONTENT_ORIGIN = f"https://{CONTENT_HOST}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, CONTENT_HOST]
    return settings.STAFFROOM_USER_CONTENT_ORIGIN


def follow_to_content_host(response) -> tuple[str, object]:
    """The redirect's path, fetched on the user-content host by a browser with no cookies."""
    assert response.status_code == 302
    link = urlsplit(response["Location"])
    assert f"{link.scheme}://{link.netloc}" == f"https://{CONTENT_HOST}"
    return link.path, Client().get(link.path, HTTP_HOST=CONTENT_HOST, secure=True)


def test_with_a_user_content_origin_the_bytes_are_served_only_there(
    user_content_origin, staff_client, resource
):
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )

    path, response = follow_to_content_host(download(staff_client, version))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == version.blob.open("rb").read()
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == ATTACHMENT_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sessionid" not in response.cookies
    resource.refresh_from_db()
    assert resource.download_count == 1
    # The same link on the main origin serves nothing.
    assert staff_client.get(path).status_code == 404


def test_a_preview_through_the_user_content_origin_is_inline_and_sandboxed(
    user_content_origin, staff_client, resource
):
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("png"), person=resource.author
    )

    _, response = follow_to_content_host(download(staff_client, version, "file_preview"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == INLINE_POLICY


def test_a_user_content_link_expires(user_content_origin, staff_client, resource, monkeypatch):
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )
    answer = download(staff_client, version)
    monkeypatch.setattr(user_content, "LINK_SECONDS", -1)

    _, response = follow_to_content_host(answer)

    assert response.status_code == 404


def test_a_tampered_user_content_link_is_refused(user_content_origin, staff_client, resource):
    mine = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )
    link = urlsplit(download(staff_client, mine)["Location"]).path
    token = link.rstrip("/").rsplit("/", 1)[-1]
    forged = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    response = Client().get(forged, HTTP_HOST=CONTENT_HOST, secure=True)

    assert response.status_code == 404


def test_a_user_content_link_stops_working_when_its_person_is_switched_off(
    user_content_origin, client, resource, primary_teacher
):
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=primary_teacher
    )
    reader = PersonFactory()
    client.force_login(reader)
    answer = download(client, version)
    reader.is_active = False
    reader.save(update_fields=["is_active"])

    _, response = follow_to_content_host(answer)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/", "/admin/", "/people/sign-in/", "/resources/"])
def test_the_user_content_host_serves_no_pages(user_content_origin, client, path):
    response = client.get(path, HTTP_HOST=CONTENT_HOST, secure=True)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert "sessionid" not in response.cookies


def test_without_a_user_content_origin_the_main_origin_serves_the_file(
    settings, staff_client, resource
):
    settings.STAFFROOM_USER_CONTENT_ORIGIN = ""
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )

    assert download(staff_client, version).status_code == 200
    link = reverse("resources:file_content", kwargs={"token": "anything"})
    assert staff_client.get(link).status_code == 404


def test_the_content_path_prefix_matches_the_url():
    link = reverse("resources:file_content", kwargs={"token": "x"})

    assert link.startswith(user_content.CONTENT_PATH_PREFIX)
