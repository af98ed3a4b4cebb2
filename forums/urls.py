from django.urls import include, path

from forums import views

app_name = "forums"

urlpatterns = [
    path("", views.index, name="index"),
    path("threads/<int:pk>/", views.thread, name="thread"),
    path("threads/<int:pk>/reply/", views.post_create, name="post_create"),
    path("posts/<int:pk>/", views.post_link, name="post"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("posts/<int:pk>/react/", views.post_react, name="post_react"),
    path("mentions/people/", views.mention_people, name="mention_people"),
    path("", include("forums.moderation_urls")),
    path("", include("forums.notification_urls")),
    path("", include("forums.discussion_urls")),
    # Forum slugs last: the fixed words above are never taken as a forum's slug.
    path("<slug:slug>/", views.forum, name="forum"),
    path("<slug:slug>/new/", views.thread_create, name="thread_create"),
]
