"""Raising a safeguarding concern: it reaches only the leads of its school and the trust's
lead, never anyone else, and its words never leave the concern."""

import json
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEntry
from forums.models import Notification
from people.roles import Role
from safeguarding import services
from safeguarding.models import Concern, ConcernNote, SafeguardingLead
from safeguarding.services import SafeguardingRefused
from search.backends import database_backend
from search.query import SearchRequest
from tests.factories import PersonFactory, SchoolFactory
from tests.factories import sign_in_with_identity_provider as sign_in
from tests.forums.factories import ForumFactory, PostFactory
from tests.networks.factories import NetworkFactory
from tests.safeguarding.factories import deputy_lead, designated_lead, trust_lead

pytestmark = pytest.mark.django_db

WHAT = "J.S. told me at lunch that an older cousin hurts them; bruising on arm 7b41"
WHO = "J.S., Year 8; cousin (adult) 7b41"
SECRET = "7b41"


@pytest.fixture
def school():
    return SchoolFactory(name="Oakfield Primary")


@pytest.fixture
def other_school():
    return SchoolFactory(name="Riverside Academy")


def raise_concern(reporter, school, **fields):
    fields.setdefault("what_happened", WHAT)
    fields.setdefault("who_involved", WHO)
    return services.concern_raise(reporter=reporter, school=school, **fields)


def told(person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person))


# Routing.


def test_a_concern_goes_to_its_schools_leads_and_the_trust_lead_only(
    school, other_school, django_capture_on_commit_callbacks
):
    lead, deputy, trust = designated_lead(school), deputy_lead(school), trust_lead()
    elsewhere = designated_lead(other_school)
    reporter, colleague = PersonFactory(school=school), PersonFactory(school=school)

    with django_capture_on_commit_callbacks(execute=True):
        concern, heard = raise_concern(reporter, school)

    assert heard
    for person in (lead, deputy, trust):
        [notification] = told(person)
        assert notification.url == reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    assert told(elsewhere) == told(reporter) == told(colleague) == []
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [lead.email, deputy.email, trust.email]
    )


def test_a_school_with_no_lead_named_sends_its_concerns_to_the_trust_lead(school, other_school):
    designated_lead(other_school)
    trust = trust_lead()

    concern, heard = raise_concern(PersonFactory(school=school), school)

    assert heard
    assert [n.url for n in told(trust)] == [
        reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    ]


def test_with_no_lead_at_all_the_concern_is_kept_and_the_trust_admins_are_told(
    school, client, trust_admin
):
    reporter = PersonFactory(school=school)
    sign_in(client, reporter)

    response = client.post(
        reverse("safeguarding:concern_new"),
        {"school": school.pk, "what_happened": WHAT, "who_involved": WHO},
    )

    concern = Concern.objects.get()
    assert response.status_code == 302
    [notification] = told(trust_admin)
    assert "nobody leads safeguarding" in notification.text
    assert SECRET not in notification.text
    page = client.get(response["Location"]).content.decode()
    assert "Speak to your designated safeguarding lead in person today" in page
    assert concern.reporter == reporter and concern.status == Concern.Status.OPEN
    assert mail.outbox == []


def test_a_switched_off_lead_is_not_told(school):
    lead = designated_lead(school)
    lead.is_active = False
    lead.save()
    trust = trust_lead()

    raise_concern(PersonFactory(school=school), school)

    assert told(lead) == [] and len(told(trust)) == 1


# The words stay on the concern.


def test_no_notification_email_or_audit_entry_carries_the_concerns_words(
    school, django_capture_on_commit_callbacks
):
    lead = designated_lead(school)
    trust = trust_lead()
    reporter = PersonFactory(school=school)
    with django_capture_on_commit_callbacks(execute=True):
        concern, _ = raise_concern(reporter, school)
    services.concern_acknowledge(concern=concern, lead=lead)
    services.concern_note_add(concern=concern, lead=trust, text="Called social care 7b41")
    services.concern_close(concern=concern, lead=lead)

    for notification in Notification.objects.all():
        assert SECRET not in notification.text and "J.S." not in notification.text
    for message in mail.outbox:
        assert SECRET not in message.subject + message.body
        assert "sign in" in message.body.lower()
    entries = AuditEntry.objects.filter(action__startswith="concern_")
    assert {entry.action for entry in entries} == {
        services.CONCERN_RAISED,
        services.CONCERN_ACKNOWLEDGED,
        services.CONCERN_NOTE_ADDED,
        services.CONCERN_CLOSED,
    }
    for entry in AuditEntry.objects.all():
        assert SECRET not in entry.reason + json.dumps(entry.detail)
        if entry.action.startswith("concern_"):
            assert entry.detail["concern"] == concern.pk


