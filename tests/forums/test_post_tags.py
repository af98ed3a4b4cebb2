"""A post's addresses, filled into each route resolved once, are the ones Django's resolver
gives; a route that is not there gives nothing, as `{% url … as x %}` does. `post_links` gives
all of a post's action links at once, the same way."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse

from forums.templatetags.post_tags import ACTIONS, post_links, post_url

ROUTES = [
    "forums:post",
    "forums:post_edit",
    "forums:post_delete",
    "forums:post_report",
    "forums:post_hide",
    "forums:post_restore",
    "forums:post_reveal",
    "forums:post_react",
]


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("pk", [1, 7, 42, 123456])
def test_each_address_is_the_one_djangos_resolver_gives(name, pk):
    assert post_url(name, pk) == reverse(name, kwargs={"pk": pk})


def test_a_route_that_is_not_there_gives_an_empty_address():
    assert post_url("forums:no_such_route", 3) == ""


def test_a_site_served_under_a_prefix_gets_prefixed_addresses():
    from django.urls import set_script_prefix

    try:
        set_script_prefix("/staffroom/")
        assert post_url("forums:post_edit", 5) == "/staffroom" + "/forums/posts/5/edit/"
        assert post_url("forums:post_edit", 5) == reverse("forums:post_edit", kwargs={"pk": 5})
    finally:
        set_script_prefix("/")
    assert post_url("forums:post_edit", 5) == "/forums/posts/5/edit/"


@override_settings(ROOT_URLCONF="tests.forums.test_post_tags")
def test_another_url_configuration_is_resolved_afresh():
    assert post_url("forums:post_edit", 5) == ""


def test_the_template_tag_sets_a_variable():
    html = Template(
        "{% load post_tags %}{% post_url 'forums:post_hide' 9 as hide_url %}[{{ hide_url }}]"
    ).render(Context())

    assert html == f"[{reverse('forums:post_hide', kwargs={'pk': 9})}]"


@pytest.mark.parametrize("pk", [1, 123456])
def test_a_posts_links_are_the_ones_djangos_resolver_gives(pk):
    links = post_links(pk)

    assert links == {
        **{action: reverse(f"forums:post_{action}", kwargs={"pk": pk}) for action in ACTIONS},
        "concern": f"{reverse('safeguarding:concern_new')}?post={pk}",
    }


def test_a_posts_links_under_a_prefix_are_prefixed():
    from django.urls import set_script_prefix

    try:
        set_script_prefix("/staffroom/")
        links = post_links(5)
    finally:
        set_script_prefix("/")

    assert links["hide"] == "/staffroom" + reverse("forums:post_hide", kwargs={"pk": 5})
    assert links["concern"] == "/staffroom" + reverse("safeguarding:concern_new") + "?post=5"


@override_settings(ROOT_URLCONF="tests.forums.test_post_tags")
def test_links_whose_routes_are_not_there_are_empty():
    assert set(post_links(5).values()) == {""}


urlpatterns: list = []
