"""Uploads scanned by a real clamd, loading the project's own signature database (see
conftest.py): the public database cannot be downloaded here, so the EICAR test file and one
of our own test files stand in for malware."""

import pytest
from django.urls import reverse

from resources.files import file_add
from resources.models import FileVersion, ResourceFile
from resources.scanning import TOO_LONG_MESSAGE, UNAVAILABLE_MESSAGE, scan_upload
from resources.uploads import UploadRejected
from tests.resources import filemakers
from tests.resources.conftest import CLAMD_STREAM_MAX_BYTES, clamd_signature_files
from tests.resources.factories import ResourceFactory

HARMFUL = (
    r"found something harmful in this file \(Staffroom\.Test\.{}[^)]*\), "
    "so it has not been saved"
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def test_the_eicar_test_file_is_found_by_clamd(clamd):
    with pytest.raises(UploadRejected, match=HARMFUL.format("EICAR")):
        scan_upload(filemakers.uploaded("pdf", content=filemakers.eicar()))


def test_the_eicar_file_inside_a_zip_is_found_by_clamd(clamd):
    with pytest.raises(UploadRejected, match=HARMFUL.format("EICAR")):
        scan_upload(filemakers.uploaded("docx", content=filemakers.eicar_zip()))


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("docx", filemakers.eicar_docx),
        ("pdf", lambda: filemakers.pdf() + filemakers.eicar()),
        ("pdf", filemakers.known_bad_pdf),
    ],
    ids=["eicar-in-word", "eicar-after-a-pdf", "known-bad-worksheet"],
)
def test_an_infected_upload_is_refused_and_nothing_is_stored(
    clamd, primary_teacher, media_root, kind, content
):
    resource = ResourceFactory(author=primary_teacher)

    with pytest.raises(UploadRejected, match=HARMFUL.format("")):
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded(kind, content=content()),
            person=primary_teacher,
        )

    assert not FileVersion.objects.exists()
    assert not ResourceFile.objects.exists()
    assert stored_files(media_root) == []


def test_the_upload_page_names_what_clamd_found(clamd, staff_client, primary_teacher, media_root):
    resource = ResourceFactory(author=primary_teacher)

    response = staff_client.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": filemakers.uploaded("docx", content=filemakers.eicar_docx()), "title": ""},
    )

    assert response.status_code == 400
    assert "Staffroom.Test.EICAR" in response.content.decode()
    assert not FileVersion.objects.exists()
    assert stored_files(media_root) == []


def test_only_the_listed_file_matches_its_hash_signature(clamd, primary_teacher, media_root):
    resource = ResourceFactory(author=primary_teacher)
    nearly = filemakers.pdf(filemakers.KNOWN_BAD_TEXT + ".")

    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", content=nearly),
        person=primary_teacher,
    )

    assert version.number == 1
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize("kind", filemakers.DOCUMENT_KINDS + filemakers.MEDIA_KINDS)
def test_clean_files_of_every_kind_pass_the_scan(clamd, kind):
    upload = filemakers.uploaded(kind)

    scan_upload(upload)

    assert upload.tell() == 0


def test_a_file_longer_than_clamd_will_read_is_refused_not_waved_through(
    clamd, primary_teacher, media_root
):
    resource = ResourceFactory(author=primary_teacher)
    long_pdf = filemakers.pdf() + b"%" + b"0" * CLAMD_STREAM_MAX_BYTES

    with pytest.raises(UploadRejected) as refused:
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", content=long_pdf),
            person=primary_teacher,
        )

    assert refused.value.message == TOO_LONG_MESSAGE
    assert not FileVersion.objects.exists()
    assert stored_files(media_root) == []


def test_when_clamd_stops_uploads_are_refused_until_it_is_back(
    settings, primary_teacher, media_root
):
    from tests.services import clamd_server

    resource = ResourceFactory(author=primary_teacher)
    with clamd_server(*clamd_signature_files(), stream_max_bytes=1024 * 1024) as server:
        settings.CLAMD_ADDRESS = server.address
        file_add(
            resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=primary_teacher
        )
        server.stop()

        with pytest.raises(UploadRejected) as refused:
            file_add(
                resource=resource,
                uploaded_file=filemakers.uploaded("docx"),
                person=primary_teacher,
            )

    assert refused.value.message == UNAVAILABLE_MESSAGE
    assert FileVersion.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_the_hash_signature_alone_finds_eicar_inside_a_zip_and_a_word_document(settings):
    # clamd unpacks archives and hashes each file inside, so `sigtool --md5` of the bare
    # EICAR file is enough to catch it wrapped.
    from tests.services import clamd_server

    hashes_only = {"Staffroom.Test.EICAR": filemakers.eicar()}
    with clamd_server(hashes_only, {}, stream_max_bytes=1024 * 1024) as server:
        settings.CLAMD_ADDRESS = server.address
        for content in (filemakers.eicar_zip(), filemakers.eicar_docx()):
            with pytest.raises(UploadRejected, match=HARMFUL.format(r"EICAR\.")):
                scan_upload(filemakers.uploaded("docx", content=content))
        scan_upload(filemakers.uploaded("pdf", content=filemakers.pdf() + filemakers.eicar()))


def test_without_a_configured_scanner_uploads_are_not_scanned(settings, primary_teacher):
    settings.CLAMD_ADDRESS = ""
    resource = ResourceFactory(author=primary_teacher)

    version = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", content=filemakers.known_bad_pdf()),
        person=primary_teacher,
    )

    assert version.number == 1
