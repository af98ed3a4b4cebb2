"""Under the real Content-Security-Policy and Permissions-Policy, chromium reports no violation
on the pages whose scripts matter (home, a network, a live thread, search with its typeahead,
the upload page, the Wagtail admin's dashboard and page editor, Django's admin), and their
interactive parts still work."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from search.backends import database_backend
from search.records import all_records
from tests import factories
from tests.e2e.conftest import open_live, sign_in
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Every violation also reaches the console: the event carries the directive and what was
# blocked, and chromium logs its own "Refused to ..." line.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber} on ${document.location.pathname}`);
});
"""
POLICY_MESSAGE = re.compile(
    r"Content Security Policy|CSP violation|Permissions-Policy|Permissions Policy", re.IGNORECASE
)


@pytest.fixture
def reported(page: Page) -> Iterator[list[str]]:
    """What the browser said about the page's policies; the test fails if anything."""
    messages: list[str] = []
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            messages.append(f"{message.type}: {message.text}")
            if POLICY_MESSAGE.search(message.text)
            else None
        ),
    )
    yield messages
    assert not messages, "The browser reported policy violations:\n" + "\n".join(messages)


def policy_of(page: Page, path: str) -> str:
    response = page.request.get(path)
    return response.headers["content-security-policy"]


def test_staff_pages_run_their_scripts_with_no_violation(page: Page, reported: list[str]) -> None:
    teacher = factories.primary_teacher()
    network = NetworkFactory(name="Primary maths", subject="Mathematics")
    ResourceFactory(network=network, title="Photosynthesis knowledge organiser")
    database_backend().rebuild(all_records())

    sign_in(page, teacher.email)
    page.goto("/")
    assert "script-src 'self'" in policy_of(page, "/")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_attached()

    # The header's typeahead: search.js fetching suggestions as JSON.
    box = page.get_by_role("combobox", name="Search Staffroom")
    box.press_sequentially("photo", delay=30)
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options).to_have_count(1)
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/resources/**")
    expect(
        page.get_by_role("heading", name="Photosynthesis knowledge organiser", level=1)
    ).to_be_visible()

    page.goto(network.get_absolute_url())
    expect(page.get_by_role("heading", name="Primary maths", level=1)).to_be_visible()


def test_a_live_thread_connects_and_takes_a_reply_with_no_violation(
    page: Page, reported: list[str]
) -> None:
    teacher = factories.primary_teacher()
    thread = ThreadFactory(
        forum=ForumFactory(name="Wellbeing", slug="wellbeing"),
        title="Calm starts to the day",
        author=teacher,
    )
    PostFactory(thread=thread, author=teacher, body="What helps your class settle?")

    sign_in(page, teacher.email)
    # The socket is opened by thread-live.js and answers "caught_up": connect-src allows it.
    open_live(page, thread.get_absolute_url())
    page.locator("textarea[name=body]").fill("A calm **register** routine.")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(lambda address: "#post-" in address)
    expect(page.locator(".post", has_text="A calm register routine")).to_be_visible()


def test_a_file_uploads_with_progress_under_the_policy(page: Page, reported: list[str]) -> None:
    teacher = factories.primary_teacher()
    resource = ResourceFactory(author=teacher, title="KS2 fractions")

    sign_in(page, teacher.email)
    page.goto(f"/resources/{resource.pk}/files/add/")
    page.get_by_label("File", exact=True).set_input_files(
        {
            "name": "ks2-fractions.pdf",
            "mimeType": "application/pdf",
            "buffer": filemakers.pdf("Adding fractions with the same denominator", pages=2),
        }
    )
    page.get_by_role("button", name="Upload file").click()
    page.wait_for_url(f"**/resources/{resource.pk}/**")
    expect(page.get_by_text("ks2-fractions.pdf").first).to_be_visible()


def test_the_wagtail_admin_dashboard_and_page_editor_work_under_the_admin_policy(
    page: Page, reported: list[str]
) -> None:
    from wagtail.models import Site

    editor = factories.central_team_editor()
    home = Site.objects.get(is_default_site=True).root_page

    sign_in(page, editor.email)
    page.goto("/admin/")
    assert "frame-ancestors 'self'" in policy_of(page, "/admin/")
    expect(page.get_by_role("heading", name="Site summary")).to_be_visible()

    page.goto(f"/admin/pages/{home.pk}/edit/")
    title = page.locator("#id_title")
    expect(title).to_be_visible()
    title.fill("Staffroom home")
    # The editor's own scripts run and the draft is saved.
    save = page.get_by_role("button", name=re.compile(r"^Save draft"))
    save.click()
    expect(page.locator(".messages")).to_contain_text("has been updated")


def test_the_django_admin_works_under_the_admin_policy(page: Page, reported: list[str]) -> None:
    admin = factories.PersonFactory(email="root@trust.example", is_staff=True, is_superuser=True)

    sign_in(page, admin.email)
    page.goto("/django-admin/")
    expect(page.get_by_role("heading", name=re.compile("administration"))).to_be_visible()
    page.goto("/django-admin/socialaccount/socialapp/add/")
    page.locator("#id_name").fill("Microsoft")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote")).to_be_visible()
