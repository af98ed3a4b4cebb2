import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import Page, expect

from resources.models import FileVersion
from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Keeps every message the progress text shows, across the page change that follows.
RECORD_PROGRESS = """
const text = document.querySelector("[data-upload-progress-text]");
sessionStorage.setItem("progress", "");
new MutationObserver(() => {
  sessionStorage.setItem("progress", sessionStorage.getItem("progress") + "|" + text.textContent);
}).observe(text, {childList: true, characterData: true, subtree: true});
"""


def _remove_stored_files() -> None:
    for version in FileVersion.objects.all():
        default_storage.delete(version.blob.name)


def test_a_teacher_uploads_a_pdf_and_sees_progress_then_the_file(page: Page) -> None:
    teacher = factories.primary_teacher()
    resource = ResourceFactory(author=teacher, title="KS2 fractions")

    sign_in(page, teacher.email)
    page.goto(f"/resources/{resource.pk}/files/add/")
    expect(
        page.get_by_role("heading", name="Add a file to ‘KS2 fractions’", level=1)
    ).to_be_visible()
    assert_axe_clean(page)

    page.get_by_label("File", exact=True).set_input_files(
        {
            "name": "ks2-fractions.pdf",
            "mimeType": "application/pdf",
            "buffer": filemakers.pdf("Adding fractions with the same denominator", pages=40),
        }
    )
    page.get_by_label("Name for this file (optional)").fill("Worksheet")
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Upload file").click()

    page.wait_for_url(f"**/resources/{resource.pk}/**")
    expect(page.get_by_text("“ks2-fractions.pdf” has been added.")).to_be_visible()
    expect(page.get_by_text("ks2-fractions.pdf").first).to_be_visible()
    progress = page.evaluate("sessionStorage.getItem('progress')")
    assert "% uploaded" in progress
    assert "Uploaded. Checking the file…" in progress
    version = FileVersion.objects.get()
    assert version.extraction == FileVersion.Extraction.DONE
    assert "same denominator" in version.extracted_text

    page.goto(f"/resources/files/{version.file_id}/new-version/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Upload a new version")
    assert_axe_clean(page)
    page.goto(f"/resources/files/{version.file_id}/history/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of ‘Worksheet’")
    assert_axe_clean(page)
    _remove_stored_files()


def test_a_refused_upload_shows_the_reason_in_an_accessible_error_summary(page: Page) -> None:
    teacher = factories.primary_teacher()
    resource = ResourceFactory(author=teacher, title="KS2 fractions")

    sign_in(page, teacher.email)
    page.goto(f"/resources/{resource.pk}/files/add/")
    page.get_by_label("File", exact=True).set_input_files(
        {
            "name": "answers.pdf",
            "mimeType": "application/pdf",
            "buffer": filemakers.windows_program(),
        }
    )
    page.get_by_role("button", name="Upload file").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("This file is a Windows program, not a PDF.")
    expect(summary).to_be_focused()
    assert_axe_clean(page)
    assert not FileVersion.objects.exists()
