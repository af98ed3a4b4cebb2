import re

import pytest
from django.test import override_settings

from cms.models import TrustBranding

pytestmark = pytest.mark.django_db


def test_every_script_and_stylesheet_is_served_by_staffroom_itself(staff_client):
    html = staff_client.get("/people/").content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, "the layout loads no scripts or stylesheets"
    assert all(source.startswith("/") and not source.startswith("//") for source in sources)


def test_the_layout_has_a_skip_link_navigation_and_the_trusts_name(staff_client):
    TrustBranding.objects.update_or_create(defaults={"trust_name": "Weald Valley Learning Trust"})

    html = staff_client.get("/people/").content.decode()

    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert 'aria-label="Main"' in html
    assert "Weald Valley Learning Trust" in html
    assert '<html lang="en-GB">' in html


def test_the_brand_stylesheet_uses_the_trusts_colours_with_readable_text(client):
    TrustBranding.objects.update_or_create(
        defaults={"primary_colour": "#f5f5dc", "accent_colour": "#123456"}
    )

    response = client.get("/brand.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert "--brand: #f5f5dc;" in css
    assert "--brand-contrast: #000000;" in css  # a pale brand colour needs dark text
    assert "--accent: #123456;" in css


def test_an_unknown_address_gets_the_friendly_not_found_page(staff_client):
    response = staff_client.get("/no-such-page/at-all/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_unknown_address_asks_a_stranger_to_sign_in_first(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 302
    assert response["Location"].startswith("/people/sign-in/?next=")


@override_settings(ROOT_URLCONF="tests.config.broken_urls")
def test_an_unexpected_error_shows_the_friendly_error_page(staff_client):
    staff_client.raise_request_exception = False

    response = staff_client.get("/breaks/")

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


def test_resource_files_are_never_served_straight_from_the_media_folder(staff_client, settings):
    from pathlib import Path

    stored = Path(settings.MEDIA_ROOT) / "resources" / "ab" / "secret.pdf"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"%PDF-1.4 private network minutes")
    image = Path(settings.MEDIA_ROOT) / "images" / "logo.max-165x165.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"\x89PNG\r\n\x1a\n")

    assert staff_client.get("/media/resources/ab/secret.pdf").status_code == 404
    assert staff_client.get("/media/images/logo.max-165x165.png").status_code == 200
