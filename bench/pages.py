"""Server time and query counts of the ten most-used pages in a generated trust, next to a bare
Django view through the same middleware and session (the floor).

Run from the repository root:

    DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. .venv/bin/python -m bench.pages \
        --size small

Builds a throwaway SQLite database in a temporary folder (or, with `BENCH_DATABASE=postgresql`,
a database on a PostgreSQL server started for the run, as the tests' is) and migrates it; seeds
a tiny trust (bench.seed) with the demo's Wagtail pages (principles, news) into a copy of it and
counts the queries of every page there, then seeds the trust of the size asked for into the
first, counts again on the bigger trust's pages and times each page over several rounds, as a
generated teacher signed in with Django's test client (the whole request in-process: middleware,
view, template). The thread is the busiest one (600 posts from the small size up). Goal per
page: p95 under 100 ms, at most 15 queries, and the same number of queries on both trusts (no
growth). Prints one JSON document; progress goes to stderr.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import _procs

_workdir = tempfile.TemporaryDirectory(prefix="staffroom-bench-pages-")
ENGINE = os.environ.get("BENCH_DATABASE", "sqlite")
# The tiny trust lives in a copy of the freshly migrated database (seeding a second trust into
# the same database would clash on unique names): a second file, or a second PostgreSQL
# database made from the first as its template.
if ENGINE == "postgresql":
    DATABASE, TINY_DATABASE = "staffroom_pages", "staffroom_pages_tiny"
elif ENGINE == "sqlite":
    DATABASE = str(Path(_workdir.name) / "bench.sqlite3")
    TINY_DATABASE = str(Path(_workdir.name) / "tiny.sqlite3")
else:
    sys.exit(f"bench.pages: BENCH_DATABASE must be sqlite or postgresql, not {ENGINE!r}")
_procs.exit_on_sigterm()
# Before Django reads its settings: a database of our own, and production-like request handling.
if ENGINE == "postgresql":
    os.environ["DATABASE_URL"] = _procs.throwaway_postgres(DATABASE, bench="pages")
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.pop("ELASTICSEARCH_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

from bench import _report  # noqa: E402
from bench.seed import SIZES, seed_trust  # noqa: E402

GOAL_MS = 100
GOAL_QUERIES = 15
ROUNDS = {"tiny": 5, "small": 30, "full": 30}
PAGES = [
    "home",
    "network",
    "browse",
    "resource",
    "thread",
    "forum",
    "search",
    "profile",
    "directory",
    "news",
]


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# The floor view sits in front of the site's own URLs, behind the same middleware.
urlpatterns = [path("bench-floor/", floor)]


def log(message: str) -> None:
    print(f"bench.pages: {message}", file=sys.stderr, flush=True)


def install_floor() -> None:
    import config.urls

    if len(urlpatterns) == 1:
        urlpatterns.extend(config.urls.urlpatterns)
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clear_url_caches()


def use_database(name: str | Path) -> None:
    """Point the default connection at another database (a SQLite file or a PostgreSQL
    database on the same server), with nothing cached from the last."""
    from django.core.cache import cache

    from search.backends import columns, matches

    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()  # its connections are to the last database
    connection.settings_dict["NAME"] = str(name)
    cache.clear()
    columns.forget()
    matches.forget()


def copy_database(source: str, copy: str) -> None:
    """A copy of the migrated database, for the tiny trust."""
    connection.close()
    if connection.vendor == "sqlite":
        shutil.copyfile(source, copy)
        return
    # PostgreSQL copies a database nobody is connected to: ask from the server's own.
    use_database("postgres")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {copy} TEMPLATE {source}")  # nosec B608: our names
    use_database(source)


def build(size: str, seed: int = 1) -> dict:
    """Seed a trust of this size into the database and return what its pages need: the
    teacher, and the address of each page for them."""
    from cms.demo import seed_demo_pages

    started = time.perf_counter()
    from forums.models import Thread
    from forums.services import thread_mark_read
    from people.models import Person

    made = seed_trust(size, seed, progress=lambda step: log(f"{size}: {step.name} {step.rows}"))
    seed_demo_pages()
    # The teacher has read the thread before, so each visit opens its last page and moves
    # no read marker: every round measures the same work.
    thread_mark_read(
        thread=Thread.objects.get(pk=made.busiest_thread_id),
        person=Person.objects.get(pk=made.sample_person_id),
    )
    log(f"{size}: seeded in {time.perf_counter() - started:.0f} s")
    return {"summary": made, "urls": addresses(made.sample_person_id, made.busiest_thread_id)}


def addresses(person_id: int, thread_id: int) -> dict[str, tuple[str, dict]]:
    """The ten pages as this teacher would open them: their busiest network and its forum,
    a resource shared there and its author's profile, the busiest thread."""
    from django.db.models import Count

    from cms.models import NewsIndexPage
    from forums.models import Forum, Thread
    from networks.models import Membership
    from resources.models import Resource

    member_of = Membership.objects.filter(person_id=person_id).values("network_id")
    resource = (
        Resource.objects.filter(network_id__in=member_of, status=Resource.Status.PUBLISHED)
        .annotate(file_count=Count("files"))
        .order_by("-file_count", "-download_count", "pk")
        .select_related("network", "subject")
        .first()
    )
    network = resource.network
    forum = Forum.objects.get(network=network)
    thread = Thread.objects.get(pk=thread_id)
    subject = resource.subject.slug if resource.subject else network.subject.slug
    news = NewsIndexPage.objects.live().first()
    return {
        "home": ("/", {}),
        "network": (f"/networks/{network.slug}/", {}),
        "browse": ("/resources/", {"key_stage": "ks3", "subject": subject}),
        "resource": (resource.get_absolute_url(), {}),
        "thread": (thread.get_absolute_url(), {}),
        "forum": (forum.get_absolute_url(), {}),
        "search": ("/search/", {"q": "lesson", "key_stage": "ks2"}),
        "profile": (f"/people/{resource.author_id}/", {}),
        "directory": ("/people/", {}),
        "news": (news.url, {}),
    }


