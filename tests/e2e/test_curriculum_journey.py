"""The journey issue 3 promises, end to end in a real browser: a primary teacher shares a
KS2 fractions PDF in the Maths network and places it on the curriculum map; a secondary
teacher finds it by filtering KS2 and Maths, downloads it and adapts it for their school."""

import re

import pytest
from playwright.sync_api import Page, expect

from networks.models import Membership
from resources.models import FileVersion, Resource
from tests import factories
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.resources import filemakers

pytestmark = pytest.mark.django_db(transaction=True)

PDF_TEXT = "Adding fractions with the same denominator"


def test_a_ks2_fractions_pdf_travels_from_a_primary_school_to_a_secondary_one(
    page: Page,
) -> None:
    maths = NetworkFactory(name="Maths", subject="Mathematics")
    primary = factories.primary_teacher()
    MembershipFactory(network=maths, person=primary, role=Membership.Role.LEAD)
    secondary = factories.secondary_maths_lead()

    # The primary teacher shares the worksheet and uploads its PDF.
    sign_in(page, primary.email)
    page.goto(maths.get_absolute_url())
    expect(page.get_by_role("heading", name="Maths", level=1)).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("link", name=re.compile("Share a resource")).first.click()
    page.get_by_label("Title").fill("KS2 fractions")
    page.get_by_label("Summary").fill("Adding and subtracting fractions with bar models.")
    page.get_by_label("Type of resource").select_option(label="Worksheet")
    year_groups = page.get_by_role("group", name="Year groups")
    year_groups.get_by_label("Year 4", exact=True).check()
    year_groups.get_by_label("Year 5", exact=True).check()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/resources/\d+/files/add/"))
    assert_axe_clean(page)
    page.get_by_label("File", exact=True).set_input_files(
        {
            "name": "ks2-fractions.pdf",
            "mimeType": "application/pdf",
            "buffer": filemakers.pdf(PDF_TEXT),
        }
    )
    page.get_by_role("button", name="Upload file").click()
    expect(page.get_by_text("“ks2-fractions.pdf” has been added.")).to_be_visible()
    resource = Resource.objects.get(title="KS2 fractions")
    version = FileVersion.objects.get(file__resource=resource)
    assert PDF_TEXT in version.extracted_text

    # …and places it on the Maths curriculum map at Year 5.
    page.goto("/resources/networks/maths/map/")
    page.get_by_role("link", name="Add a strand").click()
    page.get_by_label("Strand name").fill("Fractions")
    page.get_by_role("button", name="Add strand").click()
    page.get_by_role("link", name="Add a unit for Year 5 Fractions").click()
    page.get_by_label("Unit title").fill("Adding fractions")
    page.get_by_role("button", name="Add unit").click()
    page.get_by_label(re.compile(r"^KS2 fractions")).check()
    page.get_by_role("button", name="Save resources").click()
    expect(page.get_by_text("Adding fractions now links 1 resource.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # A secondary teacher filters by KS2 and Mathematics and finds it.
    sign_in(page, secondary.email)
    page.goto("/resources/")
    assert_axe_clean(page)
    page.get_by_role("group", name="Key stage").get_by_label("Key stage 2").check()
    page.get_by_role("group", name="Subject").get_by_label("Mathematics").check()
    page.get_by_role("button", name="Show resources").click()
    page.get_by_role("link", name="KS2 fractions").click()
    expect(page.get_by_role("heading", name="KS2 fractions", level=1)).to_be_visible()
    assert_axe_clean(page)

    # Downloads the PDF: the very bytes that were uploaded, as an attachment.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download")).first.click()
    download = download_info.value
    assert download.suggested_filename == "ks2-fractions.pdf"
    assert open(download.path(), "rb").read()[:5] == b"%PDF-"
    resource.refresh_from_db()
    assert resource.download_count == 1

    # Sees it on the map from the secondary side of the continuum.
    page.goto("/resources/networks/maths/map/")
    expect(page.get_by_role("cell", name=re.compile("Adding fractions"))).to_be_visible()
    assert_axe_clean(page)

    # And adapts it for Riverside Academy.
    page.goto(resource.get_absolute_url())
    page.get_by_role("button", name="Adapt for my school").click()
    expect(page.get_by_role("heading", name=re.compile("^Edit"), level=1)).to_be_visible()
    adaptation = Resource.objects.get(adapted_from=resource)
    assert adaptation.school == secondary.school
    assert adaptation.author == secondary
    assert adaptation.files.get().current.sha256 == version.sha256
