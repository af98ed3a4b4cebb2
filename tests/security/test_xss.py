"""Stored XSS, without a browser: every payload of the corpus saved through the real service
into every field staff can write, then every page (and live fragment) that shows the field
parsed and judged. Safety must come from the HTML itself, never from the CSP header."""

import io
from collections.abc import Callable, Iterable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from forums import events, moderation
from forums import services as forum_services
from forums.models import Forum, Post, Thread
from forums.services import ForumActionRefused
from networks import services as network_services
from networks.services import NetworkActionRefused
from people import services as people_services
from resources import curriculum_map, files
from resources import services as resource_services
from resources.markdown import render_notes
from resources.models import Resource
from search.backends import database_backend
from search.records import all_records
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.factories import PostFactory, ThreadFactory
from tests.networks.factories import MembershipFactory, NetworkFactory
from tests.security.xss_payloads import (
    EXECUTABLE,
    MARKER,
    PAYLOADS,
    Payload,
    chunks,
    dangerous_markup,
    shape,
)

pytestmark = pytest.mark.django_db
# Payloads aimed at filters, harmless as they stand: browsers read `<scr<script>ipt>` as one
# unknown tag, `src=x/onerror=...` as a single unquoted src value, and drop a tag left
# unfinished at the end of the input (in a page it would swallow what follows instead).
INERT_WHEN_RAW = {
    "<scr<script>ipt>__xss(N)</scr</script>ipt>",
    "<img/src=x/onerror=__xss(N)>",
    "<img src=x onerror=__xss(N)//",
}
REFUSALS = (ValidationError, ForumActionRefused, NetworkActionRefused, PermissionDenied)
# Every saved value starts with a word to search for and its payload's own token, so a page
# can be shown to really carry the payloads it was judged on.
SEARCH_WORD = "zebracorn"


def token(payload: Payload) -> str:
    return f"xq{payload.number}qx"


def line(payload: Payload, limit: int) -> str:
    """The payload as a one-line value, cut to the field's length."""
    return f"{SEARCH_WORD} {token(payload)} {payload.text}"[:limit]


def markdown(payload: Payload, limit: int = 20_000) -> str:
    """The payload as Markdown, on lines of its own so reference links and blocks still work."""
    return f"{SEARCH_WORD} {token(payload)}\n\n{payload.text}"[:limit]


class Pages:
    """Fetches pages as a person, judging each one, and remembers the tokens seen."""

    def __init__(self, person) -> None:
        self.client = Client()
        sign_in_with_identity_provider(self.client, person)
        self.problems: list[str] = []
        self.html: list[str] = []

    def judge(self, where: str, html: str) -> None:
        self.html.append(html)
        self.problems.extend(f"{where}: {problem}" for problem in dangerous_markup(html))

    def get(self, url: str, **params) -> str:
        response = self.client.get(url, params)
        assert response.status_code == 200, f"{url} {params} answered {response.status_code}"
        html = response.content.decode()
        self.judge(f"{url} {params}", html)
        return html

    def every_page(self, url: str, **params) -> None:
        """Each page of a paginated list, until a page repeats the one before."""
        previous = None
        for number in range(1, 60):
            html = self.get(url, page=number, **params)
            if html == previous or f"page={number + 1}" not in html:
                return
            previous = html

    def assert_clean_and_showing(
        self, saved: Iterable[Payload], minimum: int, may_swallow: int = 0
    ) -> None:
        """Nothing dangerous, and the pages really carried what was saved. `may_swallow`:
        where payloads share a text, one left open (`<script>`) rightly takes the next one's
        words away with it when sanitised."""
        saved = list(saved)
        assert len(saved) >= minimum, f"only {len(saved)} payloads were accepted"
        assert not self.problems, "\n".join(self.problems[:25])
        everything = "".join(self.html)
        missing = [payload.number for payload in saved if token(payload) not in everything]
        assert len(missing) <= may_swallow, f"payloads never shown on the pages: {missing[:30]}"


def save_each(
    payloads: Iterable[Payload], save: Callable[[Payload], object]
) -> list[tuple[Payload, object]]:
    """Save each payload; a clear refusal is fine (nothing is shown), anything else fails."""
    saved = []
    for payload in payloads:
        try:
            saved.append((payload, save(payload)))
        except REFUSALS:
            continue
    return saved