def signed_in(person_id: int) -> Client:
    from people.models import Person

    client = Client()
    client.force_login(Person.objects.get(pk=person_id))
    return client


def timed(client: Client, url: str, params: dict) -> float:
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench.pages: {url} {params} answered {response.status_code}")
    return elapsed


def count_queries(client: Client, urls: dict[str, tuple[str, dict]]) -> dict[str, int]:
    """Queries per page once warm (the second visit: the thread's read marker is then set)."""
    counts = {}
    for name, (url, params) in urls.items():
        timed(client, url, params)
        with CaptureQueriesContext(connection) as captured:
            timed(client, url, params)
        counts[name] = len(captured)
    with CaptureQueriesContext(connection) as captured:
        timed(client, "/bench-floor/", {})
    counts["floor"] = len(captured)
    return counts


def measure(client: Client, urls: dict[str, tuple[str, dict]], rounds: int) -> dict[str, list]:
    """Each page and the floor in turn, round after round, so drift touches them alike."""
    times: dict[str, list[float]] = {name: [] for name in [*urls, "floor"]}
    for _ in range(rounds):
        for name, (url, params) in urls.items():
            times[name].append(timed(client, url, params))
            times["floor"].append(timed(client, "/bench-floor/", {}))
    return times


def data_counts() -> dict[str, int]:
    from cms.models import NewsPage
    from forums.models import Post, Thread
    from people.models import Person
    from resources.models import Resource, ResourceFile

    return {
        "staff": Person.objects.count(),
        "resources": Resource.objects.count(),
        "files": ResourceFile.objects.count(),
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
        "news": NewsPage.objects.live().count(),
    }


def report(size: str, rounds: int, small_counts: dict, big: dict, times: dict, built: dict):
    from forums.models import Post

    counts = big["counts"]
    figures = []
    for name in PAGES:
        stats = _report.summary(times[name])
        grows = counts[name] > small_counts[name]
        met = stats["p95_ms"] < GOAL_MS and counts[name] <= GOAL_QUERIES and not grows
        figures.append(
            _report.figure(
                f"pages.{name}",
                stats=stats,
                floor="pages.floor",
                goal=f"p95 < {GOAL_MS} ms, <= {GOAL_QUERIES} queries, no growth",
                met=met,
                queries=counts[name],
                queries_tiny_trust=small_counts[name],
                url=big["urls"][name][0],
                params=big["urls"][name][1],
            )
        )
    figures.append(_report.figure("pages.floor", times["floor"], queries=counts["floor"]))
    thread_posts = Post.objects.filter(thread_id=big["summary"].busiest_thread_id).count()
    return {
        "benchmark": "pages: server time of the ten most-used pages",
        "goal": f"p95 under {GOAL_MS} ms and at most {GOAL_QUERIES} queries per page, "
        "with no growth in queries as the trust grows",
        "figures": figures,
        "conditions": {
            "size": size,
            "database": big["summary"].database,
            "layer": "in-process (Django test client, whole request)",
            "N": rounds,
            "rounds": rounds,
            "thread_posts": thread_posts,
            "data": data_counts(),
            "trusts": {"tiny": built["tiny"], size: built[size]},
        },
        "queries": {"tiny_trust": small_counts, f"{size}_trust": counts},
        "machine": _report.machine(),
        "command": ("BENCH_DATABASE=postgresql " if ENGINE == "postgresql" else "")
        + "DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. "
        f".venv/bin/python -m bench.pages --size {size}",
    }


def run(size: str, rounds: int | None = None) -> dict:
    """The whole bench; also what the smoke test calls."""
    rounds = rounds or ROUNDS[size]
    install_floor()
    started = time.perf_counter()
    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    copy_database(DATABASE, TINY_DATABASE)
    built: dict[str, dict] = {}
    use_database(TINY_DATABASE)
    tiny = build("tiny")
    built["tiny"] = tiny["summary"].size
    tiny_counts = count_queries(signed_in(tiny["summary"].sample_person_id), tiny["urls"])
    log(f"tiny trust queries: {tiny_counts}")
    use_database(DATABASE)
    big = build(size)
    built[size] = big["summary"].size
    client = signed_in(big["summary"].sample_person_id)
    big["counts"] = count_queries(client, big["urls"])
    log(f"{size} trust queries: {big['counts']}")
    measure(client, big["urls"], 2)  # warm: templates, caches, SQLite's page cache
    log(f"timing {rounds} rounds")
    times = measure(client, big["urls"], rounds)
    made = report(size, rounds, tiny_counts, big, times, built)
    made["total_s"] = round(time.perf_counter() - started, 1)
    return made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--rounds", type=int, default=None)
    options = parser.parse_args(argv)
    print(json.dumps(run(options.size, options.rounds), indent=2, default=str))


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        _workdir.cleanup()
