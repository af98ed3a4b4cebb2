import pytest

from tests import factories


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
