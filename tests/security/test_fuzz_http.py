"""Hostile input against every form and endpoint of our apps: wrong types, 1 MB strings, invalid
UTF-8, NUL bytes, missing, extra and repeated fields, ids out of range or of nothing, too many
multipart parts, oversized bodies and bad CSRF tokens. Every answer is below 500, no exception
escapes (the test client re-raises them), and a refused submission writes nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote_from_bytes

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from forums.models import Notification, Suspension
from forums.notifications import unsubscribe_token
from networks.curriculum import YearGroup
from networks.models import Network
from people.roles import Role
from resources.files import file_add
from resources.models import Strand, Unit
from safeguarding.models import SafeguardingLead
from safeguarding.services import concern_raise
from tests.factories import PersonFactory, sign_in_with_identity_provider
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory
from tests.networks.factories import JoinRequestFactory, MembershipFactory, NetworkFactory
from tests.resources import filemakers
from tests.resources.factories import CollectionFactory, ResourceFactory

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# Raw bodies add to the multipart ones on the same endpoint: fewer of them.
FUZZ_RAW = hypothesis_settings(FUZZ, max_examples=15)

# The apps whose rows a refused submission must leave alone.
OUR_APPS = ("people", "networks", "resources", "forums", "search", "cms", "safeguarding")
# Rows written on purpose whatever the answer: reading a thread marks it read (the page is
# shown again with the errors), refused sign-ins are kept for the trust admins, the search
# app keeps its index and query log in step, and the trust's branding settings are made the
# first time any page reads them.
WRITTEN_ON_PURPOSE = {
    "cms.trustbranding",
    "forums.threadread",
    "forums.forumread",
    "people.signinevent",
    "search.searchquery",
    "search.searchrecord",
    "search.searchdisplay",
}


@dataclass
class World:
    actor: object
    colleague: object
    stranger: object
    network: Network
    private_network: Network
    thread: object
    post: object
    colleague_post: object
    resource: object
    resource_file: object
    version: object
    strand: Strand
    unit: Unit
    collection: object
    join_request: object
    suspension: Suspension
    notification: Notification
    ids: dict[str, int] = field(default_factory=dict)


def make_world() -> World:
    """A network lead who also moderates, edits and runs the trust, so forms get past the
    permission checks and are actually validated, with one of everything to point at."""
    actor = PersonFactory(
        first_name="Fay",
        last_name="Zerr",
        roles=[Role.NETWORK_LEAD, Role.MODERATOR, Role.CENTRAL_TEAM, Role.TRUST_ADMIN],
        subjects=["Mathematics"],
    )
    colleague = PersonFactory(first_name="Tom", last_name="Hughes")
    stranger = PersonFactory(first_name="Ann", last_name="Other")
    network = NetworkFactory(name="Primary maths", slug="primary-maths", subject="Mathematics")
    MembershipFactory(network=network, person=actor, lead=True)
    MembershipFactory(network=network, person=colleague)
    private_network = NetworkFactory(name="Heads of maths", slug="heads-of-maths", private=True)
    MembershipFactory(network=private_network, person=actor, lead=True)
    join_request = JoinRequestFactory(network=private_network, person=stranger)
    forum = ForumFactory(network=network)
    ForumFactory(name="Wellbeing", slug="wellbeing")
    thread = ThreadFactory(forum=forum, author=actor)
    post = PostFactory(thread=thread, author=actor)
    colleague_post = PostFactory(thread=thread, author=colleague)
    resource = ResourceFactory(network=network, author=actor)
    version = file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=actor, title="Slides"
    )
    strand = Strand.objects.create(network=network, name="Number")
    unit = Unit.objects.create(strand=strand, year_group=YearGroup.Y4, title="Place value")
    collection = CollectionFactory(owner=actor)
    suspension = Suspension.objects.create(
        person=stranger,
        reason="Repeated personal remarks.",
        ends_at=timezone.now() + timedelta(days=1),
        created_by=actor,
    )
    notification = Notification.objects.create(
        recipient=actor, kind=Notification.Kind.REPLY, text="A reply", url=thread.get_absolute_url()
    )
    # The actor leads safeguarding for the trust: the concern pages validate their forms.
    SafeguardingLead.objects.create(person=actor, role=SafeguardingLead.Role.TRUST)
    concern, _ = concern_raise(
        reporter=colleague,
        school=actor.school,
        what_happened="A.B. said something worrying.",
        who_involved="A.B., Year 4",
    )
    world = World(
        actor=actor,
        colleague=colleague,
        stranger=stranger,
        network=network,
        private_network=private_network,
        thread=thread,
        post=post,
        colleague_post=colleague_post,
        resource=resource,
        resource_file=version.file,
        version=version,
        strand=strand,
        unit=unit,
        collection=collection,
        join_request=join_request,
        suspension=suspension,
        notification=notification,
    )
    world.ids = {
        "forum": forum.pk,
        "resource": resource.pk,
        "person": colleague.pk,
        "school": actor.school_id,
        "subject": network.subject_id,
        "network": network.pk,
        "strand": strand.pk,
        "collection": collection.pk,
        "post": colleague_post.pk,
        "concern": concern.pk,
    }
    return world


# Hostile values -----------------------------------------------------------------------------

MEGABYTE = 1_000_000
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "Fractions\x00walls",
    "\ufffd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "𝔉𝔯𝔞𝔠𝔱𝔦𝔬𝔫𝔰 🧮",
    "\u202egnp.exe",
    "a" * 201,
    "é" * 4097,
    "\r\n" * 300,
    "{{ request }}",
    "true",
    "null",
    "[]",
    "{}",
]
NASTY_NUMBERS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "٣",  # an Arabic-Indic digit: isdigit() but not ASCII
    str(2**31),
    str(2**63),
    str(10**30),
    "9" * 400,
    "-" + "9" * 40,
    "999999999",
]


def huge_strings() -> st.SearchStrategy[str]:
    # Built, not drawn character by character: hypothesis would take far too long for 1 MB.
    return st.sampled_from([4_097, 65_536, MEGABYTE]).flatmap(
        lambda size: st.sampled_from(["a", "é", "\x00", "<", "9"]).map(lambda c: c * size)
    )


def scalars(world: World) -> st.SearchStrategy[str]:
    ids = [str(value) for value in world.ids.values()]
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(NASTY_NUMBERS),
        st.sampled_from(ids),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.text(max_size=40),
        huge_strings(),
    )


def values_for(world: World, good: list[str]) -> st.SearchStrategy[list[str]]:
    """One field's values: left out, a good value, junk, or the field repeated."""
    one = st.one_of(st.sampled_from(good), scalars(world)) if good else scalars(world)
    return st.one_of(
        st.just([]),
        one.map(lambda value: [value]),
        st.lists(one, min_size=2, max_size=5),
    )


