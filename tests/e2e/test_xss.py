"""Stored XSS in a real browser: pages carrying the whole corpus, and payloads arriving by the
live websocket push, run no script. `window.__xss` and the dialog functions are replaced
before any page script runs, so any payload that executes is recorded; the live DOM is then
checked for handlers, script elements and script URLs, as chromium itself resolved them.
Nothing here relies on the Content-Security-Policy header."""

import pytest
from playwright.sync_api import Page, expect

from forums import services as forum_services
from forums.models import Forum
from resources.markdown import render_notes
from search.backends import database_backend
from search.records import all_records
from tests import factories
from tests.e2e.conftest import open_live, sign_in
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import NetworkFactory
from tests.resources.factories import ResourceFactory
from tests.security.xss_payloads import EXECUTABLE, PAYLOADS, chunks, dangerous_markup

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH_WORD = "zebracorn"

TRAP = """
window.__xssFired = [];
window.__xss = (n) => { window.__xssFired.push(n); };
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xssFired.push(name + ":" + args.join(",")); };
}
"""

# Run in the page: everything in the DOM as chromium built it that could run script.
DOM_PROBLEMS = """
() => {
  const problems = [];
  const safe = new Set(["http:", "https:", "mailto:"]);
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) problems.push(`${element.tagName} ${name}`);
      if (["href", "src", "action", "formaction", "xlink:href", "poster", "data"].includes(name)) {
        let protocol = "";
        try { protocol = new URL(attribute.value, location.href).protocol; } catch (e) { continue; }
        if (!safe.has(protocol)) problems.push(`${element.tagName} ${name}=${attribute.value}`);
      }
    }
  }
  for (const script of document.scripts) {
    const src = script.getAttribute("src") || "";
    const json = script.type === "application/json" && !src;
    if (!json && !new URL(src || "x:", location.href).pathname.startsWith("/static/"))
      problems.push(`script ${src || script.textContent.slice(0, 60)}`);
  }
  for (const tag of ["iframe", "object", "embed", "base", "svg", "math", "frame", "portal"])
    for (const element of document.getElementsByTagName(tag)) problems.push(`<${tag}>`);
  for (const element of document.querySelectorAll(".prose *, .notes *"))
    if (["FORM", "INPUT", "BUTTON", "IMG", "STYLE", "META", "LINK", "VIDEO", "AUDIO", "TEXTAREA"]
        .includes(element.tagName)) problems.push(`<${element.tagName}> in someone's words`);
  return problems;
}
"""


