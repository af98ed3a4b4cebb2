from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people.staff_import import staff_import


class Command(BaseCommand):
    help = (
        "Import staff from a CSV file (see the example on the Wagtail admin's Staff import page)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="The CSV file to import.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report, writing nothing."
        )

    def handle(self, *args, path: Path, dry_run: bool, **options) -> None:
        try:
            with path.open("rb") as csv_file:
                report = staff_import(csv_file=csv_file, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
        for problem in report.problems:
            self.stderr.write(str(problem))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