def bodies(world: World, fields: dict[str, list[str]]) -> st.SearchStrategy[dict[str, list[str]]]:
    """Every known field fuzzed, plus a few names nobody expects."""
    known = st.fixed_dictionaries({name: values_for(world, good) for name, good in fields.items()})
    extra = st.dictionaries(
        st.sampled_from(
            ["id", "pk", "author", "is_staff", "csrfmiddlewaretoken", "x" * 300, "\x00"]
        )
        | st.text(min_size=1, max_size=10),
        st.lists(scalars(world), min_size=1, max_size=2),
        max_size=3,
    )
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def urlencoded(body: dict[str, list[str]], junk: bytes) -> bytes:
    """The body as the browser would send it, with raw bytes (invalid UTF-8 among them)
    spliced in both percent-encoded and bare."""
    pairs = [
        f"{quote_from_bytes(name.encode('utf-8', 'surrogatepass'))}="
        f"{quote_from_bytes(value.encode('utf-8', 'surrogatepass'))}"
        for name, values in body.items()
        for value in values
    ]
    raw = "&".join(pairs).encode()
    return raw + b"&" + junk + b"&junk=" + quote_from_bytes(junk).encode() + b"&" + junk


INVALID_UTF8 = st.one_of(
    st.sampled_from(
        [
            b"\xff\xfe",
            b"\xc3\x28",
            b"\xa0\xa1",
            b"\xe2\x28\xa1",
            b"\xf0\x28\x8c\xbc",
            b"\xed\xa0\x80",
        ]
    ),
    st.binary(max_size=30),
)


# The endpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A URL that takes a POST (or a GET form), with its fields and good values for each."""

    name: str
    path: Callable[[World], str]
    fields: dict[str, list[str]]
    method: str = "post"
    signed_in: bool = True
    files: tuple[str, ...] = ()


