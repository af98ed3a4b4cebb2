"""Who a websocket belongs to (people.sockets): the session cookie's person, as a page request
finds them, refused where the session no longer signs anyone in, and the session itself left
alone."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import override_settings

from config.asgi import application
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the consumers read committed rows


def _cookie(client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def _answer(cookie: bytes) -> str:
    """ "pong" if the socket opened as someone, else the code it was closed with."""
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, "/ws/ping/", headers=headers)
    connected, _ = await socket.connect()
    assert connected  # refusals are accepted first, so browsers see the code
    await socket.send_json_to({"type": "ping"})
    answer = await socket.receive_output()
    await socket.disconnect()
    if answer["type"] == "websocket.close":
        return answer["code"]
    return answer["text"]


async def _signed_in(client):
    person = await sync_to_async(PersonFactory)()
    await sync_to_async(client.force_login)(person)
    return person


async def test_a_signed_in_persons_socket_opens(client):
    await _signed_in(client)

    assert await _answer(_cookie(client)) == '{"type": "pong"}'


async def test_a_socket_without_a_session_or_with_an_unknown_one_is_refused(client):
    assert await _answer(b"") == 4401
    assert await _answer(f"{settings.SESSION_COOKIE_NAME}=no-such-session".encode()) == 4401


async def test_a_password_changed_since_signing_in_refuses_the_socket(client):
    person = await _signed_in(client)
    person.set_password("a new password for the test")
    await person.asave()

    assert await _answer(_cookie(client)) == 4401


async def test_a_person_switched_off_is_refused(client):
    person = await _signed_in(client)
    person.is_active = False
    await person.asave()

    assert await _answer(_cookie(client)) == 4401


async def test_a_session_from_a_sign_in_method_no_longer_allowed_is_refused(client):
    await _signed_in(client)
    password = "people.backends.PasswordBackend"
    remaining = [path for path in settings.AUTHENTICATION_BACKENDS if path != password]

    with override_settings(AUTHENTICATION_BACKENDS=remaining):
        assert await _answer(_cookie(client)) == 4401


async def test_a_session_naming_no_valid_person_is_refused_not_an_error(client):
    await _signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = await sync_to_async(client.session.__class__)(key)
    await sync_to_async(session.__setitem__)("_auth_user_id", "not a number")
    await sync_to_async(session.save)()

    assert await _answer(_cookie(client)) == 4401


async def test_after_the_secret_key_is_rotated_sockets_open_and_nobody_is_signed_out(client):
    """Pages open before a rotation reconnect their sockets with the old session: it must
    still sign them in and must survive for the next page request (which renews it)."""
    with override_settings(SECRET_KEY="the key before the rotation " * 2):
        person = await _signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    rotated = {
        "SECRET_KEY": "the key after the rotation " * 2,
        "SECRET_KEY_FALLBACKS": ["the key before the rotation " * 2],
    }
    with override_settings(**rotated):
        assert await _answer(_cookie(client)) == '{"type": "pong"}'
        assert await Session.objects.filter(session_key=key).aexists()
        page = await sync_to_async(client.get)("/people/me/")
    assert page.headers["Location"] == f"/people/{person.pk}/"  # signed in: their own profile
