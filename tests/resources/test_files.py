from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resources import files
from resources.files import UploadRejected, file_add, file_version_add
from resources.models import FileVersion, Resource, ResourceFile
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

TEXT = "Comparing fractions with different denominators"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


@pytest.fixture
def resource(primary_teacher):
    return ResourceFactory(author=primary_teacher, title="Fractions in Year 4")


# Services ---------------------------------------------------------------------------


def test_adding_a_file_makes_version_one_and_reads_its_text_after_commit(
    resource, primary_teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        version = file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", TEXT),
            person=primary_teacher,
            title="Worksheet",
        )
        assert version.extraction == FileVersion.Extraction.PENDING

    version.refresh_from_db()
    assert sum(callback.__name__ == "enqueue" for callback in callbacks) == 1  # search adds its own
    assert version.number == 1
    assert version.file.current == version
    assert version.file.title == "Worksheet"
    assert version.content_type == "application/pdf"
    assert version.original_name == "fractions.pdf"
    assert version.extraction == FileVersion.Extraction.DONE
    assert TEXT in version.extracted_text
    assert default_storage.exists(version.blob.name)
    assert version.blob.name.startswith(f"resources/{version.sha256[:2]}/{version.sha256}/")


def test_only_people_who_may_edit_the_resource_may_add_files(resource):
    stranger = PersonFactory()

    with pytest.raises(PermissionDenied):
        file_add(resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=stranger)


def test_the_same_file_twice_in_one_resource_is_refused(resource, primary_teacher, media_root):
    same = filemakers.pdf(TEXT)  # the same bytes: a PDF carries its creation time
    file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", content=same),
        person=primary_teacher,
    )

    with pytest.raises(UploadRejected, match="already in this resource, as “fractions.pdf”"):
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", content=same, name="copy.pdf"),
            person=primary_teacher,
        )
    assert ResourceFile.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_the_same_file_may_be_shared_in_another_resource(resource, primary_teacher):
    other = ResourceFactory(author=primary_teacher)
    file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf", TEXT), person=primary_teacher
    )

    file_add(resource=other, uploaded_file=filemakers.uploaded("pdf", TEXT), person=primary_teacher)

    assert FileVersion.objects.count() == 2


def test_a_new_version_becomes_current_and_the_history_is_kept(resource, primary_teacher):
    first = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("docx", "First draft"),
        person=primary_teacher,
    )

    second = file_version_add(
        resource_file=first.file,
        uploaded_file=filemakers.uploaded("docx", "Corrected answers"),
        person=primary_teacher,
        change_note="Corrected the answers to question 4",
    )

    resource_file = ResourceFile.objects.get()
    assert second.number == 2
    assert resource_file.current == second
    assert list(resource_file.versions.values_list("number", flat=True)) == [2, 1]
    assert second.change_note == "Corrected the answers to question 4"
    assert default_storage.exists(first.blob.name)


def test_a_refused_file_saves_nothing(resource, primary_teacher, media_root):
    with pytest.raises(UploadRejected, match="Windows program"):
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", content=filemakers.windows_program()),
            person=primary_teacher,
        )

    assert not ResourceFile.objects.exists()
    assert stored_files(media_root) == []


def test_when_storage_fails_no_rows_are_written(resource, primary_teacher, settings):
    # A storage backend that cannot write: a media folder that is a file.
    blocker = settings.MEDIA_ROOT
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")

    with pytest.raises(UploadRejected, match="could not be saved just now"):
        file_add(
            resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=primary_teacher
        )

    assert not ResourceFile.objects.exists()
    assert not FileVersion.objects.exists()


def test_when_the_rows_cannot_be_written_the_stored_file_is_removed(
    resource, primary_teacher, media_root, monkeypatch
):
    first = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=primary_teacher
    )
    before = set(stored_files(media_root))
    write_version = files._new_version

    def write_then_fail(**kwargs):
        write_version(**kwargs)
        raise RuntimeError("The database went away")

    monkeypatch.setattr(files, "_new_version", write_then_fail)

    with pytest.raises(RuntimeError):
        file_version_add(
            resource_file=first.file,
            uploaded_file=filemakers.uploaded("pdf", "Another"),
            person=primary_teacher,
            change_note="Never saved",
        )

    assert set(stored_files(media_root)) == before
    assert list(FileVersion.objects.values_list("number", flat=True)) == [1]
    assert ResourceFile.objects.get().current == first


# Uploading through the page -----------------------------------------------------------


