"""Browse with two filters at 100,000 published resources: server time of the browse view.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. .venv/bin/python -m bench.browse

`--size full` builds 100,000 resources, `small` (the default, as in `python -m bench`) 20,000,
`tiny` 2,000 with two repetitions (a smoke test); BENCH_RESOURCES and BENCH_REPETITIONS
override either.

Builds a throwaway SQLite database in a temporary folder (bulk inserts, fixed seed), signs in
an ordinary member of staff with Django's test client and times the whole request in-process
(middleware, selector, template), for ~30 two-filter combinations over several repetitions.
The "floor" is a bare view answering a tiny response through the same middleware, so the
ratio shows what browse itself costs. Prints one JSON document.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Resources and repetitions per size; browse builds its own data rather than bench.seed's trust.
SIZES = {"tiny": (2_000, 2), "small": (20_000, 7), "full": (100_000, 7)}
NETWORKS = 200
SCHOOLS = 60
AUTHORS = 400
SEED = 20261125
GOAL_P95_MS = 100

_workdir = tempfile.TemporaryDirectory(prefix="staffroom-bench-")
DATABASE = Path(_workdir.name) / "bench.sqlite3"
# `python -m bench` migrates one database for every bench; a copy leaves `migrate` little to do.
MIGRATED = os.environ.get("BENCH_MIGRATED_SQLITE", "")
if MIGRATED:
    shutil.copyfile(MIGRATED, DATABASE)
# Before Django reads its settings: a database of our own, and production-like request handling.
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import figure, machine, summary  # noqa: E402
from networks.curriculum import KeyStage, Phase, YearGroup, year_bits, years_in  # noqa: E402
from networks.models import Membership, Network, Subject  # noqa: E402
from people.models import Person, School  # noqa: E402
from people.roles import Role  # noqa: E402
from resources.models import Resource  # noqa: E402

SUBJECTS = [
    "Mathematics", "English", "Science", "History", "Geography", "Computing", "Art and design",
    "Music", "Physical education", "Languages", "Religious education", "Design and technology",
    "Drama", "Citizenship", "PSHE", "Economics", "Psychology", "Sociology", "Business", "Latin",
]  # fmt: skip


def log(message: str) -> None:
    print(f"[browse {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def floor(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# The floor view sits in front of the site's own URLs, behind the same middleware.
urlpatterns = [path("bench-floor/", floor)]


def build(resources: int) -> tuple[Person, dict]:
    random.seed(SEED)
    started = time.perf_counter()
    log("migrating a throwaway SQLite database" + (" (a copy of one migrated)" if MIGRATED else ""))
    # Always migrated, even at tiny: the pages need the site and subjects the migrations add.
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    # The migrations add the national curriculum subjects already.
    subjects = [Subject.objects.get_or_create(name=name)[0] for name in SUBJECTS]
    schools = School.objects.bulk_create(
        [
            School(
                name=f"School {n}",
                slug=f"school-{n}",
                urn=f"{150000 + n:06d}",
                phase=School.Phase.PRIMARY if n % 3 else School.Phase.SECONDARY,
                lowest_age=4,
                highest_age=11 if n % 3 else 18,
            )
            for n in range(SCHOOLS)
        ]
    )
    networks = Network.objects.bulk_create(
        [
            Network(
                name=f"Network {n}",
                slug=f"network-{n}",
                subject=subjects[n % len(subjects)],
                visibility=Network.Visibility.PRIVATE if n % 10 == 0 else Network.Visibility.OPEN,
                phases=[Phase.PRIMARY, Phase.SECONDARY],
            )
            for n in range(NETWORKS)
        ]
    )
    authors = Person.objects.bulk_create(
        [
            Person(
                email=f"author{n}@bench.example",
                first_name="Author",
                last_name=str(n),
                school=schools[n % SCHOOLS],
                password="!",
            )
            for n in range(AUTHORS)
        ]
    )
    from django.contrib.auth.models import Group

    staff = Person.objects.create_user(
        "teacher@bench.example", "bench-password", first_name="Bench", last_name="Teacher"
    )
    staff.school = schools[0]
    staff.save()
    staff.groups.add(Group.objects.get_or_create(name=Role.STAFF.value)[0])
    Membership.objects.bulk_create(
        [Membership(network=networks[n], person=staff) for n in (0, 1, 2, 10, 20)]
    )

    log(f"inserting {resources} resources")
    years = YearGroup.values
    types = Resource.Type.values
    now = timezone.now()
    batch: list[Resource] = []
    for n in range(resources):
        network = networks[random.randrange(NETWORKS)]
        start = random.randrange(len(years))
        chosen = years[start : start + random.choice((1, 1, 2, 3))]
        author = authors[random.randrange(AUTHORS)]
        endorsed = now if random.random() < 0.05 else None
        batch.append(
            Resource(
                title=f"Resource {n}",
                slug=f"resource-{n}",
                summary="A worked example with questions to practise, in order of difficulty.",
                network=network,
                subject_id=network.subject_id,
                year_groups=chosen,
                year_bits=year_bits(chosen),
                resource_type=random.choice(types),
                author=author,
                school_id=author.school_id,
                status=Resource.Status.PUBLISHED,
                scope=Resource.Scope.NETWORK if random.random() < 0.1 else Resource.Scope.TRUST,
                endorsed_at=endorsed,
                download_count=random.randrange(500),
                published_at=now - timezone.timedelta(minutes=n),
                created_at=now - timezone.timedelta(minutes=n),
            )
        )
        if len(batch) == 5000:
            Resource.objects.bulk_create(batch)
            batch = []
    Resource.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter()
    return staff, {
        "migrate_s": round(migrated - started, 1),
        "insert_s": round(built - migrated, 1),
    }


def combinations() -> list[dict]:
    """About 30 two-filter queries of the kinds staff use: key stage and subject, phase and
    type, year group and network."""
    random.seed(SEED + 1)
    subject_slugs = list(Subject.objects.filter(name__in=SUBJECTS).values_list("slug", flat=True))
    subject_slugs.sort()
    found: list[dict] = []
    for key_stage in KeyStage.values:
        for subject in random.sample(subject_slugs, 2):
            found.append({"key_stage": key_stage, "subject": subject})
    for phase in Phase.values:
        for kind in random.sample(Resource.Type.values, 2):
            found.append({"phase": phase, "type": kind})
    for year in random.sample(YearGroup.values, 6):
        found.append({"year": year, "network": f"network-{random.choice([0, 1, 3, 5, 10])}"})
    for key_stage in (KeyStage.KS2, KeyStage.KS3, KeyStage.KS4):
        found.append({"key_stage": key_stage, "school": "school-7"})
    found.append({"key_stage": KeyStage.KS2, "endorsed": "on"})
    assert all(years_in(q["key_stage"]) for q in found if "key_stage" in q)
    return found


def _query_dict(params: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(params)
    return query


def timed(client: Client, url: str, params: dict | None = None) -> float:
    started = time.perf_counter()
    response = client.get(url, params or {})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} answered {response.status_code}")
    return elapsed


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.browse", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", choices=SIZES, default="small", help="default: small")
    args = parser.parse_args(argv)
    resources, repetitions = SIZES[args.size]
    args.resources = int(os.environ.get("BENCH_RESOURCES", resources))
    args.repetitions = int(os.environ.get("BENCH_REPETITIONS", repetitions))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    import config.urls

    urlpatterns.extend(config.urls.urlpatterns)
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clear_url_caches()

    run_started = time.perf_counter()
    staff, build_times = build(args.resources)
    client = Client()
    client.force_login(staff)

    queries = combinations()
    for params in queries:  # warm caches, compiled templates and SQLite's page cache
        timed(client, "/resources/", params)
    for _ in range(20):
        timed(client, "/bench-floor/")

    with CaptureQueriesContext(connection) as captured:
        client.get("/resources/", queries[0])
    query_counts = set()
    for params in queries:
        with CaptureQueriesContext(connection) as each:
            client.get("/resources/", params)
        query_counts.add(len(each))
    from resources.forms import BrowseForm
    from resources.selectors import browse as browse_selector

    result_counts = [
        browse_selector(staff, **BrowseForm(_query_dict(params)).filters()).count()
        for params in queries
    ]

    log(f"timing {len(queries)} combinations x {args.repetitions}, each beside the floor")
    browse_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(args.repetitions):
        for params in queries:
            browse_times.append(timed(client, "/resources/", params))
            floor_times.append(timed(client, "/bench-floor/"))

    browse = summary(browse_times)
    floor_summary = summary(floor_times)
    published = Resource.objects.count()
    database = f"SQLite {connection.Database.sqlite_version}"
    command = (
        "DJANGO_SETTINGS_MODULE=config.settings.dev PYTHONPATH=site:. "
        f".venv/bin/python -m bench.browse --size {args.size}"
    )
    report = {
        "figures": [
            figure(
                "browse.filters",
                stats=browse,
                floor="browse.floor",
                goal=f"p95 under {GOAL_P95_MS} ms",
                met=browse["p95_ms"] < GOAL_P95_MS,
                queries_per_request=sorted(query_counts),
            ),
            figure("browse.floor", stats=floor_summary),
        ],
        "conditions": {
            "size": args.size,
            "database": database,
            "layer": "in-process: Django's test client, whole request (middleware to template)",
            "N": len(browse_times),
            "published_resources": published,
            "data": "browse's own generated resources (fixed seed), not bench.seed's trust: "
            "20,000 at small, 100,000 at full",
            "networks": NETWORKS,
            "schools": SCHOOLS,
            "combinations": len(queries),
            "repetitions": args.repetitions,
            "schema": "copied from the runner's migrated database" if MIGRATED else "migrated",
        },
        "benchmark": "browse with two filters",
        "goal": f"p95 under {GOAL_P95_MS} ms",
        "meets_goal": browse["p95_ms"] < GOAL_P95_MS,
        "browse": {**browse, "queries_per_request": sorted(query_counts)},
        "floor": floor_summary,
        "ratio_p50": round(browse["p50_ms"] / floor_summary["p50_ms"], 1),
        "ratio_p95": round(browse["p95_ms"] / floor_summary["p95_ms"], 1),
        "data": {
            "published_resources": published,
            "networks": NETWORKS,
            "private_networks": NETWORKS // 10,
            "subjects": len(SUBJECTS),
            "schools": SCHOOLS,
            "authors": AUTHORS,
            "combinations": len(queries),
            "repetitions": args.repetitions,
            "page_size": 20,
            "database": database,
            "results_per_combination": {
                "min": min(result_counts),
                "median": int(statistics.median(result_counts)),
                "max": max(result_counts),
            },
        },
        "setup_s": build_times,
        "total_s": round(time.perf_counter() - run_started, 1),
        "machine": {**machine(), "cpus": os.cpu_count()},
        "command": command,
    }
    del captured
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        _workdir.cleanup()
