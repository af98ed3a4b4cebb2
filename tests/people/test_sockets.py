"""Who a websocket belongs to (people.sockets): the session cookie's person, as a page request
finds them, refused where the session no longer signs anyone in, and the session itself left
alone."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import override_settings

from tests.config.test_websocket import communicator, session_cookie
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the consumers read committed rows

KEY_BEFORE = "the key before the rotation " * 2
KEY_AFTER = "the key after the rotation " * 2


async def _answer(cookie: bytes | None) -> str | int:
    """ "pong" if the socket opened as someone, else the code it was closed with."""
    socket = communicator(cookie=cookie)
    connected, _ = await socket.connect()
    assert connected  # refusals are accepted first, so browsers see the code
    await socket.send_json_to({"type": "ping"})
    answer = await socket.receive_output()
    await socket.disconnect()
    if answer["type"] == "websocket.close":
        return answer["code"]
    return answer["text"]


async def _signed_in(client) -> tuple:
    """A new member of staff and their session cookie."""
    person = await sync_to_async(PersonFactory)()
    return person, await sync_to_async(session_cookie)(client, person)


async def test_a_signed_in_persons_socket_opens(client):
    _, cookie = await _signed_in(client)

    assert await _answer(cookie) == '{"type": "pong"}'


async def test_a_socket_without_a_session_or_with_an_unknown_one_is_refused(client):
    assert await _answer(None) == 4401
    assert await _answer(f"{settings.SESSION_COOKIE_NAME}=no-such-session".encode()) == 4401


async def test_a_password_changed_since_signing_in_refuses_the_socket(client):
    person, cookie = await _signed_in(client)
    person.set_password("a new password for the test")
    await person.asave()

    assert await _answer(cookie) == 4401


async def test_a_person_switched_off_is_refused(client):
    person, cookie = await _signed_in(client)
    person.is_active = False
    await person.asave()

    assert await _answer(cookie) == 4401


async def test_a_session_from_a_sign_in_method_no_longer_allowed_is_refused(client):
    _, cookie = await _signed_in(client)
    password = "people.backends.PasswordBackend"
    remaining = [path for path in settings.AUTHENTICATION_BACKENDS if path != password]

    with override_settings(AUTHENTICATION_BACKENDS=remaining):
        assert await _answer(cookie) == 4401


async def test_a_session_naming_no_valid_person_is_refused_not_an_error(client):
    _, cookie = await _signed_in(client)

    def name_no_valid_person() -> None:
        session = client.session  # the cookie's
        session[SESSION_KEY] = "not a number"
        session.save()

    await sync_to_async(name_no_valid_person)()

    assert await _answer(cookie) == 4401


async def test_after_the_secret_key_is_rotated_sockets_open_and_nobody_is_signed_out(client):
    """Pages open before a rotation reconnect their sockets with the old session: it must
    still sign them in and must survive for the next page request (which renews it)."""
    with override_settings(SECRET_KEY=KEY_BEFORE):
        person, cookie = await _signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    with override_settings(SECRET_KEY=KEY_AFTER, SECRET_KEY_FALLBACKS=[KEY_BEFORE]):
        assert await _answer(cookie) == '{"type": "pong"}'
        assert await Session.objects.filter(session_key=key).aexists()
        page = await sync_to_async(client.get)("/people/me/")
    assert page.headers["Location"] == f"/people/{person.pk}/"  # signed in: their own profile