def _url(name: str, **kwargs: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(name, kwargs={key: get(world) for key, get in kwargs.items()})


YEARS = [YearGroup.Y4.value, YearGroup.Y6.value, "Y4", "year 13"]
REASON = ["Repeated personal remarks.", "Spam"]

POST_ENDPOINTS = [
    # Safeguarding
    Endpoint(
        "safeguarding:concern_new",
        _url("safeguarding:concern_new"),
        {
            "school": ["1", "0"],
            "what_happened": ["A.B. told me at break that they are scared to go home."],
            "who_involved": ["A.B., Year 4"],
            "post": ["1", "-1", "0"],
            "submission_key": ["3f2b8c1e-0c1f-4d8e-9a51-6d2b8b3f4e21", "not-a-key"],
        },
    ),
    Endpoint(
        "safeguarding:concern",
        _url("safeguarding:concern", pk=lambda w: w.ids["concern"]),
        {"action": ["acknowledge", "note", "close", "delete"], "text": ["Rang home."]},
    ),
    # Forums
    Endpoint(
        "forums:thread_create",
        _url("forums:thread_create", slug=lambda w: w.thread.forum.slug),
        {"title": ["Marking"], "body": ["What works?"], "is_anonymous": ["on"]},
    ),
    Endpoint(
        "forums:post_create",
        _url("forums:post_create", pk=lambda w: w.thread.pk),
        {"body": ["Agreed."], "quoted": ["1"], "is_anonymous": ["on"]},
    ),
    Endpoint(
        "forums:post_edit",
        _url("forums:post_edit", pk=lambda w: w.post.pk),
        {"body": ["Edited."]},
    ),
    Endpoint("forums:post_delete", _url("forums:post_delete", pk=lambda w: w.post.pk), {}),
    Endpoint(
        "forums:post_react",
        _url("forums:post_react", pk=lambda w: w.colleague_post.pk),
        {"kind": ["thanks", "helpful", "agree"]},
    ),
    Endpoint(
        "forums:post_report",
        _url("forums:post_report", pk=lambda w: w.colleague_post.pk),
        {"reason": ["spam", "offensive", "other"], "details": ["Advert."], "next": ["/forums/"]},
    ),
    Endpoint(
        "forums:post_hide",
        _url("forums:post_hide", pk=lambda w: w.colleague_post.pk),
        {
            "why": ["identifies_pupil", "other", "spam"],
            "reason": REASON,
            "next": ["/forums/", "https://evil.example/"],
        },
    ),
    Endpoint(
        "forums:post_restore",
        _url("forums:post_restore", pk=lambda w: w.colleague_post.pk),
        {"reason": REASON},
    ),
    Endpoint(
        "forums:report_dismiss",
        _url("forums:report_dismiss", pk=lambda w: w.colleague_post.pk),
        {"reason": REASON},
    ),
    Endpoint(
        "forums:post_reveal",
        _url("forums:post_reveal", pk=lambda w: w.colleague_post.pk),
        {"reason": REASON},
    ),
    Endpoint(
        "forums:thread_lock",
        _url("forums:thread_lock", pk=lambda w: w.thread.pk),
        {"locked": ["1", "0", "true"], "reason": REASON},
    ),
    Endpoint(
        "forums:thread_pin",
        _url("forums:thread_pin", pk=lambda w: w.thread.pk),
        {"pinned": ["1", "0"], "reason": REASON},
    ),
    Endpoint(
        "forums:thread_move",
        _url("forums:thread_move", pk=lambda w: w.thread.pk),
        {"forum": ["1", "2"], "reason": REASON},
    ),
    Endpoint(
        "forums:person_suspend",
        _url("forums:person_suspend", pk=lambda w: w.colleague.pk),
        {
            "period": ["day", "week", "month", "custom"],
            "ends_at": ["2099-12-31T17:00", "31/12/1999 17:00", "2026-02-30T25:61"],
            "reason": REASON,
        },
    ),
    Endpoint(
        "forums:suspension_lift",
        _url("forums:suspension_lift", pk=lambda w: w.suspension.pk),
        {"reason": REASON},
    ),
    Endpoint("forums:mark_all_read", _url("forums:mark_all_read"), {}),
    Endpoint(
        "forums:forum_mark_read",
        _url("forums:forum_mark_read", slug=lambda w: w.thread.forum.slug),
        {"next": ["/forums/"]},
    ),
    Endpoint("forums:notifications_mark_all_read", _url("forums:notifications_mark_all_read"), {}),
    Endpoint(
        "forums:notification_settings",
        _url("forums:notification_settings"),
        {"email_mentions": ["on", "off"], "email_digest": ["never", "daily", "weekly"]},
    ),
    Endpoint(
        "forums:unsubscribe",
        lambda w: reverse(
            "forums:unsubscribe",
            kwargs={"token": unsubscribe_token(person_id=w.actor.pk, email="digest")},
        ),
        {"List-Unsubscribe": ["One-Click"]},
        signed_in=False,
    ),
    Endpoint(
        "forums:resource_discussion",
        _url("forums:resource_discussion", pk=lambda w: w.resource.pk),
        {"discussion-body": ["Used it in Year 4."], "discussion-quoted": ["1"]},
    ),
    # Networks
    Endpoint("networks:join", _url("networks:join", slug=lambda w: w.network.slug), {}),
    Endpoint(
        "networks:leave",
        _url("networks:leave", slug=lambda w: w.network.slug),
        {"successor": ["1"], "next": ["/networks/"]},
    ),
    Endpoint(
        "networks:request",
        _url("networks:request", slug=lambda w: w.private_network.slug),
        {"message": ["I teach Year 5."]},
    ),
    Endpoint(
        "networks:decide",
        lambda w: reverse(
            "networks:decide", kwargs={"slug": w.private_network.slug, "pk": w.join_request.pk}
        ),
        {"decision": ["approve", "decline"]},
    ),
    Endpoint(
        "networks:member_add",
        _url("networks:member_add", slug=lambda w: w.network.slug),
        {"email": ["ann.other@oakfield.example", "not-an-email"], "as_lead": ["on"]},
    ),
    *(
        Endpoint(
            f"networks:{name}",
            lambda w, name=name: reverse(
                f"networks:{name}", kwargs={"slug": w.network.slug, "person_id": w.colleague.pk}
            ),
            {"next": ["/networks/"]},
        )
        for name in ("member_remove", "lead_promote", "lead_demote")
    ),
    # Resources
    Endpoint(
        "resources:create",
        _url("resources:create"),
        {
            "title": ["Fractions"],
            "summary": ["Worked examples."],
            "network": ["1"],
            "subject": ["1"],
            "key_stages": ["KS2", "KS9"],
            "year_groups": YEARS,
            "resource_type": ["worksheet", "lesson_plan"],
            "link_url": ["https://example.org/", "javascript:alert(1)"],
            "notes": ["Notes"],
            "send_notes": ["Large print"],
            "tags": ["fractions, year 4"],
            "principles": ["1"],
            "shared_focus": ["on"],
            "scope": ["trust", "network"],
            "licence": ["trust", "cc-by"],
            "publish": ["1"],
        },
    ),
    Endpoint(
        "resources:edit",
        lambda w: reverse("resources:edit", kwargs={"pk": w.resource.pk, "slug": w.resource.slug}),
        {
            "title": ["Fractions"],
            "summary": ["Worked examples."],
            "network": ["1"],
            "year_groups": YEARS,
            "resource_type": ["worksheet"],
            "scope": ["trust"],
            "licence": ["trust"],
        },
    ),
    Endpoint(
        "resources:status",
        _url("resources:status", pk=lambda w: w.resource.pk),
        {"action": ["publish", "archive"]},
    ),
    Endpoint("resources:adapt", _url("resources:adapt", pk=lambda w: w.resource.pk), {}),
    Endpoint(
        "resources:endorse",
        _url("resources:endorse", pk=lambda w: w.resource.pk),
        {"action": ["withdraw", "endorse"]},
    ),
    Endpoint(
        "resources:bookmark",
        _url("resources:bookmark", pk=lambda w: w.resource.pk),
        {"next": ["/resources/", "//evil.example/"]},
    ),
    Endpoint(
        "resources:collect",
        _url("resources:collect", pk=lambda w: w.resource.pk),
        {"collection": ["1"], "new_collection": ["Year 6 revision"]},
    ),
    Endpoint("resources:collections", _url("resources:collections"), {"name": ["Revision"]}),
    Endpoint(
        "resources:collection_detail",
        _url("resources:collection_detail", pk=lambda w: w.collection.pk),
        {"resource": ["1"]},
    ),
    Endpoint(
        "resources:file_upload",
        _url("resources:file_upload", pk=lambda w: w.resource.pk),
        {"title": ["Slides"], "change_note": ["First go"]},
        files=("file",),
    ),
    Endpoint(
        "resources:file_version_upload",
        _url("resources:file_version_upload", file_pk=lambda w: w.resource_file.pk),
        {"change_note": ["Corrected question 4"]},
        files=("file",),
    ),
    Endpoint(
        "resources:strand_add",
        _url("resources:strand_add", slug=lambda w: w.network.slug),
        {"name": ["Geometry"]},
    ),
    Endpoint(
        "resources:strand_edit",
        _url("resources:strand_edit", pk=lambda w: w.strand.pk),
        {"name": ["Measures"]},
    ),
    Endpoint(
        "resources:strand_move",
        _url("resources:strand_move", pk=lambda w: w.strand.pk),
        {"direction": ["up", "down"]},
    ),
    Endpoint(
        "resources:strand_delete", _url("resources:strand_delete", pk=lambda w: w.strand.pk), {}
    ),
    Endpoint(
        "resources:unit_add",
        _url("resources:unit_add", slug=lambda w: w.network.slug),
        {"strand": ["1"], "year_group": YEARS, "title": ["Fractions"], "summary": ["Halves"]},
    ),
    Endpoint(
        "resources:unit_edit",
        _url("resources:unit_edit", pk=lambda w: w.unit.pk),
        {"strand": ["1"], "year_group": YEARS, "title": ["Fractions"], "summary": ["Halves"]},
    ),
    Endpoint("resources:unit_delete", _url("resources:unit_delete", pk=lambda w: w.unit.pk), {}),
    Endpoint(
        "resources:unit_resources",
        _url("resources:unit_resources", pk=lambda w: w.unit.pk),
        {"resources": ["1"], "year": YEARS},
    ),
    # People
    Endpoint(
        "people:profile_edit",
        _url("people:profile_edit"),
        {
            "display_name": ["Fay"],
            "job_title": ["Teacher"],
            "school": ["1"],
            "subjects_taught": ["1"],
            "phases": ["primary", "secondary", "nursery"],
            "about": ["I teach Year 4."],
        },
    ),
    Endpoint(
        "people:choose_school",
        _url("people:choose_school"),
        {"school": ["1"], "next": ["/", "https://evil.example/"]},
    ),
    Endpoint(
        "people:sign_in",
        _url("people:sign_in"),
        {"username": ["fay@oakfield.example"], "password": ["wrong"], "next": ["/"]},
        signed_in=False,
    ),
    Endpoint(
        "people:password_reset",
        _url("people:password_reset"),
        {"email": ["fay@oakfield.example", "nobody@example.org"]},
        signed_in=False,
    ),
    Endpoint(
        "people:password_reset_confirm",
        lambda w: reverse(
            "people:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}
        ),
        {"new_password1": ["a"], "new_password2": ["b"]},
        signed_in=False,
    ),
    Endpoint("people:two_step_code", _url("people:two_step_code"), {"code": ["123456", "12"]}),
    Endpoint("people:two_step_set_up", _url("people:two_step_set_up"), {"code": ["123456"]}),
    Endpoint("people:sign_out", _url("people:sign_out"), {"next": ["/"]}),
    Endpoint(
        "people_staff_import",
        _url("people_staff_import"),
        {"dry_run": ["on"]},
        files=("csv_file",),
    ),
    Endpoint(
        "people_authenticator_apps",
        _url("people_authenticator_apps"),
        {"person": ["1"]},
    ),
    # Data protection: the actor's own download, a trust admin's download for someone else,
    # and erasing a leaver (the first good confirmation erases; later ones are refused).
    Endpoint("people:my_data", _url("people:my_data"), {"format": ["zip"]}),
    Endpoint(
        "people_staff_data_download",
        _url("people_staff_data_download", pk=lambda w: w.colleague.pk),
        {"format": ["zip"]},
    ),
    Endpoint(
        "people_staff_erase",
        _url("people_staff_erase", pk=lambda w: w.stranger.pk),
        {"confirmation": ["Ann Other", "ann other", "Fay Zerr"]},
    ),
]

GET_ENDPOINTS = [
    Endpoint("people_staff_data", _url("people_staff_data"), {"q": ["fay", "@", ""]}, method="get"),
    Endpoint(
        "safeguarding:concern_new (form)",
        _url("safeguarding:concern_new"),
        {"post": ["1", "-1", "0", str(10**30), "x"]},
        method="get",
    ),
    Endpoint(
        "safeguarding:my_concerns",
        _url("safeguarding:my_concerns"),
        {"raised": ["1", "-1", str(10**30), "x"], "page": ["-1", str(10**30)]},
        method="get",
    ),
    Endpoint(
        "safeguarding:concerns",
        _url("safeguarding:concerns"),
        {"status": ["open", "closed", "<junk>"], "page": ["-1", "0", str(10**30), "x"]},
        method="get",
    ),
    Endpoint(
        "search:index",
        _url("search:index"),
        {
            "q": ["fractions", '"year 4" -ks3', "fractions OR decimals"],
            "sort": ["relevance", "newest"],
            "page": ["1", "-1", str(10**30)],
            "phase": ["primary"],
            "key_stage": ["KS2"],
            "year": YEARS,
            "subject": ["1"],
            "type": ["worksheet"],
            "network": ["1"],
            "school": ["1"],
            "endorsed": ["on"],
            "shared_focus": ["true"],
            "exact": ["1"],
        },
        method="get",
    ),
    Endpoint("search:suggest", _url("search:suggest"), {"q": ["fra", "f"]}, method="get"),
    Endpoint(
        "resources:index",
        _url("resources:index"),
        {
            "phase": ["primary"],
            "key_stage": ["KS2"],
            "year": YEARS,
            "subject": ["1"],
            "type": ["worksheet"],
            "school": ["1"],
            "network": ["1"],
            "endorsed": ["on"],
            "sort": ["newest", "title", "<junk>"],
            "page": ["2", "-1", str(10**30), "last"],
        },
        method="get",
    ),
    Endpoint(
        "people:directory",
        _url("people:directory"),
        {"name": ["Fay"], "school": ["1"], "subject": ["1"], "role": ["lead"], "page": ["-1"]},
        method="get",
    ),
    Endpoint(
        "networks:index",
        _url("networks:index"),
        {"phase": ["primary"], "subject": ["1"]},
        method="get",
    ),
    Endpoint(
        "forums:audit_log",
        _url("forums:audit_log"),
        {
            "action": ["post_hidden"],
            "actor": ["1"],
            "date_from": ["2026-11-25", "2026-13-45"],
            "date_to": ["1900-01-01"],
            "page": ["-1", "last"],
        },
        method="get",
    ),
    Endpoint(
        "forums:audit_export",
        _url("forums:audit_export"),
        {"action": ["post_hidden"], "actor": ["1"], "date_from": ["2026-11-25"]},
        method="get",
    ),
    Endpoint(
        "forums:mention_people", _url("forums:mention_people"), {"q": ["fa", "@"]}, method="get"
    ),
    Endpoint(
        "forums:thread",
        _url("forums:thread", pk=lambda w: w.thread.pk),
        {"quote": ["1", "-1"], "page": ["2"]},
        method="get",
    ),
    Endpoint(
        "forums:forum",
        _url("forums:forum", slug=lambda w: w.thread.forum.slug),
        {"page": ["-1", str(10**30)]},
        method="get",
    ),
    *(
        Endpoint(name, _url(name), {"page": ["-1", "0", str(10**30), "x"]}, method="get")
        for name in (
            "forums:moderation_queue",
            "forums:my_reports",
            "forums:notifications",
            "forums:suspensions",
            "resources:bookmarks",
        )
    ),
    Endpoint(
        "resources:map",
        _url("resources:map", slug=lambda w: w.network.slug),
        {"years": ["all", "some"]},
        method="get",
    ),
    Endpoint(
        "resources:unit_add (form)",
        _url("resources:unit_add", slug=lambda w: w.network.slug),
        {"strand": ["1", "x"], "year": YEARS},
        method="get",
    ),
    Endpoint(
        "resources:unit_resources (filter)",
        _url("resources:unit_resources", pk=lambda w: w.unit.pk),
        {"year": YEARS},
        method="get",
    ),
    Endpoint(
        "resources:create (form)",
        _url("resources:create"),
        {"network": ["1", "primary-maths"]},
        method="get",
    ),
]


# Running a body against the app -----------------------------------------------------------------


def counted_models() -> list:
    return [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label_lower not in WRITTEN_ON_PURPOSE and model._meta.managed
    ]


def row_counts() -> dict[str, int]:
    """Rows in every table of our apps, in one query (it runs twice per example)."""
    models = counted_models()
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables))
        counts = cursor.fetchone()
    return {model._meta.label_lower: count for model, count in zip(models, counts, strict=True)}


