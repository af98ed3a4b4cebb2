import time
from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Development only: print the code a person's authenticator app would show now, for "
        "signing in to the demo trust as an admin without a phone. Refused unless DEBUG is on."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The admin's email address.")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Only in development (DEBUG on): use an authenticator app.")
        device = (
            TOTPDevice.objects.filter(user__email__iexact=email.strip())
            .order_by("-confirmed", "-pk")
            .first()
        )
        if device is None:
            raise CommandError(
                f"{email} has no authenticator app yet: sign in with the password first, "
                "then run this again while the set-up page is open."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        # One step on from the last code used, so a second sign-in within 30 seconds works.
        totp.time = max(time.time(), device.t0 + (device.last_t + 1) * device.step)
        # Codes up to `tolerance` steps ahead are accepted already.
        wait = int(totp.time - time.time()) - device.tolerance * device.step
        code = f"{totp.token():0{device.digits}d}"
        self.stdout.write(code if wait <= 0 else f"{code} (accepted in {wait} seconds)")
