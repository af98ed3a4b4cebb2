from django.urls import include, path

app_name = "resources"

urlpatterns: list = [
    path("", include("resources.file_urls")),
    path("", include("resources.map_urls")),
]