def client_for(world: World, endpoint: Endpoint) -> Client:
    client = Client(raise_request_exception=True)
    if endpoint.signed_in:
        sign_in_with_identity_provider(client, world.actor)
    return client


def check(response, before: dict[str, int], what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    if response.status_code >= 400:
        assert row_counts() == before, f"{what} was refused with {response.status_code} but wrote"


def with_ids(world: World, body: dict[str, list[str]]) -> dict[str, list[str]]:
    """Good values of "1" become the ids of real things for fields that name one."""
    named = {
        "forum": "forum",
        "network": "network",
        "subject": "subject",
        "subjects_taught": "subject",
        "school": "school",
        "strand": "strand",
        "collection": "collection",
        "resource": "resource",
        "resources": "resource",
        "successor": "person",
        "person": "person",
        "quoted": "post",
        "post": "post",
        "discussion-quoted": "post",
        "actor": "person",
    }
    return {
        name: [
            str(world.ids[named[name]]) if value == "1" and name in named else value
            for value in values
        ]
        for name, values in body.items()
    }


def file_values(kind: str) -> st.SearchStrategy[SimpleUploadedFile | None]:
    contents = st.one_of(
        st.just(b""),
        st.binary(max_size=200),
        st.just(b"\x00" * 4096),
        st.just(b"email,first_name\n\xff\xfe,\x00\n" * 50),
        st.just(filemakers.windows_program()),
        st.just(filemakers.make("pdf", "Fractions")),
    )
    names = st.sampled_from(
        [
            "fractions.pdf",
            "staff.csv",
            "",
            "..\\..\\boot.ini",
            "a" * 300 + ".pdf",
            "x.exe",
            "\x00.csv",
        ]
    )
    return st.one_of(
        st.none(),
        st.builds(
            lambda name, content: SimpleUploadedFile(name or "blank", content, "text/csv"),
            names,
            contents,
        ),
    )


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_every_form_survives_hostile_bodies_sent_as_multipart(endpoint: Endpoint, world: World):
    client = client_for(world, endpoint)
    path = endpoint.path(world)
    uploads = st.fixed_dictionaries({name: file_values(name) for name in endpoint.files})

    @FUZZ
    @given(body=bodies(world, endpoint.fields), files=uploads)
    def run(body: dict[str, list[str]], files: dict[str, SimpleUploadedFile | None]) -> None:
        data = with_ids(world, body)
        data.update({name: upload for name, upload in files.items() if upload is not None})
        before = row_counts()
        check(client.post(path, data), before, f"POST {path} {sorted(body)}")

    run()


@pytest.mark.parametrize(
    "endpoint",
    [endpoint for endpoint in POST_ENDPOINTS if not endpoint.files],
    ids=lambda endpoint: endpoint.name,
)
def test_every_form_survives_raw_bodies_with_invalid_utf8(endpoint: Endpoint, world: World):
    client = client_for(world, endpoint)
    path = endpoint.path(world)

    @FUZZ_RAW
    @given(body=bodies(world, endpoint.fields), junk=INVALID_UTF8)
    def run(body: dict[str, list[str]], junk: bytes) -> None:
        raw = urlencoded(with_ids(world, body), junk)
        before = row_counts()
        response = client.post(path, raw, content_type="application/x-www-form-urlencoded")
        check(response, before, f"POST {path} (raw)")

    run()


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_every_page_with_a_query_string_survives_hostile_parameters(
    endpoint: Endpoint, world: World
):
    client = client_for(world, endpoint)
    path = endpoint.path(world)

    @FUZZ
    @given(body=bodies(world, endpoint.fields), junk=INVALID_UTF8)
    def run(body: dict[str, list[str]], junk: bytes) -> None:
        # Query strings stay within what a server accepts in a request line.
        short = {
            name: [value[:2000] for value in values]
            for name, values in with_ids(world, body).items()
        }
        query = urlencoded(short, junk).decode("latin-1")
        before = row_counts()
        check(client.get(f"{path}?{query}"), before, f"GET {path}?{query[:200]}")

    run()


# Limits of the request itself -------------------------------------------------------------------


def test_a_multipart_body_with_too_many_fields_gets_a_clear_400_page(world: World):
    client = client_for(world, POST_ENDPOINTS[1])
    path = reverse("forums:post_create", kwargs={"pk": world.thread.pk})
    data = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    data["body"] = "Too many fields."
    before = row_counts()

    response = client.post(path, data)

    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert row_counts() == before


def test_an_urlencoded_body_with_too_many_fields_gets_a_clear_400_page(world: World):
    client = client_for(world, POST_ENDPOINTS[1])
    path = reverse("forums:post_create", kwargs={"pk": world.thread.pk})
    raw = "&".join(["a=1"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)) + "&body=Hello"
    before = row_counts()

    response = client.post(path, raw, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert row_counts() == before


def test_a_multipart_body_with_too_many_files_gets_a_clear_400_page(world: World):
    client = client_for(world, POST_ENDPOINTS[0])
    path = reverse("forums:thread_create", kwargs={"slug": world.thread.forum.slug})
    data = {
        f"file{n}": SimpleUploadedFile(f"{n}.txt", b"x")
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    data.update(title="Too many files", body="Hello")
    before = row_counts()

    response = client.post(path, data)

    assert response.status_code == 400
    assert row_counts() == before


def test_a_body_over_the_memory_limit_gets_a_clear_400_page(world: World):
    client = client_for(world, POST_ENDPOINTS[1])
    path = reverse("forums:post_create", kwargs={"pk": world.thread.pk})
    before = row_counts()

    response = client.post(
        path,
        b"body=" + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert row_counts() == before


def test_a_truncated_multipart_body_is_refused_not_a_crash(world: World):
    client = client_for(world, POST_ENDPOINTS[1])
    path = reverse("forums:post_create", kwargs={"pk": world.thread.pk})
    before = row_counts()

    for cut in (b"--BoUnDaRy\r\nContent-Disposition: form-da", b"--BoUnDaRy\r\n", b"--BoUn"):
        response = client.post(path, cut, content_type="multipart/form-data; boundary=BoUnDaRy")

        assert 400 <= response.status_code < 500
        assert row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "application/json", "text/plain"],
)
def test_a_body_whose_content_type_lies_is_refused_not_a_crash(world: World, content_type: str):
    client = client_for(world, POST_ENDPOINTS[1])
    path = reverse("forums:post_create", kwargs={"pk": world.thread.pk})
    before = row_counts()

    response = client.post(path, b'{"body": "Hello"}\xff', content_type=content_type)

    assert 400 <= response.status_code < 500
    assert row_counts() == before


# CSRF ------------------------------------------------------------------------------------------

# Emails' one-click unsubscribe links are posted by mail clients, which have no token (RFC 8058).
CSRF_EXEMPT = {"forums:unsubscribe"}


@pytest.mark.parametrize(
    "endpoint",
    [endpoint for endpoint in POST_ENDPOINTS if endpoint.name not in CSRF_EXEMPT],
    ids=lambda endpoint: endpoint.name,
)
def test_a_missing_or_forged_csrf_token_is_refused_with_403(endpoint: Endpoint, world: World):
    client = Client(enforce_csrf_checks=True, raise_request_exception=True)
    if endpoint.signed_in:
        sign_in_with_identity_provider(client, world.actor)
    # A secret no token below matches ("x" * 64 unmasks to "a" * 32).
    client.cookies[settings.CSRF_COOKIE_NAME] = "c" * 32
    good = {name: values[0] for name, values in with_ids(world, endpoint.fields).items() if values}
    for token in (None, "", "b" * 32, "x" * 64, "\x00" * 32, "é" * 2000):
        data = dict(good) if token is None else {**good, "csrfmiddlewaretoken": token}
        before = row_counts()

        response = client.post(endpoint.path(world), data)

        assert response.status_code == 403, f"token {token!r:.20}: {response.status_code}"
        assert row_counts() == before


# Nothing left out -------------------------------------------------------------------------------

# Pages that take no body and no parameters worth fuzzing: their path arguments are typed by the
# URL converters, and the ids of things that do not exist are tried below.
PLAIN_PAGES = {
    "healthz",
    "brand_css",
    "image_rendition",
    "people:sign_out",
    "people:password_reset_sent",
    "people:password_reset_complete",
    "people:my_profile",
    "people:profile",
    "openid_connect_login",
    "openid_connect_callback",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
    "socialaccount_signup",
    "account_login",
    "networks:detail",
    "networks:members",
    "resources:detail",
    "resources:file_history",
    "resources:file_download",
    "resources:file_preview",
    "resources:map_csv",
    "resources:unit_detail",
    "forums:index",
    "forums:post",
    "forums:report_sent",
    "forums:notification_open",
    "forums:principle_consultation",
    "search:search",
    "safeguarding:preserved_post",
}


def our_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                module = getattr(pattern.urlconf_module, "__name__", "")
                if module.split(".")[0] in {
                    "people",
                    "networks",
                    "resources",
                    "forums",
                    "search",
                    "safeguarding",
                }:
                    walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


# Fuzzed on its own below: it answers only on the user-content host.
FUZZED_ELSEWHERE = {"resources:file_content"}
CONTENT_HOST = "files.staffroom.test"


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# A "/" would make another address (the test client decodes %2F), not another token.
@given(
    token=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/"),
        min_size=1,
        max_size=300,
    )
)
def test_any_token_on_the_user_content_host_is_refused_cleanly(settings, token):
    settings.STAFFROOM_USER_CONTENT_ORIGIN = f"https://{CONTENT_HOST}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, CONTENT_HOST]
    path = "/resources/files/content/" + quote_from_bytes(token.encode(), safe="") + "/"

    response = Client().get(path, HTTP_HOST=CONTENT_HOST, secure=True)

    # No address of ours holds a NUL: refused as a bad request before any lookup.
    assert response.status_code == (400 if "\x00" in token else 404)


def test_every_url_of_our_apps_is_fuzzed_or_takes_no_input():
    covered = {endpoint.name.split(" ")[0] for endpoint in POST_ENDPOINTS + GET_ENDPOINTS}
    covered |= FUZZED_ELSEWHERE

    missing = our_url_names() - covered - PLAIN_PAGES

    assert not missing, f"add these to the fuzzing tables: {sorted(missing)}"


@pytest.mark.parametrize(
    "path", ["/accounts/oidc/%00/login/", "/networks/maths%00/", "/no-such-page%00/"]
)
def test_an_address_holding_a_nul_is_a_bad_request_that_nothing_looks_up(path: str, world: World):
    # PostgreSQL refuses a NUL in any text compared, so a lookup by such a slug would fail.
    client = Client(raise_request_exception=True)
    sign_in_with_identity_provider(client, world.actor)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)

    assert response.status_code == 400
    assert "Staffroom could not read what your browser sent" in response.text
    assert not [query for query in queries if "\x00" in query["sql"]]


