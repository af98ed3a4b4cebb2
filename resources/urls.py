from django.urls import include, path

from resources import views

app_name = "resources"

# Actions sit under "actions/" so no resource's slug can shadow them.
urlpatterns: list = [
    path("", views.browse, name="index"),
    path("share/", views.create, name="create"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("collections/", views.collections, name="collections"),
    path("collections/<int:pk>/", views.collection_detail, name="collection_detail"),
    path("<int:pk>/<slug:slug>/", views.detail, name="detail"),
    path("<int:pk>/<slug:slug>/edit/", views.edit, name="edit"),
    path("<int:pk>/actions/adapt/", views.adapt, name="adapt"),
    path("<int:pk>/actions/endorse/", views.endorse, name="endorse"),
    path("<int:pk>/actions/bookmark/", views.bookmark, name="bookmark"),
    path("<int:pk>/actions/collect/", views.collect, name="collect"),
    path("<int:pk>/actions/status/", views.change_status, name="status"),
    path("", include("resources.file_urls")),
    path("", include("resources.map_urls")),
]
