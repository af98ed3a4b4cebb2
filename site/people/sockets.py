"""Who a websocket belongs to: the person its session cookie signs in, or nobody.

One trip to the database thread finds the person and checks the second step. Channels'
AuthMiddlewareStack took one trip and the step another; on SQLite each trip opens a fresh
connection whose first query reads the whole schema (about 2.7 ms here), so every live page's
handshake paid for it once more than it needed to.

The session is only read, never changed: a socket cannot hand the browser a new cookie. Where a
page request would flush a session whose password has changed, the socket is simply refused (the
next page flushes it). A session signed with one of SECRET_KEY_FALLBACKS is accepted as Django
accepts it, and its key is left for the next page to cycle: flushing it here, as Channels' own
`get_user` does, would sign out every open page that reconnects after a key rotation.
"""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare

from people.models import Person
from people.two_step import step_outstanding


def socket_person(session: SessionBase) -> Person | AnonymousUser:
    """The active person this session signs in, or AnonymousUser when it signs in nobody, its
    password has changed since, or it still owes the second step."""
    try:
        person_id = Person._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    person = load_backend(backend_path).get_user(person_id)
    if person is None or not _password_unchanged(person, session.get(HASH_SESSION_KEY)):
        return AnonymousUser()
    if step_outstanding(person, session):
        return AnonymousUser()
    return person


def _password_unchanged(person: Person, session_hash: str | None) -> bool:
    if not session_hash:
        return False
    hashes = [person.get_session_auth_hash(), *person.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, known) for known in hashes)


class SocketSignInMiddleware(BaseMiddleware):
    """Inside Channels' CookieMiddleware and SessionMiddleware: puts the person in
    `scope["user"]`, or AnonymousUser, which every consumer refuses."""

    async def __call__(self, scope, receive, send):
        session = scope.get("session")
        if session is None:
            raise ValueError("SocketSignInMiddleware needs Channels' SessionMiddleware above it.")
        person = await database_sync_to_async(socket_person)(session)
        return await super().__call__(dict(scope, user=person), receive, send)
