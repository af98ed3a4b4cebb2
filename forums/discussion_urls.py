"""URLs of resource discussions, principle consultations and reading state, included into the
forums namespace."""

from django.urls import path

from forums import discussion_views

urlpatterns = [
    path(
        "discussions/resources/<int:pk>/",
        discussion_views.resource_discussion,
        name="resource_discussion",
    ),
    path(
        "discussions/principles/<int:page_id>/",
        discussion_views.principle_consultation,
        name="principle_consultation",
    ),
    path("mark-all-read/", discussion_views.mark_all_read, name="mark_all_read"),
    path("<slug:slug>/mark-read/", discussion_views.forum_mark_read, name="forum_mark_read"),
]
