from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cms.demo import TRUST_NAME, seed_demo_pages
from cms.models import HomePage


def _seed_demo_staff() -> dict[str, Any] | None:
    try:
        from people.demo import seed_demo_staff
    except ModuleNotFoundError as error:
        if error.name != "people.demo":
            raise
        return None
    return seed_demo_staff()


class Command(BaseCommand):
    help = f"Build the fictional {TRUST_NAME}: its schools, staff and pages. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the home page already has pages below it.",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and HomePage.objects.filter(numchild__gt=0).exists():
            self.stdout.write("The site already has pages; leaving it as it is.")
            return
        staff = _seed_demo_staff()
        if staff is None:
            self.stdout.write("people.demo is not available: no demo schools or staff.")
        pages = seed_demo_pages()
        self.stdout.write(
            self.style.SUCCESS(f"{TRUST_NAME} is ready ({pages['pages_created']} pages added).")
        )
        if staff:
            self._print_sign_in(staff)

    def _print_sign_in(self, staff: dict[str, Any]) -> None:
        labels = {
            "teacher_email": "A member of staff",
            "editor_email": "The central team (publishes in Wagtail)",
            "admin_email": "A trust admin",
        }
        self.stdout.write("Demo sign-in:")
        for key, label in labels.items():
            if staff.get(key):
                self.stdout.write(f"  {label}: {staff[key]}")
        if staff.get("password"):
            self.stdout.write(f"  Password for every demo account: {staff['password']}")