def trapped(page: Page) -> list[str]:
    """Dialogs opened on the page, noted (and dismissed) from now on."""
    opened: list[str] = []
    page.add_init_script(TRAP)

    def dismiss(dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


def assert_nothing_ran(page: Page, opened: list[str], where: str) -> None:
    # Handlers such as onerror and onload fire once resources fail or load: let them.
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    fired = page.evaluate("window.__xssFired")
    assert fired == [], f"{where}: payloads ran: {fired}"
    assert opened == [], f"{where}: dialogs opened: {opened}"
    problems = page.evaluate(DOM_PROBLEMS)
    assert problems == [], f"{where}: {problems[:20]}"


def visit(page: Page, opened: list[str], url: str) -> str:
    page.goto(url)
    assert_nothing_ran(page, opened, url)
    return page.content()


def visit_every_page(page: Page, opened: list[str], url: str) -> str:
    seen = ""
    for number in range(1, 40):
        separator = "&" if "?" in url else "?"
        html = visit(page, opened, f"{url}{separator}page={number}")
        seen += html
        if f"page={number + 1}" not in html:
            break
    return seen


@pytest.mark.timeout(900)
def test_no_payload_runs_on_pages_showing_posts_titles_names_and_resources(page: Page) -> None:
    # Seeded with factories but rendered by the same functions the services use (the
    # services themselves are exercised field by field in tests/security/test_xss.py);
    # ten payloads to a post or resource keeps the pages few enough for a loaded machine.
    teacher = factories.primary_teacher()
    wellbeing = Forum.objects.get(slug="wellbeing")
    thread = ThreadFactory(forum=wellbeing, author=teacher, title="Marking workload")
    for batch in chunks(PAYLOADS, 10):
        PostFactory(thread=thread, author=teacher, body="\n\n".join(p.text for p in batch))
    for payload in EXECUTABLE[::4]:
        ThreadFactory(forum=wellbeing, author=teacher, title=f"{SEARCH_WORD} {payload.text}"[:200])
    maths = NetworkFactory(name="Primary maths", subject="Mathematics")
    resources = []
    for batch in chunks(PAYLOADS, 40):
        notes = "\n\n".join(payload.text for payload in batch)
        resource = ResourceFactory(
            network=maths,
            author=teacher,
            title=f"{SEARCH_WORD} {batch[0].text}"[:200],
            summary=batch[1].text[:500],
            notes=notes,
            notes_html=render_notes(notes),
            send_notes=batch[2].text,
        )
        resource.tags.set([batch[3].text[:100]])
        resources.append(resource)
    colleague = factories.PersonFactory(
        email="colleague@oakfield.example",
        display_name=EXECUTABLE[0].text[:100],
        job_title=EXECUTABLE[1].text[:120],
        about="\n".join(payload.text for payload in EXECUTABLE[:8])[:1000],
    )
    PostFactory(thread=thread, author=colleague, body="Hello from me.")
    database_backend().rebuild(all_records())

    opened = trapped(page)
    sign_in(page, teacher.email)
    visit(page, opened, thread.get_absolute_url())
    expect(page.locator("article.post")).to_have_count(len(chunks(PAYLOADS, 10)) + 1)
    visit_every_page(page, opened, wellbeing.get_absolute_url())
    for resource in resources:
        visit(page, opened, resource.get_absolute_url())
    visit_every_page(page, opened, "/resources/")
    visit_every_page(page, opened, f"/search/?q={SEARCH_WORD}")
    visit(page, opened, f"/people/{colleague.pk}/")
    visit(page, opened, "/people/")


@pytest.mark.timeout(900)
def test_no_payload_runs_when_it_arrives_by_the_live_push(page: Page, other_page: Page) -> None:
    teacher = factories.primary_teacher()
    lead = factories.secondary_maths_lead()
    wellbeing = Forum.objects.get(slug="wellbeing")
    thread = ThreadFactory(forum=wellbeing, author=teacher, title="Calm starts")
    PostFactory(thread=thread, author=teacher, body="What helps your class settle?")
    url = thread.get_absolute_url()
    opened = trapped(page)
    sign_in(page, teacher.email)
    open_live(page, url)

    sign_in(other_page, lead.email)
    other_page.goto(url)
    csrf = other_page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    # The server keeps its limit of eight posts a minute, so the corpus goes in eight posts,
    # each sent through the reply form's own endpoint as the browser would send it.
    batches = chunks(PAYLOADS, -(-len(PAYLOADS) // forum_services.POSTS_PER_MINUTE))
    for number, batch in enumerate(batches):
        # The form refuses NUL characters outright, with a message; the rest must be shown.
        texts = [f"batch{number}", *(payload.text for payload in batch)]
        body = "\n\n".join(texts).replace("\x00", "")[:20_000]
        response = other_page.request.post(
            f"{url}reply/",
            form={"csrfmiddlewaretoken": csrf, "body": body},
            headers={"Referer": other_page.url},
        )
        assert response.ok, response.status
    expect(page.locator("article.post")).to_have_count(len(batches) + 1, timeout=15_000)
    assert_nothing_ran(page, opened, "live thread")
    pushed = page.locator("#posts").inner_html()
    assert dangerous_markup(pushed) == []
    assert all(f"batch{number}" in pushed for number in range(len(batches)))