def _upload(client, resource, upload, **fields):
    return client.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": upload, "title": "", "change_note": "", **fields},
    )


@pytest.mark.parametrize("kind", sorted(filemakers.MAKERS))
def test_every_supported_kind_uploads_through_the_page(
    kind, staff_client, resource, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(staff_client, resource, filemakers.uploaded(kind, TEXT))

    assert response.status_code == 302
    version = FileVersion.objects.get()
    if kind in filemakers.DOCUMENT_KINDS:
        assert version.extraction == FileVersion.Extraction.DONE
        assert TEXT in version.extracted_text
    else:
        assert version.extraction == FileVersion.Extraction.NOT_TEXT


def test_the_upload_page_offers_the_form_with_a_progress_bar(staff_client, resource):
    response = staff_client.get(reverse("resources:file_upload", kwargs={"pk": resource.pk}))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert "<progress" in page and 'aria-live="polite"' in page
    assert "js/upload.js" in page


def test_a_refused_upload_shows_the_reason_on_the_form(staff_client, resource):
    response = _upload(
        staff_client, resource, filemakers.uploaded("pdf", content=filemakers.windows_program())
    )

    assert response.status_code == 400
    assert "This file is a Windows program, not a PDF." in response.content.decode()
    assert not FileVersion.objects.exists()


def test_a_corrupt_pdf_is_saved_with_a_notice_on_the_resource_page(
    staff_client, resource, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(
            staff_client, resource, filemakers.uploaded("pdf", content=filemakers.corrupt_pdf())
        )

    version = FileVersion.objects.get()
    assert version.extraction == FileVersion.Extraction.FAILED
    page = staff_client.get(response.url).content.decode()
    assert version.extraction_notice in page


def test_a_duplicate_file_in_the_same_resource_is_refused_on_the_page(staff_client, resource):
    # The same bytes twice: a PDF carries its creation time, to the second.
    same = filemakers.pdf(TEXT)
    _upload(staff_client, resource, filemakers.uploaded("pdf", content=same))

    again = filemakers.uploaded("pdf", content=same, name="again.pdf")
    response = _upload(staff_client, resource, again)

    assert response.status_code == 400
    assert "This file is already in this resource" in response.content.decode()


def test_someone_who_cannot_edit_the_resource_cannot_open_the_upload_page(client, resource):
    sign_in_with_identity_provider(client, PersonFactory())

    response = client.get(reverse("resources:file_upload", kwargs={"pk": resource.pk}))

    assert response.status_code == 403


def test_a_new_version_needs_to_say_what_changed(staff_client, resource, primary_teacher):
    first = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=primary_teacher
    )
    url = reverse("resources:file_version_upload", kwargs={"file_pk": first.file.pk})

    response = staff_client.post(url, {"file": filemakers.uploaded("pdf", "Version two")})

    assert response.status_code == 400
    assert "Say what changed in this version." in response.content.decode()


def test_the_previous_version_still_downloads_after_a_new_one(
    staff_client, resource, primary_teacher
):
    first_bytes = filemakers.make("pdf", "First")
    first = file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded("pdf", content=first_bytes),
        person=primary_teacher,
    )
    url = reverse("resources:file_version_upload", kwargs={"file_pk": first.file.pk})
    response = staff_client.post(
        url, {"file": filemakers.uploaded("pdf", "Second"), "change_note": "New examples"}
    )
    assert response.status_code == 302

    old = staff_client.get(reverse("resources:file_download", kwargs={"version_pk": first.pk}))
    history = staff_client.get(reverse("resources:file_history", kwargs={"file_pk": first.file.pk}))

    assert b"".join(old.streaming_content) == first_bytes
    assert "New examples" in history.content.decode()
    assert "2 (current)" in history.content.decode()


# Downloads: who, and how ----------------------------------------------------------------


def _download(client, version):
    return client.get(reverse("resources:file_download", kwargs={"version_pk": version.pk}))


def _file_on(resource: Resource, kind: str = "pdf", name: str | None = None) -> FileVersion:
    return file_add(
        resource=resource,
        uploaded_file=filemakers.uploaded(kind, name=name),
        person=resource.author,
    )