def test_the_concerns_words_are_never_found_by_search(school, primary_teacher):
    designated_lead(school)
    raise_concern(PersonFactory(school=school), school)

    results = database_backend().search(SearchRequest(terms=(SECRET,), page_size=50), None)

    assert list(results.hits) == []


# Reading and acting on a concern.


def test_a_lead_acknowledges_notes_and_closes_and_the_reporter_sees_only_the_status(school, client):
    lead = designated_lead(school)
    reporter = PersonFactory(school=school)
    concern, _ = raise_concern(reporter, school)
    url = reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    sign_in(client, lead)

    page = client.get(url)
    assert page.status_code == 200 and SECRET in page.content.decode()
    assert client.post(url, {"action": "acknowledge"}).status_code == 302
    assert client.post(url, {"action": "note", "text": "Spoke to J.S. 7b41"}).status_code == 302
    assert client.post(url, {"action": "close"}).status_code == 302

    concern.refresh_from_db()
    assert concern.status == Concern.Status.CLOSED and concern.closed_by == lead
    assert ConcernNote.objects.get().author == lead
    viewed = AuditEntry.objects.filter(action=services.CONCERN_VIEWED, actor_id=lead.pk)
    assert viewed.count() == 1
    sign_in(client, reporter)
    mine = client.get(reverse("safeguarding:my_concerns")).content.decode()
    assert "Closed by a safeguarding lead" in mine
    assert SECRET not in mine and "Spoke to" not in mine
    assert [n.text for n in told(reporter)] == [
        "A safeguarding lead has closed a concern you raised.",
        "A safeguarding lead has acknowledged a concern you raised.",
    ]


def test_a_lead_cannot_acknowledge_twice_or_add_an_empty_note(school, client):
    lead = designated_lead(school)
    concern, _ = raise_concern(PersonFactory(school=school), school)
    services.concern_acknowledge(concern=concern, lead=lead)
    url = reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    sign_in(client, lead)

    again = client.post(url, {"action": "acknowledge"}, follow=True)
    empty = client.post(url, {"action": "note", "text": "   "})
    unknown = client.post(url, {"action": "delete"})

    assert "already been acknowledged" in again.content.decode()
    assert empty.status_code == 400 and "Write the note" in empty.content.decode()
    assert unknown.status_code == 400
    assert ConcernNote.objects.count() == 0


def people_who_must_not_read(school, other_school, reporter) -> dict:
    return {
        "the reporter": reporter,
        "a colleague": PersonFactory(school=school),
        "a moderator": PersonFactory(school=school, roles=[Role.MODERATOR]),
        "the central team": PersonFactory(school=None, roles=[Role.CENTRAL_TEAM]),
        "a trust admin": PersonFactory(school=None, roles=[Role.TRUST_ADMIN]),
        "a network lead": PersonFactory(school=school, roles=[Role.NETWORK_LEAD]),
        "another school's lead": designated_lead(other_school),
        "a superuser": PersonFactory(school=None, is_superuser=True, is_staff=True),
    }


def test_nobody_but_the_leads_can_read_or_act_on_a_concern(school, other_school, client):
    designated_lead(school)
    reporter = PersonFactory(school=school)
    concern, _ = raise_concern(reporter, school)
    services.concern_note_add(concern=concern, lead=trust_lead(), text="Note 7b41")
    url = reverse("safeguarding:concern", kwargs={"pk": concern.pk})
    before = (Concern.objects.values_list("status").get(), ConcernNote.objects.count())

    for who, person in people_who_must_not_read(school, other_school, reporter).items():
        sign_in(client, person)
        for response in (
            client.get(url),
            client.post(url, {"action": "close"}),
            client.post(url, {"action": "note", "text": "mine"}),
        ):
            assert response.status_code == 404, who
            assert SECRET not in response.content.decode(), who
        listing = client.get(reverse("safeguarding:concerns"))
        assert listing.status_code == (200 if who == "another school's lead" else 403), who
        assert f"Read concern {concern.pk}<" not in listing.content.decode(), who
        assert SECRET not in client.get(reverse("safeguarding:my_concerns")).content.decode()
    assert (Concern.objects.values_list("status").get(), ConcernNote.objects.count()) == before
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_the_trust_lead_reads_every_schools_concerns_and_a_school_lead_only_their_own(
    school, other_school, client
):
    lead = designated_lead(school)
    trust = trust_lead()
    ours, _ = raise_concern(PersonFactory(school=school), school)
    theirs, _ = raise_concern(PersonFactory(school=other_school), other_school)

    sign_in(client, lead)
    listed = client.get(reverse("safeguarding:concerns")).content.decode()
    assert f"Read concern {ours.pk}<" in listed and f"Read concern {theirs.pk}<" not in listed
    sign_in(client, trust)
    listed = client.get(reverse("safeguarding:concerns")).content.decode()
    assert f"Read concern {ours.pk}<" in listed and f"Read concern {theirs.pk}<" in listed
    assert AuditEntry.objects.filter(action=services.CONCERNS_LISTED).count() == 2


