"""Subjects and networks in Wagtail's admin, for trust admins and the central team."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from networks.models import Network, Subject
from tests.factories import sign_in_with_identity_provider

pytestmark = pytest.mark.django_db


def grant(person, *codenames: str) -> None:
    person.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="networks", codename__in=codenames)
    )


def test_a_trust_admin_adds_a_subject(client, trust_admin):
    sign_in_with_identity_provider(client, trust_admin)

    response = client.post(
        reverse("wagtailsnippets_networks_subject:add"), {"name": "Classical civilisation"}
    )

    assert response.status_code == 302
    assert Subject.objects.get(name="Classical civilisation").slug == "classical-civilisation"


def test_the_central_team_creates_a_network_ticking_its_phases(client, central_team_editor):
    grant(central_team_editor, "add_network", "change_network", "view_network")
    sign_in_with_identity_provider(client, central_team_editor)
    add_url = reverse("wagtailsnippets_networks_network:add")

    form = client.get(add_url).content.decode()
    response = client.post(
        add_url,
        {
            "name": "Climate and sustainability",
            "description": "Teaching the climate across every subject.",
            "phases": ["secondary", "primary"],
            "visibility": "open",
        },
    )

    assert 'type="checkbox" name="phases" value="eyfs"' in form
    assert response.status_code == 302
    network = Network.objects.get()
    assert network.slug == "climate-and-sustainability"
    assert network.phases == ["primary", "secondary"]
    assert network.subject is None


def test_a_teacher_cannot_open_the_networks_admin(staff_client):
    response = staff_client.get(reverse("wagtailsnippets_networks_network:list"))

    assert response.status_code in {302, 403}
    assert Network.objects.count() == 0