def test_any_member_of_staff_may_download_from_an_open_network(client, resource):
    version = _file_on(resource)
    sign_in_with_identity_provider(client, PersonFactory())

    assert _download(client, version).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [("non_member", 404), ("member", 200), ("central_team", 200)],
)
def test_private_network_files_are_for_members_and_the_central_team(
    client, who, status, central_team_editor
):
    network = NetworkFactory(private=True)
    author = MembershipFactory(network=network).person
    version = _file_on(ResourceFactory(network=network, author=author))
    person = {
        "non_member": PersonFactory,
        "member": lambda: MembershipFactory(network=network).person,
        "central_team": lambda: central_team_editor,
    }[who]()
    sign_in_with_identity_provider(client, person)

    assert _download(client, version).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("author", 200), ("lead", 200), ("member", 404), ("stranger", 404)]
)
def test_draft_files_are_for_the_author_and_the_networks_leads(db, client, who, status):
    network = NetworkFactory()
    author = MembershipFactory(network=network).person
    version = _file_on(ResourceFactory(network=network, author=author, draft=True))
    person = {
        "author": lambda: author,
        "lead": lambda: MembershipFactory(network=network, lead=True).person,
        "member": lambda: MembershipFactory(network=network).person,
        "stranger": PersonFactory,
    }[who]()
    sign_in_with_identity_provider(client, person)

    assert _download(client, version).status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, resource):
    version = _file_on(resource)

    response = _download(client, version)

    assert response.status_code == 302
    assert "/people/sign-in/" in response.url


def test_downloads_are_attachments_that_browsers_must_not_sniff(staff_client, resource):
    version = _file_on(resource, name="Fractions – Year 4.pdf")

    response = _download(staff_client, version)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('Fractions – Year 4.pdf')}" in disposition


def test_downloads_are_counted_and_previews_are_not(staff_client, resource):
    version = _file_on(resource)

    _download(staff_client, version)
    _download(staff_client, version)
    staff_client.get(reverse("resources:file_preview", kwargs={"version_pk": version.pk}))

    resource.refresh_from_db()
    assert resource.download_count == 2


@pytest.mark.parametrize("kind", ["pdf", "png", "jpg", "gif", "webp"])
def test_pdfs_and_images_preview_inline_in_a_sandbox(staff_client, resource, kind):
    version = _file_on(resource, kind)

    response = staff_client.get(
        reverse("resources:file_preview", kwargs={"version_pk": version.pk})
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("kind", ["docx", "mp4"])
def test_other_files_cannot_be_previewed(staff_client, resource, kind):
    version = _file_on(resource, kind)

    response = staff_client.get(
        reverse("resources:file_preview", kwargs={"version_pk": version.pk})
    )

    assert response.status_code == 404


def test_previews_follow_the_same_permissions_as_downloads(db, client):
    network = NetworkFactory(private=True)
    author = MembershipFactory(network=network).person
    version = _file_on(ResourceFactory(network=network, author=author))
    sign_in_with_identity_provider(client, PersonFactory())

    response = client.get(reverse("resources:file_preview", kwargs={"version_pk": version.pk}))

    assert response.status_code == 404


def test_the_progress_bar_script_is_told_where_to_go_without_a_redirect(staff_client, resource):
    response = staff_client.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": filemakers.uploaded("pdf"), "title": ""},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )

    assert response.status_code == 200
    assert response["X-Upload-Redirect"] == resource.get_absolute_url()
    assert FileVersion.objects.count() == 1


def test_an_upload_without_the_csrf_token_is_refused(client, resource, primary_teacher):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(primary_teacher)

    response = strict.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": filemakers.uploaded("pdf"), "title": ""},
    )

    assert response.status_code == 403
    assert not FileVersion.objects.exists()


def test_the_history_page_runs_the_same_queries_however_many_versions(
    staff_client, resource, primary_teacher
):
    first = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf", "v1"), person=primary_teacher
    )
    url = reverse("resources:file_history", kwargs={"file_pk": first.file.pk})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(url)
        assert response.status_code == 200
        return len(captured)

    queries()  # the first page view also loads what is cached for the session
    with_one = queries()
    for number in range(2, 7):
        file_version_add(
            resource_file=first.file,
            uploaded_file=filemakers.uploaded("pdf", f"v{number}"),
            person=primary_teacher,
            change_note=f"Change {number}",
        )

    assert queries() == with_one <= 12
    page = staff_client.get(url).content.decode()
    assert page.count("Download<span") == 6


def test_the_history_of_a_private_networks_file_is_hidden_from_non_members(db, client):
    network = NetworkFactory(private=True)
    author = MembershipFactory(network=network).person
    version = _file_on(ResourceFactory(network=network, author=author))
    sign_in_with_identity_provider(client, PersonFactory())

    response = client.get(reverse("resources:file_history", kwargs={"file_pk": version.file.pk}))

    assert response.status_code == 404
