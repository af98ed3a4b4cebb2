"""Rotating SECRET_KEY with the old key in SECRET_KEY_FALLBACKS: what the old key signed keeps
working (signed-in pages here; sockets in tests/people/test_sockets.py), and production takes
only production-grade old keys."""

import json
import secrets
import subprocess

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from forums.notifications import unsubscribe_token
from tests.config.test_deploy import run_manage

OLD_KEY = secrets.token_urlsafe(64)
NEW_KEY = secrets.token_urlsafe(64)
ROTATED = {"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": [OLD_KEY]}


def production_fallbacks(**variables: str) -> subprocess.CompletedProcess:
    """Start production settings with these variables; print their SECRET_KEY_FALLBACKS."""
    return run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.SECRET_KEY_FALLBACKS))",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=NEW_KEY,
        **variables,
    )


def test_production_reads_the_old_keys_comma_separated():
    other = secrets.token_urlsafe(64)

    result = production_fallbacks(SECRET_KEY_FALLBACKS=f"{OLD_KEY},{other}")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [OLD_KEY, other]


def test_production_has_no_old_keys_unless_given():
    result = production_fallbacks()

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("weak", ["dev-only-insecure-key-change-me", "short"])
def test_production_refuses_a_development_or_short_old_key(weak):
    result = production_fallbacks(SECRET_KEY_FALLBACKS=f"{OLD_KEY},{weak}")

    assert result.returncode != 0
    assert "Each of SECRET_KEY_FALLBACKS must be an earlier production key" in result.stderr


@pytest.mark.django_db
def test_after_a_rotation_people_stay_signed_in_and_old_links_work(primary_teacher):
    browser = Client()
    with override_settings(SECRET_KEY=OLD_KEY):
        browser.force_login(primary_teacher)
        link = reverse(
            "forums:unsubscribe",
            kwargs={"token": unsubscribe_token(person_id=primary_teacher.pk, email="digest")},
        )

    old_session = browser.cookies[settings.SESSION_COOKIE_NAME].value

    with override_settings(**ROTATED):
        profile = browser.get("/people/me/")
        unsubscribe = Client().get(link)

    assert profile.headers["Location"] == f"/people/{primary_teacher.pk}/"
    # Renewed under the new key, so dropping the old one later keeps them signed in.
    assert browser.cookies[settings.SESSION_COOKIE_NAME].value != old_session
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        later = browser.get("/people/me/")
    assert later.headers["Location"] == f"/people/{primary_teacher.pk}/"
    assert unsubscribe.status_code == 200
    assert "Stop these emails" in unsubscribe.content.decode()


@pytest.mark.django_db
def test_without_the_old_key_a_rotation_signs_everyone_out(primary_teacher):
    """The reason to keep the old key for a while (the session lifetime) after rotating."""
    browser = Client()
    with override_settings(SECRET_KEY=OLD_KEY):
        browser.force_login(primary_teacher)

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        profile = browser.get("/people/me/")

    assert profile.status_code == 302
    assert profile.headers["Location"] == f"{reverse('people:sign_in')}?next=/people/me/"
