from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("", views.index, name="index"),
    path("suggest/", views.suggest, name="suggest"),
    # The main navigation links to the page by this name too (config.context_processors).
    path("", views.index, name="search"),
]
