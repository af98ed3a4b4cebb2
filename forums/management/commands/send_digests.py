"""`manage.py send_digests`: the daily forum digest, for cron (once a day)."""

from django.core.management.base import BaseCommand

from forums.tasks import send_all_digests, send_digests


class Command(BaseCommand):
    help = "Email each person a digest of new posts in the threads they follow."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the work for the task worker instead of sending now.",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            result = send_digests.enqueue()
            self.stdout.write(f"Queued the digests (task {result.id}).")
            return
        sent = send_all_digests()
        self.stdout.write(f"Sent {sent} digest{'' if sent == 1 else 's'}.")
