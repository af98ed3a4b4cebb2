"""Operate the search indexes: rebuild them from the database, compare them with it, and send
the updates waiting for Elasticsearch.

    manage.py search_index rebuild [--backend database|elasticsearch|all]
    manage.py search_index status      # exit status 1 when an index differs from the database
    manage.py search_index replay      # for cron: send pending updates now
"""

import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils import timezone

from search import indexing
from search.backends import database_backend, elasticsearch_backend
from search.backends.base import SearchBackend, SearchUnavailable
from search.models import PendingIndexUpdate
from search.query import KINDS
from search.records import all_records, record_counts

NOT_CONFIGURED = "Elasticsearch is not configured: set ELASTICSEARCH_URL to use it."


class Progress:
    """A plain-text progress line on stderr: rewritten in place on a terminal, a line every
    tenth of the way (or every 10 seconds) otherwise, so logs stay readable."""

    EVERY_SECONDS = 10.0

    def __init__(
        self, stream: OutputWrapper, total: int, *, interactive: bool | None = None
    ) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.interactive = stream.isatty() if interactive is None else interactive
        self._last_step = 0
        self._last_time = time.monotonic()

    def line(self) -> str:
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            return f"  {self.done:,} / {self.total:,} records  ({percent}%)"
        return f"  {self.done:,} records"

    def update(self, done: int) -> None:
        self.done = done
        if self.interactive:
            self.stream.write(f"\r{self.line()}\x1b[K", ending="")
            self.stream.flush()
            return
        step = self.done * 10 // self.total if self.total else 0
        now = time.monotonic()
        if step > self._last_step or now - self._last_time >= self.EVERY_SECONDS:
            self._last_step, self._last_time = step, now
            self.stream.write(self.line())
            self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write(f"\r{self.line()}\x1b[K")
        elif self._last_step < 10:
            self.stream.write(self.line())
        self.stream.flush()


class Command(BaseCommand):
    help = "Rebuild the search indexes, compare them with the database, or replay updates."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rebuild = actions.add_parser(
            "rebuild", help="Build an index afresh from the database, with no downtime."
        )
        rebuild.add_argument(
            "--backend",
            choices=["database", "elasticsearch", "all"],
            default="all",
            help="Which index to rebuild (default: all that are configured).",
        )
        actions.add_parser(
            "status", help="Compare index and database counts; exit status 1 when they differ."
        )
        actions.add_parser("replay", help="Send the updates waiting for Elasticsearch now.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "rebuild":
            self.rebuild(options["backend"])
        elif action == "status":
            self.status()
        else:
            self.replay()

    # rebuild

    def rebuild(self, which: str) -> None:
        backends: list[SearchBackend] = []
        if which in ("database", "all"):
            backends.append(database_backend())
        if which in ("elasticsearch", "all"):
            elasticsearch = elasticsearch_backend()
            if elasticsearch is not None:
                backends.append(elasticsearch)
            elif which == "elasticsearch":
                raise CommandError(NOT_CONFIGURED)
            else:
                self.stdout.write("Elasticsearch is not configured: rebuilding the database index.")
        for backend in backends:
            self._rebuild_one(backend)

    def _rebuild_one(self, backend: SearchBackend) -> None:
        is_elasticsearch = backend is not database_backend()
        # Updates queued before this point are covered by the rebuild, which reads the
        # database afresh; ones queued during it are still sent afterwards.
        covered = PendingIndexUpdate.objects.order_by("-pk").values_list("pk", flat=True).first()
        total = sum(record_counts().values())
        self.stderr.write(f"Rebuilding the {_label(backend)} index from {total:,} records…")
        progress = Progress(self.stderr, total)
        started = time.monotonic()
        try:
            count = backend.rebuild(_counted(all_records(), progress), progress=None)
        except SearchUnavailable as error:
            progress.finish()
            raise CommandError(
                f"Elasticsearch did not answer ({error}). The index in use is unchanged; "
                "try again when it is back."
            ) from None
        progress.update(max(progress.done, count))
        progress.finish()
        seconds = time.monotonic() - started
        if is_elasticsearch and covered is not None:
            PendingIndexUpdate.objects.filter(pk__lte=covered).delete()
        rate = f", {count / seconds:,.0f} a second" if seconds >= 0.5 else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the {_label(backend)} index: {count:,} records in {seconds:.1f} s{rate}."
            )
        )

    # status

    def status(self) -> None:
        expected = record_counts()
        differs = down = False
        configured = [database_backend()]
        elasticsearch = elasticsearch_backend()
        if elasticsearch is not None:
            configured.append(elasticsearch)
        for backend in configured:
            self.stdout.write(f"{_label(backend).capitalize()} index:")
            try:
                counts = backend.counts()
            except SearchUnavailable as error:
                self.stdout.write(f"  not answering: {error}")
                down = True
                continue
            self.stdout.write(f"  {'kind':<10} {'index':>10} {'database':>10}")
            for kind in KINDS:
                have, want = counts.get(kind, 0), expected.get(kind, 0)
                mark = "" if have == want else "  differs"
                differs |= have != want
                self.stdout.write(f"  {kind:<10} {have:>10,} {want:>10,}{mark}")
        if elasticsearch is None:
            self.stdout.write("Elasticsearch is not configured (set ELASTICSEARCH_URL to use it).")
        self.stdout.write(_pending_summary())
        if down:
            raise CommandError(
                "Elasticsearch is not answering: searches use the database index meanwhile, "
                "and updates wait in the queue."
            )
        if differs:
            raise CommandError(
                "An index differs from the database. Pending updates may close the gap "
                "(`search_index replay`); otherwise run `search_index rebuild`."
            )

    # replay

    def replay(self) -> None:
        if not settings.ELASTICSEARCH_URL or elasticsearch_backend() is None:
            waiting = PendingIndexUpdate.objects.count()
            extra = f" {waiting:,} pending updates are kept." if waiting else ""
            self.stdout.write(f"{NOT_CONFIGURED} Nothing to send.{extra}")
            return
        if not PendingIndexUpdate.objects.exists():
            self.stdout.write("No updates are waiting for Elasticsearch.")
            return
        outcome = indexing.send_pending(force=True)
        if outcome.error:
            raise CommandError(
                f"Elasticsearch did not answer ({outcome.error}). Sent {outcome.sent:,} "
                f"records; {outcome.remaining:,} pending updates are kept for the next try."
            )
        left = f"{outcome.remaining:,} left" if outcome.remaining else "none left"
        self.stdout.write(
            self.style.SUCCESS(f"Sent {outcome.sent:,} records to Elasticsearch; {left}.")
        )


def _label(backend: SearchBackend) -> str:
    return "database" if backend is database_backend() else "Elasticsearch"


def _counted(records, progress: Progress):
    done = 0
    for record in records:
        yield record
        done += 1
        if done % 100 == 0:
            progress.update(done)
    progress.update(done)


def _pending_summary() -> str:
    pending = PendingIndexUpdate.objects.order_by("queued_at")
    count = pending.count()
    if not count:
        return "Pending updates for Elasticsearch: none."
    oldest = pending.values_list("queued_at", flat=True).first()
    failed = pending.filter(attempts__gt=0).order_by("-pk").first()
    age = _age(timezone.now() - oldest)
    line = f"Pending updates for Elasticsearch: {count:,}, the oldest {age} old."
    if failed is not None:
        line += f" Last error: {failed.last_error}"
    return line


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