@pytest.fixture(autouse=True)
def no_rate_limits(monkeypatch) -> None:
    # One author writes hundreds of posts here; the limits are tested in tests/forums.
    monkeypatch.setattr(forum_services, "POSTS_PER_MINUTE", 10**6)
    monkeypatch.setattr(forum_services, "THREADS_PER_TEN_MINUTES", 10**6)


@pytest.fixture
def announced(monkeypatch) -> list[tuple[str, dict]]:
    """What the services hand to the channel layer: the live fragments readers receive."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "announce", lambda group, message: sent.append((group, message)))
    return sent


def wellbeing() -> Forum:
    return Forum.objects.get(slug="wellbeing")


def reindex() -> None:
    database_backend().rebuild(all_records())


# The corpus itself ----------------------------------------------------------------------


def test_the_corpus_has_over_300_distinct_payloads_each_calling_its_own_marker() -> None:
    assert len(PAYLOADS) >= 300
    assert len({shape(payload.text) for payload in PAYLOADS}) == len(PAYLOADS)
    assert len(EXECUTABLE) >= 300
    for payload in EXECUTABLE:
        assert f"{MARKER}(" in payload.text
    assert [payload.number for payload in PAYLOADS] == list(range(1, len(PAYLOADS) + 1))


@pytest.mark.parametrize(
    "family", ["script tag", "event handler", "embedding", "svg and mathml", "breakout"]
)
def test_the_judge_finds_every_raw_html_payload_of_a_family(family: str) -> None:
    # Without this, a judge that never complains would pass every test below.
    found = [payload for payload in PAYLOADS if payload.family == family]
    assert found
    for payload in found:
        if shape(payload.text) not in INERT_WHEN_RAW:
            assert dangerous_markup(payload.text), payload.text


def test_the_judge_finds_every_dangerous_url_in_an_html_attribute() -> None:
    attribute_urls = [
        payload
        for payload in PAYLOADS
        if payload.family == "dangerous url"
        and payload.text.startswith(("<a ", "<img ", "<form ", "<button "))
        and "%" not in payload.text
        and "\x00" not in payload.text
        and "&colon;" not in payload.text
        and "&#58;" not in payload.text
    ]
    assert len(attribute_urls) > 50
    for payload in attribute_urls:
        assert dangerous_markup(payload.text), repr(payload.text)


def test_the_markdown_renderer_alone_leaves_nothing_dangerous() -> None:
    problems = {
        payload.number: dangerous_markup(f'<div class="prose">{render_notes(payload.text)}</div>')
        for payload in PAYLOADS
    }
    assert not {number: found for number, found in problems.items() if found}


# Forums ---------------------------------------------------------------------------------


# The heaviest test here: hundreds of posts, each with its mentions, cards and notifications.
@pytest.mark.timeout(900)
def test_post_bodies_are_safe_on_the_thread_page_in_quotes_and_in_the_live_push(
    primary_teacher, announced, django_capture_on_commit_callbacks
) -> None:
    reader = PersonFactory()
    thread = forum_services.thread_create(
        forum=wellbeing(), author=reader, title="Marking workload", body="Where do we start?"
    )
    previous: list[Post] = []

    def save(batch: list[Payload]) -> Post:
        # Three payloads to a post (each in its own paragraphs, so one left unclosed meets
        # the next); each reply quotes the one before, so every payload is also a quote.
        post = forum_services.post_create(
            thread=thread,
            author=primary_teacher,
            body="\n\n".join(markdown(payload) for payload in batch),
            quoted=previous[-1] if previous else None,
        )
        previous.append(post)
        return post

    with django_capture_on_commit_callbacks(execute=True):
        saved = save_each(chunks(PAYLOADS, 3), save)

    pages = Pages(reader)
    pages.get(thread.get_absolute_url())
    # The reply form filled with a quote of a payload post.
    for _, post in saved[::10]:
        pages.get(thread.get_absolute_url(), quote=post.pk)
    pushed = [message for _, message in announced if message.get("event") == events.POST_CREATED]
    assert len(pushed) == len(saved)
    for message in pushed:
        pages.judge(f"live post {message['post_id']}", message["html"])
    shown = [payload for batch, _ in saved for payload in batch]
    pages.assert_clean_and_showing(shown, minimum=400, may_swallow=10)


def test_post_edits_are_safe_in_the_live_push(primary_teacher, announced) -> None:
    post = PostFactory(author=primary_teacher, thread__forum=wellbeing())
    pages = Pages(primary_teacher)
    for payload in PAYLOADS[::4]:
        forum_services.post_edit(post=post, editor=primary_teacher, body=markdown(payload))
        pages.judge(f"edited {payload.number}", events.render_post(Post.objects.get(pk=post.pk)))
    pages.get(post.thread.get_absolute_url())
    assert not pages.problems, "\n".join(pages.problems[:25])


def test_thread_titles_are_safe_in_the_forum_list_thread_pages_cards_and_search(
    primary_teacher, announced, django_capture_on_commit_callbacks
) -> None:
    forum = wellbeing()

    def save(payload: Payload) -> Thread:
        return forum_services.thread_create(
            forum=forum,
            author=primary_teacher,
            title=line(payload, forum_services.TITLE_MAX_LENGTH),
            body="What has worked for you?",
        )

    with django_capture_on_commit_callbacks(execute=True):
        saved = save_each(PAYLOADS, save)
    reader = PersonFactory()
    pages = Pages(reader)
    pages.every_page(forum.get_absolute_url())
    pages.get("/forums/")
    for _, thread in saved[::7]:
        pages.get(thread.get_absolute_url())
    cards = [message for _, message in announced if message.get("event") == "thread.started"]
    assert len(cards) == len(saved)
    for message in cards:
        pages.judge(f"live card {message['thread_id']}", message["html"])
    reindex()
    pages.every_page("/search/", q=SEARCH_WORD)
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)


# People ---------------------------------------------------------------------------------


def test_display_names_and_profiles_are_safe_wherever_a_person_is_shown(
    primary_teacher, announced, django_capture_on_commit_callbacks
) -> None:
    thread = forum_services.thread_create(
        forum=wellbeing(), author=primary_teacher, title="Introductions", body="Say hello!"
    )

    def save(payload: Payload):
        person = PersonFactory(email=f"colleague{payload.number}@oakfield.example")
        people_services.profile_update(
            person=person,
            display_name=line(payload, 100),
            job_title=line(payload, 120),
            school=person.school,
            subjects_taught=[],
            phases=[],
            about=line(payload, 1000),
        )
        return person

    saved = save_each(PAYLOADS, save)
    people = [person for _, person in saved]
    with django_capture_on_commit_callbacks(execute=True):
        for person in people[::3]:
            forum_services.post_create(thread=thread, author=person, body="Hello, everyone.")
        # Mentions link to profiles showing the (escaped) name, twenty to a post.
        for start in range(0, len(people), 20):
            handles = " ".join(f"@{p.email.split('@')[0]}" for p in people[start:][:20])
            forum_services.post_create(thread=thread, author=primary_teacher, body=handles)

    pages = Pages(primary_teacher)
    pages.get(thread.get_absolute_url())
    pages.every_page("/people/")
    for person in people[::5]:
        pages.get(f"/people/{person.pk}/")
    for _, message in announced:
        if "html" in message:
            pages.judge("live", message["html"])
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)
    mentioned = primary_teacher.__class__.objects.get(pk=people[0].pk)
    notifications = Pages(mentioned)
    notifications.get("/forums/notifications/")
    assert not notifications.problems, notifications.problems[:25]


# Resources ------------------------------------------------------------------------------


@pytest.fixture
def maths(primary_teacher):
    network = NetworkFactory(name="Primary maths", subject="Mathematics")
    MembershipFactory(network=network, person=primary_teacher)
    return network


def test_resource_titles_summaries_notes_and_tags_are_safe_on_every_resource_page(
    primary_teacher, maths, django_capture_on_commit_callbacks
) -> None:
    def save(payload: Payload) -> Resource:
        return resource_services.resource_create(
            author=primary_teacher,
            network=maths,
            title=line(payload, 200),
            summary=line(payload, 500),
            notes=markdown(payload),
            send_notes=line(payload, 5000),
            year_groups=["y4"],
            resource_type=Resource.Type.WORKSHEET,
            tags=[line(payload, 100)],
            publish=True,
        )

    saved = save_each(PAYLOADS, save)
    reader = PersonFactory()
    pages = Pages(reader)
    for _, resource in saved:
        pages.get(resource.get_absolute_url())
    pages.every_page("/resources/")
    # Resource cards under posts that link to the resources.
    thread = ThreadFactory(forum=wellbeing(), author=primary_teacher)
    with django_capture_on_commit_callbacks(execute=True):
        for start in range(0, len(saved), 3):
            links = "\n".join(resource.get_absolute_url() for _, resource in saved[start:][:3])
            forum_services.post_create(thread=thread, author=primary_teacher, body=links)
    pages.get(thread.get_absolute_url())
    reindex()
    pages.every_page("/search/", q=SEARCH_WORD)
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)


def picture(number: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (number % 256, abs(number) // 256, 1 if number < 0 else 0)).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def test_uploaded_file_names_and_change_notes_are_safe_on_the_resource_and_history_pages(
    primary_teacher, maths
) -> None:
    resource = resource_services.resource_create(
        author=primary_teacher,
        network=maths,
        title="Fractions worksheet",
        year_groups=["y4"],
        resource_type=Resource.Type.WORKSHEET,
        publish=True,
    )

    def save(payload: Payload):
        name = f"{token(payload)} {payload.text}"[:200] + ".png"
        # A resource refuses the same file twice, so each upload is a picture of its own.
        version = files.file_add(
            resource=resource,
            uploaded_file=SimpleUploadedFile(name, picture(payload.number), "image/png"),
            person=primary_teacher,
            title=line(payload, 200),
        )
        files.file_version_add(
            resource_file=version.file,
            uploaded_file=SimpleUploadedFile(name, picture(-payload.number), "image/png"),
            person=primary_teacher,
            change_note=line(payload, 500),
        )
        return version

    saved = save_each(PAYLOADS[::2], save)
    pages = Pages(PersonFactory())
    pages.get(resource.get_absolute_url())
    for _, version in saved:
        pages.get(f"/resources/files/{version.file_id}/history/")
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=200)


def test_curriculum_map_strands_and_units_are_safe_on_the_map_and_unit_pages(
    secondary_maths_lead,
) -> None:
    network = NetworkFactory(name="Secondary maths", subject="Mathematics")
    MembershipFactory(network=network, person=secondary_maths_lead, lead=True)

    def save(payload: Payload):
        strand = curriculum_map.strand_create(
            actor=secondary_maths_lead, network=network, name=line(payload, 80)
        )
        return curriculum_map.unit_create(
            actor=secondary_maths_lead,
            strand=strand,
            year_group="y7",
            title=line(payload, 200),
            summary=line(payload, 2000),
        )

    saved = save_each(PAYLOADS, save)
    pages = Pages(secondary_maths_lead)
    pages.get(f"/resources/networks/{network.slug}/map/")
    for _, unit in saved[::4]:
        pages.get(f"/resources/units/{unit.pk}/")
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)


def test_collection_names_are_safe_on_the_collections_page(primary_teacher) -> None:
    saved = save_each(
        PAYLOADS,
        lambda payload: resource_services.collection_create(
            owner=primary_teacher, name=line(payload, 120)
        ),
    )
    pages = Pages(primary_teacher)
    pages.get("/resources/collections/")
    for _, collection in saved[::10]:
        pages.get(f"/resources/collections/{collection.pk}/")
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)


# Networks -------------------------------------------------------------------------------


def test_network_names_descriptions_and_join_requests_are_safe(
    central_team_editor, secondary_maths_lead
) -> None:
    def save(payload: Payload):
        return network_services.network_create(
            by=central_team_editor,
            name=line(payload, 120),
            description=line(payload, 2000),
            phases=["primary"],
        )

    saved = save_each(PAYLOADS, save)
    pages = Pages(secondary_maths_lead)
    pages.get("/networks/")
    for _, network in saved[::4]:
        pages.get(network.get_absolute_url())
    pages.assert_clean_and_showing([payload for payload, _ in saved], minimum=400)

    private = NetworkFactory(name="Senior leaders", private=True)
    MembershipFactory(network=private, person=secondary_maths_lead, lead=True)
    asked = save_each(
        PAYLOADS[::3],
        lambda payload: network_services.join_request_create(
            person=PersonFactory(), network=private, message=line(payload, 1000)
        ),
    )
    lead_pages = Pages(secondary_maths_lead)
    lead_pages.get(private.get_absolute_url())
    lead_pages.assert_clean_and_showing([payload for payload, _ in asked], minimum=130)


# Moderation -----------------------------------------------------------------------------


def test_report_details_and_moderation_reasons_are_safe_in_the_queue_audit_and_notices(
    primary_teacher, moderator, trust_admin, django_capture_on_commit_callbacks
) -> None:
    thread = ThreadFactory(forum=wellbeing())
    author = PersonFactory()
    posts = [PostFactory(thread=thread, author=author) for _ in PAYLOADS]

    reported = save_each(
        zip(PAYLOADS, posts, strict=True),
        lambda pair: moderation.report_create(
            post=pair[1], reporter=primary_teacher, reason="other", details=line(pair[0], 2000)
        ),
    )
    queue = Pages(moderator)
    queue.every_page("/forums/moderation/")
    queue.assert_clean_and_showing([pair[0] for pair, _ in reported], minimum=400)
    # The reporter's list shows the reason chosen, not the details written.
    reporter = Pages(primary_teacher)
    reporter.every_page("/forums/my-reports/")
    assert not reporter.problems, "\n".join(reporter.problems[:25])

    with django_capture_on_commit_callbacks(execute=True):
        hidden = save_each(
            zip(PAYLOADS[::2], posts[::2], strict=False),
            lambda pair: moderation.post_hide(
                post=pair[1], moderator=moderator, reason=line(pair[0], 2000)
            ),
        )
        suspended = save_each(
            PAYLOADS[::6],
            lambda payload: moderation.suspension_create(
                person=PersonFactory(),
                moderator=moderator,
                ends_at=timezone.now() + timedelta(days=2),
                reason=line(payload, 2000),
            ),
        )
    audit = Pages(trust_admin)
    audit.every_page("/forums/moderation/audit/")
    # The audit log is the trust admin's; suspensions are the moderators'.
    sign_in_with_identity_provider(audit.client, moderator)
    audit.every_page("/forums/moderation/suspensions/")
    audit.assert_clean_and_showing(
        [pair[0] for pair, _ in hidden] + [payload for payload, _ in suspended], minimum=250
    )
    told = Pages(author)
    told.every_page("/forums/notifications/")
    told.get(thread.get_absolute_url())
    assert not told.problems, "\n".join(told.problems[:25])


# Safeguarding ---------------------------------------------------------------------------


def test_safeguarding_concerns_notes_and_preserved_posts_are_safe_on_the_leads_pages(
    primary_teacher, moderator
) -> None:
    from safeguarding import services as safeguarding
    from safeguarding.models import PreservedPost, SafeguardingLead

    lead = PersonFactory(school=primary_teacher.school)
    SafeguardingLead.objects.create(person=lead, school=lead.school, role="designated")

    def concern(batch: list[Payload]):
        # Four payloads to a concern: one in each of its two texts and two in notes.
        made, _ = safeguarding.concern_raise(
            reporter=primary_teacher,
            school=lead.school,
            what_happened=line(batch[0], 5000),
            who_involved=line(batch[1], 1000) if len(batch) > 1 else "A.B.",
        )
        for payload in batch[2:]:
            safeguarding.concern_note_add(concern=made, lead=lead, text=line(payload, 5000))
        return made

    saved = save_each(chunks(PAYLOADS, 4), concern)
    pages = Pages(lead)
    pages.every_page("/safeguarding/concerns/")
    for _, made in saved:
        pages.get(f"/safeguarding/concerns/{made.pk}/")
    pages.assert_clean_and_showing(
        [payload for batch, _ in saved for payload in batch], minimum=400
    )
    reporter = Pages(primary_teacher)
    reporter.every_page("/safeguarding/my-concerns/")
    assert not reporter.problems, "\n".join(reporter.problems[:25])

    # A post that named a pupil, edited once: its words and earlier version on the page
    # only the leads see.
    thread = ThreadFactory(forum=wellbeing())

    def hidden(batch: list[Payload]) -> Post:
        post = forum_services.post_create(
            thread=thread, author=primary_teacher, body=markdown(batch[0])
        )
        if len(batch) > 1:
            forum_services.post_edit(post=post, editor=primary_teacher, body=markdown(batch[1]))
        return moderation.post_hide(post=post, moderator=moderator, identifies_pupil=True)

    hid = save_each(chunks(PAYLOADS, 2), hidden)
    preserved = Pages(lead)
    for item in PreservedPost.objects.order_by("pk"):
        preserved.get(f"/safeguarding/preserved-posts/{item.pk}/")
    preserved.assert_clean_and_showing(
        [payload for batch, _ in hid for payload in batch], minimum=400, may_swallow=10
    )


# Search ---------------------------------------------------------------------------------


def test_a_search_query_echoed_on_the_search_page_is_safe(primary_teacher) -> None:
    pages = Pages(primary_teacher)
    for payload in PAYLOADS:
        pages.get("/search/", q=line(payload, 200))
    pages.assert_clean_and_showing(PAYLOADS, minimum=len(PAYLOADS))
