import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cms.demo import TRUST_NAME, seed_demo_pages
from cms.models import HomePage
from forums.demo import seed_demo_forums
from networks.demo import seed_demo_networks
from people import demo as people_demo
from resources.demo import seed_demo_resources
from safeguarding.demo import seed_demo_leads


class Command(BaseCommand):
    help = (
        f"Build the fictional {TRUST_NAME}: schools, staff, pages, networks, resources, "
        "curriculum maps and forum conversations. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the home page already has pages below it.",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and HomePage.objects.filter(numchild__gt=0).exists():
            self.stdout.write("The site already has pages; leaving it as it is.")
            self._print_sign_in()
            return
        # Wagtail logs every page it saves; a newcomer only needs the outcome.
        logging.getLogger("wagtail").setLevel(logging.WARNING)
        people_demo.seed_demo_staff()
        seed_demo_leads()
        pages = seed_demo_pages()
        networks = seed_demo_networks()
        self.stdout.write("Writing the demo resources and their files (a minute or so)…")
        resources = seed_demo_resources()
        forums = seed_demo_forums()
        call_command("search_index", "rebuild", "--backend", "database", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"{TRUST_NAME} is ready: {pages['pages_created']} pages, "
                f"{networks['networks_created']} networks, "
                f"{resources['resources_created']} resources and "
                f"{resources['units_created']} curriculum map units and "
                f"{forums['threads_created']} forum threads added."
            )
        )
        self._print_sign_in()

    def _print_sign_in(self) -> None:
        if not people_demo.demo_accounts_exist():
            return
        self.stdout.write(
            "Demo sign-in at http://127.0.0.1:8000/people/sign-in/\n"
            f"  A member of staff: {people_demo.TEACHER_EMAIL}\n"
            f"  The central team (publishes in Wagtail): {people_demo.EDITOR_EMAIL}\n"
            f"  A trust admin: {people_demo.ADMIN_EMAIL}\n"
            f"  Password for every demo account: {people_demo.DEMO_PASSWORD}\n"
            "The central team and the trust admin then give a code from an authenticator app\n"
            "(set up on first sign-in by scanning the QR code or typing the key). Without one,\n"
            "`python manage.py two_step_code EMAIL` prints the code to type (development only)."
        )
