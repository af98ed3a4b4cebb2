"""Signed-in staff for benchmarks and drills: sessions made straight in the database, and
replies posted the way a person posts them (the thread's reply form, with its CSRF token).

Shared by bench/fanout.py and drills/live_failures.py. Django must be set up before
`session_for` is called; `post_reply` needs nothing but a server to talk to.
"""

import asyncio
import re
from urllib.parse import urlencode

# Sessions made here name the site's password backend, as a sign-in with a password would.
BACKEND = "people.backends.PasswordBackend"
SESSION_KEY_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def build_schema(*, fast: bool) -> None:
    """Migrate the database, or with `fast` make the tables straight from the models as
    pytest-django does (seconds instead of minutes on a busy machine; for smoke tests and
    drills, never for figures). Search keeps its migrations: they create the full-text tables
    the models cannot."""
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    if fast:
        settings.MIGRATION_MODULES = {
            app.label: None for app in apps.get_app_configs() if app.label != "search"
        }
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)


def session_for(person):
    """An unsaved database session signing `person` in (bulk-create them)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    data = {
        "_auth_user_id": str(person.pk),
        "_auth_user_backend": BACKEND,
        "_auth_user_hash": person.get_session_auth_hash(),
    }
    return Session(
        session_key=get_random_string(32, SESSION_KEY_CHARACTERS),
        session_data=SessionStore().encode(data),
        expire_date=timezone.now() + timezone.timedelta(days=1),
    )


async def post_reply(
    port: int, thread_id: int, cookie: str, secret: str, body: str
) -> tuple[int, int | None]:
    """POST the reply form; the answer's status and the new post's id from its redirect."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        form = urlencode({"csrfmiddlewaretoken": secret, "body": body}).encode()
        head = (
            f"POST /forums/threads/{thread_id}/reply/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + form)
        answer = await reader.read()
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    found = re.search(rb"#post-(\d+)", answer)
    return status, int(found.group(1)) if found else None