@pytest.mark.parametrize(
    "path",
    [
        "/forums/threads/0/",
        "/forums/threads/99999999999999999999999/",
        "/forums/posts/9223372036854775808/edit/",
        "/forums/my-reports/18446744073709551616/",
        "/safeguarding/concerns/99999999999999999999/",
        "/safeguarding/preserved-posts/99999999999999999999/",
        "/forums/notifications/99999999999999999999/",
        "/forums/discussions/principles/99999999999999999999/",
        "/forums/discussions/resources/99999999999999999999/",
        "/resources/99999999999999999999/x/",
        "/resources/files/99999999999999999999/download/",
        "/resources/files/99999999999999999999/preview/",
        "/resources/files/99999999999999999999/history/",
        "/resources/units/99999999999999999999/",
        "/resources/networks/no-such-network/map.csv",
        "/people/99999999999999999999/",
        "/networks/no-such-network/members/",
        "/forums/notifications/unsubscribe/not-a-token/",
        "/people/password-reset/%FF%FE/%00/",
        "/accounts/oidc/%00/login/",
        "/accounts/oidc/no-such-provider/login/callback/?code=%FF&state=%00",
    ],
)
def test_ids_and_slugs_of_things_that_do_not_exist_are_not_found_not_a_crash(
    path: str, world: World
):
    client = Client(raise_request_exception=True)
    sign_in_with_identity_provider(client, world.actor)

    assert client.get(path).status_code < 500
    assert client.post(path, {"reason": "x"}).status_code < 500
