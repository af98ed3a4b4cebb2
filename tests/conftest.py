from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from tests import factories


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Every test starts with an empty cache, before any of its fixtures (a module's shared
    database too): pages keep the navigation, breadcrumbs and branding there between
    requests, and one test's database is not the next one's."""
    cache.clear()


@pytest.fixture
def primary_teacher(db):
    return factories.primary_teacher()


@pytest.fixture
def secondary_maths_lead(db):
    return factories.secondary_maths_lead()


@pytest.fixture
def moderator(db):
    return factories.moderator()


@pytest.fixture
def central_team_editor(db):
    return factories.central_team_editor()


@pytest.fixture
def trust_admin(db):
    return factories.trust_admin()


@pytest.fixture
def staff_client(client, primary_teacher):
    client.force_login(primary_teacher)
    return client


@pytest.fixture(scope="session")
def redis_server():
    from tests.services import redis_server as start

    with start() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server():
    from tests.services import postgres_server as start

    with start() as server:
        yield server


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> str:
    """pytest-django's test database, and what the migrations put in it (Wagtail's root page
    and site, the roles), read before any test can flush it away."""
    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture(scope="session")
def migrated_data(django_db_setup: str) -> str:
    return django_db_setup


@pytest.fixture
def from_migrations(migrated_data: str, transactional_db) -> None:
    """A committing test's database as the migrations left it."""
    from wagtail.models import Site

    if not Site.objects.exists():
        # Empty it again without the post-migrate step, whose content types and groups
        # would clash with the saved ones.
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(migrated_data)
        # The content types are back under their first ids; forget any read since.
        ContentType.objects.clear_cache()
        cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's commit hooks as a real commit would."""

    @contextmanager
    def block():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block
