"""Real-browser harness: the ASGI app served by daphne on a free port, driven by Debian's
chromium through Playwright, with axe-core for accessibility.

Run on its own (`pytest -m browser -p no:asyncio tests/e2e`): Playwright's sync API and
pytest-asyncio's event loop cannot share one process.
"""

import os
import re
import shutil
import time
from base64 import b32decode
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without these, chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    # The server runs in another process, so the test database must be a file.
    from django.conf import settings

    path = tmp_path_factory.mktemp("e2e") / "staffroom-e2e.sqlite3"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if shutil.which(CHROMIUM) is None:
        message = f"chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def asgi_server(migrated_data: str, django_db_blocker) -> Iterator[str]:
    """The whole ASGI application (HTTP and websockets) on a free port."""
    get_application = partial(make_application, static_wrapper=ASGIStaticFilesHandler)
    with django_db_blocker.unblock():
        process = DaphneProcess("127.0.0.1", get_application, setup=set_database_connection)
        process.start()
        if not process.ready.wait(timeout=30):
            process.terminate()
            raise RuntimeError("daphne did not start")
    yield f"http://127.0.0.1:{process.port.value}"
    process.terminate()
    process.join(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path: str, asgi_server: str) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread, and Django would
    # then refuse the tests' own database calls. Only the test process is affected: the
    # server (started first, in its own process) keeps Django's guard.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_url(asgi_server: str, from_migrations) -> str:
    # Tests commit (the server is another process): each starts from the migrations' data.
    return asgi_server


def new_page(browser: Browser, live_url: str) -> Iterator[Page]:
    """A page in a browser context of its own (another person), failing on JavaScript errors."""
    context = browser.new_context(base_url=live_url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(live_url: str, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    pages = new_page(browser, live_url)
    page = next(pages)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        artifacts = Path("test-artifacts")
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=artifacts / f"{request.node.name}.png", full_page=True)
    next(pages, None)


@pytest.fixture
def other_page(live_url: str, browser: Browser) -> Iterator[Page]:
    """A second person's browser, for journeys between two colleagues."""
    yield from new_page(browser, live_url)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


SIGN_IN = "/people/sign-in/"
TWO_STEP_SET_UP = "/people/sign-in/authenticator-app/"
TWO_STEP_CODE = "/people/sign-in/code/"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in with a password; admins then give a code, as their authenticator app would."""
    page.goto(SIGN_IN)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlsplit(url).path != SIGN_IN)
    path = urlsplit(page.url).path
    if path in (TWO_STEP_SET_UP, TWO_STEP_CODE):
        give_two_step_code(page, email)
        page.wait_for_url(lambda url: urlsplit(url).path not in (TWO_STEP_SET_UP, TWO_STEP_CODE))


def give_two_step_code(page: Page, email: str) -> None:
    """Type the code an authenticator app holding the admin's secret shows: from the key the
    set-up page shows, or from the app already set up (one step on from the last code used)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if urlsplit(page.url).path == TWO_STEP_SET_UP:
        key = b32decode(page.locator("[data-secret]").inner_text().replace(" ", ""))
        totp, last_t = TOTP(key), -1
    else:
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        totp, last_t = TOTP(device.bin_key, device.step, device.t0, device.digits), device.last_t
    totp.time = max(time.time(), (last_t + 1) * totp.step)
    page.get_by_label("Code from your authenticator app").fill(f"{totp.token():06d}")
    page.get_by_role("button", name=re.compile("^(Continue|Confirm and continue)$")).click()


def assert_axe_clean(page: Page) -> None:
    """axe-core finds no violation of its WCAG 2.2 A and AA rules on the page as it is."""
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    assert not violations, results.generate_report()


def open_with_socket(page: Page, url: str, route: str, marker: str) -> None:
    """Open a page and wait until its socket on `route` has sent a frame containing `marker`.
    Frames are watched for from before the socket opens, so a quick first frame is not missed."""
    frames: list[str] = []

    def watch(socket) -> None:
        if route in socket.url:
            socket.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    try:
        page.goto(url)
        for _ in range(100):
            if any(marker in frame for frame in frames):
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"The socket on {route} sent no frame with {marker!r}.")
    finally:
        page.remove_listener("websocket", watch)


def open_live(page: Page, url: str) -> None:
    """Open a thread and wait until its socket has caught up with what the server holds."""
    open_with_socket(page, url, "/ws/threads/", "caught_up")
