"""@mentions: links to colleagues' profiles in the saved post, never in code or links, and
the autocomplete that offers colleagues to mention."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums import mentions, services
from forums.models import Forum, Mention
from tests.factories import PersonFactory, SchoolFactory
from tests.forums.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db

HINT = "Type @ and a name to mention a colleague."


@pytest.fixture
def hannah():
    return PersonFactory(
        email="hannah.whitlock@oakfield.example",
        first_name="Hannah",
        last_name="Whitlock",
        display_name="Mrs Whitlock",
        job_title="Head of English",
        school=SchoolFactory(name="Oakfield Primary", urn="140999"),
    )


@pytest.fixture
def thread():
    return ThreadFactory(forum=Forum.objects.get(slug="wellbeing"))


def profile(person) -> str:
    return reverse("people:profile", kwargs={"pk": person.pk})


def test_a_mention_becomes_a_link_to_the_profile_showing_the_display_name(hannah):
    html = services.render_post_body("Thanks @hannah.whitlock.")

    assert f'<a href="{profile(hannah)}" class="mention">@Mrs Whitlock</a>.' in html


def test_mentions_in_code_and_inside_links_stay_as_written(hannah):
    body = (
        "Inline `@hannah.whitlock` code, [ask @hannah.whitlock](https://example.org) and\n\n"
        "    @hannah.whitlock in a block\n\n"
        "```\n@hannah.whitlock fenced\n```\n"
    )

    html = services.render_post_body(body)

    assert "Mrs Whitlock" not in html
    assert "<code>@hannah.whitlock</code>" in html
    assert ">ask @hannah.whitlock</a>" in html
    assert mentions.handles_in(body) == []


def test_a_mention_in_code_is_not_recorded_or_followed(hannah, primary_teacher, thread):
    post = services.post_create(
        thread=thread, author=primary_teacher, body="Use `@hannah.whitlock` in the template."
    )

    assert not Mention.objects.filter(post=post).exists()


def test_a_mention_is_recorded_and_linked_when_a_post_is_created_or_edited(
    hannah, primary_teacher, thread
):
    post = services.post_create(thread=thread, author=primary_teacher, body="No one yet.")
    assert not Mention.objects.filter(post=post).exists()

    post = services.post_edit(post=post, editor=primary_teacher, body="Over to @Hannah.Whitlock")

    assert list(Mention.objects.filter(post=post).values_list("person", flat=True)) == [hannah.pk]
    assert f'href="{profile(hannah)}"' in post.body_html


def test_a_hostile_display_name_is_escaped_in_the_link():
    person = PersonFactory(
        email="mallory@oakfield.example", display_name='<img src=x onerror="alert(1)">'
    )

    html = services.render_post_body("Hello @mallory")

    assert "<img" not in html
    assert f'<a href="{profile(person)}" class="mention">@&lt;img src=x' in html


def test_hostile_markup_around_a_mention_is_still_sanitised(hannah):
    html = services.render_post_body(
        '<script>alert(1)</script>@hannah.whitlock <a href="javascript:alert(1)">x</a> '
        '<span onclick="alert(1)">@hannah.whitlock</span>'
    )

    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert html.count('class="mention"') == 2
    assert mentions.handles_in("<script>@hannah.whitlock</script>") == []


def test_a_shared_local_part_needs_the_full_address():
    oakfield = PersonFactory(email="sam.jones@oakfield.example", first_name="Sam")
    PersonFactory(email="sam.jones@riverside.example", first_name="Samuel")

    html = services.render_post_body("@sam.jones or @sam.jones@oakfield.example")

    assert html.count('class="mention"') == 1
    assert f'href="{profile(oakfield)}"' in html
    assert mentions.people_named(["sam.jones"]) == []


def test_former_colleagues_and_unknown_handles_are_left_as_text():
    PersonFactory(email="gone@oakfield.example", is_active=False)

    html = services.render_post_body("@gone and @nobody.here")

    assert 'class="mention"' not in html
    assert "@gone and @nobody.here" in html


def test_email_addresses_are_not_mentions(hannah):
    html = services.render_post_body("Write to office@hannah.whitlock.example")

    assert 'class="mention"' not in html


def test_rendering_many_mentions_takes_one_query(django_assert_num_queries):
    people = [PersonFactory(email=f"teacher{n}@oakfield.example") for n in range(15)]
    body = " ".join(f"@teacher{n}" for n in range(15))

    with django_assert_num_queries(1):
        html = services.render_post_body(body)

    assert all(f'href="{profile(person)}"' in html for person in people)


# The autocomplete


def people_found(client, query: str):
    return client.get(reverse("forums:mention_people"), {"q": query})


def test_the_autocomplete_offers_colleagues_by_name_with_the_handle_to_type(staff_client, hannah):
    response = people_found(staff_client, "whit")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": hannah.pk,
            "name": "Mrs Whitlock",
            "handle": "hannah.whitlock",
            "school": "Oakfield Primary",
            "job_title": "Head of English",
        }
    ]


def test_the_autocomplete_finds_by_email_and_by_every_word(staff_client, hannah):
    assert [p["id"] for p in people_found(staff_client, "hannah.wh").json()["results"]] == [
        hannah.pk
    ]
    assert [p["id"] for p in people_found(staff_client, "Hannah Whit").json()["results"]] == [
        hannah.pk
    ]
    assert people_found(staff_client, "Hannah Okafor").json()["results"] == []


def test_the_autocomplete_needs_two_characters(staff_client, hannah):
    assert people_found(staff_client, "w").json()["results"] == []
    assert people_found(staff_client, "@w").json()["results"] == []
    assert people_found(staff_client, "").json()["results"] == []


def test_the_autocomplete_lists_at_most_eight_active_colleagues(staff_client):
    PersonFactory.create_batch(10, last_name="Ashworth")
    PersonFactory(last_name="Ashworth", is_active=False)

    results = people_found(staff_client, "ashworth").json()["results"]

    assert len(results) == 8


def test_the_handle_offered_always_names_that_colleague(staff_client):
    first = PersonFactory(email="sam.jones@oakfield.example", last_name="Jonesy")
    second = PersonFactory(email="sam.jones@riverside.example", last_name="Jonesy")
    only = PersonFactory(email="ruth.jonesy@oakfield.example", last_name="Jonesy")

    results = people_found(staff_client, "jonesy").json()["results"]

    handles = {result["id"]: result["handle"] for result in results}
    assert handles == {
        first.pk: "sam.jones@oakfield.example",
        second.pk: "sam.jones@riverside.example",
        only.pk: "ruth.jonesy",
    }
    for person in (first, second, only):
        assert mentions.people_named([handles[person.pk]]) == [person]
        assert mentions.handles_in(f"Hi @{handles[person.pk]}") == [handles[person.pk]]


def test_the_autocomplete_is_for_signed_in_staff_only(hannah):
    response = people_found(Client(), "whit")

    assert response.status_code == 401
    assert "results" not in response.json()


def test_the_autocomplete_refuses_a_post(staff_client):
    assert staff_client.post(reverse("forums:mention_people"), {"q": "whit"}).status_code == 405


def test_the_autocomplete_takes_the_same_queries_however_many_match(
    staff_client, django_assert_max_num_queries
):
    PersonFactory(last_name="Fairbairn")

    with CaptureQueriesContext(connection) as one:
        assert len(people_found(staff_client, "fairbairn").json()["results"]) == 1
    PersonFactory.create_batch(9, last_name="Fairbairn")

    with django_assert_max_num_queries(len(one)):
        assert len(people_found(staff_client, "fairbairn").json()["results"]) == 8


@pytest.mark.parametrize("where", ["reply", "new thread", "edit"])
def test_the_post_fields_offer_mentions_with_a_hint(staff_client, primary_teacher, where):
    forum = Forum.objects.get(slug="wellbeing")
    post = PostFactory(thread__forum=forum, author=primary_teacher)
    url = {
        "reply": post.thread.get_absolute_url(),
        "new thread": reverse("forums:thread_create", kwargs={"slug": forum.slug}),
        "edit": reverse("forums:post_edit", kwargs={"pk": post.pk}),
    }[where]

    html = staff_client.get(url).content.decode()

    assert HINT in html
    assert 'id="id_body_mentionhint"' in html
    assert f'data-mention-source="{reverse("forums:mention_people")}"' in html
    assert "js/mentions.js" in html