# The form.


def form(for_school, **fields) -> dict:
    return {"school": for_school.pk, "what_happened": WHAT, "who_involved": WHO, **fields}


def test_the_form_is_reached_from_every_page_and_from_each_post(client, primary_teacher):
    post = PostFactory(thread__forum=ForumFactory())
    sign_in(client, primary_teacher)

    thread_page = client.get(post.thread.get_absolute_url()).content.decode()
    new = client.get(reverse("safeguarding:concern_new"), {"post": post.pk})

    assert f'href="{reverse("safeguarding:concern_new")}"' in thread_page  # the footer
    assert f"{reverse('safeguarding:concern_new')}?post={post.pk}" in thread_page
    assert "Raise a safeguarding concern" in thread_page
    assert new.status_code == 200
    assert post.thread.title in new.content.decode()
    assert "Use initials, not pupils" in new.content.decode()


def test_sending_the_same_form_twice_makes_one_concern(client, school):
    designated_lead(school)
    sign_in(client, PersonFactory(school=school))
    sent = form(school, submission_key=str(uuid.uuid4()))

    first = client.post(reverse("safeguarding:concern_new"), sent)
    second = client.post(reverse("safeguarding:concern_new"), sent)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Concern.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"what_happened": ""}, "Say what happened."),
        ({"who_involved": "  "}, "Say who is involved"),
        ({"school": ""}, "Choose the school this concern is about."),
        ({"school": "999999"}, "Choose one of the trust"),
        ({"what_happened": "x" * 5001}, "Keep what happened to 5,000 characters"),
        ({"who_involved": "x" * 100_000}, "Keep who is involved to 1,000 characters"),
        ({"post": "not a number"}, "That post cannot be found"),
        ({"post": "99999999999999999999999"}, "That post cannot be found"),
        ({"what_happened": "nul\x00here"}, "Null characters are not allowed"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, school, fields, message):
    designated_lead(school)
    sign_in(client, PersonFactory(school=school))

    response = client.post(reverse("safeguarding:concern_new"), form(school, **fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Concern.objects.count() == 0 and Notification.objects.count() == 0


def test_a_post_the_reporter_cannot_read_is_refused_and_nothing_is_saved(client, school):
    private = NetworkFactory(private=True)
    post = PostFactory(thread__forum=ForumFactory(network=private), body="Private words")
    designated_lead(school)
    sign_in(client, PersonFactory(school=school))

    shown = client.get(reverse("safeguarding:concern_new"), {"post": post.pk})
    response = client.post(reverse("safeguarding:concern_new"), form(school, post=post.pk))

    assert "That post cannot be found" in shown.content.decode()
    assert "Private words" not in shown.content.decode()
    assert post.thread.title not in shown.content.decode()
    assert response.status_code == 400
    assert "That post cannot be found" in response.content.decode()
    assert Concern.objects.count() == 0


def test_the_service_refuses_a_concern_without_words(school):
    with pytest.raises(SafeguardingRefused, match="Say what happened"):
        raise_concern(PersonFactory(school=school), school, what_happened=" ")
    assert Concern.objects.count() == 0


# Naming the leads.


def test_trust_admins_name_the_leads_in_the_admin_and_nobody_else_can(client, trust_admin):
    teacher = PersonFactory(roles=[Role.CENTRAL_TEAM])
    url = reverse("wagtailsnippets_safeguarding_safeguardinglead:list")

    sign_in(client, trust_admin)
    assert client.get(url).status_code == 200
    sign_in(client, teacher)
    assert client.get(url).status_code in (302, 403)


def test_a_trust_lead_has_no_school_and_a_school_lead_has_one(school):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        SafeguardingLead(
            person=PersonFactory(), role=SafeguardingLead.Role.TRUST, school=school
        ).full_clean()
    with pytest.raises(ValidationError):
        SafeguardingLead(
            person=PersonFactory(), role=SafeguardingLead.Role.DESIGNATED, school=None
        ).full_clean()


def test_the_lists_take_a_fixed_number_of_queries(
    school, other_school, client, django_assert_max_num_queries
):
    trust = trust_lead()
    reporter = PersonFactory(school=school)
    for _ in range(12):
        raise_concern(reporter, school)
        raise_concern(reporter, other_school)

    sign_in(client, trust)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("safeguarding:concerns")).status_code == 200
    sign_in(client, reporter)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("safeguarding:my_concerns")).status_code == 200
