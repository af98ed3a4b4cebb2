"""`manage.py seed_scale`: a generated trust for benchmarks, from 2 schools to the full 50.

    manage.py seed_scale --size small --seed 1     # a tenth of the full trust (the default)
    manage.py seed_scale --size full               # 50 schools ... 1,000,000 posts
    manage.py seed_scale --scale 0.3               # any fraction of the full trust

Adds to whatever the database holds (run it on a freshly migrated database) and prints the
rows, seconds and rows per second of each step as JSON at the end.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.seed import SIZES, Step, seed_trust


class Command(BaseCommand):
    help = "Generate a trust of schools, staff, networks, resources and forums for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=list(SIZES), default="small")
        parser.add_argument(
            "--scale", type=float, help="A fraction of the full trust (0 to 1), instead of --size."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same rows."
        )

    def handle(self, *args, size: str, scale: float | None, seed: int, **options) -> None:
        if scale is not None and not 0 <= scale <= 1:
            raise CommandError(f"--scale must be between 0 and 1, not {scale}.")

        def progress(step: Step) -> None:
            self.stderr.write(f"{step.name}: {step.rows:,} rows in {step.seconds:.1f} s")

        summary = seed_trust(size, seed, scale=scale, progress=progress)
        self.stdout.write(json.dumps(summary.as_dict(), indent=2))
