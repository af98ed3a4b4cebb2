"""The site's own ASGI application, with a few timestamps logged for the fan-out benchmark.

Used only by bench/fanout.py (`uvicorn bench._fanout_asgi:application`). Nothing is added to
the product's URLs or behaviour: replies still go
through the reply view and `forums.services.post_create`. This only notes, per post, when its
transaction committed, when the followers' notifications (`forums.notifications.post_saved`)
began and ended, and when the thread's doorbell rang (`forums.events.announce`), in the file
named by BENCH_TIMING_LOG, so arrival at the clients can be measured from the commit.
BENCH_PROFILE=<file> also profiles `post_saved` there.
"""

import cProfile
import os
import time

from django.db import transaction

from config.asgi import application  # noqa: F401  (sets Django up first)
from forums import events, notifications, services

_log = open(os.environ["BENCH_TIMING_LOG"], "a", buffering=1)  # noqa: SIM115
_post_create = services.post_create
_announce = events.announce
_post_saved = notifications.post_saved


def _timed_post_create(**kwargs):
    saved: list[int] = []
    # Registered before anything post_create registers, so it runs first after the commit.
    with transaction.atomic():
        transaction.on_commit(
            lambda: saved and _log.write(f"commit {saved[0]} {time.time():.6f}\n")
        )
        post = _post_create(**kwargs)
        saved.append(post.pk)
    return post


def _timed_announce(group: str, message: dict) -> None:
    if message.get("type") == "thread.event":
        _log.write(f"ring {message['post_id']} {time.time():.6f}\n")
    _announce(group, message)


_profile_path = os.environ.get("BENCH_PROFILE", "")
_profile = cProfile.Profile() if _profile_path else None


def _timed_post_saved(post_id: int, **kwargs) -> None:
    _log.write(f"notify {post_id} {time.time():.6f}\n")
    if _profile is not None:  # BENCH_PROFILE=<file>: where the time before the doorbell goes
        _profile.enable()
    try:
        _post_saved(post_id, **kwargs)
    finally:
        if _profile is not None:
            _profile.disable()
            _profile.dump_stats(_profile_path)
    _log.write(f"notified {post_id} {time.time():.6f}\n")


services.post_create = _timed_post_create
events.announce = _timed_announce
notifications.post_saved = _timed_post_saved
