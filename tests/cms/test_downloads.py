"""What the central team uploads to Wagtail (documents linked from news and principles, and
images) reaches staff with the same protections as resource files: never sniffed, never run
as a page, and only inline for types a browser shows safely."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from wagtail.documents.models import Document
from wagtail.images.models import Image

from tests.factories import PersonFactory, sign_in_with_identity_provider

pytestmark = pytest.mark.django_db

# A page hidden in a file whose name says it is harmless.
HTML_BODY = b"<!doctype html><script>window.__xss = 1</script><p>Minutes</p>"


@pytest.fixture
def staff_client(client):
    sign_in_with_identity_provider(client, PersonFactory())
    return client


def _document(name: str, body: bytes) -> Document:
    document = Document(title=name)
    document.file.save(name, ContentFile(body), save=False)
    document.save()
    return document


def _downloaded(client, document: Document):
    response = client.get(document.url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("name", ["minutes.docx", "minutes.csv", "minutes.odt", "notes.txt"])
def test_office_documents_download_as_attachments_that_cannot_run(staff_client, name):
    response = _downloaded(staff_client, _document(name, HTML_BODY))

    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_only_a_pdf_opens_in_the_browser_and_still_cannot_run(staff_client):
    response = _downloaded(staff_client, _document("policy.pdf", HTML_BODY))

    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    # The site's own policy (which allows its scripts) is not put in place of this one.
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_a_document_needs_a_signed_in_member_of_staff(client):
    document = _document("minutes.docx", HTML_BODY)

    response = client.get(document.url)

    assert response.status_code == 302
    assert response["Location"].startswith("/people/sign-in/")


def _image() -> Image:
    buffer = BytesIO()
    PillowImage.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return Image.objects.create(title="Sports day", file=ImageFile(buffer, name="sports-day.png"))


def test_image_renditions_are_served_as_images_never_sniffed(staff_client):
    image = _image()
    rendition = image.get_rendition("width-20")

    response = staff_client.get(rendition.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_original_images_are_not_served_from_the_media_folder(staff_client):
    image = _image()

    assert staff_client.get(image.file.url).status_code == 404
